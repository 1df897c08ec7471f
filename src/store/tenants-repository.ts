// Reads and writes of the tenants table. Knows rows, not policy: creating a tenant (ids,
// secrets) happens in src/tenants/.
import { slugProblem } from '../domain/tenant.ts';
import type { Kysely } from 'kysely';
import type { Database, NewTenantRow, TenantRow } from './schema.ts';

export async function insertTenant(db: Kysely<Database>, row: NewTenantRow): Promise<void> {
  await db.insertInto('tenants').values(row).execute();
}

export async function findTenantBySlug(db: Kysely<Database>, slug: string): Promise<TenantRow | undefined> {
  // A slug no tenant can have (a NUL, which PostgreSQL cannot even compare) names none.
  if (slugProblem(slug) !== undefined) return undefined;
  return db.selectFrom('tenants').selectAll().where('slug', '=', slug).executeTakeFirst();
}

export async function clientIdExists(db: Kysely<Database>, clientId: string): Promise<boolean> {
  const row = await db
    .selectFrom('tenants')
    .select('id')
    .where('client_id', '=', clientId)
    .executeTakeFirst();
  return row !== undefined;
}

export async function listTenants(db: Kysely<Database>): Promise<TenantRow[]> {
  return db.selectFrom('tenants').selectAll().orderBy('slug').execute();
}

export async function findTenantById(db: Kysely<Database>, id: string): Promise<TenantRow | undefined> {
  return db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The tables that hold what a tenant's syncs learned and owe: changes, jobs and their results. */
const syncStateTables = [
  'links',
  'series_members',
  'series_states',
  'set_aside_links',
  'traces',
  'jobs',
  'changes',
  'intake_positions',
  'mailboxes',
] as const;

/**
 * Forgets a tenant's sync state in one transaction (links, series state, traces, jobs, changes, intake
 * positions, mailboxes), keeping the tenant, its connection and its providers: for an org that is
 * gone and came back empty, as the demo's sandbox org does on every run.
 */
export async function forgetSyncState(db: Kysely<Database>, tenantId: string): Promise<void> {
  await db.transaction().execute(async (tx) => {
    for (const table of syncStateTables) await tx.deleteFrom(table).where('tenant_id', '=', tenantId).execute();
  });
}

/**
 * Deletes a tenant and everything of it in one transaction: its sync state (above), OAuth states
 * and its leases; its connection, providers and mailboxes go with the tenant row.
 */
export async function deleteTenant(db: Kysely<Database>, tenantId: string): Promise<void> {
  await db.transaction().execute(async (tx) => {
    for (const table of [...syncStateTables, 'oauth_states'] as const)
      await tx.deleteFrom(table).where('tenant_id', '=', tenantId).execute();
    await tx.deleteFrom('leases').where('name', 'like', `%:${tenantId}`).execute();
    await tx.deleteFrom('tenants').where('id', '=', tenantId).execute();
  });
}
