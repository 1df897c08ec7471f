// What a client may write to an event and how Google checks it (Events resource, insert,
// patch, update): the writable fields (read-only ones a client sends back, such as etag or
// htmlLink, are ignored), patch's merge (given fields replace, null clears, nested objects such
// as extendedProperties.private merge key by key, lists replace), and every check of the merged
// result: start and end, time zones, recurrence, reminders, attendees, extended property limits.
import { badRequest, GoogleApiError } from './google-errors.ts';
import { checkRecurrence } from './google-recurrence.ts';
import { instant, isDate, isIanaZone, parseDateTime, rfc3339 } from './google-time.ts';

/** An event's writable fields as stored: checked, with start and end written as Google returns them. */
export type EventFields = Record<string, unknown>;

export interface EventDateTime {
  date?: string;
  dateTime?: string;
  timeZone?: string;
}

/** The zone of every sandbox calendar (Calendar's default for a new user without one is UTC here). */
export const calendarZone = 'UTC';

const writable = new Set([
  'summary',
  'description',
  'location',
  'colorId',
  'start',
  'end',
  'recurrence',
  'transparency',
  'visibility',
  'attendees',
  'extendedProperties',
  'reminders',
  'status',
  'guestsCanInviteOthers',
  'guestsCanModify',
  'guestsCanSeeOtherGuests',
  'anyoneCanAddSelf',
  'source',
  'sequence',
]);

/** The writable fields of a request body (others, read-only or unknown, are ignored as Google ignores them). */
export function writableFields(body: Record<string, unknown>): EventFields {
  return Object.fromEntries(Object.entries(body).filter(([key]) => writable.has(key)));
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * PATCH's merge: a field given replaces the stored one, null clears it, objects merge key by
 * key (so extendedProperties.private.k = null removes one property), lists replace. A start or
 * end given with a date drops the stored dateTime and timeZone, and one with a dateTime the
 * stored date, so an event can change between timed and all-day.
 */
export function mergePatch(current: EventFields, patch: EventFields): EventFields {
  const merged: EventFields = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else if ((key === 'start' || key === 'end') && isObject(value) && isObject(merged[key])) {
      const base = { ...merged[key] };
      if (typeof value['date'] === 'string') {
        delete base['dateTime'];
        delete base['timeZone'];
      }
      if (typeof value['dateTime'] === 'string') delete base['date'];
      merged[key] = mergeObjects(base, value);
    } else if (isObject(value) && isObject(merged[key])) merged[key] = mergeObjects(merged[key], value);
    else merged[key] = value;
  }
  return merged;
}

function mergeObjects(
  base: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else if (isObject(value) && isObject(merged[key])) merged[key] = mergeObjects(merged[key], value);
    else merged[key] = value;
  }
  return merged;
}

/** The instants (and dates, all-day) an event's start and end name. */
export interface EventTimes {
  allDay: boolean;
  startMs: number;
  endMs: number;
  startDate?: string;
  endDate?: string;
}

export function timesOf(fields: EventFields): EventTimes {
  const start = fields['start'] as EventDateTime;
  const end = fields['end'] as EventDateTime;
  if (start.date !== undefined && end.date !== undefined)
    return {
      allDay: true,
      startMs: instant(`${start.date}T00:00:00`, calendarZone),
      endMs: instant(`${end.date}T00:00:00`, calendarZone),
      startDate: start.date,
      endDate: end.date,
    };
  return {
    allDay: false,
    startMs: parseDateTime(start.dateTime ?? '')?.ms ?? 0,
    endMs: parseDateTime(end.dateTime ?? '')?.ms ?? 0,
  };
}

/** One of start and end, checked and written as Google returns it (dateTime with the zone's offset). */
function checkDateTime(value: unknown, which: 'start' | 'end', recurring: boolean): EventDateTime {
  const missing = () =>
    new GoogleApiError(400, { domain: 'global', reason: 'required', message: `Missing ${which} time.` });
  if (value === undefined) throw missing();
  const invalid = () => badRequest(`Invalid ${which} time.`);
  if (!isObject(value)) throw invalid();
  const { date, dateTime, timeZone } = value;
  if (date === undefined && dateTime === undefined) throw missing();
  if (date !== undefined && dateTime !== undefined) throw invalid();
  if (timeZone !== undefined && (typeof timeZone !== 'string' || !isIanaZone(timeZone)))
    throw badRequest(`Invalid time zone definition for ${which} time.`);
  if (date !== undefined) {
    if (typeof date !== 'string' || !isDate(date)) throw invalid();
    return { date, ...(timeZone === undefined ? {} : { timeZone }) };
  }
  const parsed = typeof dateTime === 'string' ? parseDateTime(dateTime) : undefined;
  if (parsed === undefined) throw invalid();
  const missingZone = () =>
    new GoogleApiError(400, {
      domain: 'global',
      reason: 'required',
      message: `Missing time zone definition for ${which} time.`,
    });
  // "A time zone offset is required unless a time zone is explicitly specified in timeZone";
  // "For recurring events this field is required" (EventDateTime).
  if (timeZone === undefined && (parsed.ms === undefined || recurring)) throw missingZone();
  const ms = parsed.ms ?? instant(parsed.wall, timeZone as string);
  return timeZone === undefined
    ? { dateTime: rfc3339(ms, calendarZone) }
    : { dateTime: rfc3339(ms, timeZone), timeZone };
}

