// Signed-in admin browsers. The cookie holds a random id; only its hash is stored, so a copy of
// the database signs nobody in. Deleting a row ends that sign-in on every node at once.
import type { Kysely, Selectable } from 'kysely';
import type { AdminSessionsTable, Database } from './schema.ts';

export type AdminSessionRow = Selectable<AdminSessionsTable>;

export async function insertAdminSession(db: Kysely<Database>, row: AdminSessionRow): Promise<void> {
  await db.deleteFrom('admin_sessions').where('expires_at', '<=', row.created_at).execute();
  await db.insertInto('admin_sessions').values(row).execute();
}

export async function findAdminSession(
  db: Kysely<Database>,
  idHash: string,
  now: number,
): Promise<AdminSessionRow | undefined> {
  return db
    .selectFrom('admin_sessions')
    .selectAll()
    .where('id_hash', '=', idHash)
    .where('expires_at', '>', now)
    .executeTakeFirst();
}

export async function deleteAdminSession(db: Kysely<Database>, idHash: string): Promise<void> {
  await db.deleteFrom('admin_sessions').where('id_hash', '=', idHash).execute();
}

/** Ends every admin sign-in (a new password); returns how many there were. */
export async function deleteAllAdminSessions(db: Kysely<Database>): Promise<number> {
  const result = await db.deleteFrom('admin_sessions').executeTakeFirst();
  return Number(result.numDeletedRows);
}
