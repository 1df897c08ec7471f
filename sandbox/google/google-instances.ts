// A series' instances as Google Calendar names and keeps them (Recurring events guide; Events
// resource): instance ids are the series' id and the instance's original start, "<id>_<UTC
// basic date-time>" for a timed series and "<id>_<yyyymmdd>" for an all-day one, so an
// instance keeps its id when it is moved; a changed or cancelled instance is an exception, its
// own event with recurringEventId and originalStartTime, holding what was written to it over
// the series' fields.
import type { EventDateTime, EventFields, EventTimes } from './google-event-input.ts';
import { calendarZone, timesOf } from './google-event-input.ts';
import { isOccurrence, occurrencesBetween, type Occurrence, type SeriesStart } from './google-recurrence.ts';
import { addDays, parseDateTime, rfc3339, wallClock } from './google-time.ts';

/** An event as stored: a single event, a series (with recurrence), or an exception of a series. */
export interface StoredEvent {
  id: string;
  /** The calendar's owner. */
  calendar: string;
  /** Single events and series: every writable field; exceptions: the fields written to the instance. */
  fields: EventFields;
  created: number;
  updated: number;
  sequence: number;
  etag: string;
  iCalUID: string;
  /** Creation order, the order of an unordered list. */
  order: number;
  /** The calendar's change counter at this event's last change (what a sync token compares). */
  revision: number;
  /** Exceptions only. */
  recurringEventId?: string;
  original?: Occurrence;
}

export const isSeries = (event: StoredEvent) =>
  event.recurringEventId === undefined && Array.isArray(event.fields['recurrence']);

export const isCancelled = (fields: EventFields) => fields['status'] === 'cancelled';

/** What a series is expanded from. */
export function seriesStartOf(series: StoredEvent): SeriesStart {
  const start = series.fields['start'] as EventDateTime;
  if (start.date !== undefined) return { allDay: true, wall: start.date, zone: calendarZone };
  const zone = start.timeZone ?? calendarZone;
  return { allDay: false, wall: wallClock(parseDateTime(start.dateTime ?? '')?.ms ?? 0, zone), zone };
}

/** The part of an instance id after the series' id. */
export function instanceSuffix(occurrence: Occurrence): string {
  if (occurrence.date !== undefined) return occurrence.date.replaceAll('-', '');
  return new Date(occurrence.startMs)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replaceAll(/[-:]/g, '');
}

export const instanceId = (seriesId: string, occurrence: Occurrence) =>
  `${seriesId}_${instanceSuffix(occurrence)}`;

/** The series id and original start an instance id names, or undefined for an id of another shape. */
export function parseInstanceId(id: string): { seriesId: string; suffix: string } | undefined {
  const match = /^(.+)_(\d{8}(?:T\d{6}Z)?)$/.exec(id);
  return match === null ? undefined : { seriesId: match[1] ?? '', suffix: match[2] ?? '' };
}

/** The occurrence of `series` an instance id's suffix names, or undefined when the series has none there. */
export function occurrenceOf(series: StoredEvent, suffix: string): Occurrence | undefined {
  const start = seriesStartOf(series);
  const date = `${suffix.slice(0, 4)}-${suffix.slice(4, 6)}-${suffix.slice(6, 8)}`;
  let occurrence: Occurrence;
  if (start.allDay) {
    if (suffix.length !== 8) return undefined;
    occurrence = { startMs: timesOf({ start: { date }, end: { date } }).startMs, date };
  } else {
    if (suffix.length !== 16) return undefined;
    const ms = Date.parse(`${date}T${suffix.slice(9, 11)}:${suffix.slice(11, 13)}:${suffix.slice(13, 15)}Z`);
    if (Number.isNaN(ms)) return undefined;
    occurrence = { startMs: ms };
  }
  return isOccurrence(series.fields['recurrence'] as string[], start, occurrence) ? occurrence : undefined;
}

/** The instance's originalStartTime: the occurrence's start, in the series' start zone. */
export function originalStartTime(series: StoredEvent, occurrence: Occurrence): EventDateTime {
  if (occurrence.date !== undefined) return { date: occurrence.date };
  const zone = (series.fields['start'] as EventDateTime).timeZone;
  return zone === undefined
    ? { dateTime: rfc3339(occurrence.startMs, calendarZone) }
    : { dateTime: rfc3339(occurrence.startMs, zone), timeZone: zone };
}

