// An Event record known without reading Salesforce: a base record (the one the last sync used,
// or the whole Event a CDC CREATE carried) with every later recorded change folded onto it, when
// each of those is a CDC UPDATE that carried its changed fields. Fields fold in change order, so
// each ends at its last writer; a suffix that overlaps what the base already includes is
// harmless for that reason, and an edit committed before the base's SystemModstamp is skipped
// (the base already has it, and its older values must not step the record back). Pure: any
// change that is not such an edit means the record cannot be known, never a guess.

/** A change recorded for the Event, newer than the base, as the composition needs it. */
export interface LaterChange {
  id: number;
  source: string;
  changeType: string;
  /** `fields`: the changed fields and their new values (REST JSON); anything else cannot be folded. */
  payloadKind: 'record' | 'fields' | null;
  payload: Record<string, unknown> | null;
}

export interface EventRecordBase {
  record: Readonly<Record<string, unknown>>;
  /** The highest change id the base record is known to include. */
  throughChangeId: number;
  /** `last-synced`: the link's record; `cdc-create`: the whole Event a CDC CREATE carried. */
  kind: 'last-synced' | 'cdc-create';
}

export type ComposedEventRecord =
  | {
      record: Record<string, unknown>;
      /** The highest change id folded into the record (or the base's): what it is known to include. */
      throughChangeId: number;
      base: EventRecordBase['kind'];
      /** CDC edits folded onto the base (not counting those the base already had). */
      edits: number;
    }
  | { unknown: string };

export function composeEventRecord(
  base: EventRecordBase | undefined,
  /** The Event's changes with an id above the base's throughChangeId, in any order. */
  later: readonly LaterChange[],
): ComposedEventRecord {
  if (base === undefined) return { unknown: 'no record of the Event is kept yet' };
  const record: Record<string, unknown> = { ...base.record };
  let throughChangeId = base.throughChangeId;
  let edits = 0;
  // Every change that cannot be folded is named, in order: an undelete's trace says the undelete,
  // not only the deletion before it.
  const unfoldable: string[] = [];
  for (const change of [...later].sort((a, b) => a.id - b.id)) {
    if (change.id <= base.throughChangeId) continue;
    if (
      change.source !== 'cdc' ||
      change.changeType !== 'update' ||
      change.payloadKind !== 'fields' ||
      change.payload === null
    ) {
      const words = describeChange(change);
      if (!unfoldable.includes(words)) unfoldable.push(words);
      continue;
    }
    if (unfoldable.length > 0) continue;
    throughChangeId = change.id;
    const committed = timeOf(change.payload['SystemModstamp']);
    const baseVersion = timeOf(record['SystemModstamp']);
    if (committed !== undefined && baseVersion !== undefined && committed < baseVersion) continue;
    Object.assign(record, change.payload);
    edits++;
  }
  if (unfoldable.length > 0) return { unknown: `${listChanges(unfoldable)} came after the record kept` };
  return { record, throughChangeId, base: base.kind, edits };
}

/** `a deletion and an undelete from CDC`; `an update from polling and a retry by hand`. */
function listChanges(changes: readonly string[]): string {
  const source = / from [^,]+$/.exec(changes[0] ?? '')?.[0];
  const shared = source !== undefined && changes.every((c) => c.endsWith(source));
  const words = shared ? changes.map((c) => c.slice(0, -source.length)) : [...changes];
  const last = words.pop() ?? '';
  return `${words.length === 0 ? last : `${words.join(', ')} and ${last}`}${shared ? source : ''}`;
}

const changeWords: Record<string, string> = {
  create: 'a create',
  update: 'an update',
  delete: 'a deletion',
  undelete: 'an undelete',
  resync: 'a request to read it again',
};
const sourceWords: Record<string, string> = { cdc: 'CDC', poll: 'polling', webhook: 'the webhook' };

function describeChange(change: LaterChange): string {
  if (change.source === 'manual') return 'a retry by hand';
  if (change.source === 'backfill') return 'a backfill';
  if (change.source === 'cdc' && change.changeType === 'update') return 'a CDC update without its fields';
  if (change.source === 'cdc' && change.changeType === 'resync') return 'a CDC gap event';
  return `${changeWords[change.changeType] ?? `a ${change.changeType}`} from ${sourceWords[change.source] ?? change.source}`;
}

/** A REST datetime (2026-11-24T09:00:00.000+0000) in epoch ms, or undefined. */
function timeOf(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(ms) ? undefined : ms;
}
