// An event's recurrence as Graph takes and expands it. Checking: the six pattern types, each with
// the properties it requires ("Schedule repeating appointments as recurring events in Outlook":
// daysOfWeek for weekly and relative types, dayOfMonth for absolute ones, month for yearly ones,
// interval at least 1; firstDayOfWeek defaults to sunday and index to first), the three range
// types with theirs (startDate always, endDate or a positive numberOfOccurrences), and every
// enumerated value checked even where the type ignores it, as that page warns. Expanding: the
// occurrences Outlook shows, which differ from RFC 5545's on purpose: weeks counted from
// firstDayOfWeek, day 29-31 moved to the last day of a shorter month (and counted), "the second
// Thursday or Friday" meaning the second day of the month that is either, endDate inclusive.
import { GraphError } from './graph-errors.ts';

/** The recurrence as Graph stores and returns it (every property present, as in its responses). */
export interface GraphRecurrence {
  pattern: {
    type: PatternType;
    interval: number;
    month: number;
    dayOfMonth: number;
    daysOfWeek: DayOfWeek[];
    firstDayOfWeek: DayOfWeek;
    index: WeekIndex;
  };
  range: {
    type: RangeType;
    startDate: string;
    endDate: string;
    recurrenceTimeZone: string;
    numberOfOccurrences: number;
  };
}

const patternTypes = [
  'daily',
  'weekly',
  'absoluteMonthly',
  'relativeMonthly',
  'absoluteYearly',
  'relativeYearly',
] as const;
const rangeTypes = ['endDate', 'noEnd', 'numbered'] as const;
const daysOfWeek = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
const weekIndexes = ['first', 'second', 'third', 'fourth', 'last'] as const;
type PatternType = (typeof patternTypes)[number];
type RangeType = (typeof rangeTypes)[number];
type DayOfWeek = (typeof daysOfWeek)[number];
type WeekIndex = (typeof weekIndexes)[number];

const patternProperties = new Set([
  'type',
  'interval',
  'month',
  'dayOfMonth',
  'daysOfWeek',
  'firstDayOfWeek',
  'index',
]);
const rangeProperties = new Set([
  'type',
  'startDate',
  'endDate',
  'recurrenceTimeZone',
  'numberOfOccurrences',
]);

/** What Graph reads back for "no end date" (the response of the create example on user-post-events). */
const noDate = '0001-01-01';

const unknownProperty = (name: string, type: string) =>
  new GraphError(
    400,
    'RequestBodyRead',
    `The property '${name}' does not exist on type 'microsoft.graph.${type}'. Make sure to only use property names that are defined by the type.`,
  );
/** An enumerated value Graph cannot read (the same answer as for showAs or sensitivity). */
const badLiteral = (value: unknown, type: string) =>
  new GraphError(
    400,
    'ErrorInvalidRequest',
    `Cannot convert the literal '${String(value)}' to the expected type '${type}'.`,
  );
/** A value Graph reads but refuses: its message says only "At least one property failed validation."; the sandbox adds which. */
const failed = (detail: string) =>
  new GraphError(400, 'ErrorPropertyValidationFailure', `At least one property failed validation. ${detail}`);

/** Graph reads enumerated values whatever their case ("Monday" in its own create example) and returns them in camel case. */
function literal<T extends string>(values: readonly T[], value: unknown, type: string): T {
  const found =
    typeof value === 'string' ? values.find((v) => v.toLowerCase() === value.toLowerCase()) : undefined;
  if (found === undefined) throw badLiteral(value, type);
  return found;
}

function int32(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || Math.abs(value) > 2 ** 31)
    throw badLiteral(value, 'Edm.Int32');
  return value;
}

const isDate = (value: unknown): value is string =>
  typeof value === 'string' &&
  /^\d{4}-\d{2}-\d{2}$/.test(value) &&
  (value === noDate || new Date(`${value}T00:00:00Z`).toISOString().startsWith(value));

/**
 * The recurrence Graph stores for `input`, or the error Graph answers. `eventZone` is the zone of
 * the event's start, which a range without recurrenceTimeZone takes (recurrenceRange: "If not
 * specified, the time zone of the event is used"); `zoneKnown` says whether Graph takes a zone.
 */
