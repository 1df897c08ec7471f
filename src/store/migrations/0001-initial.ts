// The first schema: every table ARCHITECTURE.md names. Later migrations add to it; a shipped
// migration is never edited.
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { BackendCapabilities } from '../backend.ts';

export function initialSchema(backend: BackendCapabilities): Migration {
  const autoId = sql.raw(backend.autoIdType);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('meta')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('tenants')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('slug', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull().unique())
        .addColumn('webhook_secret_sealed', 'text', (c) => c.notNull())
        .addColumn('settle_window_ms', 'integer', (c) => c.notNull().defaultTo(2000))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addCheckConstraint('tenants_settle_window', sql`settle_window_ms between 0 and 3600000`)
        .execute();

      await db.schema
        .createTable('salesforce_connections')
        .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
        .addColumn('state', 'text', (c) => c.notNull().defaultTo('disconnected'))
        .addColumn('auth_flow', 'text', (c) => c.notNull().defaultTo('web_server'))
        .addColumn('login_url', 'text', (c) => c.notNull())
        .addColumn('instance_url', 'text')
        .addColumn('org_id', 'text')
        .addColumn('user_id', 'text')
        .addColumn('username', 'text')
        .addColumn('access_token_sealed', 'text')
        .addColumn('refresh_token_sealed', 'text')
        .addColumn('connected_at', 'bigint')
        .addColumn('expires_at', 'bigint')
        .addColumn('last_error', 'text')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addCheckConstraint(
          'salesforce_connections_state',
          sql`state in ('disconnected', 'connected', 'expiring', 'reconnect_required')`,
        )
        .addCheckConstraint(
          'salesforce_connections_auth_flow',
          sql`auth_flow in ('web_server', 'jwt_bearer')`,
        )
        .execute();

      await db.schema
        .createTable('mailbox_providers')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('settings_json', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('credentials_sealed', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('mailbox_providers_tenant_name', ['tenant_id', 'name'])
        .addCheckConstraint('mailbox_providers_kind', sql`kind in ('graph', 'ews', 'google')`)
        .execute();

      await db.schema
        .createTable('mailboxes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('provider_id', 'text', (c) => c.references('mailbox_providers.id').onDelete('set null'))
        .addColumn('salesforce_user_id', 'text', (c) => c.notNull())
        .addColumn('address', 'text')
        .addColumn('source', 'text', (c) => c.notNull().defaultTo('salesforce'))
        .addColumn('state', 'text', (c) => c.notNull().defaultTo('unresolved'))
        .addColumn('resolved_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('mailboxes_tenant_user', ['tenant_id', 'salesforce_user_id'])
        .addCheckConstraint('mailboxes_source', sql`source in ('salesforce', 'override')`)
        .addCheckConstraint('mailboxes_state', sql`state in ('active', 'inactive', 'unresolved')`)
        .execute();

      await db.schema
        .createTable('changes')
        .addColumn('id', autoId)
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('change_type', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('dedupe_key', 'text', (c) => c.notNull())
        .addColumn('committed_at', 'bigint')
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('changes_tenant_dedupe', ['tenant_id', 'dedupe_key'])
        .addCheckConstraint(
          'changes_change_type',
          sql`change_type in ('create', 'update', 'delete', 'undelete', 'resync')`,
        )
        .addCheckConstraint('changes_source', sql`source in ('cdc', 'webhook', 'poll', 'backfill', 'manual')`)
        .execute();
      await db.schema
        .createIndex('changes_event')
        .on('changes')
        .columns(['tenant_id', 'event_id', 'received_at'])
        .execute();

      await db.schema
        .createTable('jobs')
        .addColumn('id', autoId)
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('run_at', 'bigint', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('lease_owner', 'text')
        .addColumn('lease_expires_at', 'bigint')
        .addColumn('first_change_at', 'bigint', (c) => c.notNull())
        .addColumn('change_count', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('rerun_at', 'bigint')
        .addColumn('rerun_first_change_at', 'bigint')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        // One job per Event, whatever its state: coalescing and "never two syncs of one Event at
        // once" both follow from this key.
        .addUniqueConstraint('jobs_key', ['tenant_id', 'event_id'])
        .addCheckConstraint('jobs_state', sql`state in ('waiting', 'running', 'dead')`)
        .addCheckConstraint(
          'jobs_lease',
          sql`(state = 'running') = (lease_owner is not null and lease_expires_at is not null)`,
        )
        .execute();
      await db.schema
        .createIndex('jobs_ready')
        .on('jobs')
        .columns(['run_at', 'id'])
        .where(sql.ref('state'), '=', sql.lit('waiting'))
        .execute();
      await db.schema
        .createIndex('jobs_leases')
        .on('jobs')
        .column('lease_expires_at')
        .where(sql.ref('state'), '=', sql.lit('running'))
        .execute();
      await db.schema.createIndex('jobs_tenant_state').on('jobs').columns(['tenant_id', 'state']).execute();

      await db.schema
        .createTable('links')
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('mailbox_id', 'text', (c) => c.notNull().references('mailboxes.id'))
        .addColumn('provider_kind', 'text', (c) => c.notNull())
        .addColumn('item_id', 'text', (c) => c.notNull())
        .addColumn('change_key', 'text')
        .addColumn('content_hash', 'text', (c) => c.notNull())
        .addColumn('salesforce_version', 'text')
        .addColumn('state', 'text', (c) => c.notNull().defaultTo('active'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('links_pk', ['tenant_id', 'event_id'])
        .addCheckConstraint('links_state', sql`state in ('active', 'deleted')`)
        .execute();
      await db.schema.createIndex('links_mailbox').on('links').column('mailbox_id').execute();

      await db.schema
        .createTable('traces')
        .addColumn('id', autoId)
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('job_id', 'bigint')
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('step', 'text', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('data_json', 'text')
        .execute();
      await db.schema
        .createIndex('traces_event')
        .on('traces')
        .columns(['tenant_id', 'event_id', 'at'])
        .execute();
      await db.schema.createIndex('traces_at').on('traces').column('at').execute();
    },
  };
}
