// What the recorded changes (and the records kept with the links) already tell of a batch of
// Events, so the engine reads from Salesforce only what they do not: Events whose latest change
// is their deletion, and Events whose record can be composed (a base record plus the CDC edits
// recorded after it, domain/compose-event-record.ts). A fixed number of queries per 500 Events,
// never one per Event; it never writes.
import type { Kysely, Selectable } from 'kysely';
import {
  composeEventRecord,
  type EventRecordBase,
  type LaterChange,
} from '../../domain/compose-event-record.ts';
import type { ChangesTable, Database, LinkRow } from '../schema.ts';
import { listStatement, markerList } from '../list-statement.ts';
import { paddedList } from '../padded-list.ts';

export interface ComposedEvent {
  record: Record<string, unknown>;
  /** The highest change id the record is known to include. */
  throughChangeId: number;
  base: EventRecordBase['kind'];
  edits: number;
  /**
   * The record's JSON text, when no edit was folded onto the base: the text the base was read
   * from (the change's payload or the link's record), so the link keeps it without writing the
   * same record out again.
   */
  json?: string | undefined;
}

export interface KnownFromChanges {
  /** Events whose record is known without a read, with that record. */
  composed: Map<string, ComposedEvent>;
  /** Why the others' record is not known (for the trace). */
  unknown: Map<string, string>;
  /** Events whose latest recorded change is their deletion. */
  deleted: Set<string>;
  /** The highest change id recorded of each Event: what a record read after this call includes. */
  latestChangeId: Map<string, number>;
}

const chunkSize = 500;

/** Each Event's latest change and latest change carrying a whole record: ['record', tenant, …ids]. */
const latestOfEvents = listStatement<{
  event_id: string;
  latest: number | string;
  latest_record: number | string | null;
}>(
  (mark, count) =>
    `select "event_id", max("id") as "latest", max(case when "payload_kind" = ${mark()} then "id" end) as "latest_record"` +
    ` from "changes" where "tenant_id" = ${mark()} and "event_id" in (${markerList(mark, count)}) group by "event_id"`,
);

/** The Events' changes from each one's base on: [tenant, …ids, then each id with its first change id]. */
const changesFromBases = listStatement<
  Pick<
    Selectable<ChangesTable>,
    'id' | 'event_id' | 'change_type' | 'source' | 'payload_kind' | 'payload_json'
  >
>((mark, count) => {
  // (Markers in the parameters' order: the tenant, the IN list, then the terms.)
  const head =
    `select "id", "event_id", "change_type", "source", "payload_kind", "payload_json" from "changes"` +
    ` where "tenant_id" = ${mark()} and "event_id" in (${markerList(mark, count)})`;
  const terms: string[] = [];
  for (let i = 0; i < count; i++) terms.push(`("event_id" = ${mark()} and "id" >= ${mark()})`);
  return `${head} and (${terms.join(' or ')})`;
});

interface BasePlan {
  latest: number;
  base?: { kind: EventRecordBase['kind']; throughChangeId: number; linkRecordJson?: string };
}

