// An upgrade from the oldest schema this release can upgrade (0001-initial) with data in it, while
// a node of the older release keeps recording changes: every migration runs, nothing written
// before or during it is lost, and the current code reads and syncs from what the older release
// left (its waiting jobs, links and changes).
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { knownFromChanges } from '../../src/store/changes/known-from-changes.ts';
import { JobQueue } from '../../src/engine/job-queue.ts';
import { allMigrations } from '../../src/store/migrations/index.ts';
import { migrateToLatest } from '../../src/store/migrate.ts';
import { defaultRetryPolicy } from '../../src/engine/retry-policy.ts';
import { describeEachBackend } from '../support/test-databases.ts';
import { migrateTo } from '../support/migrate-to.ts';

const t0 = Date.UTC(2026, 5, 1);
const tenantId = '11111111-1111-4111-8111-111111111111';
const eventId = (n: number) => `00U0000000000${String(n).padStart(2, '0')}AAA`;

describeEachBackend('an upgrade from the oldest schema', (database) => {
  it('keeps what the older release wrote, before and during the migrations, and the current code claims its work', async () => {
    const url = await database.createEmpty();
    const store = database.open({ url });
    await migrateTo(store, '0001-initial');

    // What a tenant of the first release had: the rows in 0001's own columns.
    const db = store.db;
    await sql`insert into tenants (id, slug, name, client_id, webhook_secret_sealed, settle_window_ms, created_at, updated_at)
      values (${tenantId}, 'acme', 'Acme', '1234567890', 'v1.test.sealed', 2000, ${t0}, ${t0})`.execute(db);
    await sql`insert into salesforce_connections (tenant_id, state, auth_flow, login_url, updated_at)
      values (${tenantId}, 'connected', 'web_server', 'https://login.salesforce.com', ${t0})`.execute(db);
    await sql`insert into mailboxes (id, tenant_id, salesforce_user_id, address, source, state, resolved_at, created_at, updated_at)
      values ('mbx-1', ${tenantId}, '005000000000001AAA', 'rep@acme.example', 'salesforce', 'active', ${t0}, ${t0}, ${t0})`.execute(
      db,
    );
    for (let n = 1; n <= 20; n++) {
      await sql`insert into changes (tenant_id, event_id, change_type, source, dedupe_key, committed_at, received_at)
        values (${tenantId}, ${eventId(n)}, 'create', 'poll', ${`old:${n}`}, ${t0 + n}, ${t0 + n})`.execute(
        db,
      );
      if (n <= 10)
        await sql`insert into links (tenant_id, event_id, mailbox_id, provider_kind, item_id, content_hash, salesforce_version, state, created_at, updated_at)
          values (${tenantId}, ${eventId(n)}, 'mbx-1', 'graph', ${`item-${n}`}, 'hash', null, 'active', ${t0}, ${t0})`.execute(
          db,
        );
      else
        await sql`insert into jobs (tenant_id, event_id, state, run_at, attempts, first_change_at, created_at, updated_at)
          values (${tenantId}, ${eventId(n)}, 'waiting', ${t0 + n}, 0, ${t0 + n}, ${t0 + n}, ${t0 + n})`.execute(
          db,
        );
      await sql`insert into traces (tenant_id, event_id, at, step, message)
        values (${tenantId}, ${eventId(n)}, ${t0 + n}, 'received', 'create from poll')`.execute(db);
    }

    // A node of the older release records changes the whole time the migrations run, through its
    // own connection, in its own (0001) columns.
    const olderNode = database.open({ url });
    let upgrading = true;
    let recorded = 0;
    const failures: string[] = [];
    const writer = (async () => {
      while (upgrading || recorded < 20) {
        const n = 100 + recorded;
        try {
          await sql`insert into changes (tenant_id, event_id, change_type, source, dedupe_key, committed_at, received_at)
            values (${tenantId}, ${eventId(n % 100)}, 'update', 'webhook', ${`during:${n}`}, null, ${t0 + 1000 + n})`.execute(
            olderNode.db,
          );
          recorded++;
        } catch (error) {
          failures.push(String(error));
          if (failures.length > 5) return;
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const applied = await migrateToLatest(store);
    upgrading = false;
    // The older node's writes went on between the migrations (each is one transaction).
    const duringUpgrade = recorded;
    expect(duringUpgrade).toBeGreaterThan(0);
    await writer;
    expect(failures).toEqual([]);
    expect(applied).toEqual(Object.keys(allMigrations(store.backend)).slice(1));

    // Nothing lost: every change (before and during), job, link and trace.
    const count = async (table: 'changes' | 'jobs' | 'links' | 'traces') =>
      Number(
        (
          await db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    expect(await count('changes')).toBe(20 + recorded);
    expect([await count('jobs'), await count('links'), await count('traces')]).toEqual([10, 10, 20]);

    // The current code reads it: the tenant with today's defaults, the changes of each Event, the
    // links, and the older release's waiting jobs, which it claims and can run.
    const tenant = await store.repos.tenants.findTenantById(tenantId);
    expect(tenant).toMatchObject({ slug: 'acme', invitation_policy: 'none', delete_policy: 'delete' });
    const known = await knownFromChanges(db, tenantId, [eventId(1), eventId(15)]);
    expect(known.latestChangeId.size).toBe(2);
    expect((await store.repos.links.findLinks(tenantId, [eventId(3)])).get(eventId(3))).toMatchObject({
      item_id: 'item-3',
      state: 'active',
    });
    const queue = new JobQueue({
      store,
      clock: { now: () => t0 + 10_000 },
      retryPolicy: defaultRetryPolicy,
      random: () => 0.5,
    });
    const { jobs: claimed } = await queue.claim('upgraded-node', 50, 60_000);
    expect(claimed.map((job) => job.eventId).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => eventId(11 + i)),
    );
  });
});
