// Reads and writes of salesforce_connections. State changes go through `updateConnectionState`
// with the state the caller saw, so two processes cannot both act on a connection that one of
// them already moved (for example both marking it reconnect required and both notifying).
import type { Kysely, Updateable } from 'kysely';
import type { ConnectionRow, ConnectionState, Database, SalesforceConnectionsTable } from './schema.ts';

export async function findConnection(
  db: Kysely<Database>,
  tenantId: string,
): Promise<ConnectionRow | undefined> {
  return db
    .selectFrom('salesforce_connections')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
}

export async function listConnections(db: Kysely<Database>): Promise<ConnectionRow[]> {
  return db.selectFrom('salesforce_connections').selectAll().execute();
}

export async function insertConnection(
  db: Kysely<Database>,
  row: { tenant_id: string; login_url: string; refresh_token_policy: string; updated_at: number },
): Promise<void> {
  await db
    .insertInto('salesforce_connections')
    .values({ ...row, state: 'disconnected', auth_flow: 'web_server' })
    .execute();
}

/** Applies `changes` if the connection is still in `expectedState`; returns whether it was. */
export async function updateConnection(
  db: Kysely<Database>,
  tenantId: string,
  expectedState: ConnectionState | undefined,
  changes: Updateable<SalesforceConnectionsTable>,
): Promise<boolean> {
  const result = await db
    .updateTable('salesforce_connections')
    .set(changes)
    .where('tenant_id', '=', tenantId)
    .$if(expectedState !== undefined, (qb) => qb.where('state', '=', expectedState ?? 'disconnected'))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Records that the expiry warning `days` before is being sent, unless as urgent a one already was:
 * true for the one node (of several) that is to send it.
 */
export async function claimExpiryWarning(
  db: Kysely<Database>,
  warning: { tenantId: string; days: number; now: number },
): Promise<boolean> {
  const claimed = await db
    .updateTable('salesforce_connections')
    .set({ last_expiry_warning_days: warning.days, updated_at: warning.now })
    .where('tenant_id', '=', warning.tenantId)
    .where((eb) =>
      eb.or([eb('last_expiry_warning_days', 'is', null), eb('last_expiry_warning_days', '>', warning.days)]),
    )
    .executeTakeFirst();
  return Number(claimed.numUpdatedRows) > 0;
}
