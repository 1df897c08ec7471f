// Inserts a tenant row (and its Salesforce connection, connected by default) directly, for
// store tests that need a tenant to hang jobs and changes on.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { ConnectionState, Database } from '../../src/store/schema.ts';

export async function seedTenant(
  db: Kysely<Database>,
  options: { settleWindowMs?: number; connection?: ConnectionState } = {},
): Promise<string> {
  const id = randomUUID();
  await db
    .insertInto('tenants')
    .values({
      id,
      slug: `t-${id.slice(0, 8)}`,
      name: 'Test tenant',
      client_id: String(Math.floor(Math.random() * 9e9) + 1e9),
      webhook_secret_sealed: 'v1.test.not-a-real-secret',
      settle_window_ms: options.settleWindowMs ?? 2000,
      created_at: 0,
      updated_at: 0,
    })
    .execute();
  await db
    .insertInto('salesforce_connections')
    .values({
      tenant_id: id,
      state: options.connection ?? 'connected',
      auth_flow: 'web_server',
      login_url: 'https://login.salesforce.com',
      updated_at: 0,
    })
    .execute();
  return id;
}

/** Inserts an active mailbox of the tenant (one owner's, resolved at `at`); its id. */
export async function seedMailbox(
  db: Kysely<Database>,
  tenantId: string,
  options: { id?: string; address?: string | null; at?: number; timeZone?: string | null } = {},
): Promise<string> {
  const id = options.id ?? randomUUID();
  const at = options.at ?? 0;
  await db
    .insertInto('mailboxes')
    .values({
      id,
      tenant_id: tenantId,
      salesforce_user_id: `005${id.replaceAll('-', '').slice(0, 15)}`,
      address: options.address === undefined ? 'rep@acme.example' : options.address,
      source: 'salesforce',
      state: 'active',
      provider_id: null,
      resolved_at: at,
      created_at: at,
      updated_at: at,
      time_zone: options.timeZone === undefined ? 'UTC' : options.timeZone,
      last_error: null,
    })
    .execute();
  return id;
}
