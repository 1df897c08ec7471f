// A calendar item's t:Recurrence: one pattern (DailyRecurrence, WeeklyRecurrence,
// AbsoluteMonthlyRecurrence, RelativeMonthlyRecurrence, AbsoluteYearlyRecurrence,
// RelativeYearlyRecurrence) and one range (NoEndRecurrence, EndDateRecurrence,
// NumberedRecurrence), read as types.xsd orders them and refused as Exchange refuses them
// (ErrorCalendarInvalidRecurrence, ErrorCalendarInvalidDayForWeeklyRecurrence,
// ErrorRecurrenceHasNoOccurrence). Expanded by the rrule package in the series' wall-clock time
// (its StartTimeZone), so a 09:00 meeting stays at 09:00 across DST; a day of month past the
// month's end falls on its last day, as Outlook schedules "day 31 of every month".
import rrule from 'rrule';
import type { Options } from 'rrule';
import { ItemError } from './ews-errors.ts';
import { checkSequence, dateText, enumText, intText } from './ews-schema.ts';
import { childNamed, ns, tag, textTag, type XmlElement } from './ews-xml.ts';
import { instant } from './ews-time.ts';

const { RRule } = rrule;

export const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;
const dayTypes = [...days, 'Day', 'Weekday', 'WeekendDay'] as const;
const indexes = ['First', 'Second', 'Third', 'Fourth', 'Last'] as const;
const months = [
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
] as const;

type Day = (typeof days)[number];
type DayType = (typeof dayTypes)[number];
type Index = (typeof indexes)[number];
type Month = (typeof months)[number];

export type Pattern =
  | { kind: 'DailyRecurrence'; interval: number }
  | { kind: 'WeeklyRecurrence'; interval: number; daysOfWeek: Day[]; firstDayOfWeek: Day | undefined }
  | { kind: 'AbsoluteMonthlyRecurrence'; interval: number; dayOfMonth: number }
  | { kind: 'RelativeMonthlyRecurrence'; interval: number; daysOfWeek: DayType; dayOfWeekIndex: Index }
  | { kind: 'AbsoluteYearlyRecurrence'; dayOfMonth: number; month: Month }
  | { kind: 'RelativeYearlyRecurrence'; daysOfWeek: DayType; dayOfWeekIndex: Index; month: Month };

export type Range =
  | { kind: 'NoEndRecurrence'; startDate: string }
  | { kind: 'EndDateRecurrence'; startDate: string; endDate: string }
  | { kind: 'NumberedRecurrence'; startDate: string; numberOfOccurrences: number };

export interface Recurrence {
  pattern: Pattern;
  range: Range;
}

const patternNames = [
  'RelativeYearlyRecurrence',
  'AbsoluteYearlyRecurrence',
  'RelativeMonthlyRecurrence',
  'AbsoluteMonthlyRecurrence',
  'WeeklyRecurrence',
  'DailyRecurrence',
  'DailyRegeneration',
  'WeeklyRegeneration',
  'MonthlyRegeneration',
  'YearlyRegeneration',
];
const rangeNames = ['NoEndRecurrence', 'EndDateRecurrence', 'NumberedRecurrence'];

const invalid = () => new ItemError('ErrorCalendarInvalidRecurrence');

/** Reads t:Recurrence; schema violations are SOAP faults, impossible patterns item errors. */
export function parseRecurrence(element: XmlElement): Recurrence {
  checkSequence(element, [
    { name: 'Pattern', choice: patternNames, min: 1 },
    { name: 'Range', choice: rangeNames, min: 1 },
  ]);
  const [pattern, range] = element.children;
  return { pattern: parsePattern(pattern!), range: parseRange(range!) };
}

