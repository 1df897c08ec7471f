// What Graph accepts as an event body, checked the way Graph checks it: known properties only,
// start and end with a time zone Graph takes (Windows names and the documented IANA ones), end not
// before start, all-day items at midnight in one zone, showAs / sensitivity / importance /
// attendee types Graph knows (in any case, as Graph reads them), a recurrence Graph takes
// (graph-recurrence.ts), and single-value extended properties named "String {GUID} Name X".
// Returns the body as Graph stores it; graph-event-view.ts makes it what a read returns.
import { GraphError } from './graph-errors.ts';
import { normalizeRecurrence } from './graph-recurrence.ts';
import { graphZoneToIana } from './graph-time-zones.ts';

export type GraphEventInput = Record<string, unknown>;

const allowed = new Set([
  'subject',
  'body',
  'start',
  'end',
  'isAllDay',
  'location',
  'locations',
  'attendees',
  'showAs',
  'sensitivity',
  'isReminderOn',
  'reminderMinutesBeforeStart',
  'categories',
  'recurrence',
  'transactionId',
  'singleValueExtendedProperties',
  'responseRequested',
  'allowNewTimeProposals',
  'importance',
  'isOnlineMeeting',
  'hideAttendees',
]);
const showAsValues = ['free', 'tentative', 'busy', 'oof', 'workingElsewhere', 'unknown'] as const;
const sensitivities = ['normal', 'personal', 'private', 'confidential'] as const;
const importances = ['low', 'normal', 'high'] as const;
const attendeeTypes = ['required', 'optional', 'resource'] as const;

/** An enumerated value as Graph reads it: in any case (its create example sends "Required"), stored in camel case. */
function enumValue(values: readonly string[], value: unknown, type: string): string {
  const found =
    typeof value === 'string' ? values.find((v) => v.toLowerCase() === value.toLowerCase()) : undefined;
  if (found === undefined)
    throw invalid(`Cannot convert the literal '${String(value)}' to the expected type '${type}'.`);
  return found;
}

/** The tz database zone a time zone Graph takes keeps time like (graph-time-zones.ts), or undefined when Graph refuses it. */
export function ianaZone(timeZone: string): string | undefined {
  // Asked for every occurrence of every series listed: the answer per name is kept.
  if (ianaZones.has(timeZone)) return ianaZones.get(timeZone);
  const mapped = graphZoneToIana(timeZone);
  let known: string | undefined;
  if (mapped !== undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: mapped });
      known = mapped;
    } catch {
      known = undefined;
    }
  }
  ianaZones.set(timeZone, known);
  return known;
}
const ianaZones = new Map<string, string | undefined>();

export function isKnownZone(timeZone: string): boolean {
  return ianaZone(timeZone) !== undefined;
}

const invalid = (message: string) => new GraphError(400, 'ErrorInvalidRequest', message);

