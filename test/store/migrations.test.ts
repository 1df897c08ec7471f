// Migrations: applied once, in order, safely from several processes at the same moment; a
// migration that reshapes rows keeps what they meant.
import { Migrator } from 'kysely/migration';
import { expect, it } from 'vitest';
import { allMigrations } from '../../src/store/migrations/index.ts';
import { migrateToLatest, migrationStatus } from '../../src/store/migrate.ts';
import { runThread } from '../support/run-thread.ts';
import { seedTenant } from '../support/seed-tenant.ts';
import { describeEachBackend } from '../support/test-databases.ts';

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
    const migrator = new Migrator({
      db: store.db,
      provider: { getMigrations: () => Promise.resolve(allMigrations(store.backend)) },
      migrationTableName: 'schema_migrations',
      migrationLockTableName: 'schema_migrations_lock',
    });
    expect((await migrator.migrateTo('0007-tenant-poll-interval')).error).toBeUndefined();
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
});
