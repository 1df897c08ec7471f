// What the Salesforce connection needs beyond the first schema: per-tenant app settings
// (client id and secret, JWT bearer user and key, the refresh-token policy), expiry
// bookkeeping, and the single-use OAuth states of the web server flow. Every tenant gets a
// connection row (disconnected) so the connection always exists to be looked at.
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function salesforceConnectionSchema(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      const addColumn = (name: string, type: 'text' | 'bigint' | 'integer') =>
        db.schema.alterTable('salesforce_connections').addColumn(name, type).execute();
      await addColumn('client_id', 'text');
      await addColumn('client_secret_sealed', 'text');
      await addColumn('jwt_username', 'text');
      await addColumn('jwt_private_key_sealed', 'text');
      await addColumn('access_token_issued_at', 'bigint');
      await addColumn('refresh_token_last_used_at', 'bigint');
      await addColumn('last_expiry_warning_days', 'integer');
      await db.schema
        .alterTable('salesforce_connections')
        .addColumn('refresh_token_policy', 'text', (c) => c.notNull().defaultTo('expire-after:30d'))
        .execute();

      await sql`insert into salesforce_connections (tenant_id, state, auth_flow, login_url, updated_at)
        select id, 'disconnected', 'web_server', 'https://login.salesforce.com', created_at from tenants
        where id not in (select tenant_id from salesforce_connections)`.execute(db);

      await db.schema
        .createTable('oauth_states')
        .addColumn('state_hash', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('code_verifier_sealed', 'text', (c) => c.notNull())
        .addColumn('browser_binding_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('oauth_states_expiry').on('oauth_states').column('expires_at').execute();
    },
  };
}
