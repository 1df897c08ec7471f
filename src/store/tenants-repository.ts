// Reads and writes of the tenants table. Knows rows, not policy: creating a tenant (ids,
// secrets) happens in src/tenants/.
import { slugProblem } from '../domain/tenant.ts';
import { sql, type Kysely, type Updateable } from 'kysely';
import type {
  ConnectionRow,
  Database,
  NewTenantRow,
  SalesforceConnectionsTable,
  TenantRow,
  TenantsTable,
} from './schema.ts';

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

/** How the admin overview orders tenants. */
export const tenantSorts = ['name', 'slug', 'newest', 'synced', 'queued', 'dead'] as const;
export type TenantSort = (typeof tenantSorts)[number];

/**
 * One page of tenants, those whose slug or name contains `search` (any case) when given, in `sort`
 * order, with how many match in all: the overview reads only the tenants it shows.
 */
export async function listTenantsPage(
  db: Kysely<Database>,
  query: {
    search?: string | undefined;
    sort: TenantSort;
    offset: number;
    limit: number;
    /** For `synced`: the syncs counted (sync_minutes) since then. */
    syncedSince?: number;
  },
): Promise<{ rows: TenantRow[]; total: number }> {
  const search = query.search?.trim().toLowerCase() ?? '';
  const pattern = `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const matching = db
    .selectFrom('tenants')
    .$if(search !== '', (qb) =>
      qb.where(
        sql<boolean>`(lower(slug) like ${pattern} escape '\\' or lower(name) like ${pattern} escape '\\')`,
      ),
    );
  const total = await matching.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  const rows = await matching
    .selectAll()
    .$call((qb) => {
      // The busiest first by a count each tenant's own index rows answer (jobs_tenant_state,
      // sync_minutes' key), then by name.
      const jobs = (states: string[]) =>
        sql`(select count(*) from jobs where jobs.tenant_id = tenants.id and jobs.state in (${sql.join(states)}))`;
      switch (query.sort) {
        case 'newest':
          return qb.orderBy('created_at', 'desc').orderBy('slug');
        case 'slug':
          return qb.orderBy('slug');
        case 'dead':
          return qb
            .orderBy(jobs(['dead']), 'desc')
            .orderBy(sql`lower(name)`)
            .orderBy('slug');
        case 'queued':
          return qb
            .orderBy(jobs(['waiting', 'running']), 'desc')
            .orderBy(sql`lower(name)`)
            .orderBy('slug');
        case 'synced':
          return qb
            .orderBy(
              sql`(select coalesce(sum(syncs), 0) from sync_minutes where sync_minutes.tenant_id = tenants.id and sync_minutes.at >= ${query.syncedSince ?? 0})`,
              'desc',
            )
            .orderBy(sql`lower(name)`)
            .orderBy('slug');
        case 'name':
          return qb.orderBy(sql`lower(name)`).orderBy('slug');
      }
    })
    .offset(query.offset)
    .limit(query.limit)
    .execute();
  return { rows, total: Number(total.n) };
}

export async function findTenantById(db: Kysely<Database>, id: string): Promise<TenantRow | undefined> {
  return db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Every tenant's id and slug, or only the one with `slug`, in no particular order. */
export async function listTenantSlugs(
  db: Kysely<Database>,
  slug?: string,
): Promise<{ id: string; slug: string }[]> {
  return db
    .selectFrom('tenants')
    .select(['id', 'slug'])
    .$if(slug !== undefined, (qb) => qb.where('slug', '=', slug ?? ''))
    .execute();
}

/** A tenant with its Salesforce connection's state and org, for the CDC scheduler. */
export type TenantWithConnection = TenantRow & Pick<ConnectionRow, 'state' | 'org_id'>;

/** Every tenant that has a Salesforce connection, with its state and org id: who may need a CDC subscription. */
export async function listTenantsWithConnection(db: Kysely<Database>): Promise<TenantWithConnection[]> {
  return db
    .selectFrom('tenants')
    .innerJoin('salesforce_connections as c', 'c.tenant_id', 'tenants.id')
    .selectAll('tenants')
    .select(['c.state', 'c.org_id'])
    .execute();
}

/** A tenant with what the polling scheduler decides by: its connection and when it was last polled. */
export type TenantToPoll = TenantRow &
  Pick<ConnectionRow, 'state' | 'connected_at'> & {
    /** When the poll position was last saved; null if the tenant was never polled. */
    polled_at: number | null;
    /** `polling` while CDC cannot be used for the tenant (it is then polled faster); else `streaming` or null. */
    cdc_state: string | null;
    /** The org's daily API requests as the limits resource last gave them (null: not read). */
    api_max: number | null;
    api_remaining: number | null;
  };

/**
 * Every tenant that has a Salesforce connection, with its state, when it connected, when its
 * poll position was last saved, whether CDC streams for it and its org's API use: who is due a poll.
 */
export async function listTenantsToPoll(db: Kysely<Database>): Promise<TenantToPoll[]> {
  return db
    .selectFrom('tenants')
    .innerJoin('salesforce_connections as c', 'c.tenant_id', 'tenants.id')
    .leftJoin('intake_positions as p', (join) =>
      join.onRef('p.tenant_id', '=', 'tenants.id').on('p.source', '=', 'poll'),
    )
    .leftJoin('cdc_states as cdc', 'cdc.tenant_id', 'tenants.id')
    .leftJoin('org_limits as l', 'l.tenant_id', 'tenants.id')
    .selectAll('tenants')
    .select([
      'c.state',
      'c.connected_at',
      'p.updated_at as polled_at',
      'cdc.state as cdc_state',
      'l.api_max',
      'l.api_remaining',
    ])
    .execute();
}

/**
 * Writes a tenant's changed settings in one transaction: `tenant` to its row, `connection` to its
 * Salesforce connection, each only when it changes something, with `updated_at` set to `now`.
 * So a settings change is applied whole or not at all.
 */
export async function saveTenantSettings(
  db: Kysely<Database>,
  settings: {
    tenantId: string;
    tenant: Updateable<TenantsTable>;
    connection: Updateable<SalesforceConnectionsTable>;
    now: number;
  },
): Promise<void> {
  const { tenantId, tenant, connection, now } = settings;
  await db.transaction().execute(async (tx) => {
    if (Object.keys(tenant).length > 0) {
      await tx
        .updateTable('tenants')
        .set({ ...tenant, updated_at: now })
        .where('id', '=', tenantId)
        .execute();
    }
    if (Object.keys(connection).length > 0) {
      await tx
        .updateTable('salesforce_connections')
        .set({ ...connection, updated_at: now })
        .where('tenant_id', '=', tenantId)
        .execute();
    }
  });
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
    for (const table of syncStateTables)
      await tx.deleteFrom(table).where('tenant_id', '=', tenantId).execute();
  });
}

/**
 * Deletes a tenant and everything of it in one transaction: its sync state (above), OAuth states,
 * its CDC state and org limits, and its leases; its connection, providers and mailboxes go with the tenant row.
 */
export async function deleteTenant(db: Kysely<Database>, tenantId: string): Promise<void> {
  await db.transaction().execute(async (tx) => {
    for (const table of [...syncStateTables, 'oauth_states', 'cdc_states', 'org_limits'] as const)
      await tx.deleteFrom(table).where('tenant_id', '=', tenantId).execute();
    await tx.deleteFrom('leases').where('name', 'like', `%:${tenantId}`).execute();
    await tx.deleteFrom('tenants').where('id', '=', tenantId).execute();
  });
}
