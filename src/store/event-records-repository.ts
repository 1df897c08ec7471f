// What the store holds of one Event, across the tables that name it: the changes received for
// it, the traces of the engine's steps, its job and its link (with the linked mailbox's
// address). The story of an Event (src/reports/event-story.ts) and retries by Event id read it here.
import type { Kysely, Selectable } from 'kysely';
import type { ChangesTable, Database, JobRow, LinkState } from './schema.ts';
import type { TraceRow } from './traces-repository.ts';

/** The tenants (ids) that have a job, a link or a change for `eventId` (as stored, 18 characters). */
export async function tenantIdsKnowingEvent(db: Kysely<Database>, eventId: string): Promise<string[]> {
  const tenants = new Set<string>();
  for (const table of ['jobs', 'links', 'changes'] as const) {
    const rows = await db.selectFrom(table).select('tenant_id').where('event_id', '=', eventId).execute();
    for (const row of rows) tenants.add(row.tenant_id);
  }
  return [...tenants];
}

export interface EventRecords {
  /** In the order they were recorded. */
  changes: Selectable<ChangesTable>[];
  /** In the order they were written. */
  traces: TraceRow[];
  job: JobRow | undefined;
  link:
    | {
        event_id: string;
        item_id: string;
        state: LinkState;
        created_at: number;
        updated_at: number;
        pending_create_at: number | null;
        /** The linked mailbox's address; null if the mailbox row is gone. */
        address: string | null;
      }
    | undefined;
}

/** Everything a tenant's store holds of `eventId`: its changes, traces, job and link. */
export async function eventRecordsOf(
  db: Kysely<Database>,
  tenantId: string,
  eventId: string,
): Promise<EventRecords> {
  const changes = await db
    .selectFrom('changes')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('event_id', '=', eventId)
    .orderBy('id')
    .execute();
  const traces = await db
    .selectFrom('traces')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('event_id', '=', eventId)
    .orderBy('id')
    .execute();
  const job = await db
    .selectFrom('jobs')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('event_id', '=', eventId)
    .executeTakeFirst();
  const link = await db
    .selectFrom('links')
    .leftJoin('mailboxes', 'mailboxes.id', 'links.mailbox_id')
    .select([
      'links.event_id',
      'links.item_id',
      'links.state',
      'links.created_at',
      'links.updated_at',
      'links.pending_create_at',
      'mailboxes.address',
    ])
    .where('links.tenant_id', '=', tenantId)
    .where('links.event_id', '=', eventId)
    .executeTakeFirst();
  return { changes, traces, job, link };
}

/**
 * The Event records the service kept from changes of the last days, one per Event (the record its
 * last sync used, or else the one a CDC create carried), newest first, at most `limit`: what an
 * exclusion rule's preview counts against.
 */
export async function recentEventRecords(
  db: Kysely<Database>,
  tenantId: string,
  since: number,
  limit: number,
): Promise<Record<string, unknown>[]> {
  const records = new Map<string, Record<string, unknown>>();
  const keep = (eventId: string, json: string | null) => {
    if (json === null || records.has(eventId) || records.size >= limit) return;
    try {
      const record: unknown = JSON.parse(json);
      if (typeof record === 'object' && record !== null && !Array.isArray(record))
        records.set(eventId, record as Record<string, unknown>);
    } catch {
      // A record that cannot be read counts for nothing.
    }
  };
  const linked = await db
    .selectFrom('links')
    .select(['event_id', 'record_json'])
    .where('tenant_id', '=', tenantId)
    .where('updated_at', '>=', since)
    .where('record_json', 'is not', null)
    .orderBy('updated_at', 'desc')
    .limit(limit)
    .execute();
  for (const row of linked) keep(row.event_id, row.record_json);
  const carried = await db
    .selectFrom('changes')
    .select(['event_id', 'payload_json'])
    .where('tenant_id', '=', tenantId)
    .where('received_at', '>=', since)
    .where('payload_kind', '=', 'record')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  for (const row of carried) keep(row.event_id, row.payload_json);
  return [...records.values()];
}
