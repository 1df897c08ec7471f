// Syncs per minute with their latency, for the admin charts: `serve` counts each finished minute
// once from the `apply` traces (every node may; the same minute's rows are the same whichever node
// wrote them) and forgets minutes older than a day.
import { sql, type Kysely } from 'kysely';
import type { Database, SyncMinutesTable } from './schema.ts';

/** The tenant key of the rows that count every tenant's syncs. */
export const allTenants = '*';

/** The start of the latest minute already counted, or null when none is. */
export async function lastCountedMinute(db: Kysely<Database>): Promise<number | null> {
  const row = await db
    .selectFrom('sync_minutes')
    .select(sql<number | string | null>`max(at)`.as('at'))
    .where('tenant_id', '=', allTenants)
    .executeTakeFirst();
  return row?.at === null || row?.at === undefined ? null : Number(row.at);
}

/** Every `apply` trace at or after `from` and before `to`, of every tenant, with its latency. */
export async function appliesBetween(
  db: Kysely<Database>,
  range: { from: number; to: number },
): Promise<{ tenantId: string; at: number; latencyMs: number | undefined }[]> {
  const rows = await db
    .selectFrom('traces')
    .select(['tenant_id', 'at', 'data_json'])
    .where('at', '>=', range.from)
    .where('at', '<', range.to)
    .where('step', '=', 'apply')
    .execute();
  return rows.map((row) => {
    const latency = (JSON.parse(row.data_json ?? '{}') as { latencyMs?: unknown }).latencyMs;
    return {
      tenantId: row.tenant_id,
      at: row.at,
      latencyMs: typeof latency === 'number' ? latency : undefined,
    };
  });
}

/** Writes counted minutes; a minute counted again replaces what was there. */
export async function saveSyncMinutes(
  db: Kysely<Database>,
  rows: readonly SyncMinutesTable[],
): Promise<void> {
  // 5 parameters a row: 100 rows stay far below either database's parameter limit.
  for (let i = 0; i < rows.length; i += 100)
    await db
      .insertInto('sync_minutes')
      .values(rows.slice(i, i + 100))
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'at']).doUpdateSet((eb) => ({
          syncs: eb.ref('excluded.syncs'),
          p50_ms: eb.ref('excluded.p50_ms'),
          p95_ms: eb.ref('excluded.p95_ms'),
        })),
      )
      .execute();
}

/** The counted minutes of `tenantId` (or of every tenant: `*`) since `since`, oldest first. */
export async function syncMinutesSince(
  db: Kysely<Database>,
  query: { since: number; tenantId: string },
): Promise<SyncMinutesTable[]> {
  const rows = await db
    .selectFrom('sync_minutes')
    .selectAll()
    .where('tenant_id', '=', query.tenantId)
    .where('at', '>=', query.since)
    .orderBy('at')
    .execute();
  return rows.map((row) => ({ ...row, at: Number(row.at) }));
}

/** Forgets the minutes before `before`. */
export async function pruneSyncMinutes(db: Kysely<Database>, before: number): Promise<void> {
  await db.deleteFrom('sync_minutes').where('at', '<', before).execute();
}
