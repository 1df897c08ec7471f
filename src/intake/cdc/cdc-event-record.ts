// What a CDC change event tells of the Event, in the REST API's JSON format, so the engine can
// sync it without reading it back. A CREATE carries every field of the new Event (fields it does
// not list are null): the whole record. An UPDATE carries only the fields it changed: those, to
// fold onto a record known from before. Datetimes (epoch ms in CDC) become Salesforce's
// 2026-11-24T09:00:00.000+0000, dates (days since 1970 in CDC) become 2026-11-24. CDC leaves out
// SystemModstamp; it is taken as LastModifiedDate, or else the commit time. Nothing here guesses:
// an UPDATE whose fields cannot be read whole gives no payload, and the engine reads the Event.
import type { ChangePayload } from '../../store/changes/record-changes.ts';
import { decodeFieldBitmaps, FieldBitmapError, hasNestedEntries } from './field-bitmaps.ts';
import { unwrapUnion, type PubSubEvent } from './pubsub-client.ts';

const datetimeFields = new Set([
  'StartDateTime',
  'EndDateTime',
  'ActivityDateTime',
  'ReminderDateTime',
  'CreatedDate',
  'LastModifiedDate',
  'Recurrence2PatternStartDate',
  'RecurrenceStartDateTime',
]);
const dateFields = new Set(['ActivityDate', 'RecurrenceStartDateOnly', 'RecurrenceEndDateOnly']);

function salesforceDateTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** One field's value from a CDC payload (an Avro union, or null), as the REST API writes it. */
function restValue(name: string, raw: unknown): unknown {
  const value = unwrapUnion(raw);
  if (typeof value === 'number' && datetimeFields.has(name)) return salesforceDateTime(value);
  if (typeof value === 'number' && dateFields.has(name))
    return new Date(value * 86_400_000).toISOString().slice(0, 10);
  return value === undefined ? null : value;
}

function withSystemModstamp(
  values: Record<string, unknown>,
  commitTimestamp: number,
): Record<string, unknown> {
  values['SystemModstamp'] =
    typeof values['LastModifiedDate'] === 'string'
      ? values['LastModifiedDate']
      : salesforceDateTime(commitTimestamp);
  return values;
}

/**
 * A CREATE's record has every field of the Event schema (about 60), set under names known only as
 * the event is read. Given that many such properties, V8 keeps an object as a hash table; a copy
 * of a template that already has the fields keeps a fixed shape instead: half the time to build
 * and to write as JSON, and a fraction of the memory, for every Event of a burst. Templates are
 * kept per Avro record type (avro-js decodes each schema's records with a class of its own); a
 * plain object (as tests give) is built field by field.
 */
const recordTemplates = new WeakMap<object, Readonly<Record<string, unknown>>>();

function recordTemplate(
  payload: Readonly<Record<string, unknown>>,
): Readonly<Record<string, unknown>> | undefined {
  const type: unknown = Object.getPrototypeOf(payload);
  if (type === null || type === Object.prototype || typeof type !== 'object') return undefined;
  let template = recordTemplates.get(type);
  if (template === undefined) {
    const names = ['attributes', 'Id'];
    for (const name in payload)
      if (name !== 'ChangeEventHeader' && Object.hasOwn(payload, name)) names.push(name);
    names.push('SystemModstamp');
    // JSON.parse makes an object of fixed shape whatever the names (no keyed stores on the way).
    template = JSON.parse(JSON.stringify(Object.fromEntries(names.map((name) => [name, null])))) as Record<
      string,
      unknown
    >;
    recordTemplates.set(type, template);
  }
  return template;
}

export function eventRecordFromCreate(
  payload: Readonly<Record<string, unknown>>,
  eventId: string,
  commitTimestamp: number,
): Record<string, unknown> {
  const template = recordTemplate(payload);
  const record: Record<string, unknown> = template === undefined ? {} : { ...template };
  record['attributes'] = { type: 'Event' };
  record['Id'] = eventId;
  // (for…in, not Object.entries: an Event has about 60 fields, and a burst decodes thousands.)
  for (const name in payload) {
    if (name === 'ChangeEventHeader' || !Object.hasOwn(payload, name)) continue;
    record[name] = restValue(name, payload[name]);
  }
  return withSystemModstamp(record, commitTimestamp);
}

/** The header's field lists, as the Pub/Sub API sends them (bitmaps, see field-bitmaps.ts). */
export interface FieldListHeader {
  changedFields?: readonly string[] | undefined;
  nulledFields?: readonly string[] | undefined;
  diffFields?: readonly string[] | undefined;
}

/**
 * The fields an UPDATE set, with their new values (a cleared field is null), or why they cannot
 * be known whole from the event: a diff-encoded field, a compound field's part, a bitmap that does
 * not fit the schema, a changed field without its value.
 */
export function eventFieldsFromUpdate(
  event: Pick<PubSubEvent, 'payload' | 'schemaFields'>,
  header: FieldListHeader,
  commitTimestamp: number,
): { fields: Record<string, unknown> } | { unknown: string } {
  const changedBitmaps = header.changedFields ?? [];
  const nulledBitmaps = header.nulledFields ?? [];
  if ((header.diffFields ?? []).length > 0) return { unknown: 'some fields are sent as diffs' };
  if (hasNestedEntries(changedBitmaps) || hasNestedEntries(nulledBitmaps))
    return { unknown: 'a compound field changed' };
  let changed: string[];
  let nulled: Set<string>;
  try {
    changed = decodeFieldBitmaps(changedBitmaps, event.schemaFields);
    nulled = new Set(decodeFieldBitmaps(nulledBitmaps, event.schemaFields));
  } catch (error) {
    if (error instanceof FieldBitmapError) return { unknown: error.message };
    throw error;
  }
  if (changed.length === 0) return { unknown: 'the event lists no changed field' };
  const fields: Record<string, unknown> = {};
  for (const name of new Set([...changed, ...nulled])) {
    if (name === 'ChangeEventHeader') continue;
    const value = nulled.has(name) ? null : restValue(name, event.payload[name]);
    if (value === null && !nulled.has(name))
      return { unknown: `the changed field ${name} came without a value` };
    fields[name] = value;
  }
  return { fields: withSystemModstamp(fields, commitTimestamp) };
}

/**
 * What to keep with the change of `recordId`: a CREATE or UPDATE of that one Event only (a change
 * event for several records carries one set of values for all, and an invitee's copy differs from
 * its owner's Event); nothing for anything else.
 */
export function cdcChangePayload(
  event: Pick<PubSubEvent, 'payload' | 'schemaFields'>,
  header: FieldListHeader & { changeType: string; recordIds: readonly string[] },
  recordId: string,
  commitTimestamp: number,
): ChangePayload | undefined {
  if (header.recordIds.length !== 1) return undefined;
  if (header.changeType === 'CREATE')
    return { kind: 'record', values: eventRecordFromCreate(event.payload, recordId, commitTimestamp) };
  if (header.changeType !== 'UPDATE') return undefined;
  const update = eventFieldsFromUpdate(event, header, commitTimestamp);
  return 'fields' in update ? { kind: 'fields', values: update.fields } : undefined;
}
