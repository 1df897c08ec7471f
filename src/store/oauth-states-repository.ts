// The single-use states of the OAuth web server flow. Only a hash of each state is stored, and
// taking one deletes it in the same statement, so a state works once even if two callbacks race.
import type { Kysely, Selectable } from 'kysely';
import type { Database, OAuthStatesTable } from './schema.ts';

/**
 * Stores a new state unless its tenant already has `maxLive` unexpired ones (anyone with the
 * tenant URL can start a Connect, so the table must not grow with them); whether it did.
 */
export async function insertOAuthState(
  db: Kysely<Database>,
  row: Selectable<OAuthStatesTable>,
  options: { now: number; maxLive: number },
): Promise<boolean> {
  await db.deleteFrom('oauth_states').where('expires_at', '<=', options.now).execute();
  const live = await db
    .selectFrom('oauth_states')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', row.tenant_id)
    .executeTakeFirstOrThrow();
  if (Number(live.n) >= options.maxLive) return false;
  await db.insertInto('oauth_states').values(row).execute();
  return true;
}

/** Removes and returns the state with this hash, whatever its age (the caller checks expiry). */
export async function takeOAuthState(
  db: Kysely<Database>,
  stateHash: string,
): Promise<Selectable<OAuthStatesTable> | undefined> {
  return db.deleteFrom('oauth_states').where('state_hash', '=', stateHash).returningAll().executeTakeFirst();
}
