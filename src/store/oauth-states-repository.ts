// The single-use states of the OAuth web server flow. Only a hash of each state is stored, and
// taking one deletes it in the same statement, so a state works once even if two callbacks race.
import type { Kysely, Selectable } from 'kysely';
import type { Database, OAuthStatesTable } from './schema.ts';

export async function insertOAuthState(
  db: Kysely<Database>,
  row: Selectable<OAuthStatesTable>,
  now: number,
): Promise<void> {
  await db.deleteFrom('oauth_states').where('expires_at', '<=', now).execute();
  await db.insertInto('oauth_states').values(row).execute();
}

/** Removes and returns the state with this hash, whatever its age (the caller checks expiry). */
export async function takeOAuthState(
  db: Kysely<Database>,
  stateHash: string,
): Promise<Selectable<OAuthStatesTable> | undefined> {
  return db.deleteFrom('oauth_states').where('state_hash', '=', stateHash).returningAll().executeTakeFirst();
}
