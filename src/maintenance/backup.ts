// Backup and restore of an embedded (SQLite) database.
// - backup: `VACUUM INTO` a new file: one consistent copy as of a moment, taken while the
//   service runs (WAL readers do not block writers), compact, and made 0600 first, since it
//   holds Event contents and sealed secrets like the database itself.
// - restore: refused while any node of the service is alive (its row in `nodes`), when the copy
//   is not this service's, was sealed with another secret key, or was made by a newer release.
//   The database it replaces is checkpointed and kept beside it (`<file>.before-restore-<time>`);
//   the copy is migrated to this release, and its `installed_at` moves to the restore: the
//   Events of the time between the backup and now may already have items, so their first sync
//   looks for them by their Salesforce id instead of making another (no duplicates).
// PostgreSQL has pg_dump and pg_restore for this (docs/operations.md).
import { closeSync, copyFileSync, existsSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { BadInputError } from '../lib/errors.ts';
import { allMigrations } from '../store/migrations/index.ts';
import { sqliteCapabilities } from '../store/backend.ts';
import { migrateToLatest } from '../store/migrate.ts';
import { openStore, type Store } from '../store/open-store.ts';

const postgresHint =
  'backup and restore copy an embedded SQLite database; for PostgreSQL use pg_dump and pg_restore (docs/operations.md#backups)';

/** The SQLite file a `sqlite:` database URL names. */
export function sqliteFileOf(databaseUrl: string): string {
  if (!databaseUrl.startsWith('sqlite:') || databaseUrl === 'sqlite::memory:')
    throw new BadInputError(postgresHint);
  return resolve(databaseUrl.slice('sqlite:'.length));
}

export interface BackupMade {
  file: string;
  bytes: number;
  /** The latest migration the copy has. */
  schema: string | null;
  secretKeyId: string | null;
}

/** Copies the open SQLite database `store` into the new file `target`, consistently, while it is in use. */
export async function backupDatabase(store: Store, target: string): Promise<BackupMade> {
  if (store.backend.name !== 'sqlite') throw new BadInputError(postgresHint);
  const file = resolve(target);
  if (existsSync(file)) throw new BadInputError(`${file} already exists: name a new file for the backup`);
  // Made empty and private first: VACUUM INTO writes into an empty file and keeps its mode.
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch (error) {
    throw new BadInputError(`cannot create ${file}: ${(error as Error).message}`);
  }
  try {
    await store.repos.databaseFiles.vacuumInto(file);
  } catch (error) {
    rmSync(file, { force: true });
    throw error;
  }
  const facts = readBackupFacts(file);
  return {
    file,
    bytes: statSync(file).size,
    schema: facts.migrations.at(-1) ?? null,
    secretKeyId: facts.secretKeyId,
  };
}

interface BackupFacts {
  migrations: string[];
  secretKeyId: string | null;
}

/** What a backup file says of itself; refuses a file that is not a database of this service. */
function readBackupFacts(file: string): BackupFacts {
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(file, { readOnly: true });
  } catch (error) {
    throw new BadInputError(`cannot open ${file}: ${(error as Error).message}`);
  }
  try {
    const migrations = (
      db.prepare('select name from schema_migrations order by name').all() as { name: string }[]
    ).map((row) => row.name);
    const key = db.prepare(`select value from meta where key = 'secret_key_id'`).get() as
      { value: string } | undefined;
    return { migrations, secretKeyId: key?.value ?? null };
  } catch (error) {
    throw new BadInputError(`${file} is not an Instant Sync database: ${(error as Error).message}`);
  } finally {
    db.close();
  }
}

export interface Restored {
  from: string;
  into: string;
  /** Where the database that was replaced is kept (null: there was none). */
  keptAt: string | null;
  schema: string | null;
  migrated: string[];
}

/**
 * Puts the backup `source` in place of the SQLite database `databaseUrl` names, after the checks
 * above. `secretKeyId`: the id of the key this service is configured with.
 */
export async function restoreDatabase(options: {
  databaseUrl: string;
  source: string;
  secretKeyId: string;
  now: number;
}): Promise<Restored> {
  const into = sqliteFileOf(options.databaseUrl);
  const from = resolve(options.source);
  if (!existsSync(from)) throw new BadInputError(`${from} does not exist`);
  if (from === into) throw new BadInputError('the backup is the database itself: name a backup file');
  const facts = readBackupFacts(from);
  const known = new Set(Object.keys(allMigrations(sqliteCapabilities)));
  const newer = facts.migrations.filter((name) => !known.has(name));
  if (newer.length > 0)
    throw new BadInputError(
      `${from} was made by a newer release (its schema has ${newer.join(', ')}): restore it with that release or a later one`,
    );
  if (facts.secretKeyId !== null && facts.secretKeyId !== options.secretKeyId)
    throw new BadInputError(
      `${from} was sealed with secret key ${facts.secretKeyId}, but the configured key is ${options.secretKeyId}: ` +
        'configure the key the backup was made with (INSTANT_SYNC_SECRET_KEY or the key file), then restore',
    );

  let keptAt: string | null = null;
  if (existsSync(into)) {
    const current = openStore(`sqlite:${into}`);
    try {
      const alive = (await current.repos.nodes.listNodes()).filter((node) => node.expires_at > options.now);
      if (alive.length > 0)
        throw new Error(
          `the service is running on this database (${alive.map((node) => `${node.role} ${node.id}`).join(', ')}): stop it, then restore`,
        );
      // Everything in the write-ahead log into the file, so the file kept is whole.
      await current.repos.databaseFiles.checkpointWal();
    } finally {
      await current.close();
    }
    keptAt = `${into}.before-restore-${new Date(options.now).toISOString().replaceAll(':', '-')}`;
    renameSync(into, keptAt);
    for (const suffix of ['-wal', '-shm']) rmSync(`${into}${suffix}`, { force: true });
  }
  const staging = `${into}.restoring`;
  copyFileSync(from, staging);
  renameSync(staging, into);

  const restored = openStore(`sqlite:${into}`);
  try {
    const migrated = await migrateToLatest(restored);
    await restored.repos.meta.writeMeta('installed_at', String(options.now));
    return { from, into, keptAt, schema: await restored.repos.databaseFiles.latestMigration(), migrated };
  } finally {
    await restored.close();
  }
}
