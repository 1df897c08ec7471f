// Traces: the story of each Event, one row per step (received, read, planned, applied, skipped,
// failed), so "what happened to this event?" has an answer.
import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Database, TracesTable } from './schema.ts';

export type TraceRow = Selectable<TracesTable>;
export type NewTrace = Omit<Insertable<TracesTable>, 'id'>;

export async function addTraces(db: Kysely<Database>, traces: readonly NewTrace[]): Promise<void> {
  for (let i = 0; i < traces.length; i += 300)
    await db
      .insertInto('traces')
      .values(traces.slice(i, i + 300))
      .execute();
}

export async function tracesOf(
  db: Kysely<Database>,
  eventId: string,
  tenantId?: string,
): Promise<TraceRow[]> {
  return db
    .selectFrom('traces')
    .selectAll()
    .where('event_id', '=', eventId)
    .$if(tenantId !== undefined, (qb) => qb.where('tenant_id', '=', tenantId ?? ''))
    .orderBy('at')
    .orderBy('id')
    .execute();
}

/** A tenant's latest applied changes (the `apply` steps), newest first. */
export async function recentApplies(
  db: Kysely<Database>,
  tenantId: string,
  limit: number,
): Promise<{ eventId: string; message: string; at: number; latencyMs: number | undefined }[]> {
  const rows = await db
    .selectFrom('traces')
    .select(['event_id', 'message', 'at', 'data_json'])
    .where('tenant_id', '=', tenantId)
    .where('step', '=', 'apply')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    eventId: r.event_id,
    message: r.message,
    at: r.at,
    latencyMs: (JSON.parse(r.data_json ?? '{}') as { latencyMs?: number }).latencyMs,
  }));
}
