// CalendarItem → Google Calendar API v3 event JSON. Pure. Times are instants in UTC (RFC 3339)
// with the item's IANA zone beside them (Google takes IANA names, and expands a series in
// start.timeZone, keeping its wall-clock time across DST changes); all-day items are dates, the
// end exclusive, never shifted. The pattern is an RFC 5545 RRULE, which Google reads as Salesforce
// writes it. The Salesforce Event id is stamped as a private extended property, which is how a
// lost link is found again. The body is written whole on every change: a field the item no longer
// has is sent as null, which clears it in a patch (a new event leaves it out instead).
import type { calendar_v3 } from '@googleapis/calendar';
import type { CalendarItem, Recurrence, ShowAs } from '../../domain/calendar-item.ts';
import { instantsOf, isKnownTimeZone } from '../../domain/time-zones.ts';

/** The private extended property holding the Salesforce Event id. */
export const salesforceIdProperty = 'salesforceEventId';

/** Google's largest reminder: "between 0 and 40320 (4 weeks in minutes)"; a longer one is refused. */
export const maxReminderMinutes = 40_320;

/**
 * Google has busy (opaque) and free (transparent) only: it cannot show out of office or working
 * elsewhere on a plain event (out-of-office events are a type of their own, which declines
 * meetings, not something to put a Salesforce Event in). Tentative and out of office block the
 * time, so they are busy; working elsewhere does not, so it is free.
 */
export const googleShowAs: Readonly<Record<ShowAs, ShowAs>> = {
  free: 'free',
  tentative: 'busy',
  busy: 'busy',
  oof: 'busy',
  workingElsewhere: 'free',
};

/**
 * Who Google emails about a write. The tenant's invitation policy is applied before a provider
 * sees the item: its attendees are exactly the invitees the policy invites (none under `none`),
 * so those are emailed, as Graph emails its attendees; an item without attendees emails nobody
 * (not even attendees an earlier policy had added and this write removes).
 */
export function sendUpdatesFor(item: CalendarItem): 'all' | 'none' {
  return item.attendees.length > 0 ? 'all' : 'none';
}

/** Why Google cannot take `item` as it is, or undefined when it can: a zone it would not know. */
export function whyGoogleCannotWrite(item: CalendarItem): string | undefined {
  const zones = new Set([
    item.timing.timeZone,
    ...(item.recurrence === null ? [] : [item.recurrence.timeZone]),
  ]);
  for (const zone of zones)
    if (!isKnownTimeZone(zone))
      return `the time zone ${JSON.stringify(zone)} is not an IANA time zone, and Google Calendar takes only those`;
  return undefined;
}

export function toGoogleEvent(item: CalendarItem): calendar_v3.Schema$Event {
  return {
    summary: item.subject,
    description: item.body,
    location: item.location,
    ...googleTimes(item),
    transparency: googleShowAs[item.showAs] === 'free' ? 'transparent' : 'opaque',
    visibility: item.sensitivity === 'private' ? 'private' : 'default',
    reminders: {
      useDefault: false,
      overrides:
        item.reminderMinutesBeforeStart === null
          ? []
          : [
              {
                method: 'popup',
                minutes: Math.min(Math.max(0, item.reminderMinutesBeforeStart), maxReminderMinutes),
              },
            ],
    },
    attendees: item.attendees.map((a) => ({
      email: a.email,
      ...(a.name === null ? {} : { displayName: a.name }),
      optional: a.type === 'optional',
    })),
    recurrence:
      item.recurrence === null ? null : [googleRrule(item.recurrence, item.timing.kind === 'all-day')],
    extendedProperties: { private: { [salesforceIdProperty]: item.salesforceEventId } },
  };
}

/**
 * One occurrence of a series changed on its own, as Google takes it on the instance's id: its
 * times and what a Salesforce occurrence can change; never a pattern, attendees (the series'
 * stay) or the Salesforce id (the series carries it).
 */
export function toGoogleOccurrence(item: CalendarItem): calendar_v3.Schema$Event {
  const {
    attendees: _attendees,
    recurrence: _recurrence,
    extendedProperties: _id,
    ...rest
  } = toGoogleEvent({ ...item, recurrence: null });
  return rest;
}

