// Salesforce Lightning recurrence (Recurrence2PatternText, an RFC 5545 RRULE) read into the
// provider-neutral Recurrence. Only what every provider can express is accepted; anything else
// is a problem with a reason, so an Event is skipped rather than synced with the wrong pattern.
import type { Recurrence, Weekday } from './calendar-item.ts';
import { addDays, localDateTime } from './time-zones.ts';

const weekdays: readonly Weekday[] = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];
const frequencies = { DAILY: 'daily', WEEKLY: 'weekly', MONTHLY: 'monthly', YEARLY: 'yearly' } as const;

/**
 * `context`: the series' first date and the zone it repeats in, and the local time of day its
 * occurrences start (HH:mm:ss; midnight for all-day series), which decides whether an UNTIL that is
 * a date-time still admits the occurrence on its own date.
 */
export function parseRrule(
  text: string,
  context: { startDate: string; timeZone: string; startTime?: string },
): Omit<Recurrence, never> | { problem: string } {
  const body = text.trim().replace(/^RRULE:/i, '');
  const parts = new Map<string, string>();
  for (const part of body.split(';').filter(Boolean)) {
    const [key, value] = part.split('=');
    if (key === undefined || value === undefined || value === '')
      return { problem: `recurrence rule part ${JSON.stringify(part)} is malformed` };
    parts.set(key.toUpperCase(), value.toUpperCase());
  }
  const frequency = frequencies[(parts.get('FREQ') ?? '') as keyof typeof frequencies];
  if (frequency === undefined)
    return { problem: `recurrence frequency ${JSON.stringify(parts.get('FREQ') ?? '')} is not supported` };
  const known = new Set([
    'FREQ',
    'INTERVAL',
    'BYDAY',
    'BYMONTHDAY',
    'BYMONTH',
    'BYSETPOS',
    'COUNT',
    'UNTIL',
    'WKST',
  ]);
  const unknown = [...parts.keys()].filter((k) => !known.has(k));
  if (unknown.length > 0)
    return { problem: `recurrence rule uses ${unknown.join(', ')}, which calendars cannot express` };

  const interval = Number(parts.get('INTERVAL') ?? '1');
  if (!Number.isInteger(interval) || interval < 1 || interval > 99)
    return { problem: 'recurrence INTERVAL must be 1 to 99' };

  let setPosition: number | null = parts.has('BYSETPOS') ? Number(parts.get('BYSETPOS')) : null;
  const byDay: Weekday[] = [];
  for (const day of (parts.get('BYDAY') ?? '').split(',').filter(Boolean)) {
    const match = /^([+-]?[1-5])?(MO|TU|WE|TH|FR|SA|SU)$/.exec(day);
    if (match === null) return { problem: `recurrence BYDAY ${JSON.stringify(day)} is not supported` };
    if (match[1] !== undefined) {
      if (setPosition !== null && setPosition !== Number(match[1]))
        return { problem: 'recurrence positions conflict' };
      setPosition = Number(match[1]);
    }
    byDay.push(match[2] as Weekday);
  }
  if (setPosition !== null && (![1, 2, 3, 4, -1].includes(setPosition) || byDay.length === 0)) {
    return { problem: 'recurrence positions other than 1st to 4th or last weekday are not supported' };
  }
  const byMonthDay = parts.has('BYMONTHDAY') ? Number(parts.get('BYMONTHDAY')) : null;
  if (byMonthDay !== null && (!Number.isInteger(byMonthDay) || byMonthDay < 1 || byMonthDay > 31)) {
    return { problem: 'recurrence BYMONTHDAY must be a single day 1 to 31' };
  }
  const byMonth = parts.has('BYMONTH') ? Number(parts.get('BYMONTH')) : null;
  if (byMonth !== null && (!Number.isInteger(byMonth) || byMonth < 1 || byMonth > 12))
    return { problem: 'recurrence BYMONTH must be a single month 1 to 12' };
  // RFC 5545: "The default value is MO." (It decides which weeks an INTERVAL > 1 counts.)
  const weekStart = (parts.get('WKST') ?? 'MO') as Weekday;
  if (!weekdays.includes(weekStart))
    return { problem: `recurrence WKST ${JSON.stringify(weekStart)} is not a weekday` };

  let end: Recurrence['end'] = { kind: 'never' };
  if (parts.has('COUNT') && parts.has('UNTIL')) return { problem: 'recurrence has both COUNT and UNTIL' };
  if (parts.has('COUNT')) {
    const count = Number(parts.get('COUNT'));
    if (!Number.isInteger(count) || count < 1 || count > 999)
      return { problem: 'recurrence COUNT must be 1 to 999' };
    end = { kind: 'count', count };
  } else if (parts.has('UNTIL')) {
    const lastDate = lastDateUntil(
      parts.get('UNTIL') ?? '',
      context.timeZone,
      context.startTime ?? '00:00:00',
    );
    if (lastDate === undefined) return { problem: 'recurrence UNTIL is not a date' };
    end = { kind: 'until', date: lastDate };
  }
  if (frequency === 'weekly' && byDay.length === 0) return { problem: 'a weekly recurrence needs BYDAY' };
  if ((frequency === 'monthly' || frequency === 'yearly') && byMonthDay === null && setPosition === null) {
    return { problem: `a ${frequency} recurrence needs BYMONTHDAY or a weekday position` };
  }
  return {
    frequency,
    interval,
    byDay,
    byMonthDay,
    byMonth: frequency === 'yearly' ? (byMonth ?? Number(context.startDate.slice(5, 7))) : null,
    setPosition,
    weekStart,
    startDate: context.startDate,
    end,
    timeZone: context.timeZone,
  };
}

/**
 * The last date an occurrence may fall on under UNTIL (RFC 5545: the last instance is the one that
 * starts at or before it). A date is that date. A UTC date-time (…Z) names an instant, read in the
 * series' zone; a date-time without Z is already local. Either way, when the occurrence of that
 * local date would start after the UNTIL time of day, the day before is the last.
 */
function lastDateUntil(until: string, timeZone: string, startTime: string): string | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$/.exec(until);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second, utc] = match;
  const date = `${year}-${month}-${day}`;
  if (hour === undefined) return date;
  const local =
    utc === 'Z'
      ? localDateTime(
          Date.UTC(
            Number(year),
            Number(month) - 1,
            Number(day),
            Number(hour),
            Number(minute),
            Number(second),
          ),
          timeZone,
        )
      : `${date}T${hour}:${minute}:${second}`;
  const localDate = local.slice(0, 10);
  return local.slice(11, 19) < startTime ? addDays(localDate, -1) : localDate;
}
