// Where each tenant's change data capture stands, and the org's limits as last read: written by
// the node that runs the tenant's subscription, read by pages, `status`, `doctor` and /metrics on
// any node.
import type { Kysely, Selectable } from 'kysely';
import type { CdcStatesTable, Database, OrgLimitsTable } from './schema.ts';

export type CdcStateRow = Selectable<CdcStatesTable>;
export type OrgLimitsRow = Selectable<OrgLimitsTable>;

/** Writes a tenant's CDC state (the whole row). */
export async function saveCdcState(
  db: Kysely<Database>,
  row: Omit<CdcStateRow, 'updated_at'> & { now: number },
): Promise<void> {
  const { now, ...values } = row;
  await db
    .insertInto('cdc_states')
    .values({ ...values, updated_at: now })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ ...values, updated_at: now }))
    .execute();
}

export async function readCdcState(db: Kysely<Database>, tenantId: string): Promise<CdcStateRow | undefined> {
  return db.selectFrom('cdc_states').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
}

/** A tenant polled instead of streaming tries CDC again at `now` (it was just connected again). */
export async function retryCdcNow(db: Kysely<Database>, tenantId: string, now: number): Promise<void> {
  await db
    .updateTable('cdc_states')
    .set({ retry_at: now, updated_at: now })
    .where('tenant_id', '=', tenantId)
    .where('state', '=', 'polling')
    .where('retry_at', '>', now)
    .execute();
}

/** Every tenant's CDC state (one row per tenant whose subscription ever ran). */
export async function listCdcStates(db: Kysely<Database>): Promise<CdcStateRow[]> {
  return db.selectFrom('cdc_states').selectAll().execute();
}

export async function saveOrgLimits(db: Kysely<Database>, row: OrgLimitsRow): Promise<void> {
  const { tenant_id: _tenant, ...values } = row;
  await db
    .insertInto('org_limits')
    .values(row)
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet(values))
    .execute();
}

export async function readOrgLimits(
  db: Kysely<Database>,
  tenantId: string,
): Promise<OrgLimitsRow | undefined> {
  return db.selectFrom('org_limits').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
}

export async function listOrgLimits(db: Kysely<Database>): Promise<OrgLimitsRow[]> {
  return db.selectFrom('org_limits').selectAll().execute();
}
