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