function parsePattern(element: XmlElement): Pattern {
  const field = (name: string) => childNamed(element, name, ns.types);
  const interval = () => {
    const value = intText(field('Interval')!);
    if (value < 1) throw invalid();
    return value;
  };
  const dayOfMonth = () => {
    const value = intText(field('DayOfMonth')!);
    if (value < 1 || value > 31) throw invalid();
    return value;
  };
  switch (element.name) {
    case 'DailyRecurrence':
      checkSequence(element, [{ name: 'Interval', min: 1 }]);
      return { kind: 'DailyRecurrence', interval: interval() };
    case 'WeeklyRecurrence': {
      checkSequence(element, [
        { name: 'Interval', min: 1 },
        { name: 'DaysOfWeek', min: 1 },
        { name: 'FirstDayOfWeek' },
      ]);
      const listed = field('DaysOfWeek')!
        .text.trim()
        .split(/\s+/)
        .filter((d) => d !== '');
      for (const day of listed)
        if (!(dayTypes as readonly string[]).includes(day))
          enumText({ ...field('DaysOfWeek')!, text: day }, dayTypes, 'DayOfWeekType');
      if (listed.length === 0 || listed.some((d) => !(days as readonly string[]).includes(d)))
        throw new ItemError('ErrorCalendarInvalidDayForWeeklyRecurrence');
      const first = field('FirstDayOfWeek');
      return {
        kind: 'WeeklyRecurrence',
        interval: interval(),
        daysOfWeek: [...new Set(listed as Day[])],
        firstDayOfWeek: first === undefined ? undefined : enumText(first, days, 'DayOfWeekType'),
      };
    }
    case 'AbsoluteMonthlyRecurrence':
      checkSequence(element, [
        { name: 'Interval', min: 1 },
        { name: 'DayOfMonth', min: 1 },
      ]);
      return { kind: 'AbsoluteMonthlyRecurrence', interval: interval(), dayOfMonth: dayOfMonth() };
    case 'RelativeMonthlyRecurrence':
      checkSequence(element, [
        { name: 'Interval', min: 1 },
        { name: 'DaysOfWeek', min: 1 },
        { name: 'DayOfWeekIndex', min: 1 },
      ]);
      return {
        kind: 'RelativeMonthlyRecurrence',
        interval: interval(),
        daysOfWeek: enumText(field('DaysOfWeek')!, dayTypes, 'DayOfWeekType'),
        dayOfWeekIndex: enumText(field('DayOfWeekIndex')!, indexes, 'DayOfWeekIndexType'),
      };
    case 'AbsoluteYearlyRecurrence':
      checkSequence(element, [
        { name: 'DayOfMonth', min: 1 },
        { name: 'Month', min: 1 },
      ]);
      return {
        kind: 'AbsoluteYearlyRecurrence',
        dayOfMonth: dayOfMonth(),
        month: enumText(field('Month')!, months, 'MonthNamesType'),
      };
    case 'RelativeYearlyRecurrence':
      checkSequence(element, [
        { name: 'DaysOfWeek', min: 1 },
        { name: 'DayOfWeekIndex', min: 1 },
        { name: 'Month', min: 1 },
      ]);
      return {
        kind: 'RelativeYearlyRecurrence',
        daysOfWeek: enumText(field('DaysOfWeek')!, dayTypes, 'DayOfWeekType'),
        dayOfWeekIndex: enumText(field('DayOfWeekIndex')!, indexes, 'DayOfWeekIndexType'),
        month: enumText(field('Month')!, months, 'MonthNamesType'),
      };
    default:
      // Regeneration patterns are for tasks.
      throw invalid();
  }
}

function parseRange(element: XmlElement): Range {
  const field = (name: string) => childNamed(element, name, ns.types)!;
  switch (element.name) {
    case 'NoEndRecurrence':
      checkSequence(element, [{ name: 'StartDate', min: 1 }]);
      return { kind: 'NoEndRecurrence', startDate: dateText(field('StartDate')) };
    case 'EndDateRecurrence':
      checkSequence(element, [
        { name: 'StartDate', min: 1 },
        { name: 'EndDate', min: 1 },
      ]);
      return {
        kind: 'EndDateRecurrence',
        startDate: dateText(field('StartDate')),
        endDate: dateText(field('EndDate')),
      };
    default: {
      checkSequence(element, [
        { name: 'StartDate', min: 1 },
        { name: 'NumberOfOccurrences', min: 1 },
      ]);
      const count = intText(field('NumberOfOccurrences'));
      if (count < 1) throw invalid();
      return {
        kind: 'NumberedRecurrence',
        startDate: dateText(field('StartDate')),
        numberOfOccurrences: count,
      };
    }
  }
}

