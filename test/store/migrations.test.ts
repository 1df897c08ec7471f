// Migrations: applied once, in order, safely from several processes at the same moment; a
// migration that reshapes rows keeps what they meant.
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { allMigrations } from '../../src/store/migrations/index.ts';
import { migrateToLatest, migrationStatus } from '../../src/store/migrate.ts';
import { runThread } from '../support/run-thread.ts';
import { seedMailbox, seedTenant } from '../support/seed-tenant.ts';
import { describeEachBackend } from '../support/test-databases.ts';
import { migrateTo } from '../support/migrate-to.ts';

describeEachBackend('migrations', (database) => {
  it('leaves an up-to-date database alone', async () => {
    expect(await migrateToLatest(database.store)).toEqual([]);
    const status = await migrationStatus(database.store);
    expect(status.map((m) => m.name)).toEqual(Object.keys(allMigrations(database.store.backend)));
    expect(status.every((m) => m.executedAt !== undefined)).toBe(true);
  });

  it('lets several nodes migrate a fresh database at the same time', async () => {
    const url = await database.createEmpty();
    const nodes = await Promise.all(
      [1, 2, 3].map(() =>
        runThread<{ applied?: string[]; error?: string }>(
          new URL('../support/migrate-thread.ts', import.meta.url),
          {
            url,
          },
        ),
      ),
    );
    expect(nodes.map((n) => n.error).filter(Boolean)).toEqual([]);
    // Each migration applied exactly once, by whichever node got to it first.
    expect(nodes.flatMap((n) => n.applied ?? []).sort()).toEqual(
      Object.keys(allMigrations(database.store.backend)),
    );
    expect(await migrateToLatest(database.open({ url }))).toEqual([]);
  });

  it('marks the payloads kept before 0008 as whole records, and leaves changes without one alone', async () => {
    const store = database.open({ url: await database.createEmpty() });
    await migrateTo(store, '0007-tenant-poll-interval');
    const tenantId = await seedTenant(store.db);
    const change = (n: number, payload: string | null) => ({
      tenant_id: tenantId,
      event_id: `00U00000000000${n}AAA`,
      change_type: 'create' as const,
      source: 'cdc' as const,
      dedupe_key: `cdc:${n}`,
      committed_at: null,
      received_at: 0,
      payload_json: payload,
    });
    await store.db
      .insertInto('changes')
      .values([change(1, JSON.stringify({ Id: '00U000000000001AAA', Subject: 'Whole' })), change(2, null)])
      .execute();
    await migrateToLatest(store);
    const kinds = await store.db
      .selectFrom('changes')
      .select(['event_id', 'payload_kind'])
      .orderBy('id')
      .execute();
    expect(kinds.map((row) => row.payload_kind)).toEqual(['record', null]);
  });
  it('makes links again without their index and reference by mailbox, every link and column kept', async () => {
    const store = database.open({ url: await database.createEmpty() });
    await migrateTo(store, '0020-cdc-fallback');
    const tenantId = await seedTenant(store.db);
    const mailboxId = await seedMailbox(store.db, tenantId, { id: 'mbx-1' });
    const link = (n: number, state: 'active' | 'deleted') => ({
      tenant_id: tenantId,
      event_id: `00U00000000000${n}AAA`,
      mailbox_id: mailboxId,
      provider_kind: 'graph' as const,
      provider_id: n === 1 ? null : 'provider-1',
      item_id: n === 3 ? '' : `item-${n}`,
      change_key: n === 2 ? 'ck-2' : null,
      content_hash: `hash-${n}`,
      salesforce_version: n === 1 ? null : '2026-12-07T10:00:00.000Z',
      state,
      created_at: 1000 + n,
      updated_at: 2000 + n,
      pending_create_at: n === 3 ? 3003 : null,
      record_json: n === 1 ? null : `{"Id":"00U00000000000${n}AAA","Subject":"Ünïcode ${n}"}`,
      record_through_change_id: n === 1 ? null : 40 + n,
    });
    await store.db
      .insertInto('links')
      .values([link(1, 'active'), link(2, 'active'), link(3, 'deleted')])
      .execute();
    const before = await store.db.selectFrom('links').selectAll().orderBy('event_id').execute();
    await migrateToLatest(store);

    expect(await store.db.selectFrom('links').selectAll().orderBy('event_id').execute()).toEqual(before);
    if (store.backend.name === 'sqlite') {
      const schema = await sql<{ type: string; name: string; sql: string | null }>`
        select type, name, sql from sqlite_master where tbl_name = 'links' order by name`.execute(store.db);
      expect(schema.rows.map((row) => row.name)).toEqual([
        'links',
        'links_deleted_updated',
        'sqlite_autoindex_links_1',
      ]);
      const table = schema.rows.find((row) => row.type === 'table')?.sql ?? '';
      expect(table).not.toMatch(/mailboxes/i);
      expect(table).toMatch(/references "tenants" \("id"\) on delete cascade/);
      expect(table).toMatch(/constraint "links_pk" primary key \("tenant_id", "event_id"\)/);
    } else {
      const indexes = await sql<{ indexname: string }>`
        select indexname from pg_indexes where tablename = 'links' and schemaname = current_schema() order by indexname`.execute(
        store.db,
      );
      expect(indexes.rows.map((row) => row.indexname)).toEqual(['links_deleted_updated', 'links_pk']);
      const references = await sql<{ target: string }>`
        select confrelid::regclass::text as target from pg_constraint where conrelid = 'links'::regclass and contype = 'f'`.execute(
        store.db,
      );
      expect(references.rows.map((row) => row.target)).toEqual(['tenants']);
    }
    // The constraints the table keeps still hold: a link of a tenant that does not exist, or in a
    // state links cannot have, is refused; a tenant deleted takes its links with it.
    await expect(
      store.db
        .insertInto('links')
        .values({ ...link(4, 'active'), tenant_id: 'no-such-tenant' })
        .execute(),
    ).rejects.toThrow();
    await expect(
      store.db
        .insertInto('links')
        .values({ ...link(5, 'active'), state: 'gone' as 'active' })
        .execute(),
    ).rejects.toThrow();
    await store.repos.tenants.deleteTenant(tenantId);
    expect(await store.db.selectFrom('links').selectAll().execute()).toEqual([]);
  });
});
