// The database handle the rest of the code holds and hands to store/ functions. It is Kysely's
// query builder, but only store/ builds queries with it: lint forbids importing kysely and
// calling its query methods anywhere else in src/ (eslint.config.js), so every statement lives
// in a store/ function with a name that says what it does.
import type { Kysely, Updateable } from 'kysely';
import type { Database, SalesforceConnectionsTable, TenantsTable } from './schema.ts';

export type Db = Kysely<Database>;

/**
 * Runs `work` in one transaction: its store/ calls commit together or not at all (on SQLite
 * `BEGIN IMMEDIATE`, so it waits for the write lock up front).
 */
export function inTransaction<T>(db: Db, work: (tx: Db) => Promise<T>): Promise<T> {
  return db.transaction().execute(work);
}

/** Changes to a tenant row / a connection row, as the repositories that write them take them. */
export type TenantChanges = Updateable<TenantsTable>;
export type ConnectionChanges = Updateable<SalesforceConnectionsTable>;
