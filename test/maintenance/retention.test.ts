// Retention on both databases: what is old goes, in batches, on one node at a time; what an
// Event's next sync needs, every live link, and what a dead letter's story needs stay; a removed
// dead letter and pruned history are said in the Event's story; SQLite gives the space back.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { runRetention, type RetentionDeps } from '../../src/maintenance/retention.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { eventStories } from '../../src/reports/event-story.ts';
import { toCaseSafeId } from '../../src/domain/salesforce-ids.ts';
import { seedMailbox, seedTenant } from '../support/seed-tenant.ts';
import { describeEachBackend, describeOnBackends } from '../support/test-databases.ts';
import { openStore } from '../../src/store/open-store.ts';
import { migrateToLatest } from '../../src/store/migrate.ts';

const day = 86_400_000;
const now = Date.UTC(2026, 11, 4, 12);
const policy = { historyMs: 30 * day, failuresMs: 90 * day };
/** Event ids as Salesforce writes them: an Event's story is looked up by one. */
const ids = { OLD: toCaseSafeId('00U000000000001'), DEAD_OLD: toCaseSafeId('00U000000000002') };

describeEachBackend('retention', (database) => {
  const deps = (nodeId = 'node-a'): RetentionDeps => ({
    repos: database.store.repos,
    clock: { now: () => now },
    logger: createLogger({ level: 'silent' }),
    backend: database.backend,
    nodeId,
  });

  it('removes what is past its time and keeps what a sync, a link or a failure still needs', async () => {
    const { db } = database.store;
    const tenantId = await seedTenant(db);
    const mailboxId = await seedMailbox(db, tenantId);
    let serial = 0;
    const change = (eventId: string, at: number) => ({
      tenant_id: tenantId,
      event_id: eventId,
      change_type: 'update' as const,
      source: 'cdc' as const,
      dedupe_key: `k${serial++}`,
      committed_at: at,
      received_at: at,
    });
    const step = (eventId: string, at: number, kind = 'apply', message = 'update done') => ({
      tenant_id: tenantId,
      event_id: eventId,
      job_id: null,
      at,
      step: kind,
      message,
      data_json: null,
    });
    const link = (eventId: string, state: 'active' | 'deleted', at: number) => ({
      tenant_id: tenantId,
      event_id: eventId,
      mailbox_id: mailboxId,
      provider_kind: 'graph' as const,
      provider_id: null,
      item_id: `item-${eventId}`,
      change_key: null,
      content_hash: 'h',
      salesforce_version: null,
      state,
      created_at: at,
      updated_at: at,
    });
    const job = (eventId: string, state: 'waiting' | 'dead', at: number) => ({
      tenant_id: tenantId,
      event_id: eventId,
      state,
      run_at: at,
      attempts: state === 'dead' ? 20 : 0,
      first_change_at: at,
      last_error: state === 'dead' ? 'Graph answered 503' : null,
      created_at: at,
      updated_at: at,
    });
    // Synced 40 days ago, nothing since: its history goes, its link stays.
    await db
      .insertInto('links')
      .values(link(ids.OLD, 'active', now - 40 * day))
      .execute();
    await db
      .insertInto('changes')
      .values([change(ids.OLD, now - 40 * day), change(ids.OLD, now - 40 * day)])
      .execute();
    await db
      .insertInto('traces')
      .values(step(ids.OLD, now - 40 * day, 'apply', 'create done'))
      .execute();
    // Waiting to sync again: everything stays, however old.
    await db
      .insertInto('jobs')
      .values(job('WAITING', 'waiting', now - 40 * day))
      .execute();
    await db
      .insertInto('changes')
      .values(change('WAITING', now - 40 * day))
      .execute();
    await db
      .insertInto('traces')
      .values(step('WAITING', now - 40 * day))
      .execute();
    // Dead for 100 days: the dead letter goes (its story says so), then its history.
    await db
      .insertInto('jobs')
      .values(job(ids.DEAD_OLD, 'dead', now - 100 * day))
      .execute();
    await db
      .insertInto('changes')
      .values(change(ids.DEAD_OLD, now - 100 * day))
      .execute();
    await db
      .insertInto('traces')
      .values(step(ids.DEAD_OLD, now - 100 * day, 'error', 'create failed'))
      .execute();
    // Dead for 50 days: within the 90, it and its story stay.
    await db
      .insertInto('jobs')
      .values(job('DEAD', 'dead', now - 50 * day))
      .execute();
    await db
      .insertInto('changes')
      .values(change('DEAD', now - 50 * day))
      .execute();
    await db
      .insertInto('traces')
      .values(step('DEAD', now - 50 * day, 'error', 'create failed'))
      .execute();
    // Deleted Events' links: 100 days ago goes, 10 days ago stays.
    await db
      .insertInto('links')
      .values([link('GONE-LONG-AGO', 'deleted', now - 100 * day), link('GONE', 'deleted', now - 10 * day)])
      .execute();
    // Skips keep 90 days; other steps 30; more than a batch of old steps of one Event.
    await db
      .insertInto('traces')
      .values([
        step('SKIPPED', now - 60 * day, 'skip', 'none: excluded by a rule'),
        step('SKIPPED-LONG-AGO', now - 100 * day, 'skip', 'none: excluded by a rule'),
        step('RECENT', now - 20 * day),
      ])
      .execute();
    for (let i = 0; i < 1_200; i += 300)
      await db
        .insertInto('traces')
        .values(Array.from({ length: 300 }, (_, j) => step('BUSY', now - 35 * day - i - j)))
        .execute();
    await db
      .insertInto('oauth_states')
      .values(
        ['expired', 'live'].map((name, i) => ({
          state_hash: name,
          tenant_id: tenantId,
          code_verifier_sealed: 'v1.x',
          browser_binding_hash: 'b',
          created_at: now - 600_000,
          expires_at: i === 0 ? now - 1 : now + 60_000,
        })),
      )
      .execute();

    // Another node holds the lease: this one does nothing.
    await database.store.repos.leases.acquireLease({
      name: 'retention',
      holder: 'node-b',
      ttlMs: 60_000,
      now,
    });
    expect(await runRetention(deps(), policy, 60_000)).toBeUndefined();
    expect(
      Number(
        (
          await db
            .selectFrom('traces')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      ),
    ).toBe(1_207);
    await database.store.repos.leases.releaseLease('retention', 'node-b');

    const received = async () =>
      (await database.store.repos.metrics.countRowsBy('changes', 'source'))
        .map((c) => `${c.value} ${c.n}`)
        .sort();
    const receivedBefore = await received();
    const report = await runRetention(deps(), policy, 60_000);
    // The changes-received counter of /metrics never falls: what retention removed still counts.
    expect(await received()).toEqual(receivedBefore);
    expect(report).toMatchObject({ deadLetters: 1, deletedLinks: 1, changes: 3, traces: 1_203, expired: 1 });

    const left = async (table: 'changes' | 'traces' | 'jobs' | 'links') =>
      (await db.selectFrom(table).select('event_id').execute()).map((row) => row.event_id).sort();
    expect(await left('changes')).toEqual(['DEAD', 'WAITING']);
    expect(await left('traces')).toEqual(['DEAD', 'RECENT', 'SKIPPED', 'WAITING', ids.DEAD_OLD].sort());
    expect(await left('jobs')).toEqual(['DEAD', 'WAITING']);
    expect(await left('links')).toEqual(['GONE', ids.OLD].sort());
    expect(
      (await db.selectFrom('oauth_states').select('state_hash').execute()).map((r) => r.state_hash),
    ).toEqual(['live']);

    // The stories say what retention did.
    const [dead] = await eventStories(database.store.repos, ids.DEAD_OLD);
    expect(dead?.entries.map((e) => `${e.step}: ${e.message}`)).toEqual([
      'retention: dead letter removed, unsynced for 90d (INSTANT_SYNC_RETAIN_FAILURES); the Event syncs again at its next change or a retry',
    ]);
    expect(dead?.entries[0]?.data).toMatchObject({ lastError: 'Graph answered 503' });
    const [old] = await eventStories(database.store.repos, ids.OLD);
    expect(old?.entries.map((e) => e.step)).toEqual(['retention']);
    expect(old?.entries[0]).toMatchObject({
      at: now - 30 * day,
      message: 'earlier changes and steps are no longer kept (INSTANT_SYNC_RETAIN_HISTORY)',
    });
    expect(old?.link).toMatchObject({ itemId: `item-${ids.OLD}`, state: 'active' });

    // A second pass finds nothing more.
    expect(await runRetention(deps(), policy, 60_000)).toMatchObject({
      changes: 0,
      traces: 0,
      deadLetters: 0,
    });
  });
});

describeOnBackends(['sqlite'], 'retention on a SQLite file', (database) => {
  const deps = (): RetentionDeps => ({
    repos: database.store.repos,
    clock: { now: () => now },
    logger: createLogger({ level: 'silent' }),
    backend: database.backend,
    nodeId: 'node-a',
  });

  it('gives the freed pages of a SQLite file back to the file system', async () => {
    const { db } = database.store;
    const tenantId = await seedTenant(db);
    const pragma = async (name: string) =>
      Number(
        Object.values((await sql.raw<Record<string, number>>(`pragma ${name}`).execute(db)).rows[0] ?? {})[0],
      );
    expect(await pragma('auto_vacuum')).toBe(2);
    const payload = 'x'.repeat(2_000);
    for (let i = 0; i < 4_000; i += 500)
      await db
        .insertInto('traces')
        .values(
          Array.from({ length: 500 }, (_, j) => ({
            tenant_id: tenantId,
            event_id: `E${i + j}`,
            job_id: null,
            at: now - 60 * day,
            step: 'apply',
            message: 'update done',
            data_json: JSON.stringify({ payload }),
          })),
        )
        .execute();
    const pagesBefore = await pragma('page_count');
    const report = await runRetention(deps(), policy, 60_000);
    expect(report?.traces).toBe(4_000);
    expect(report?.pagesReclaimed).toBeGreaterThan(1_000);
    expect(await pragma('freelist_count')).toBe(0);
    expect(await pragma('page_count')).toBeLessThan(pagesBefore - 1_000);
    await sql`pragma wal_checkpoint(truncate)`.execute(db);
    const file = database.url.slice('sqlite:'.length);
    expect(statSync(file).size).toBeLessThan(pagesBefore * 4096 - 4_000_000);
  });

  it('puts a file made before incremental vacuum into it when migrating', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'instant-sync-vacuum-'));
    try {
      const file = join(dir, 'old.db');
      const raw = new DatabaseSync(file);
      raw.exec('create table made_by_an_older_release (id integer primary key)');
      expect(raw.prepare('pragma auto_vacuum').get()).toEqual({ auto_vacuum: 0 });
      raw.close();
      const store = openStore(`sqlite:${file}`);
      try {
        await migrateToLatest(store);
        const { rows } = await sql<{ auto_vacuum: number }>`pragma auto_vacuum`.execute(store.db);
        expect(rows).toEqual([{ auto_vacuum: 2 }]);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
