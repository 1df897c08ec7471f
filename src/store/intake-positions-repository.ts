// Where each change source of a tenant has read up to. Written inside the transaction that
// records the changes, so a crash can never leave a position ahead of what was recorded.
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

export type IntakeSource = 'cdc' | 'poll';

export async function readPosition(
  db: Kysely<Database>,
  tenantId: string,
  source: IntakeSource,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('intake_positions')
    .select('position')
    .where('tenant_id', '=', tenantId)
    .where('source', '=', source)
    .executeTakeFirst();
  return row?.position;
}

export async function savePosition(
  db: Kysely<Database>,
  position: { tenantId: string; source: IntakeSource; value: string; now: number },
): Promise<void> {
  await db
    .insertInto('intake_positions')
    .values({
      tenant_id: position.tenantId,
      source: position.source,
      position: position.value,
      updated_at: position.now,
    })
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'source']).doUpdateSet({ position: position.value, updated_at: position.now }),
    )
    .execute();
}

/** Every source's position for a tenant, with when it was saved. */
export async function listPositions(
  db: Kysely<Database>,
  tenantId: string,
): Promise<{ source: string; position: string; updatedAt: number }[]> {
  const rows = await db
    .selectFrom('intake_positions')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .execute();
  return rows.map((p) => ({ source: p.source, position: p.position, updatedAt: p.updated_at }));
}

/**
 * Forgets where `source` had read up to for a tenant: its next read starts afresh (CDC from the
 * latest event, when its stored replay id fell out of retention).
 */
export async function forgetPosition(
  db: Kysely<Database>,
  tenantId: string,
  source: IntakeSource,
): Promise<void> {
  await db
    .deleteFrom('intake_positions')
    .where('tenant_id', '=', tenantId)
    .where('source', '=', source)
    .execute();
}
