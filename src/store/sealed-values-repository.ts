// Every sealed value in the database, found and replaced as rows: what re-sealing them under a
// new secret key (`instant-sync secret-key rotate`) and a new webhook secret need. Knows
// columns and row keys, not the contexts the values are bound to: those belong to the code that
// seals them (src/tenants/rotate-secret-key.ts maps one to the other).
import type { Kysely, Updateable } from 'kysely';
import type { Database, SalesforceConnectionsTable } from './schema.ts';

const connectionColumns = [
  'access_token_sealed',
  'refresh_token_sealed',
  'client_secret_sealed',
  'jwt_private_key_sealed',
] as const satisfies readonly (keyof SalesforceConnectionsTable)[];

type ConnectionColumn = (typeof connectionColumns)[number];

/** Every column that holds SecretBox ciphertext, as `<table>.<column>`. */
export const sealedColumns = [
  'tenants.webhook_secret_sealed',
  ...connectionColumns.map((column) => `salesforce_connections.${column}` as const),
  'mailbox_providers.credentials_sealed',
  'oauth_states.code_verifier_sealed',
] as const;

export type SealedColumn = (typeof sealedColumns)[number];

export interface SealedValue {
  column: SealedColumn;
  /** The tenant the value belongs to. */
  tenantId: string;
  /**
   * The row's key: the tenant id (tenants, salesforce_connections), the provider id
   * (mailbox_providers) or the state hash (oauth_states).
   */
  rowId: string;
  sealed: string;
}

/** Every sealed value stored, in a stable order. */
export async function listSealedValues(db: Kysely<Database>): Promise<SealedValue[]> {
  const values: SealedValue[] = [];
  const tenants = await db
    .selectFrom('tenants')
    .select(['id', 'webhook_secret_sealed'])
    .orderBy('id')
    .execute();
  for (const row of tenants) {
    values.push({
      column: 'tenants.webhook_secret_sealed',
      tenantId: row.id,
      rowId: row.id,
      sealed: row.webhook_secret_sealed,
    });
  }
  const connections = await db
    .selectFrom('salesforce_connections')
    .select(['tenant_id', ...connectionColumns])
    .orderBy('tenant_id')
    .execute();
  for (const row of connections) {
    for (const column of connectionColumns) {
      const sealed = row[column];
      if (sealed === null) continue;
      values.push({
        column: `salesforce_connections.${column}`,
        tenantId: row.tenant_id,
        rowId: row.tenant_id,
        sealed,
      });
    }
  }
  const providers = await db
    .selectFrom('mailbox_providers')
    .select(['id', 'tenant_id', 'credentials_sealed'])
    .where('credentials_sealed', 'is not', null)
    .orderBy('id')
    .execute();
  for (const row of providers) {
    if (row.credentials_sealed === null) continue;
    values.push({
      column: 'mailbox_providers.credentials_sealed',
      tenantId: row.tenant_id,
      rowId: row.id,
      sealed: row.credentials_sealed,
    });
  }
  const states = await db
    .selectFrom('oauth_states')
    .select(['state_hash', 'tenant_id', 'code_verifier_sealed'])
    .orderBy('state_hash')
    .execute();
  for (const row of states) {
    values.push({
      column: 'oauth_states.code_verifier_sealed',
      tenantId: row.tenant_id,
      rowId: row.state_hash,
      sealed: row.code_verifier_sealed,
    });
  }
  return values;
}

/**
 * Replaces `value` with `resealed`, only if the row still holds `value.sealed`; whether it did.
 * A row changed since it was listed (a process still running, writing with the old key) is
 * left alone, so the caller can give up the whole transaction instead of losing that write.
 */
export async function replaceSealedValue(
  db: Kysely<Database>,
  value: SealedValue,
  resealed: string,
): Promise<boolean> {
  let updated: bigint;
  switch (value.column) {
    case 'tenants.webhook_secret_sealed':
      updated = (
        await db
          .updateTable('tenants')
          .set({ webhook_secret_sealed: resealed })
          .where('id', '=', value.rowId)
          .where('webhook_secret_sealed', '=', value.sealed)
          .executeTakeFirst()
      ).numUpdatedRows;
      break;
    case 'salesforce_connections.access_token_sealed':
    case 'salesforce_connections.refresh_token_sealed':
    case 'salesforce_connections.client_secret_sealed':
    case 'salesforce_connections.jwt_private_key_sealed': {
      const connectionColumn = value.column.slice('salesforce_connections.'.length) as ConnectionColumn;
      const set: Updateable<SalesforceConnectionsTable> = {};
      set[connectionColumn] = resealed;
      updated = (
        await db
          .updateTable('salesforce_connections')
          .set(set)
          .where('tenant_id', '=', value.rowId)
          .where(connectionColumn, '=', value.sealed)
          .executeTakeFirst()
      ).numUpdatedRows;
      break;
    }
    case 'mailbox_providers.credentials_sealed':
      updated = (
        await db
          .updateTable('mailbox_providers')
          .set({ credentials_sealed: resealed })
          .where('id', '=', value.rowId)
          .where('credentials_sealed', '=', value.sealed)
          .executeTakeFirst()
      ).numUpdatedRows;
      break;
    case 'oauth_states.code_verifier_sealed':
      updated = (
        await db
          .updateTable('oauth_states')
          .set({ code_verifier_sealed: resealed })
          .where('state_hash', '=', value.rowId)
          .where('code_verifier_sealed', '=', value.sealed)
          .executeTakeFirst()
      ).numUpdatedRows;
      break;
  }
  return Number(updated) > 0;
}

/** Deletes the Connects in progress that expired (nobody can finish them); how many. */
export async function deleteExpiredOAuthStates(db: Kysely<Database>, now: number): Promise<number> {
  const result = await db.deleteFrom('oauth_states').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Stores a tenant's new sealed webhook secret; false when the tenant is gone. */
export async function replaceWebhookSecret(
  db: Kysely<Database>,
  change: { tenantId: string; sealed: string; now: number },
): Promise<boolean> {
  const result = await db
    .updateTable('tenants')
    .set({ webhook_secret_sealed: change.sealed, updated_at: change.now })
    .where('id', '=', change.tenantId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
