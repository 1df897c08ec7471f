// What a stored event looks like when Graph returns it: every property a real response carries
// (@odata.etag, createdDateTime, changeKey, originalStartTimeZone, iCalUId, type, webLink,
// responseStatus, locations, …, as in the create example on user-post-events), start and end in
// UTC or the zone a `Prefer: outlook.timezone` header asks for (user-list-events: "If the
// Prefer: outlook.timezone header is not specified, the start and end times are returned in
// UTC"), the body in HTML unless `outlook.body-content-type="text"` is preferred, `$select`
// applied. Also a series' occurrences and exceptions (type occurrence or exception,
// seriesMasterId, originalStart) as the instances and calendarView lists return them.
import { GraphError } from './graph-errors.ts';
import { instant, wallClock } from './graph-event-json.ts';
import type { StoredEvent } from './graph-mailboxes.ts';
import { instanceBody, occurrenceId, type Occurrence } from './graph-instances.ts';
import type { GraphRecurrence } from './graph-recurrence.ts';

export interface EventView {
  /** The zone start and end are returned in; undefined: each in the zone it was written in (a write's own response). */
  timeZone: string | undefined;
  /** The body's format (Graph's default is HTML); undefined: as written (the sandbox's own view of a mailbox). */
  bodyType: 'html' | 'text' | undefined;
  /** `$select`, or undefined for every property. */
  select: string[] | undefined;
  /** `$expand=singleValueExtendedProperties($filter=id eq '…')`: that property id. */
  expandProperty: string | undefined;
}

/** The event's properties (v1.0 event resource), in the order Graph lists them in a response. */
const properties = [
  'createdDateTime',
  'lastModifiedDateTime',
  'changeKey',
  'categories',
  'transactionId',
  'originalStartTimeZone',
  'originalEndTimeZone',
  'iCalUId',
  'reminderMinutesBeforeStart',
  'isReminderOn',
  'hasAttachments',
  'subject',
  'bodyPreview',
  'importance',
  'sensitivity',
  'isAllDay',
  'isCancelled',
  'isOrganizer',
  'responseRequested',
  'seriesMasterId',
  'showAs',
  'type',
  'webLink',
  'onlineMeetingUrl',
  'isOnlineMeeting',
  'onlineMeetingProvider',
  'allowNewTimeProposals',
  'isDraft',
  'hideAttendees',
  'originalStart',
  'responseStatus',
  'body',
  'start',
  'end',
  'location',
  'locations',
  'recurrence',
  'attendees',
  'organizer',
  'onlineMeeting',
] as const;
/** Relationships $select may name (they are not returned unless expanded). */
const relationships = [
  'attachments',
  'calendar',
  'extensions',
  'instances',
  'exceptionOccurrences',
  'multiValueExtendedProperties',
  'singleValueExtendedProperties',
];

/** `$select` as Graph reads it: property names in any case; one the event type does not have is refused. */
export function parseSelect(select: string | undefined): string[] | undefined {
  if (select === undefined) return undefined;
  const known = new Map([...properties, 'id', ...relationships].map((p) => [p.toLowerCase(), p]));
  return select
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '')
    .map((name) => {
      const property = known.get(name.toLowerCase());
      if (property === undefined)
        throw new GraphError(
          400,
          'RequestBroker--ParseUri',
          `Could not find a property named '${name}' on type 'microsoft.graph.event'.`,
        );
      return property;
    });
}

type DateTimeTimeZone = { dateTime: string; timeZone: string };

/** A start or end in `zone` (or as written): all-day items keep their dates at midnight, as Outlook shows them in any zone. */
function inZone(time: DateTimeTimeZone, zone: string | undefined, allDay: boolean): DateTimeTimeZone {
  if (zone === undefined) return time;
  if (allDay) return { dateTime: `${time.dateTime.slice(0, 10)}T00:00:00.0000000`, timeZone: zone };
  return { dateTime: `${wallClock(instant(time.dateTime, time.timeZone), zone)}.0000000`, timeZone: zone };
}