export async function knownFromChanges(
  db: Kysely<Database>,
  tenantId: string,
  eventIds: readonly string[],
  /** The Events' links, with the record each last sync used. */
  links: ReadonlyMap<string, Pick<LinkRow, 'record_json' | 'record_through_change_id'>> = new Map(),
): Promise<KnownFromChanges> {
  const known: KnownFromChanges = {
    composed: new Map(),
    unknown: new Map(),
    deleted: new Set(),
    latestChangeId: new Map(),
  };
  for (let i = 0; i < eventIds.length; i += chunkSize) {
    const chunk = eventIds.slice(i, i + chunkSize);
    const ids = paddedList(chunk);
    const { rows: groups } = await latestOfEvents(db, ids.length, ['record', tenantId, ...ids]);
    if (groups.length === 0) continue;

    // Each Event's base: the link's record or the latest whole record a change carried, whichever
    // is known to include more; the rows from there on (or only the latest, without a base).
    const plans = new Map<string, BasePlan>();
    for (let g = 0; g < groups.length; g++) {
      const group = groups[g] as (typeof groups)[number];
      const latest = Number(group.latest);
      known.latestChangeId.set(group.event_id, latest);
      const link = links.get(group.event_id);
      const linkRecordJson = link?.record_json ?? null;
      const linkThrough = linkRecordJson === null ? null : (link?.record_through_change_id ?? null);
      const recordId = group.latest_record === null ? null : Number(group.latest_record);
      if (linkRecordJson !== null && linkThrough !== null && (recordId === null || linkThrough >= recordId))
        plans.set(group.event_id, {
          latest,
          base: { kind: 'last-synced', throughChangeId: Number(linkThrough), linkRecordJson },
        });
      else if (recordId !== null)
        plans.set(group.event_id, { latest, base: { kind: 'cdc-create', throughChangeId: recordId } });
      else plans.set(group.event_id, { latest });
    }
    // The IN list lets the index find the Events' rows; the OR keeps those from each base on.
    // (Without it SQLite scans every change of the tenant, testing each against every term.)
    // (Loops by index and Map.forEach here and below: this runs once per batch, too seldom for V8
    // to optimize, and unoptimized, a for…of makes an object for every step and every destructured
    // pair: 29 MB of a burst's allocations, sampled over 15 s, against 9-10 MB now; docs/performance.md.)
    const planned = paddedList([...plans.keys()]);
    const parameters: unknown[] = [tenantId, ...planned];
    for (let p = 0; p < planned.length; p++) {
      const eventId = planned[p] as string;
      const { latest, base } = plans.get(eventId) as BasePlan;
      parameters.push(eventId, Math.min(latest, base?.throughChangeId ?? latest));
    }
    const { rows } = await changesFromBases(db, planned.length, parameters);
    const later = new Map<string, LaterChange[]>();
    /** The text of each Event's base change (its CDC CREATE's whole record). */
    const baseTexts = new Map<string, string>();
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r] as (typeof rows)[number];
      const base = plans.get(row.event_id)?.base;
      if (base?.kind === 'cdc-create' && base.throughChangeId === Number(row.id) && row.payload_json !== null)
        baseTexts.set(row.event_id, row.payload_json);
      const changes = later.get(row.event_id) ?? [];
      changes.push({
        id: Number(row.id),
        source: row.source,
        changeType: row.change_type,
        payloadKind: row.payload_kind,
        payload: parseRecord(row.payload_json) ?? null,
      });
      later.set(row.event_id, changes);
    }

    plans.forEach(({ latest, base }, eventId) => {
      const changes = later.get(eventId) ?? [];
      // Only Salesforce's own word (CDC, polling's deleted list) is taken as the deletion: the
      // webhook's is its caller's, so a forged or mistaken DELETE costs a read, never an item.
      const last = changes.find((change) => change.id === latest);
      if (last?.changeType === 'delete' && (last.source === 'cdc' || last.source === 'poll')) {
        known.deleted.add(eventId);
        return;
      }
      const record =
        base?.kind === 'last-synced'
          ? parseRecord(base.linkRecordJson ?? null)
          : changes.find((change) => change.id === base?.throughChangeId)?.payload;
      const composed = composeEventRecord(
        base === undefined || record === undefined || record === null
          ? undefined
          : { kind: base.kind, throughChangeId: base.throughChangeId, record },
        changes.filter((change) => change.id > (base?.throughChangeId ?? latest)),
      );
      if ('unknown' in composed) known.unknown.set(eventId, composed.unknown);
      else {
        const text = base?.kind === 'last-synced' ? base.linkRecordJson : baseTexts.get(eventId);
        known.composed.set(
          eventId,
          composed.edits === 0 && text !== undefined ? { ...composed, json: text } : composed,
        );
      }
    });
  }
  for (let e = 0; e < eventIds.length; e++) {
    const eventId = eventIds[e] as string;
    if (!known.latestChangeId.has(eventId)) known.unknown.set(eventId, 'no change of it is recorded');
  }
  return known;
}

function parseRecord(json: string | null): Record<string, unknown> | undefined {
  if (json === null) return undefined;
  try {
    const parsed: unknown = JSON.parse(json);
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined; // unreadable, it is no base and no edit: the Event is read
  }
}