export function normalizeRecurrence(
  input: unknown,
  eventZone: string,
  zoneKnown: (zone: string) => boolean,
): GraphRecurrence | null {
  if (input === null) return null;
  if (typeof input !== 'object' || Array.isArray(input))
    throw badLiteral(JSON.stringify(input), 'microsoft.graph.patternedRecurrence');
  const { pattern, range, ...rest } = input as Record<string, unknown>;
  for (const name of Object.keys(rest))
    if (!name.startsWith('@odata')) throw unknownProperty(name, 'patternedRecurrence');
  if (typeof pattern !== 'object' || pattern === null || Array.isArray(pattern))
    throw failed('recurrence.pattern is required.');
  if (typeof range !== 'object' || range === null || Array.isArray(range))
    throw failed('recurrence.range is required.');
  const p = pattern as Record<string, unknown>;
  const r = range as Record<string, unknown>;
  for (const name of Object.keys(p))
    if (!patternProperties.has(name) && !name.startsWith('@odata'))
      throw unknownProperty(name, 'recurrencePattern');
  for (const name of Object.keys(r))
    if (!rangeProperties.has(name) && !name.startsWith('@odata'))
      throw unknownProperty(name, 'recurrenceRange');

  // Every enumerated value is checked, whether or not the type uses it.
  if (p['type'] === undefined || p['type'] === null) throw failed('recurrence.pattern.type is required.');
  const type = literal(patternTypes, p['type'], 'microsoft.graph.recurrencePatternType');
  const days =
    p['daysOfWeek'] === undefined || p['daysOfWeek'] === null
      ? []
      : Array.isArray(p['daysOfWeek'])
        ? p['daysOfWeek'].map((d) => literal(daysOfWeek, d, 'microsoft.graph.dayOfWeek'))
        : [literal(daysOfWeek, p['daysOfWeek'], 'microsoft.graph.dayOfWeek')];
  const firstDayOfWeek =
    p['firstDayOfWeek'] === undefined || p['firstDayOfWeek'] === null
      ? 'sunday'
      : literal(daysOfWeek, p['firstDayOfWeek'], 'microsoft.graph.dayOfWeek');
  const index =
    p['index'] === undefined || p['index'] === null
      ? 'first'
      : literal(weekIndexes, p['index'], 'microsoft.graph.weekIndex');
  if (p['interval'] === undefined || p['interval'] === null)
    throw failed('recurrence.pattern.interval is required.');
  const interval = int32(p['interval']);
  if (interval < 1) throw failed('recurrence.pattern.interval must be 1 or more.');
  const dayOfMonth = p['dayOfMonth'] === undefined || p['dayOfMonth'] === null ? 0 : int32(p['dayOfMonth']);
  const month = p['month'] === undefined || p['month'] === null ? 0 : int32(p['month']);

  const relative = type === 'relativeMonthly' || type === 'relativeYearly';
  const absolute = type === 'absoluteMonthly' || type === 'absoluteYearly';
  const yearly = type === 'absoluteYearly' || type === 'relativeYearly';
  if ((type === 'weekly' || relative) && days.length === 0)
    throw failed(`recurrence.pattern.daysOfWeek is required for a ${type} pattern.`);
  if (absolute && (dayOfMonth < 1 || dayOfMonth > 31))
    throw failed(`recurrence.pattern.dayOfMonth (1 to 31) is required for an ${type} pattern.`);
  if (yearly && (month < 1 || month > 12))
    throw failed(`recurrence.pattern.month (1 to 12) is required for a ${type} pattern.`);

  if (r['type'] === undefined || r['type'] === null) throw failed('recurrence.range.type is required.');
  const rangeType = literal(rangeTypes, r['type'], 'microsoft.graph.recurrenceRangeType');
  if (!isDate(r['startDate']) || r['startDate'] === noDate)
    throw r['startDate'] === undefined || r['startDate'] === null
      ? failed('recurrence.range.startDate is required.')
      : badLiteral(r['startDate'], 'Edm.Date');
  const startDate = r['startDate'];
  if (r['endDate'] !== undefined && r['endDate'] !== null && !isDate(r['endDate']))
    throw badLiteral(r['endDate'], 'Edm.Date');
  const endDate = rangeType === 'endDate' ? r['endDate'] : undefined;
  if (rangeType === 'endDate') {
    if (typeof endDate !== 'string' || endDate === noDate)
      throw failed('recurrence.range.endDate is required for an endDate range.');
    if (endDate < startDate) throw failed('recurrence.range.endDate is before its startDate.');
  }
  const count =
    r['numberOfOccurrences'] === undefined || r['numberOfOccurrences'] === null
      ? 0
      : int32(r['numberOfOccurrences']);
  if (rangeType === 'numbered' && count < 1)
    throw failed('recurrence.range.numberOfOccurrences must be positive for a numbered range.');
  const given = r['recurrenceTimeZone'];
  if (given !== undefined && given !== null && typeof given !== 'string')
    throw badLiteral(given, 'Edm.String');
  const zone = given === undefined || given === null || given === '' ? eventZone : given;
  if (!zoneKnown(zone))
    throw new GraphError(
      400,
      'TimeZoneNotSupportedException',
      `A valid TimeZone value must be specified. The following TimeZone value is not supported: '${zone}'.`,
    );

  return {
    pattern: {
      type,
      interval,
      month: yearly ? month : 0,
      dayOfMonth: absolute ? dayOfMonth : 0,
      // Listed from firstDayOfWeek on, each once (the order Outlook shows them in).
      daysOfWeek: type === 'daily' || absolute ? [] : rotate(firstDayOfWeek).filter((d) => days.includes(d)),
      firstDayOfWeek,
      index,
    },
    range: {
      type: rangeType,
      startDate,
      endDate: rangeType === 'endDate' && typeof endDate === 'string' ? endDate : noDate,
      recurrenceTimeZone: zone,
      numberOfOccurrences: rangeType === 'numbered' ? count : 0,
    },
  };
}