/** What a series is expanded from: its time of day and zone (tz database name). */
export interface SeriesClock {
  timeOfDay: string;
  zone: string;
}

const rruleDay = (day: Day) => (days.indexOf(day) + 6) % 7;
const dayTypeDays = (type: DayType): number[] =>
  type === 'Day'
    ? [0, 1, 2, 3, 4, 5, 6]
    : type === 'Weekday'
      ? [0, 1, 2, 3, 4]
      : type === 'WeekendDay'
        ? [5, 6]
        : [rruleDay(type)];
const setPosition = (index: Index) => (index === 'Last' ? -1 : indexes.indexOf(index) + 1);
/** A day of the month, or the month's last day when it has fewer. */
const monthDay = (day: number): Partial<Options> =>
  day <= 28
    ? { bymonthday: [day] }
    : { bymonthday: Array.from({ length: day - 27 }, (_, i) => 28 + i), bysetpos: [-1] };

const floating = (wall: string) => new Date(Date.parse(`${wall}Z`));

const rules = new Map<string, InstanceType<typeof RRule>>();

function ruleOf(recurrence: Recurrence, clock: SeriesClock): InstanceType<typeof RRule> {
  const key = JSON.stringify([recurrence, clock.timeOfDay]);
  const cached = rules.get(key);
  if (cached !== undefined) return cached;
  const { pattern, range } = recurrence;
  const options: Partial<Options> = { dtstart: floating(`${range.startDate}T${clock.timeOfDay}`) };
  switch (pattern.kind) {
    case 'DailyRecurrence':
      Object.assign(options, { freq: RRule.DAILY, interval: pattern.interval });
      break;
    case 'WeeklyRecurrence':
      Object.assign(options, {
        freq: RRule.WEEKLY,
        interval: pattern.interval,
        byweekday: pattern.daysOfWeek.map(rruleDay),
        wkst: rruleDay(pattern.firstDayOfWeek ?? 'Sunday'),
      });
      break;
    case 'AbsoluteMonthlyRecurrence':
      Object.assign(options, {
        freq: RRule.MONTHLY,
        interval: pattern.interval,
        ...monthDay(pattern.dayOfMonth),
      });
      break;
    case 'RelativeMonthlyRecurrence':
      Object.assign(options, {
        freq: RRule.MONTHLY,
        interval: pattern.interval,
        byweekday: dayTypeDays(pattern.daysOfWeek),
        bysetpos: [setPosition(pattern.dayOfWeekIndex)],
      });
      break;
    case 'AbsoluteYearlyRecurrence':
      Object.assign(options, {
        freq: RRule.YEARLY,
        bymonth: [months.indexOf(pattern.month) + 1],
        ...monthDay(pattern.dayOfMonth),
      });
      break;
    case 'RelativeYearlyRecurrence':
      Object.assign(options, {
        freq: RRule.YEARLY,
        bymonth: [months.indexOf(pattern.month) + 1],
        byweekday: dayTypeDays(pattern.daysOfWeek),
        bysetpos: [setPosition(pattern.dayOfWeekIndex)],
      });
      break;
  }
  if (range.kind === 'NumberedRecurrence') options.count = range.numberOfOccurrences;
  if (range.kind === 'EndDateRecurrence') options.until = floating(`${range.endDate}T23:59:59`);
  const rule = new RRule(options);
  if (rules.size > 2000) rules.clear();
  rules.set(key, rule);
  return rule;
}

const toInstant = (date: Date, clock: SeriesClock) => instant(date.toISOString().slice(0, 19), clock.zone);

