// Traces: the story of each Event, one row per step (received, read, planned, applied, skipped,
// failed), so "what happened to this event?" has an answer.
import type { Insertable, Kysely, Selectable } from 'kysely';
import { bulkInsert } from './bulk-insert.ts';
import type { Database, TracesTable } from './schema.ts';

export type TraceRow = Selectable<TracesTable>;
export type NewTrace = Omit<Insertable<TracesTable>, 'id'>;

const insertTraces = bulkInsert<Database, 'traces', keyof NewTrace>(
  'traces',
  ['tenant_id', 'event_id', 'job_id', 'at', 'step', 'message', 'data_json'],
  { rowsPerStatement: 300 },
);

/** Adds the steps, one statement per 300. */
export async function addTraces(db: Kysely<Database>, traces: readonly NewTrace[]): Promise<void> {
  await insertTraces(db, traces);
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