function checkReminders(value: unknown): Record<string, unknown> {
  if (!isObject(value)) throw badRequest('Invalid reminders value.');
  const { useDefault, overrides } = value;
  if (useDefault !== undefined && typeof useDefault !== 'boolean')
    throw badRequest('Invalid reminders value.');
  if (overrides !== undefined && !Array.isArray(overrides)) throw badRequest('Invalid reminders value.');
  const list = (overrides ?? []) as unknown[];
  if (useDefault === true && list.length > 0)
    throw new GoogleApiError(400, {
      domain: 'calendar',
      reason: 'cannotUseDefaultRemindersAndSpecifyOverride',
      message: 'Cannot specify both default reminders and overrides at the same time.',
    });
  // "The maximum number of override reminders is 5."
  if (list.length > 5)
    throw badRequest('The maximum number of override reminders is 5.', 'tooManyReminders', 'calendar');
  const kept = list.flatMap((reminder) => {
    if (!isObject(reminder)) throw badRequest('Invalid reminder.');
    const { method, minutes } = reminder;
    if (method === undefined)
      throw new GoogleApiError(400, {
        domain: 'global',
        reason: 'required',
        message: 'Missing reminder method.',
      });
    if (minutes === undefined)
      throw new GoogleApiError(400, {
        domain: 'global',
        reason: 'required',
        message: 'Missing reminder minutes.',
      });
    if (method !== 'email' && method !== 'popup' && method !== 'sms')
      throw badRequest('Invalid reminder method.');
    // "Valid values are between 0 and 40320 (4 weeks in minutes)."
    if (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes < 0 || minutes > 40320)
      throw badRequest('Invalid reminder minutes value.');
    // "Any newly added SMS reminders will be ignored."
    return method === 'sms' ? [] : [{ method, minutes }];
  });
  return { useDefault: useDefault ?? false, ...(kept.length === 0 ? {} : { overrides: kept }) };
}

const responseStatuses = new Set(['needsAction', 'declined', 'tentative', 'accepted']);

function checkAttendees(value: unknown): Record<string, unknown>[] {
  if (!Array.isArray(value)) throw badRequest('Invalid attendees value.');
  return value.map((attendee: unknown) => {
    if (!isObject(attendee)) throw badRequest('Invalid attendee.');
    const { email, displayName, optional, responseStatus, comment, additionalGuests, resource } = attendee;
    if (email === undefined || email === '')
      throw new GoogleApiError(400, {
        domain: 'global',
        reason: 'required',
        message: 'Missing attendee email.',
      });
    if (typeof email !== 'string' || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email))
      throw badRequest('Invalid attendee email.');
    if (responseStatus !== undefined && !responseStatuses.has(responseStatus as string))
      throw badRequest('Invalid attendee response status.');
    if (displayName !== undefined && typeof displayName !== 'string') throw badRequest('Invalid attendee.');
    return {
      email: email.toLowerCase(),
      ...(displayName === undefined ? {} : { displayName }),
      ...(optional === true ? { optional: true } : {}),
      ...(resource === true ? { resource: true } : {}),
      responseStatus: responseStatus ?? 'needsAction',
      ...(typeof comment === 'string' ? { comment } : {}),
      ...(typeof additionalGuests === 'number' && additionalGuests > 0 ? { additionalGuests } : {}),
    };
  });
}

/**
 * Extended properties with Google's limits ("Extended properties" guide, Limits): a key longer
 * than 44 characters is silently dropped, a value longer than 1024 silently truncated, and an
 * event holds at most 300 properties of at most 32 kB (keys and values) — over that is refused.
 */
