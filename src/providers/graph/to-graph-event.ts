// CalendarItem → Microsoft Graph event JSON. Times are written as wall-clock times in the item's
// zone (so Outlook shows the owner's zone), except an instant that wall-clock time cannot name
// unambiguously (inside a DST overlap), which is written in UTC. All-day items start and end at
// midnight in one zone, as Graph requires. The Salesforce Event id is stamped on every item as a
// single-value extended property, which is how a lost link is found again. Zones are written as
// Windows names (CLDR's windowsZones): Graph refuses most IANA names on create.
import type { CalendarItem, Recurrence, Weekday } from '../../domain/calendar-item.ts';
import { isUnambiguous, localDateTime } from '../../domain/time-zones.ts';
import { windowsTimeZone } from '../../lib/windows-time-zones.ts';
import { dayMissingFromAVisitedMonth } from '../../domain/short-months.ts';

/** The extended property holding the Salesforce Event id (a GUID of our own, and a name). */
export const salesforceIdProperty = 'String {5f3c4a8e-2b71-4c0e-9d6a-7e1b2c3d4f50} Name SalesforceEventId';

const dayNames: Record<Weekday, string> = {
  MO: 'monday',
  TU: 'tuesday',
  WE: 'wednesday',
  TH: 'thursday',
  FR: 'friday',
  SA: 'saturday',
  SU: 'sunday',
};
const positions: Record<number, string> = { 1: 'first', 2: 'second', 3: 'third', 4: 'fourth', [-1]: 'last' };

const fiveYearsMs = 5 * 365 * 86_400_000;

/** The instants an item's zones must keep time over: the item, or its series up to its end (five years at most). */
function span(item: CalendarItem): { from: number; to: number } {
  const timing = item.timing;
  const from = timing.kind === 'timed' ? timing.start : Date.parse(`${timing.startDate}T00:00:00Z`);
  const to = timing.kind === 'timed' ? timing.end : Date.parse(`${timing.endDate}T00:00:00Z`);
  const recurrence = item.recurrence;
  if (recurrence === null) return { from, to };
  const until = recurrence.end.kind === 'until' ? Date.parse(`${recurrence.end.date}T23:59:59Z`) : Number.NaN;
  return { from, to: Math.min(Number.isNaN(until) ? from + fiveYearsMs : until, from + fiveYearsMs) };
}

/** The zones an item is written in (its own, and its series'). */
function zonesOf(item: CalendarItem): string[] {
  return [
    ...new Set([item.timing.timeZone, ...(item.recurrence === null ? [] : [item.recurrence.timeZone])]),
  ];
}

/**
 * Why Graph cannot take `item` as it is, or undefined when it can: a zone no Windows zone keeps
 * the same time as over the item's span (Graph takes Windows names, and few IANA ones).
 */
export function whyGraphCannotWrite(item: CalendarItem): string | undefined {
  const day = item.recurrence === null ? undefined : dayMissingFromAVisitedMonth(item.recurrence);
  if (day !== undefined)
    return (
      `the series repeats on day ${day} of the month, which Outlook moves to the last day of shorter months, ` +
      'where Salesforce has no occurrence'
    );
  const needsZone = item.timing.kind === 'all-day' || item.recurrence !== null;
  for (const zone of zonesOf(item)) {
    if (windowsTimeZone(zone, span(item)) !== undefined) continue;
    // A single timed item is written in UTC where its zone has no Windows name: the instants stay exact.
    if (!needsZone && zone === item.timing.timeZone) continue;
    return `the time zone ${zone} keeps a time no Windows time zone keeps over this Event's dates, and Microsoft 365 takes only Windows time zones`;
  }
  return undefined;
}

/** The zone as Graph takes it; whyGraphCannotWrite said it has one. */
function graphZone(ianaZone: string, item: CalendarItem): string {
  const windows = windowsTimeZone(ianaZone, span(item));
  if (windows === undefined) throw new Error(`no Windows time zone for ${ianaZone}`);
  return windows;
}

