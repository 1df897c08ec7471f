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

/** An applied change as the admin pages list it: what was done, to which Event and mailbox. */
export interface RecentApply {
  eventId: string;
  /** The Event's subject as its last sync read it (null: not known, or the Event has none). */
  subject: string | null;
  /** The Salesforce user who owns the Event and the mailbox its item is in (null: not known). */
  ownerId: string | null;
  mailbox: string | null;
  message: string;
  at: number;
  latencyMs: number | undefined;
}

/** A tenant's latest applied changes (the `apply` steps), newest first, with their Events' subjects and mailboxes. */
export async function recentApplies(
  db: Kysely<Database>,
  tenantId: string,
  limit: number,
): Promise<RecentApply[]> {
  const rows = await db
    .selectFrom('traces')
    .leftJoin('links', (join) =>
      join.onRef('links.tenant_id', '=', 'traces.tenant_id').onRef('links.event_id', '=', 'traces.event_id'),
    )
    .leftJoin('mailboxes', 'mailboxes.id', 'links.mailbox_id')
    .select([
      'traces.event_id',
      'traces.message',
      'traces.at',
      'traces.data_json',
      'links.record_json',
      'mailboxes.address',
      'mailboxes.salesforce_user_id',
    ])
    .where('traces.tenant_id', '=', tenantId)
    .where('traces.step', '=', 'apply')
    .orderBy('traces.id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    eventId: r.event_id,
    subject: subjectOf(r.record_json),
    ownerId: r.salesforce_user_id,
    mailbox: r.address,
    message: r.message,
    at: r.at,
    latencyMs: (JSON.parse(r.data_json ?? '{}') as { latencyMs?: number }).latencyMs,
  }));
}

/** The Subject of an Event record (REST JSON), or null when it has none or cannot be read. */
export function subjectOf(recordJson: string | null): string | null {
  if (recordJson === null) return null;
  try {
    const subject = (JSON.parse(recordJson) as { Subject?: unknown }).Subject;
    return typeof subject === 'string' && subject !== '' ? subject : null;
  } catch {
    return null;
  }
}