function rotate(first: DayOfWeek): DayOfWeek[] {
  const at = daysOfWeek.indexOf(first);
  return [...daysOfWeek.slice(at), ...daysOfWeek.slice(0, at)];
}

// Dates as day numbers (days since 1970-01-01), so that weeks and months are plain arithmetic.
const dayMs = 86_400_000;
export const dayNumber = (date: string): number => Math.round(Date.parse(`${date}T00:00:00Z`) / dayMs);
export const dateOf = (day: number): string => new Date(day * dayMs).toISOString().slice(0, 10);
/** 0 = sunday, as daysOfWeek are listed. */
const weekdayOf = (day: number): number => (((day + 4) % 7) + 7) % 7;
const daysInMonth = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();
const dayIn = (year: number, month: number, day: number) =>
  Math.round(Date.UTC(year, month - 1, day) / dayMs);

/** The day of `year`/`month` a relative pattern falls on: the index-th day that is any of `days` ("last": the last such). */
function relativeDay(year: number, month: number, days: readonly DayOfWeek[], index: WeekIndex): number {
  const wanted = new Set(days.map((d) => daysOfWeek.indexOf(d)));
  const matching: number[] = [];
  for (let d = 1; d <= daysInMonth(year, month); d++) {
    const day = dayIn(year, month, d);
    if (wanted.has(weekdayOf(day))) matching.push(day);
  }
  const position = index === 'last' ? matching.length - 1 : weekIndexes.indexOf(index);
  // Every month has at least four of any weekday, so first to fourth always exist.
  return matching[position] ?? matching[matching.length - 1] ?? dayIn(year, month, 1);
}

/**
 * The dates (YYYY-MM-DD, in the recurrence's zone) the series occurs on, in order, from its
 * startDate to its end, or up to `through` (inclusive) for a series without one or to stop early.
 * A numbered range counts from its startDate whatever `through` is.
 */
export function* occurrenceDates(recurrence: GraphRecurrence, through: string): Generator<string> {
  const { pattern, range } = recurrence;
  const first = dayNumber(range.startDate);
  const last = Math.min(
    dayNumber(through),
    range.type === 'endDate' ? dayNumber(range.endDate) : Number.POSITIVE_INFINITY,
  );
  let left = range.type === 'numbered' ? range.numberOfOccurrences : Number.POSITIVE_INFINITY;
  const emit = function* (days: number[]): Generator<string, boolean> {
    for (const day of days) {
      if (day < first) continue;
      if (day > last || left <= 0) return false;
      left--;
      yield dateOf(day);
    }
    return true;
  };
  const startYear = Number(range.startDate.slice(0, 4));
  const startMonth = Number(range.startDate.slice(5, 7));
  // A period (day, week, month, year) that begins after `last` ends the series; the cap keeps a
  // mistaken pattern from spinning.
  for (let k = 0; k < 200_000; k++) {
    let days: number[];
    let periodStart: number;
    switch (pattern.type) {
      case 'daily':
        periodStart = first + k * pattern.interval;
        days = [periodStart];
        break;
      case 'weekly': {
        // Weeks begin on firstDayOfWeek: with an interval above 1 they decide which weeks count.
        const weekStart =
          first -
          ((weekdayOf(first) - daysOfWeek.indexOf(pattern.firstDayOfWeek) + 7) % 7) +
          7 * pattern.interval * k;
        periodStart = weekStart;
        days = [];
        for (let offset = 0; offset < 7; offset++)
          if (pattern.daysOfWeek.includes(daysOfWeek[weekdayOf(weekStart + offset)] ?? 'sunday'))
            days.push(weekStart + offset);
        break;
      }
      case 'absoluteMonthly':
      case 'relativeMonthly': {
        const months = startMonth - 1 + k * pattern.interval;
        const year = startYear + Math.floor(months / 12);
        const month = (months % 12) + 1;
        periodStart = dayIn(year, month, 1);
        days = [
          pattern.type === 'absoluteMonthly'
            ? dayIn(year, month, Math.min(pattern.dayOfMonth, daysInMonth(year, month)))
            : relativeDay(year, month, pattern.daysOfWeek, pattern.index),
        ];
        break;
      }
      case 'absoluteYearly':
      case 'relativeYearly': {
        const year = startYear + k * pattern.interval;
        periodStart = dayIn(year, 1, 1);
        days = [
          pattern.type === 'absoluteYearly'
            ? dayIn(year, pattern.month, Math.min(pattern.dayOfMonth, daysInMonth(year, pattern.month)))
            : relativeDay(year, pattern.month, pattern.daysOfWeek, pattern.index),
        ];
        break;
      }
    }
    if (periodStart > last || left <= 0) return;
    if (!(yield* emit(days))) return;
  }
}
