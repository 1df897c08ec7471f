// Intake's one write: record the changes that arrived and upsert each Event's sync job, all
// in one transaction, so a change is never stored without its job. A change already recorded
// (same dedupe key, e.g. a redelivered webhook or a replayed CDC message) is ignored.
import type { Kysely } from 'kysely';
import { savePosition, type IntakeSource } from '../intake-positions-repository.ts';
import { enqueueJobs } from '../jobs/enqueue-job.ts';
import {
  jobLanes,
  type ChangeSource,
  type ChangeType,
  type Database,
  type JobLane,
  type PayloadKind,
} from '../schema.ts';
import { bulkInsert } from '../bulk-insert.ts';
import { paddedList } from '../padded-list.ts';

export interface IncomingChange {
  eventId: string;
  changeType: ChangeType;
  source: ChangeSource;
  /** Identifies this change among all others of the tenant, e.g. `cdc:<replay id>:<event id>`. */
  dedupeKey: string;
  /** When Salesforce committed the change, if the source says. */
  committedAt: number | null;
  /** What the source delivered of the Event, in the REST API's JSON format: see ChangePayload. */
  payload?: ChangePayload | undefined;
}

/**
 * `record`: the whole Event (a CDC CREATE); `fields`: only the fields one change set, with their
 * new values (a CDC UPDATE), to fold onto a record known from before.
 */
export interface ChangePayload {
  kind: PayloadKind;
  values: Record<string, unknown>;
}

export interface RecordChangesResult {
  recorded: number;
  duplicates: number;
  /** Events whose job was created or merged. */
  eventIds: string[];
}

const rowsPerInsert = 500;

const insertChanges = bulkInsert<
  Database,
  'changes',
  | 'tenant_id'
  | 'event_id'
  | 'change_type'
  | 'source'
  | 'dedupe_key'
  | 'committed_at'
  | 'received_at'
  | 'payload_json'
  | 'payload_kind',
  'event_id' | 'committed_at' | 'source'
>(
  'changes',
  [
    'tenant_id',
    'event_id',
    'change_type',
    'source',
    'dedupe_key',
    'committed_at',
    'received_at',
    'payload_json',
    'payload_kind',
  ],
  {
    rowsPerStatement: rowsPerInsert,
    tail: 'on conflict (tenant_id, dedupe_key) do nothing',
    returning: ['event_id', 'committed_at', 'source'],
  },
);

export async function recordChanges(
  db: Kysely<Database>,
  input: {
    tenantId: string;
    settleWindowMs: number;
    now: number;
    changes: readonly IncomingChange[];
    /** The source's new position, saved in the same transaction: never ahead of what was recorded. */
    position?: { source: IntakeSource; value: string } | undefined;
    /**
     * The lane of `manual` changes: live for an admin's retry of one Event (someone waits for
     * it), bulk for a retry of many. Default live.
     */
    manualLane?: JobLane | undefined;
  },
): Promise<RecordChangesResult> {
  const { tenantId, settleWindowMs, now, changes, position } = input;
  const laneOf = (source: ChangeSource): JobLane =>
    source === 'poll'
      ? jobLanes.reconcile
      : source === 'backfill'
        ? jobLanes.bulk
        : source === 'manual'
          ? (input.manualLane ?? jobLanes.live)
          : jobLanes.live;
  if (changes.length === 0 && position === undefined) return { recorded: 0, duplicates: 0, eventIds: [] };
  return db.transaction().execute(async (tx) => {
    if (position !== undefined)
      await savePosition(tx, { tenantId, source: position.source, value: position.value, now });
    const oldestChangeByEvent = new Map<string, number>();
    const laneByEvent = new Map<string, JobLane>();
    const inserted = await insertChanges(
      tx,
      changes.map((change) => ({
        tenant_id: tenantId,
        event_id: change.eventId,
        change_type: change.changeType,
        source: change.source,
        dedupe_key: change.dedupeKey,
        committed_at: change.committedAt,
        received_at: now,
        payload_json: change.payload === undefined ? null : JSON.stringify(change.payload.values),
        payload_kind: change.payload?.kind ?? null,
      })),
    );
    const recorded = inserted.length;
    for (const row of inserted) {
      const changeAt = row.committed_at ?? now;
      const known = oldestChangeByEvent.get(row.event_id);
      if (known === undefined || changeAt < known) oldestChangeByEvent.set(row.event_id, changeAt);
      const lane = laneOf(row.source);
      if (lane < (laneByEvent.get(row.event_id) ?? jobLanes.bulk + 1)) laneByEvent.set(row.event_id, lane);
    }
    await enqueueJobs(
      tx,
      [...oldestChangeByEvent].map(([eventId, changeAt]) => ({
        tenantId,
        eventId,
        runAt: now,
        settleMs: settleWindowMs,
        changeAt,
        now,
        lane: laneByEvent.get(eventId) ?? jobLanes.live,
      })),
    );
    return { recorded, duplicates: changes.length - recorded, eventIds: [...oldestChangeByEvent.keys()] };
  });
}

/**
 * Sources whose commit times come from Salesforce's own API (the Pub/Sub stream, a query). A
 * webhook's systemModstamp is the caller's word: it may say which version changed, but never
 * which versions polling may skip. (Backfill and manual retries record no commit time.)
 */
const apiSources: readonly ChangeSource[] = ['cdc', 'poll'];

/**
 * For each of `eventIds`, the newest Salesforce commit time among the changes already recorded
 * from Salesforce's API (see apiSources).
 */
export async function latestRecordedCommit(
  db: Kysely<Database>,
  tenantId: string,
  eventIds: readonly string[],
): Promise<Map<string, number>> {
  const latest = new Map<string, number>();
  for (let i = 0; i < eventIds.length; i += rowsPerInsert) {
    const rows = await db
      .selectFrom('changes')
      .select(['event_id', (eb) => eb.fn.max('committed_at').as('committed_at')])
      .where('tenant_id', '=', tenantId)
      .where('event_id', 'in', paddedList(eventIds.slice(i, i + rowsPerInsert)))
      .where('committed_at', 'is not', null)
      .where('source', 'in', apiSources)
      .groupBy('event_id')
      .execute();
    for (const row of rows) if (row.committed_at !== null) latest.set(row.event_id, Number(row.committed_at));
  }
  return latest;
}