/**
 * A new event's body without the nulls a patch needs to clear fields: on insert a null is at best
 * the same as leaving the field out, and a start holding both a dateTime and a (null) date can be
 * refused as "Invalid start time".
 */
export function withoutNulls(body: calendar_v3.Schema$Event): calendar_v3.Schema$Event {
  const strip = (value: unknown): unknown =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? Object.fromEntries(
          Object.entries(value)
            .filter(([, field]) => field !== null)
            .map(([key, field]) => [key, strip(field)]),
        )
      : value;
  return strip(body) as calendar_v3.Schema$Event;
}

/** RFC 3339 in UTC, whole seconds. */
const rfc3339 = (instant: number) => new Date(instant).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * start and end. The other form's fields are sent as null, so a patch turning a timed item into an
 * all-day one (or back) leaves no stale dateTime or date behind.
 */
function googleTimes(item: CalendarItem): Pick<calendar_v3.Schema$Event, 'start' | 'end'> {
  const timing = item.timing;
  if (timing.kind === 'all-day') {
    // "The timezone field has no significance for all-day events", but a recurring event's
    // timeZone is documented as required (the zone the series expands in), so a series has it.
    const timeZone = item.recurrence?.timeZone ?? null;
    return {
      start: { date: timing.startDate, dateTime: null, timeZone },
      end: { date: timing.endDate, dateTime: null, timeZone },
    };
  }
  // A series repeats in its own zone; a single item is shown in the owner's.
  const timeZone = item.recurrence?.timeZone ?? timing.timeZone;
  return {
    start: { dateTime: rfc3339(timing.start), date: null, timeZone },
    end: { dateTime: rfc3339(timing.end), date: null, timeZone },
  };
}

/** The RRULE line of a pattern (DTSTART is the event's start, as Google requires). */
export function googleRrule(recurrence: Recurrence, allDay: boolean): string {
  const parts = [`FREQ=${recurrence.frequency.toUpperCase()}`];
  if (recurrence.interval !== 1) parts.push(`INTERVAL=${recurrence.interval}`);
  const { byDay, setPosition } = recurrence;
  if (byDay.length > 0) {
    // "The second Tuesday" is 2TU; a position over several days ("the last weekday") is BYSETPOS.
    if (setPosition !== null && byDay.length === 1) parts.push(`BYDAY=${setPosition}${byDay[0] ?? ''}`);
    else parts.push(`BYDAY=${byDay.join(',')}`);
    if (setPosition !== null && byDay.length > 1) parts.push(`BYSETPOS=${setPosition}`);
  }
  if (recurrence.byMonthDay !== null) parts.push(`BYMONTHDAY=${recurrence.byMonthDay}`);
  if (recurrence.byMonth !== null) parts.push(`BYMONTH=${recurrence.byMonth}`);
  parts.push(`WKST=${recurrence.weekStart}`);
  const end = recurrence.end;
  if (end.kind === 'count') parts.push(`COUNT=${end.count}`);
  if (end.kind === 'until')
    parts.push(`UNTIL=${allDay ? end.date.replaceAll('-', '') : untilUtc(end.date, recurrence.timeZone)}`);
  return `RRULE:${parts.join(';')}`;
}

/**
 * UNTIL of a timed series: RFC 5545 wants UTC when DTSTART has a zone, and the pattern's end is
 * the last date an occurrence may fall on in the series' zone, so the last second of that date
 * there (the later one when the clock goes back at that hour).
 */
function untilUtc(date: string, timeZone: string): string {
  const lastSecond = Date.parse(`${date}T23:59:59Z`);
  let instant = lastSecond;
  // A zone that skips the day's last hour (a DST change at midnight) has no 23:59:59: step back.
  for (let back = 0; back <= 3 * 3_600_000; back += 60_000) {
    const found = instantsOf(new Date(lastSecond - back).toISOString().slice(0, 19), timeZone).at(-1);
    if (found !== undefined) {
      instant = found;
      break;
    }
  }
  return new Date(instant)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replaceAll(/[-:]/g, '');
}
