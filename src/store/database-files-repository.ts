// What backup and restore (src/maintenance/backup.ts) ask of an embedded SQLite database: a
// consistent copy into a new file, the write-ahead log folded into the file, and the schema the
// file is at.
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';

/** Copies the database, as of one moment, into the empty file `file` (VACUUM INTO: compact, consistent). */
export async function vacuumInto(db: Kysely<Database>, file: string): Promise<void> {
  await sql`vacuum into ${file}`.execute(db);
}

/** Writes everything in the write-ahead log into the file itself and empties the log. */
export async function checkpointWal(db: Kysely<Database>): Promise<void> {
  await sql`pragma wal_checkpoint(truncate)`.execute(db);
}

/** The latest migration applied, or null for an empty database. */
export async function latestMigration(db: Kysely<Database>): Promise<string | null> {
  const { rows } = await sql<{
    name: string | null;
  }>`select max(name) as name from schema_migrations`.execute(db);
  return rows[0]?.name ?? null;
}
