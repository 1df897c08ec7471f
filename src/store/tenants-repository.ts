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