export function toGraphEvent(item: CalendarItem): Record<string, unknown> {
  return {
    subject: item.subject,
    body: { contentType: 'text', content: item.body },
    ...graphTimes(item),
    location: { displayName: item.location ?? '' },
    showAs: item.showAs,
    sensitivity: item.sensitivity,
    isReminderOn: item.reminderMinutesBeforeStart !== null,
    ...(item.reminderMinutesBeforeStart === null
      ? {}
      : { reminderMinutesBeforeStart: item.reminderMinutesBeforeStart }),
    attendees: item.attendees.map((a) => ({
      emailAddress: { address: a.email, ...(a.name === null ? {} : { name: a.name }) },
      type: a.type,
    })),
    recurrence: item.recurrence === null ? null : graphRecurrence(item.recurrence, item),
    singleValueExtendedProperties: [{ id: salesforceIdProperty, value: item.salesforceEventId }],
  };
}

/**
 * The update of a series whose times, zone and pattern did not change: without them, so that
 * Outlook's calendar has no reason to rebuild the series' changed and cancelled occurrences.
 */
export function toGraphSeriesKeepingTiming(item: CalendarItem): Record<string, unknown> {
  const event = toGraphEvent(item);
  for (const key of [...Object.keys(graphTimes(item)), 'recurrence']) delete event[key];
  return event;
}

/**
 * One occurrence of a series changed on its own, as Graph takes it on the occurrence's id: its
 * times and what a Salesforce occurrence can change; never a pattern, attendees (the series'
 * stay) or the Salesforce id (the series carries it).
 */
export function toGraphOccurrence(item: CalendarItem): Record<string, unknown> {
  const {
    attendees: _attendees,
    recurrence: _recurrence,
    singleValueExtendedProperties: _id,
    ...rest
  } = toGraphEvent({ ...item, recurrence: null });
  return rest;
}

function graphTimes(item: CalendarItem): Record<string, unknown> {
  const timing = item.timing;
  if (timing.kind === 'all-day') {
    return {
      isAllDay: true,
      start: { dateTime: `${timing.startDate}T00:00:00`, timeZone: graphZone(timing.timeZone, item) },
      end: { dateTime: `${timing.endDate}T00:00:00`, timeZone: graphZone(timing.timeZone, item) },
    };
  }
  // A recurring series repeats in its zone; a single item may fall back to UTC to stay exact.
  const zone = item.recurrence?.timeZone ?? timing.timeZone;
  // …and one whose zone no Windows zone keeps time like over its dates, too.
  const exact =
    item.recurrence !== null ||
    (isUnambiguous(timing.start, zone) &&
      isUnambiguous(timing.end, zone) &&
      windowsTimeZone(zone, span(item)) !== undefined);
  const written = exact ? zone : 'UTC';
  return {
    isAllDay: false,
    start: { dateTime: localDateTime(timing.start, written), timeZone: graphZone(written, item) },
    end: { dateTime: localDateTime(timing.end, written), timeZone: graphZone(written, item) },
  };
}

function graphRecurrence(recurrence: Recurrence, item: CalendarItem): Record<string, unknown> {
  const days = recurrence.byDay.map((d) => dayNames[d]);
  const positional = recurrence.setPosition !== null;
  const type =
    recurrence.frequency === 'daily'
      ? 'daily'
      : recurrence.frequency === 'weekly'
        ? 'weekly'
        : recurrence.frequency === 'monthly'
          ? positional
            ? 'relativeMonthly'
            : 'absoluteMonthly'
          : positional
            ? 'relativeYearly'
            : 'absoluteYearly';
  const pattern: Record<string, unknown> = {
    type,
    interval: recurrence.interval,
    firstDayOfWeek: dayNames[recurrence.weekStart],
  };
  if (days.length > 0) pattern['daysOfWeek'] = days;
  if (positional) pattern['index'] = positions[recurrence.setPosition ?? 1];
  if (recurrence.byMonthDay !== null) pattern['dayOfMonth'] = recurrence.byMonthDay;
  if (recurrence.byMonth !== null) pattern['month'] = recurrence.byMonth;
  const range: Record<string, unknown> = {
    startDate: recurrence.startDate,
    recurrenceTimeZone: graphZone(recurrence.timeZone, item),
  };
  switch (recurrence.end.kind) {
    case 'never':
      range['type'] = 'noEnd';
      break;
    case 'count':
      range['type'] = 'numbered';
      range['numberOfOccurrences'] = recurrence.end.count;
      break;
    case 'until':
      range['type'] = 'endDate';
      range['endDate'] = recurrence.end.date;
      break;
  }
  return { pattern, range };
}
