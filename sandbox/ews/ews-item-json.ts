// A stored calendar item as JSON for tests, the demo and the control API: EWS's property names,
// times in UTC, the time zone ids, extended properties with their ExtendedFieldURI attributes,
// and for a series its modified and deleted occurrences. Read-only; never used on the wire.
import { recurrenceJson } from './ews-recurrence.ts';
import { occurrenceId, type CalendarFields, type StoredItem } from './ews-store.ts';
import { utc } from './ews-time.ts';

const attendees = (list: CalendarFields['requiredAttendees']) =>
  list.map((a) => ({ Name: a.name ?? null, EmailAddress: a.email }));

function fieldsJson(fields: CalendarFields): Record<string, unknown> {
  return {
    Subject: fields.subject ?? null,
    Body: fields.body === undefined ? null : { BodyType: fields.body.type, Value: fields.body.text },
    Start: utc(fields.startMs),
    End: utc(fields.endMs),
    StartTimeZoneId: fields.startTimeZone,
    EndTimeZoneId: fields.endTimeZone,
    IsAllDayEvent: fields.isAllDayEvent,
    LegacyFreeBusyStatus: fields.legacyFreeBusyStatus,
    Sensitivity: fields.sensitivity,
    Importance: fields.importance,
    Categories: fields.categories,
    ReminderIsSet: fields.reminderIsSet,
    ReminderMinutesBeforeStart: fields.reminderMinutesBeforeStart,
    Location: fields.location ?? null,
    RequiredAttendees: attendees(fields.requiredAttendees),
    OptionalAttendees: attendees(fields.optionalAttendees),
    Resources: attendees(fields.resources),
    ExtendedProperties: fields.extended.map((e) => ({
      ...e.uri,
      ...(e.values === undefined ? { Value: e.value } : { Values: e.values }),
    })),
    UID: fields.uid,
  };
}

export function itemJson(item: StoredItem): Record<string, unknown> {
  const recurrence = item.fields.recurrence;
  return {
    ItemId: item.id,
    ChangeKey: item.changeKey,
    CalendarItemType: recurrence === undefined ? 'Single' : 'RecurringMaster',
    ...fieldsJson(item.fields),
    Recurrence: recurrence === undefined ? null : recurrenceJson(recurrence),
    DateTimeCreated: utc(item.created),
    LastModifiedTime: utc(item.modified),
    ...(recurrence === undefined
      ? {}
      : {
          ModifiedOccurrences: [...item.exceptions.values()]
            .sort((a, b) => a.originalStart - b.originalStart)
            .map((e) => ({
              ItemId: occurrenceId(item, e.originalStart),
              ChangeKey: e.changeKey,
              OriginalStart: utc(e.originalStart),
              ...fieldsJson(e.fields),
              LastModifiedTime: utc(e.modified),
            })),
          DeletedOccurrences: [...item.deleted]
            .sort((a, b) => a - b)
            .map((start) => ({ OriginalStart: utc(start) })),
        }),
  };
}
