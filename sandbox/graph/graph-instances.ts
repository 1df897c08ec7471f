// A series' instances as Outlook keeps them: the occurrences its recurrence makes, less the ones
// cancelled (DELETE on an occurrence id), with the ones changed on their own (PATCH on an
// occurrence id: exceptions) at their own times and with the properties written to them. An
// instance is named by its series and the date it originally fell on, so its id survives being
// changed; a change to the series' recurrence, start, end or isAllDay makes the occurrences anew
// and drops every exception and cancellation (graph-mailboxes.ts).
// Update event: "an occurrence cannot be moved to or before the day of the previous occurrence,
// and cannot be moved to or after the day of the following occurrence" (400
// ErrorOccurrenceCrossingBoundary).
import { GraphError } from './graph-errors.ts';
import { instant, wallClock } from './graph-event-json.ts';
import type { StoredEvent } from './graph-mailboxes.ts';
import { dateOf, dayNumber, occurrenceDates, type GraphRecurrence } from './graph-recurrence.ts';

type DateTimeTimeZone = { dateTime: string; timeZone: string };

export interface Occurrence {
  /** The local date (in the recurrence's zone) the occurrence falls on by its series. */
  date: string;
  start: number;
  end: number;
}

/** An instance of a series as it is now: its original slot, and where it is (moved, for an exception). */
export interface Instance {
  occurrence: Occurrence;
  start: number;
  end: number;
}

const recurrenceOf = (event: StoredEvent) => (event.body['recurrence'] ?? null) as GraphRecurrence | null;

/** The zone a series' dates are counted in: the recurrence's, or the start's for an all-day series. */
function seriesZone(event: StoredEvent, recurrence: GraphRecurrence): string {
  return event.body['isAllDay'] === true
    ? (event.body['start'] as DateTimeTimeZone).timeZone
    : recurrence.range.recurrenceTimeZone;
}

/** The occurrences of a series that overlap [from, to) at their original times, in order (none for a single event). */
export function occurrencesOf(event: StoredEvent, from: number, to: number): Occurrence[] {
  const recurrence = recurrenceOf(event);
  if (recurrence === null) return [];
  const start = event.body['start'] as DateTimeTimeZone;
  const end = event.body['end'] as DateTimeTimeZone;
  const allDay = event.body['isAllDay'] === true;
  const zone = seriesZone(event, recurrence);
  const startMs = instant(start.dateTime, start.timeZone);
  // Each occurrence starts at the series' wall-clock time in the recurrence's zone, whatever DST
  // does, and lasts as long as the series' first (whole days for an all-day series).
  const time = allDay ? '00:00:00' : wallClock(startMs, zone).slice(11, 19);
  const lengthMs = instant(end.dateTime, end.timeZone) - startMs;
  const days = dayNumber(end.dateTime.slice(0, 10)) - dayNumber(start.dateTime.slice(0, 10));
  // Dates up to a day past `to` in any zone: the window is instants, the dates are local.
  const through = dateOf(Math.floor(to / 86_400_000) + 2);
  const found: Occurrence[] = [];
  for (const date of occurrenceDates(recurrence, through)) {
    const occurrenceStart = instant(`${date}T${time}`, zone);
    const occurrenceEnd = allDay
      ? instant(`${dateOf(dayNumber(date) + days)}T00:00:00`, zone)
      : occurrenceStart + lengthMs;
    if (occurrenceStart >= to) break;
    if (overlaps(occurrenceStart, occurrenceEnd, from, to))
      found.push({ date, start: occurrenceStart, end: occurrenceEnd });
  }
  return found;
}

/** Whether [start, end) meets the window [from, to) (an item of no length at `from` does). */
const overlaps = (start: number, end: number, from: number, to: number) =>
  start < to && (end > from || (end === start && start >= from));

/** The occurrence of a series on `date` by its recurrence (cancelled or not), or undefined. */
export function occurrenceOn(event: StoredEvent, date: string): Occurrence | undefined {
  const day = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(day)) return undefined;
  return occurrencesOf(event, day - 2 * 86_400_000, day + 3 * 86_400_000).find((o) => o.date === date);
}

/** An occurrence's id: its series' and its date, so that it can be read, changed and cancelled by id. */
export const occurrenceId = (masterId: string, date: string) => `${masterId}_${date.replaceAll('-', '')}`;