/** The original starts of the occurrences starting in [fromMs, toMs), in order. */
export function occurrencesBetween(
  recurrence: Recurrence,
  clock: SeriesClock,
  fromMs: number,
  toMs: number,
): number[] {
  if (toMs <= fromMs) return [];
  const day = 86_400_000;
  return ruleOf(recurrence, clock)
    .between(
      new Date(Math.max(fromMs - 2 * day, -8.64e15)),
      new Date(Math.min(toMs + 2 * day, 8.64e15)),
      true,
    )
    .map((date) => toInstant(date, clock))
    .filter((ms) => ms >= fromMs && ms < toMs);
}

/** The first `count` original starts. */
export function firstOccurrences(recurrence: Recurrence, clock: SeriesClock, count: number): number[] {
  return ruleOf(recurrence, clock)
    .all((_, i) => i < count)
    .map((date) => toInstant(date, clock));
}

/** The last occurrence's original start, or undefined for a series without an end. */
export function lastOccurrence(recurrence: Recurrence, clock: SeriesClock): number | undefined {
  if (recurrence.range.kind === 'NoEndRecurrence') return undefined;
  const all = ruleOf(recurrence, clock).all();
  const last = all[all.length - 1];
  return last === undefined ? undefined : toInstant(last, clock);
}

/** Refuses a series without occurrences, or whose occurrences overlap (an occurrence longer than the gap). */
export function checkSeries(recurrence: Recurrence, clock: SeriesClock, durationMs: number): number {
  const starts = firstOccurrences(recurrence, clock, 60);
  const first = starts[0];
  if (first === undefined) throw new ItemError('ErrorRecurrenceHasNoOccurrence');
  for (let i = 1; i < starts.length; i++)
    if (starts[i]! - starts[i - 1]! < durationMs) throw new ItemError('ErrorOccurrenceTimeSpanTooBig');
  return first;
}

/** t:Recurrence as Exchange writes it back. */
export function recurrenceXml(recurrence: Recurrence): string {
  const { pattern, range } = recurrence;
  const parts: string[] = [];
  if ('interval' in pattern) parts.push(textTag('t:Interval', String(pattern.interval)));
  if (pattern.kind === 'WeeklyRecurrence') {
    parts.push(textTag('t:DaysOfWeek', pattern.daysOfWeek.join(' ')));
    if (pattern.firstDayOfWeek !== undefined) parts.push(textTag('t:FirstDayOfWeek', pattern.firstDayOfWeek));
  }
  if (pattern.kind === 'RelativeMonthlyRecurrence' || pattern.kind === 'RelativeYearlyRecurrence')
    parts.push(
      textTag('t:DaysOfWeek', pattern.daysOfWeek),
      textTag('t:DayOfWeekIndex', pattern.dayOfWeekIndex),
    );
  if (pattern.kind === 'AbsoluteMonthlyRecurrence' || pattern.kind === 'AbsoluteYearlyRecurrence')
    parts.push(textTag('t:DayOfMonth', String(pattern.dayOfMonth)));
  if (pattern.kind === 'AbsoluteYearlyRecurrence' || pattern.kind === 'RelativeYearlyRecurrence')
    parts.push(textTag('t:Month', pattern.month));
  const rangeParts = [textTag('t:StartDate', range.startDate)];
  if (range.kind === 'EndDateRecurrence') rangeParts.push(textTag('t:EndDate', range.endDate));
  if (range.kind === 'NumberedRecurrence')
    rangeParts.push(textTag('t:NumberOfOccurrences', String(range.numberOfOccurrences)));
  return tag(
    't:Recurrence',
    {},
    tag(`t:${pattern.kind}`, {}, parts.join('')) + tag(`t:${range.kind}`, {}, rangeParts.join('')),
  );
}

/** The recurrence as JSON in EWS's element names, for the sandbox's view of stored items. */
export function recurrenceJson(recurrence: Recurrence): Record<string, unknown> {
  const { pattern, range } = recurrence;
  const { kind, ...patternFields } = pattern;
  const { kind: rangeKind, ...rangeFields } = range;
  const capitalized = (fields: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(fields)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), Array.isArray(v) ? v.join(' ') : v]),
    );
  return { [kind]: capitalized(patternFields), [rangeKind]: capitalized(rangeFields) };
}
