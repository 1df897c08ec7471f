// A CDC CREATE event carries every field of the new Event (fields it does not list are null). This
// turns its Avro payload into the record the REST API would return, so the engine can sync the
// Event without reading it back: datetimes (epoch ms in CDC) become Salesforce's
// 2026-11-24T09:00:00.000+0000, dates (days since 1970 in CDC) become 2026-11-24. CDC leaves out
// SystemModstamp; on a create it equals LastModifiedDate, or else the commit time.
import { unwrapUnion } from './pubsub-client.ts';

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

export function eventRecordFromCreate(
  payload: Readonly<Record<string, unknown>>,
  eventId: string,
  commitTimestamp: number,
): Record<string, unknown> {
  const record: Record<string, unknown> = { attributes: { type: 'Event' }, Id: eventId };
  for (const [name, raw] of Object.entries(payload)) {
    if (name === 'ChangeEventHeader') continue;
    const value = unwrapUnion(raw);
    if (typeof value === 'number' && datetimeFields.has(name)) record[name] = salesforceDateTime(value);
    else if (typeof value === 'number' && dateFields.has(name))
      record[name] = new Date(value * 86_400_000).toISOString().slice(0, 10);
    else record[name] = value === undefined ? null : value;
  }
  record['SystemModstamp'] =
    typeof record['LastModifiedDate'] === 'string'
      ? record['LastModifiedDate']
      : salesforceDateTime(commitTimestamp);
  return record;
}