/** The series id and date an occurrence id names, or undefined for another id. */
export function parseOccurrenceId(id: string): { masterId: string; date: string } | undefined {
  const match = /^(.+)_(\d{4})(\d{2})(\d{2})$/.exec(id);
  return match === null
    ? undefined
    : { masterId: match[1] ?? '', date: `${match[2]}-${match[3]}-${match[4]}` };
}

/**
 * The properties an instance has: the series' (but no recurrence), its own times written in the
 * series' zones, and over them whatever was written to it as an exception.
 */
export function instanceBody(master: StoredEvent, occurrence: Occurrence): Record<string, unknown> {
  const start = master.body['start'] as DateTimeTimeZone;
  const end = master.body['end'] as DateTimeTimeZone;
  const at = (ms: number, zone: string): DateTimeTimeZone => ({
    dateTime: `${wallClock(ms, zone)}.0000000`,
    timeZone: zone,
  });
  return {
    ...master.body,
    start: at(occurrence.start, start.timeZone),
    end: at(occurrence.end, end.timeZone),
    ...master.exceptions.get(occurrence.date)?.body,
    recurrence: null,
  };
}

/** Where an instance is now: its occurrence's times, or an exception's own. */
function placed(master: StoredEvent, occurrence: Occurrence): Instance {
  const exception = master.exceptions.get(occurrence.date);
  if (exception === undefined) return { occurrence, start: occurrence.start, end: occurrence.end };
  const body = instanceBody(master, occurrence);
  const start = body['start'] as DateTimeTimeZone;
  const end = body['end'] as DateTimeTimeZone;
  return {
    occurrence,
    start: instant(start.dateTime, start.timeZone),
    end: instant(end.dateTime, end.timeZone),
  };
}

/**
 * The instances of a series that overlap [from, to) where they are now: cancelled ones left out,
 * exceptions at their own times (one moved into the window is in it, one moved out is not).
 * Exceptions come first, then the occurrences, each in the order of their original dates, as in
 * the example of List instances (an exception on 04-16 listed before the occurrence on 04-08).
 */
export function instancesOf(master: StoredEvent, from: number, to: number): Instance[] {
  const exceptions: Instance[] = [];
  for (const date of [...master.exceptions.keys()].sort()) {
    const occurrence = occurrenceOn(master, date);
    if (occurrence === undefined) continue;
    const instance = placed(master, occurrence);
    if (overlaps(instance.start, instance.end, from, to)) exceptions.push(instance);
  }
  const occurrences = occurrencesOf(master, from, to)
    .filter((o) => !master.cancelled.has(o.date) && !master.exceptions.has(o.date))
    .map((o) => placed(master, o));
  return [...exceptions, ...occurrences];
}

/**
 * The instance of a series on its original `date`, or 404 ErrorItemNotFound as for any unknown
 * id: not a series, not one of its dates, or cancelled.
 */
export function instanceOn(master: StoredEvent, date: string): Occurrence {
  const occurrence = master.cancelled.has(date) ? undefined : occurrenceOn(master, date);
  if (occurrence === undefined)
    throw new GraphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
  return occurrence;
}

/**
 * Refuses to put the instance originally on `date` at `startMs` when that is on or before the
 * day of the previous occurrence, or on or after the day of the next one (days in the series'
 * zone; a neighbour that is an exception counts where it is now, a cancelled one where it was).
 */
export function checkCrossingBoundary(master: StoredEvent, date: string, startMs: number): void {
  const recurrence = recurrenceOf(master);
  if (recurrence === null) return;
  const zone = seriesZone(master, recurrence);
  const dayOf = (ms: number) => wallClock(ms, zone).slice(0, 10);
  let previous: string | undefined;
  let next: string | undefined;
  for (const d of occurrenceDates(recurrence, '9999-12-31')) {
    if (d < date) previous = d;
    else if (d > date) {
      next = d;
      break;
    }
  }
  const dayNow = (d: string) => {
    if (!master.exceptions.has(d)) return d;
    const occurrence = occurrenceOn(master, d);
    return occurrence === undefined ? d : dayOf(placed(master, occurrence).start);
  };
  const day = dayOf(startMs);
  if ((previous !== undefined && day <= dayNow(previous)) || (next !== undefined && day >= dayNow(next)))
    throw new GraphError(
      400,
      'ErrorOccurrenceCrossingBoundary',
      'Modified occurrence is crossing or overlapping adjacent occurrence.',
    );
}