/** The fields an instance has before anything is written to it: the series', at the occurrence's times, without recurrence. */
export function occurrenceFields(series: StoredEvent, occurrence: Occurrence): EventFields {
  const { recurrence: _recurrence, ...fields } = series.fields;
  const times = timesOf(series.fields);
  const start = series.fields['start'] as EventDateTime;
  const end = series.fields['end'] as EventDateTime;
  if (occurrence.date !== undefined) {
    const days = Math.round((times.endMs - times.startMs) / 86_400_000);
    return {
      ...fields,
      start: { ...start, date: occurrence.date },
      end: { ...end, date: addDays(occurrence.date, days) },
    };
  }
  const at = (ms: number, written: EventDateTime): EventDateTime =>
    written.timeZone === undefined
      ? { dateTime: rfc3339(ms, calendarZone) }
      : { dateTime: rfc3339(ms, written.timeZone), timeZone: written.timeZone };
  return {
    ...fields,
    start: at(occurrence.startMs, start),
    end: at(occurrence.startMs + (times.endMs - times.startMs), end),
  };
}

/**
 * The fields of one instance: the occurrence's, with its exception's over them (an exception
 * holds null for a field it cleared).
 */
export function instanceFields(
  series: StoredEvent,
  occurrence: Occurrence,
  exception: StoredEvent | undefined,
): EventFields {
  const fields: EventFields = { ...occurrenceFields(series, occurrence), ...exception?.fields };
  for (const [key, value] of Object.entries(fields)) if (value === null) delete fields[key];
  return fields;
}

/** What an instance's fields say beyond the occurrence's: the exception's fields (null for one cleared). */
export function overridesOf(series: StoredEvent, occurrence: Occurrence, fields: EventFields): EventFields {
  const base = occurrenceFields(series, occurrence);
  const overrides: EventFields = {};
  for (const [key, value] of Object.entries(fields))
    if (JSON.stringify(value) !== JSON.stringify(base[key])) overrides[key] = value;
  for (const key of Object.keys(base)) if (!(key in fields)) overrides[key] = null;
  return overrides;
}

export interface Instance {
  id: string;
  occurrence: Occurrence;
  exception: StoredEvent | undefined;
  fields: EventFields;
  times: EventTimes;
}

/** How far ahead a series without an end is expanded when a request sets no timeMax. */
export const openSeriesHorizonMs = 5 * 365 * 86_400_000;

/**
 * The instances of a series that meet the window (`overlaps` says how), at their times now:
 * an exception moved into the window is in it, one moved out is not. Cancelled ones included.
 */
export function seriesInstances(
  series: StoredEvent,
  exceptions: ReadonlyMap<string, StoredEvent>,
  window: { fromMs: number; toMs: number },
  overlaps: (times: EventTimes) => boolean,
): Instance[] {
  const times = timesOf(series.fields);
  const start = seriesStartOf(series);
  const lines = series.fields['recurrence'] as string[];
  const found = new Map<string, Instance>();
  const make = (occurrence: Occurrence): Instance => {
    const suffix = instanceSuffix(occurrence);
    const exception = exceptions.get(suffix);
    const fields = instanceFields(series, occurrence, exception);
    return { id: `${series.id}_${suffix}`, occurrence, exception, fields, times: timesOf(fields) };
  };
  const length = Math.max(0, times.endMs - times.startMs);
  for (const occurrence of occurrencesBetween(lines, start, window.fromMs - length - 1, window.toMs)) {
    const instance = make(occurrence);
    if (overlaps(instance.times)) found.set(instance.id, instance);
  }
  for (const exception of exceptions.values()) {
    if (exception.original === undefined) continue;
    const instance = make(exception.original);
    if (overlaps(instance.times)) found.set(instance.id, instance);
    else found.delete(instance.id);
  }
  return [...found.values()].sort((a, b) => a.occurrence.startMs - b.occurrence.startMs);
}
