// Migrations: applied once, in order, safely from several processes at the same moment.
import { expect, it } from 'vitest';
import { allMigrations } from '../../src/store/migrations/index.ts';
import { migrateToLatest, migrationStatus } from '../../src/store/migrate.ts';
import { runThread } from '../support/run-thread.ts';
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
});