export function normalizeEvent(
  input: GraphEventInput,
  existing: Record<string, unknown> | undefined,
): { body: Record<string, unknown>; extended: [string, string][] } {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw invalid('The request body must be a JSON object.');
  for (const key of Object.keys(input)) {
    if (!allowed.has(key) && !key.startsWith('@odata')) {
      throw new GraphError(
        400,
        'RequestBodyRead',
        `The property '${key}' does not exist on type 'microsoft.graph.event'. Make sure to only use property names that are defined by the type.`,
      );
    }
  }
  const body: Record<string, unknown> = {};
  for (const key of [
    'subject',
    'categories',
    'responseRequested',
    'allowNewTimeProposals',
    'isOnlineMeeting',
    'hideAttendees',
    'isReminderOn',
    'reminderMinutesBeforeStart',
    'location',
    'body',
  ]) {
    if (key in input) body[key] = input[key];
  }
  if ('showAs' in input)
    body['showAs'] = enumValue(showAsValues, input['showAs'], 'microsoft.graph.freeBusyStatus');
  if ('sensitivity' in input)
    body['sensitivity'] = enumValue(sensitivities, input['sensitivity'], 'microsoft.graph.sensitivity');
  if ('importance' in input)
    body['importance'] = enumValue(importances, input['importance'], 'microsoft.graph.importance');
  if ('attendees' in input) {
    if (!Array.isArray(input['attendees'])) throw invalid('attendees must be an array.');
    body['attendees'] = (
      input['attendees'] as { emailAddress?: { address?: unknown; name?: unknown }; type?: unknown }[]
    ).map((attendee) => {
      const address = attendee.emailAddress?.address;
      if (typeof address !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(address))
        throw invalid('An attendee has no valid email address.');
      return {
        ...attendee,
        type:
          attendee.type === undefined
            ? 'required'
            : enumValue(attendeeTypes, attendee.type, 'microsoft.graph.attendeeType'),
      };
    });
  }
  const extended: [string, string][] = [];
  if ('singleValueExtendedProperties' in input) {
    const properties = input['singleValueExtendedProperties'];
    if (!Array.isArray(properties)) throw invalid('singleValueExtendedProperties must be an array.');
    for (const property of properties as { id?: unknown; value?: unknown }[]) {
      if (
        typeof property.id !== 'string' ||
        !/^String \{[0-9a-fA-F-]{36}\} Name \S+$/.test(property.id) ||
        typeof property.value !== 'string'
      ) {
        throw invalid(
          `The extended property '${String(property.id)}' is not valid: use "String {GUID} Name <name>" with a string value.`,
        );
      }
      extended.push([property.id, property.value]);
    }
  }
  const unsupportedZone = (zone: string) =>
    new GraphError(
      400,
      'TimeZoneNotSupportedException',
      `A valid TimeZone value must be specified. The following TimeZone value is not supported: '${zone}'.`,
    );
  for (const edge of ['start', 'end'] as const) {
    const value = input[edge];
    if (value === undefined) continue;
    const time = value as { dateTime?: unknown; timeZone?: unknown };
    if (
      typeof time.dateTime !== 'string' ||
      !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?$/.test(time.dateTime)
    ) {
      throw invalid(`${edge}.dateTime must be a local date and time like 2026-11-25T09:00:00.`);
    }
    const zone = typeof time.timeZone === 'string' ? time.timeZone : 'UTC';
    if (!isKnownZone(zone)) throw unsupportedZone(zone);
    body[edge] = { dateTime: `${time.dateTime.slice(0, 19).padEnd(19, ':00')}.0000000`, timeZone: zone };
  }
  if ('isAllDay' in input) body['isAllDay'] = input['isAllDay'] === true;

  const merged = { ...existing, ...body };
  const start = merged['start'] as { dateTime: string; timeZone: string } | undefined;
  const end = merged['end'] as { dateTime: string; timeZone: string } | undefined;
  if (start === undefined || end === undefined)
    throw invalid("Your request can't be completed. An event needs both a start and an end.");
  const startMs = instant(start.dateTime, start.timeZone);
  const endMs = instant(end.dateTime, end.timeZone);
  if (endMs < startMs)
    throw invalid("Your request can't be completed. The end time must be after the start time.");
  if ('recurrence' in input)
    body['recurrence'] = normalizeRecurrence(input['recurrence'], start.timeZone, isKnownZone);
  if (merged['isAllDay'] === true) {
    const midnight = (d: string) => d.slice(11, 19) === '00:00:00';
    if (
      !midnight(start.dateTime) ||
      !midnight(end.dateTime) ||
      start.timeZone !== end.timeZone ||
      endMs <= startMs
    ) {
      throw new GraphError(
        400,
        'ErrorPropertyValidationFailure',
        'For an all-day event, start and end must be at midnight in the same time zone, and end after start.',
      );
    }
  }
  if (existing === undefined) {
    body['subject'] ??= '';
    body['isAllDay'] ??= false;
    body['showAs'] ??= 'busy';
    body['sensitivity'] ??= 'normal';
    body['importance'] ??= 'normal';
    body['attendees'] ??= [];
    body['isReminderOn'] ??= true;
    body['reminderMinutesBeforeStart'] ??= 15;
    body['body'] ??= { contentType: 'text', content: '' };
    body['location'] ??= { displayName: '' };
    body['recurrence'] ??= null;
  }
  return { body, extended };
}

/** One formatter per zone: making one costs far more than using it, and series expansion uses many. */
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(zone: string): Intl.DateTimeFormat {
  let format = formatters.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, format);
  }
  return format;
}

/** The wall-clock time (YYYY-MM-DDTHH:mm:ss) an instant shows in `timeZone`, as Graph takes zones. */
export function wallClock(ms: number, timeZone: string): string {
  const p = Object.fromEntries(
    formatterFor(ianaZone(timeZone) ?? 'UTC')
      .formatToParts(ms)
      .map((x) => [x.type, x.value]),
  );
  return `${p['year']}-${p['month']}-${p['day']}T${p['hour']}:${p['minute']}:${p['second']}`;
}

/** The instant a local Graph dateTime names in `timeZone` (the earlier one in a DST overlap). */
export function instant(dateTime: string, timeZone: string): number {
  const local = dateTime.slice(0, 19);
  const asUtc = Date.parse(`${local}Z`);
  const wall = (ms: number) => Date.parse(`${wallClock(ms, timeZone)}Z`);
  const candidates = [asUtc - 86_400_000, asUtc, asUtc + 86_400_000]
    .map((probe) => asUtc - (wall(probe) - probe))
    .filter((c) => wall(c) === asUtc);
  return candidates.length === 0 ? asUtc - (wall(asUtc) - asUtc) : Math.min(...candidates);
}