function checkExtendedProperties(value: unknown): Record<string, Record<string, string>> | undefined {
  if (!isObject(value)) throw badRequest('Invalid extendedProperties value.');
  const result: Record<string, Record<string, string>> = {};
  let count = 0;
  let size = 0;
  for (const [kind, map] of Object.entries(value)) {
    if (kind !== 'private' && kind !== 'shared') continue;
    if (!isObject(map)) throw badRequest('Invalid extendedProperties value.');
    const kept: Record<string, string> = {};
    for (const [key, text] of Object.entries(map)) {
      if (typeof text !== 'string') throw badRequest('Invalid extended property value.');
      if (key.length > 44) continue;
      kept[key] = text.slice(0, 1024);
      count++;
      size += key.length + kept[key].length;
    }
    if (Object.keys(kept).length > 0) result[kind] = kept;
  }
  if (count > 300 || size > 32 * 1024)
    throw badRequest('An event can have up to 300 extended properties totaling up to 32kB in size.');
  return Object.keys(result).length === 0 ? undefined : result;
}

const oneOf = (value: unknown, name: string, allowed: string[]) => {
  if (typeof value !== 'string' || !allowed.includes(value)) throw badRequest(`Invalid ${name} value.`);
  return value;
};

/**
 * Checks an event's complete writable fields (an insert's body, a patch merged onto what is
 * stored, an update's body) and returns them as stored. `instance`: the fields of one
 * instance of a series, which can have no recurrence of its own.
 */
export function checkEvent(fields: EventFields, options: { instance: boolean }): EventFields {
  const checked: EventFields = {};
  const recurrence = fields['recurrence'];
  const recurring = recurrence !== undefined && !(Array.isArray(recurrence) && recurrence.length === 0);
  if (recurring && options.instance) throw badRequest('Invalid recurrence rule.');
  for (const key of ['summary', 'description', 'location'] as const) {
    const value = fields[key];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw badRequest(`Invalid ${key} value.`);
    checked[key] = value;
  }
  const start = checkDateTime(fields['start'], 'start', recurring);
  const end = checkDateTime(fields['end'], 'end', recurring);
  if ((start.date === undefined) !== (end.date === undefined))
    throw badRequest('Start and end times must either both be date or both be dateTime.');
  checked['start'] = start;
  checked['end'] = end;
  const times = timesOf(checked);
  // An all-day event's end date is exclusive, so it must be after the start date.
  if (times.endMs < times.startMs || (times.allDay && times.endMs === times.startMs))
    throw new GoogleApiError(400, {
      domain: 'calendar',
      reason: 'timeRangeEmpty',
      message: 'The specified time range is empty.',
    });
  if (recurring) checked['recurrence'] = checkRecurrence(recurrence);
  if (fields['colorId'] !== undefined)
    checked['colorId'] = oneOf(fields['colorId'], 'color id', [
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
      '8',
      '9',
      '10',
      '11',
    ]);
  if (fields['transparency'] !== undefined)
    checked['transparency'] = oneOf(fields['transparency'], 'transparency', ['opaque', 'transparent']);
  if (fields['visibility'] !== undefined)
    checked['visibility'] = oneOf(fields['visibility'], 'visibility', [
      'default',
      'public',
      'private',
      'confidential',
    ]);
  if (fields['status'] !== undefined)
    checked['status'] = oneOf(fields['status'], 'status', ['confirmed', 'tentative', 'cancelled']);
  if (fields['attendees'] !== undefined) checked['attendees'] = checkAttendees(fields['attendees']);
  if (fields['extendedProperties'] !== undefined) {
    const properties = checkExtendedProperties(fields['extendedProperties']);
    if (properties !== undefined) checked['extendedProperties'] = properties;
  }
  if (fields['reminders'] !== undefined) checked['reminders'] = checkReminders(fields['reminders']);
  for (const key of [
    'guestsCanInviteOthers',
    'guestsCanModify',
    'guestsCanSeeOtherGuests',
    'anyoneCanAddSelf',
  ] as const) {
    const value = fields[key];
    if (value === undefined) continue;
    if (typeof value !== 'boolean') throw badRequest(`Invalid ${key} value.`);
    checked[key] = value;
  }
  const source = fields['source'];
  if (source !== undefined) {
    if (!isObject(source) || typeof source['url'] !== 'string' || !/^https?:\/\//.test(source['url']))
      throw badRequest('Invalid source value.');
    checked['source'] = {
      url: source['url'],
      ...(typeof source['title'] === 'string' ? { title: source['title'] } : {}),
    };
  }
  return checked;
}

/** The private extended property values of some fields: what a request is about, for the fault log. */
export function privateStamps(fields: EventFields | undefined): string[] {
  const properties = fields?.['extendedProperties'];
  if (!isObject(properties) || !isObject(properties['private'])) return [];
  return Object.values(properties['private']).filter((v): v is string => typeof v === 'string');
}

export { isObject };
