// CalendarItem → Microsoft Graph event JSON. Times are written as wall-clock times in the item's
// zone (so Outlook shows the owner's zone), except an instant that wall-clock time cannot name
// unambiguously (inside a DST overlap), which is written in UTC. All-day items start and end at
// midnight in one zone, as Graph requires. The Salesforce Event id is stamped on every item as a
// single-value extended property, which is how a lost link is found again.
import type { CalendarItem, Recurrence, Weekday } from '../../domain/calendar-item.ts';
import { isUnambiguous, localDateTime } from '../../domain/time-zones.ts';

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
    recurrence: item.recurrence === null ? null : graphRecurrence(item.recurrence),
    singleValueExtendedProperties: [{ id: salesforceIdProperty, value: item.salesforceEventId }],
  };
}

function graphTimes(item: CalendarItem): Record<string, unknown> {
  const timing = item.timing;
  if (timing.kind === 'all-day') {
    return {
      isAllDay: true,
      start: { dateTime: `${timing.startDate}T00:00:00`, timeZone: timing.timeZone },
      end: { dateTime: `${timing.endDate}T00:00:00`, timeZone: timing.timeZone },
    };
  }
  // A recurring series repeats in its zone; a single item may fall back to UTC to stay exact.
  const zone = item.recurrence?.timeZone ?? timing.timeZone;
  const exact =
    item.recurrence !== null || (isUnambiguous(timing.start, zone) && isUnambiguous(timing.end, zone));
  const written = exact ? zone : 'UTC';
  return {
    isAllDay: false,
    start: { dateTime: localDateTime(timing.start, written), timeZone: written },
    end: { dateTime: localDateTime(timing.end, written), timeZone: written },
  };
}

function graphRecurrence(recurrence: Recurrence): Record<string, unknown> {
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
    recurrenceTimeZone: recurrence.timeZone,
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
