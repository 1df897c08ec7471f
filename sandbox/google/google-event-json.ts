// An event as Google Calendar returns it (Events resource): kind, etag, id, status, htmlLink,
// created, updated, the fields written, creator and organizer (the calendar's owner, self),
// iCalUID, sequence, reminders ({useDefault: true} unless set), eventType; transparency and
// visibility only when not their defaults (opaque, default), as real responses leave them out.
// A cancelled instance carries only what the Events resource guarantees for one: id,
// recurringEventId and originalStartTime.
import type { EventDateTime, EventFields } from './google-event-input.ts';
import { timestamp } from './google-time.ts';

export interface EventView {
  id: string;
  calendar: string;
  fields: EventFields;
  created: number;
  updated: number;
  sequence: number;
  etag: string;
  iCalUID: string;
  recurringEventId?: string;
  originalStartTime?: EventDateTime;
  /** Only what a deleted event or cancelled instance is guaranteed to carry. */
  minimal?: boolean;
}

/** The Calendar web UI's link to an event: eid is base64 of "<event id> <calendar id>". */
export const htmlLink = (id: string, calendar: string) =>
  `https://www.google.com/calendar/event?eid=${Buffer.from(`${id} ${calendar}`).toString('base64url')}`;

export function eventJson(view: EventView): Record<string, unknown> {
  const { fields } = view;
  const status = (fields['status'] as string | undefined) ?? 'confirmed';
  const series =
    view.recurringEventId === undefined
      ? {}
      : { recurringEventId: view.recurringEventId, originalStartTime: view.originalStartTime };
  if (view.minimal === true)
    return { kind: 'calendar#event', etag: view.etag, id: view.id, status, ...series };
  const json: Record<string, unknown> = {
    kind: 'calendar#event',
    etag: view.etag,
    id: view.id,
    status,
    htmlLink: htmlLink(view.id, view.calendar),
    created: timestamp(view.created),
    updated: timestamp(view.updated),
  };
  for (const key of ['summary', 'description', 'location', 'colorId'])
    if (fields[key] !== undefined) json[key] = fields[key];
  json['creator'] = { email: view.calendar, self: true };
  json['organizer'] = { email: view.calendar, self: true };
  json['start'] = fields['start'];
  json['end'] = fields['end'];
  if (fields['recurrence'] !== undefined) json['recurrence'] = fields['recurrence'];
  Object.assign(json, series);
  if (fields['transparency'] !== undefined && fields['transparency'] !== 'opaque')
    json['transparency'] = fields['transparency'];
  if (fields['visibility'] !== undefined && fields['visibility'] !== 'default')
    json['visibility'] = fields['visibility'];
  json['iCalUID'] = view.iCalUID;
  json['sequence'] = view.sequence;
  const attendees = fields['attendees'] as Record<string, unknown>[] | undefined;
  if (attendees !== undefined && attendees.length > 0)
    json['attendees'] = attendees.map((a) =>
      a['email'] === view.calendar ? { ...a, organizer: true, self: true } : a,
    );
  for (const key of ['guestsCanInviteOthers', 'guestsCanSeeOtherGuests'])
    if (fields[key] === false) json[key] = false;
  for (const key of ['guestsCanModify', 'anyoneCanAddSelf']) if (fields[key] === true) json[key] = true;
  if (fields['extendedProperties'] !== undefined) json['extendedProperties'] = fields['extendedProperties'];
  json['reminders'] = fields['reminders'] ?? { useDefault: true };
  if (fields['source'] !== undefined) json['source'] = fields['source'];
  json['eventType'] = 'default';
  return json;
}
