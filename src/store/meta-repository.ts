// Small facts about the database itself, such as which secret key its secrets were sealed with.
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

export async function readMeta(db: Kysely<Database>, key: string): Promise<string | undefined> {
  const row = await db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value;
}

/** Stores `value` unless the key already has one; returns the value now stored. */
export async function claimMeta(db: Kysely<Database>, key: string, value: string): Promise<string> {
  await db
    .insertInto('meta')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  return (await readMeta(db, key)) ?? value;
}

/** Stores `value` under `key`, replacing what was there. */
export async function writeMeta(db: Kysely<Database>, key: string, value: string): Promise<void> {
  await db
    .insertInto('meta')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}

/** Replaces `key`'s value only if it is still `expected`; whether it did. */
export async function compareAndWriteMeta(
  db: Kysely<Database>,
  key: string,
  expected: string,
  value: string,
): Promise<boolean> {
  const result = await db
    .updateTable('meta')
    .set({ value })
    .where('key', '=', key)
    .where('value', '=', expected)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
