// Applies the versioned schema migrations, one at a time so progress can be shown. Safe to
// run from several processes at once: on PostgreSQL Kysely holds an advisory lock, on SQLite
// each migration runs in one immediate (write-locked) transaction.
import { sql } from 'kysely';
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
  if (store.backend.name === 'sqlite') await incrementalVacuumForNewFile(store);
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
    if (done.length === 0) {
      if (store.backend.name === 'sqlite') await convertToIncrementalVacuum(store);
      return applied;
    }
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

// SQLite gives the pages retention frees back to the file system only in auto_vacuum=incremental
// mode (src/maintenance/retention.ts runs `incremental_vacuum`). A new file is put in that mode
// before its first table; a file made by an older release is rewritten into it once (VACUUM),
// which needs the file to itself for a moment: if another process holds it, the next migrate
// tries again, and retention says so in the log meanwhile.

async function autoVacuumMode(store: Store): Promise<number> {
  const { rows } = await sql<{ auto_vacuum: number }>`pragma auto_vacuum`.execute(store.db);
  return Number(rows[0]?.auto_vacuum ?? 0);
}

async function incrementalVacuumForNewFile(store: Store): Promise<void> {
  const { rows } = await sql<{ n: number }>`select count(*) as n from sqlite_master`.execute(store.db);
  if (Number(rows[0]?.n ?? 0) === 0 && (await autoVacuumMode(store)) !== 2)
    await sql`pragma auto_vacuum = incremental`.execute(store.db);
}

async function convertToIncrementalVacuum(store: Store): Promise<void> {
  if ((await autoVacuumMode(store)) === 2) return;
  try {
    await sql`pragma auto_vacuum = incremental`.execute(store.db);
    await sql`vacuum`.execute(store.db);
  } catch {
    // Busy (another process has the file open in a transaction): see above.
  }
}
