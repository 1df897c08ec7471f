// Applies the versioned schema migrations, one at a time so progress can be shown. Safe to
// run from several processes at once: on PostgreSQL Kysely holds an advisory lock, on SQLite
// each migration runs in one immediate (write-locked) transaction.
import { Migrator, type MigrationInfo } from 'kysely/migration';
import { isDatabaseUnavailable } from './database-unavailable.ts';
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
      const reason = error instanceof Error ? error.message : String(error);
      if (isDatabaseUnavailable(error))
        throw new Error(`the database at ${whereIs(store)} is unreachable: ${reason}`, { cause: error });
      throw new Error(
        failed === undefined
          ? `the migrations could not run on the database at ${whereIs(store)}: ${reason}`
          : `migration ${failed.migrationName} failed: ${reason}`,
        { cause: error },
      );
    }
    const done = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    if (done.length === 0) return applied;
    for (const name of done) {
      applied.push(name);
      onApplied?.(name);
    }
  }
}

/** host:port of a PostgreSQL store (never its password), or the SQLite file. */
function whereIs(store: Store): string {
  if (!/^postgres(ql)?:/.test(store.location)) return store.location.replace(/^sqlite:/, '');
  try {
    const url = new URL(store.location);
    return `${url.hostname}:${url.port === '' ? '5432' : url.port}`;
  } catch {
    return 'the configured URL';
  }
}

/** Every known migration and whether it has been applied. */
export async function migrationStatus(store: Store): Promise<readonly MigrationInfo[]> {
  return migrator(store).getMigrations();
}
