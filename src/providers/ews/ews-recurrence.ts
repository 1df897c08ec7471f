// A Salesforce series pattern (RFC 5545, read by domain/rrule.ts) as an EWS `t:Recurrence`, or
// the reason Exchange cannot hold it as it is. Pure. Exchange expands a series in the item's
// StartTimeZone from the range's StartDate (a date in that zone), like Outlook; where its rules
// differ from RFC 5545 the series is refused with a sentence instead of being written wrong:
// - a day of month 29 to 31 is moved to the last day of shorter months (Microsoft: "If for a
//   particular month this value is larger than the number of days in the month, the last day of
//   the month is assumed"), where RFC 5545 skips the month;
// - yearly patterns have no interval: every N years is written as every 12·N months, which a
//   monthly pattern holds up to its documented limit of 99 months;
// - a position takes one weekday, or all days, weekdays or weekend days (Day, Weekday, WeekendDay).
import type { Recurrence, Weekday } from '../../domain/calendar-item.ts';
import { escapeXml } from './ews-xml.ts';
import { dayMissingFromAVisitedMonth } from '../../domain/short-months.ts';

const dayNames: Record<Weekday, string> = {
  MO: 'Monday',
  TU: 'Tuesday',
  WE: 'Wednesday',
  TH: 'Thursday',
  FR: 'Friday',
  SA: 'Saturday',
  SU: 'Sunday',
};
const weekOrder: readonly Weekday[] = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];
const monthNames = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const dayIndexes: Record<number, string> = { 1: 'First', 2: 'Second', 3: 'Third', 4: 'Fourth', [-1]: 'Last' };

/** Microsoft: a monthly pattern's Interval "The range of valid values is from 1 to 99". */
const maxMonthlyInterval = 99;

/** The DaysOfWeek value a position takes for these days: one day, or a set EWS has a word for. */
function positionedDays(days: readonly Weekday[]): string | undefined {
  const set = new Set(days);
  const is = (expected: readonly Weekday[]) =>
    set.size === expected.length && expected.every((d) => set.has(d));
  if (set.size === 1) return dayNames[days[0] ?? 'MO'];
  if (is(weekOrder)) return 'Day';
  if (is(['MO', 'TU', 'WE', 'TH', 'FR'])) return 'Weekday';
  if (is(['SA', 'SU'])) return 'WeekendDay';
  return undefined;
}

type Pattern = { xml: string } | { problem: string };

function pattern(r: Recurrence): Pattern {
  const interval = `<t:Interval>${r.interval}</t:Interval>`;
  const weekly = (every: number) => ({
    xml:
      `<t:WeeklyRecurrence><t:Interval>${every}</t:Interval>` +
      `<t:DaysOfWeek>${weekOrder
        .filter((d) => r.byDay.includes(d))
        .map((d) => dayNames[d])
        .join(' ')}</t:DaysOfWeek>` +
      `<t:FirstDayOfWeek>${dayNames[r.weekStart]}</t:FirstDayOfWeek></t:WeeklyRecurrence>`,
  });
  switch (r.frequency) {
    case 'daily':
      if (r.byMonthDay !== null || r.setPosition !== null)
        return { problem: 'a daily series on days of the month has no Exchange pattern' };
      if (r.byDay.length === 0) return { xml: `<t:DailyRecurrence>${interval}</t:DailyRecurrence>` };
      // Every day on some weekdays is a weekly pattern; every N days on some weekdays is not.
      if (r.interval === 1) return weekly(1);
      return { problem: 'a series every few days on some weekdays has no Exchange pattern' };
    case 'weekly':
      if (r.byMonthDay !== null || r.setPosition !== null || r.byDay.length === 0)
        return { problem: 'this weekly series has no Exchange pattern' };
      return weekly(r.interval);
    case 'monthly':
    case 'yearly': {
      const months = r.frequency === 'monthly' ? r.interval : 12 * r.interval;
      if (months > maxMonthlyInterval)
        return {
          problem: `a series every ${r.interval} years has no Exchange pattern (Exchange repeats yearly, or every 1 to 99 months)`,
        };
      if (r.frequency === 'yearly' && r.interval > 1 && Number(r.startDate.slice(5, 7)) !== r.byMonth)
        return {
          problem: 'a series every few years that does not start in its own month has no Exchange pattern',
        };
      const month = monthNames[(r.byMonth ?? 1) - 1] ?? 'January';
      const everyYear = r.frequency === 'yearly' && r.interval === 1;
      if (r.byMonthDay !== null && r.setPosition === null) {
        const day = `<t:DayOfMonth>${r.byMonthDay}</t:DayOfMonth>`;
        return everyYear
          ? {
              xml: `<t:AbsoluteYearlyRecurrence>${day}<t:Month>${month}</t:Month></t:AbsoluteYearlyRecurrence>`,
            }
          : {
              xml: `<t:AbsoluteMonthlyRecurrence><t:Interval>${months}</t:Interval>${day}</t:AbsoluteMonthlyRecurrence>`,
            };
      }
      const days = positionedDays(r.byDay);
      const index = dayIndexes[r.setPosition ?? 0];
      if (r.byMonthDay !== null || days === undefined || index === undefined)
        return {
          problem: `this ${r.frequency} series has no Exchange pattern (one weekday, or weekdays, at a position)`,
        };
      const relative = `<t:DaysOfWeek>${days}</t:DaysOfWeek><t:DayOfWeekIndex>${index}</t:DayOfWeekIndex>`;
      return everyYear
        ? {
            xml: `<t:RelativeYearlyRecurrence>${relative}<t:Month>${month}</t:Month></t:RelativeYearlyRecurrence>`,
          }
        : {
            xml: `<t:RelativeMonthlyRecurrence><t:Interval>${months}</t:Interval>${relative}</t:RelativeMonthlyRecurrence>`,
          };
    }
  }
}

function range(r: Recurrence): string {
  const start = `<t:StartDate>${escapeXml(r.startDate)}</t:StartDate>`;
  switch (r.end.kind) {
    case 'never':
      return `<t:NoEndRecurrence>${start}</t:NoEndRecurrence>`;
    case 'count':
      return `<t:NumberedRecurrence>${start}<t:NumberOfOccurrences>${r.end.count}</t:NumberOfOccurrences></t:NumberedRecurrence>`;
    case 'until':
      // "The last occurrence in the series falls on or before the date": as Salesforce's UNTIL date.
      return `<t:EndDateRecurrence>${start}<t:EndDate>${escapeXml(r.end.date)}</t:EndDate></t:EndDateRecurrence>`;
  }
}

/** Why Exchange cannot hold this pattern as Salesforce means it, or undefined when it can. */
export function whyExchangeCannotRepeat(recurrence: Recurrence): string | undefined {
  const day = dayMissingFromAVisitedMonth(recurrence);
  if (day !== undefined)
    return (
      `the series repeats on day ${day} of the month, which Exchange moves to the last day of shorter months, ` +
      'where Salesforce has no occurrence'
    );
  const written = pattern(recurrence);
  return 'problem' in written ? written.problem : undefined;
}

/** The `t:Recurrence` element (pattern, then range); whyExchangeCannotRepeat said it can be written. */
export function ewsRecurrence(recurrence: Recurrence): string {
  const written = pattern(recurrence);
  if ('problem' in written) throw new Error(written.problem);
  return `<t:Recurrence>${written.xml}${range(recurrence)}</t:Recurrence>`;
}
