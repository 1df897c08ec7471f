// Applies the versioned schema migrations, one at a time so progress can be shown. Safe to
// run from several processes at once: on PostgreSQL Kysely holds an advisory lock, on SQLite
// each migration runs in one immediate (write-locked) transaction.
import { Migrator, type MigrationInfo } from 'kysely/migration';
import { allMigrations } from './migrations/index.ts';
import type { Store } from './open-store.ts';

function migrator(store: Store): Migrator {
  return new Migrator({
    db: store.db,
    provider: { getMigrations: () => Promise.resolve(allMigrations(store.backend)) },
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
  });
}

/** Applies every pending migration, calling `onApplied` after each; returns the names applied. */
export async function migrateToLatest(store: Store, onApplied?: (name: string) => void): Promise<string[]> {
  const applied: string[] = [];
  const m = migrator(store);
  for (;;) {
    const { error, results } = await m.migrateUp();
    const failed = results?.find((r) => r.status === 'Error');
    if (error !== undefined || failed !== undefined) {
      const name = failed?.migrationName ?? 'unknown';
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`migration ${name} failed: ${reason}`, { cause: error });
    }
    const done = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    if (done.length === 0) return applied;
    for (const name of done) {
      applied.push(name);
      onApplied?.(name);
    }
  }
}

/** Every known migration and whether it has been applied. */
export async function migrationStatus(store: Store): Promise<readonly MigrationInfo[]> {
  return migrator(store).getMigrations();
}