const escapeHtml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
const htmlToText = (html: string) =>
  html
    .replace(/<(br|\/p|\/div)[^>]*>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&amp;', '&')
    .trim();

function renderBody(
  body: { contentType?: string; content?: string } | undefined,
  as: 'html' | 'text' | undefined,
): { contentType: string; content: string } {
  const content = body?.content ?? '';
  const stored = body?.contentType?.toLowerCase() === 'html' ? 'html' : 'text';
  if (as === undefined || as === stored) return { contentType: stored, content };
  if (as === 'text') return { contentType: 'text', content: htmlToText(content) };
  // Exchange wraps a text body in a page of its own when asked for HTML.
  const paragraphs = escapeHtml(content).replaceAll(/\r?\n/g, '<br>\r\n');
  return {
    contentType: 'html',
    content: `<html>\r\n<head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\r\n</head>\r\n<body>\r\n${paragraphs}\r\n</body>\r\n</html>\r\n`,
  };
}

function renderLocation(location: { displayName?: unknown } | undefined): Record<string, unknown> {
  const displayName = typeof location?.displayName === 'string' ? location.displayName : '';
  return displayName === ''
    ? { displayName: '', locationType: 'default', uniqueIdType: 'unknown', address: {}, coordinates: {} }
    : { ...location, displayName, locationType: 'default', uniqueId: displayName, uniqueIdType: 'private' };
}

const never = '0001-01-01T00:00:00Z';

/** The event as Graph returns it, with `overrides` for an occurrence. */
export function eventJson(
  event: StoredEvent,
  view: EventView,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const stored = event.body;
  const allDay = stored['isAllDay'] === true;
  const start = stored['start'] as DateTimeTimeZone;
  const end = stored['end'] as DateTimeTimeZone;
  const body = renderBody(
    stored['body'] as { contentType?: string; content?: string } | undefined,
    view.bodyType,
  );
  const location = renderLocation(stored['location'] as { displayName?: unknown } | undefined);
  const organizer = stored['organizer'] as { emailAddress: { name: string; address: string } };
  const recurrence = (stored['recurrence'] ?? null) as GraphRecurrence | null;
  const full: Record<string, unknown> = {
    createdDateTime: event.createdDateTime,
    lastModifiedDateTime: event.lastModifiedDateTime,
    changeKey: event.changeKey,
    categories: stored['categories'] ?? [],
    transactionId: event.transactionId,
    originalStartTimeZone: start.timeZone,
    originalEndTimeZone: end.timeZone,
    iCalUId: event.iCalUId,
    reminderMinutesBeforeStart: stored['reminderMinutesBeforeStart'] ?? 15,
    isReminderOn: stored['isReminderOn'] ?? true,
    hasAttachments: false,
    subject: stored['subject'] ?? '',
    bodyPreview: renderBody(stored['body'] as { contentType?: string; content?: string } | undefined, 'text')
      .content.replaceAll(/\s+/g, ' ')
      .trim()
      .slice(0, 255),
    importance: stored['importance'] ?? 'normal',
    sensitivity: stored['sensitivity'] ?? 'normal',
    isAllDay: allDay,
    isCancelled: false,
    isOrganizer: true,
    responseRequested: stored['responseRequested'] ?? true,
    seriesMasterId: null,
    showAs: stored['showAs'] ?? 'busy',
    type: recurrence === null ? 'singleInstance' : 'seriesMaster',
    webLink: `https://outlook.office365.com/owa/?itemid=${encodeURIComponent(event.id)}&exvsurl=1&path=/calendar/item`,
    onlineMeetingUrl: null,
    isOnlineMeeting: stored['isOnlineMeeting'] ?? false,
    onlineMeetingProvider: 'unknown',
    allowNewTimeProposals: stored['allowNewTimeProposals'] ?? true,
    isDraft: false,
    hideAttendees: stored['hideAttendees'] ?? false,
    responseStatus: { response: 'organizer', time: never },
    body,
    start: inZone(start, view.timeZone, allDay),
    end: inZone(end, view.timeZone, allDay),
    location,
    locations:
      location['displayName'] === ''
        ? []
        : [{ displayName: location['displayName'], locationType: 'default', uniqueIdType: 'unknown' }],
    recurrence,
    attendees: ((stored['attendees'] ?? []) as { emailAddress: { address: string; name?: string } }[]).map(
      (a) => ({
        ...a,
        status: { response: 'none', time: never },
        emailAddress: {
          name: a.emailAddress.name ?? a.emailAddress.address,
          address: a.emailAddress.address,
        },
      }),
    ),
    organizer,
    onlineMeeting: null,
    ...overrides,
  };
  const json: Record<string, unknown> = {
    '@odata.etag': `W/"${event.changeKey}"`,
    id: full['id'] ?? event.id,
  };
  const wanted = view.select === undefined ? undefined : new Set(view.select);
  for (const [name, value] of Object.entries(full)) {
    if (name === 'id') continue;
    if (wanted === undefined || wanted.has(name)) json[name] = value;
  }
  if (view.expandProperty !== undefined) {
    const expand = view.expandProperty.toLowerCase();
    json['singleValueExtendedProperties'] = [...event.extendedProperties]
      .filter(([id]) => id.toLowerCase() === expand)
      .map(([id, value]) => ({ id, value }));
  }
  return json;
}

/** An occurrence or exception of a series as the instances and calendarView lists (and a read by its id) return it. */
export function occurrenceJson(
  master: StoredEvent,
  occurrence: Occurrence,
  view: EventView,
): Record<string, unknown> {
  const exception = master.exceptions.get(occurrence.date);
  // The instance is part of its series' item: it carries the series' change key (every instance
  // has the series' @odata.etag in the List instances example, the exception's too) and the
  // extended properties of the series, with any written to the exception over them.
  const instance: StoredEvent = {
    ...master,
    body: instanceBody(master, occurrence),
    extendedProperties: new Map([...master.extendedProperties, ...(exception?.extendedProperties ?? [])]),
  };
  const [year, month, day] = occurrence.date.split('-').map(Number) as [number, number, number];
  // The instance's date sits in bytes 16-19 of its global object id, the series' there are zero.
  const instanceDate = [year >> 8, year & 255, month, day]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('');
  return eventJson(instance, view, {
    id: occurrenceId(master.id, occurrence.date),
    iCalUId: `${master.iCalUId.slice(0, 32)}${instanceDate.toUpperCase()}${master.iCalUId.slice(40)}`,
    type: exception === undefined ? 'occurrence' : 'exception',
    seriesMasterId: master.id,
    originalStart: new Date(occurrence.start).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  });
}
