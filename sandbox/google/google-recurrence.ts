// An event's `recurrence` as Google Calendar takes it: "List of RRULE, EXRULE, RDATE and EXDATE
// lines for a recurring event, as specified in RFC5545", DTSTART and DTEND not allowed (Events
// resource). Each line is checked against RFC 5545's grammar (the rrule package alone reads
// "FREQ=FOO" or "BYDAY=XX" without complaint); anything else is 400 "Invalid recurrence rule.".
// Expansion is RFC 5545's, by the rrule package, in the series' wall-clock time: the start's
// timeZone for a timed series (so 09:00 stays 09:00 across DST), dates for an all-day one.
import rrule from 'rrule';
import type { Options, Weekday } from 'rrule';
import { badRequest } from './google-errors.ts';
import { instant, isIanaZone, wallClock } from './google-time.ts';

const { RRule, RRuleSet } = rrule;

export const invalidRecurrence = () => badRequest('Invalid recurrence rule.');

/** What a series is expanded from: its first start as wall-clock time in its zone, or its first date. */
export interface SeriesStart {
  allDay: boolean;
  /** Timed: YYYY-MM-DDTHH:MM:SS in `zone`; all-day: YYYY-MM-DD. */
  wall: string;
  /** Timed: start.timeZone; all-day: the calendar's zone (dates are read in it). */
  zone: string;
}

/** An occurrence by its recurrence: when it starts (an all-day one: its date, at midnight in the zone). */
export interface Occurrence {
  startMs: number;
  /** All-day series only. */
  date?: string;
}

const frequencies = ['YEARLY', 'MONTHLY', 'WEEKLY', 'DAILY', 'HOURLY', 'MINUTELY', 'SECONDLY'] as const;
const weekdays = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;

const integerList = (value: string, min: number, max: number, signed: boolean): number[] => {
  const numbers = value.split(',').map((part) => {
    if (!/^[+-]?\d{1,3}$/.test(part)) throw invalidRecurrence();
    const n = Number(part);
    if (n === 0 && min > 0 && signed) throw invalidRecurrence();
    if (Math.abs(n) < min || Math.abs(n) > max || (!signed && n < 0)) throw invalidRecurrence();
    return n;
  });
  return numbers;
};

/** An RRULE or EXRULE value (what follows "RRULE:") as rrule options, or 400 when RFC 5545 does not allow it. */
function ruleOptions(value: string): Partial<Options> & { untilText?: string } {
  const seen = new Set<string>();
  const options: Partial<Options> & { untilText?: string } = {};
  for (const part of value.split(';')) {
    const [name = '', text, ...rest] = part.split('=');
    const key = name.toUpperCase();
    if (text === undefined || text === '' || rest.length > 0 || seen.has(key)) throw invalidRecurrence();
    seen.add(key);
    switch (key) {
      case 'FREQ': {
        const index = frequencies.indexOf(text.toUpperCase() as (typeof frequencies)[number]);
        if (index === -1) throw invalidRecurrence();
        options.freq = index;
        break;
      }
      case 'UNTIL':
        if (!/^\d{8}(T\d{6}Z?)?$/i.test(text)) throw invalidRecurrence();
        options.untilText = text.toUpperCase();
        break;
      case 'COUNT':
      case 'INTERVAL':
        if (!/^\d{1,6}$/.test(text) || Number(text) < 1) throw invalidRecurrence();
        options[key === 'COUNT' ? 'count' : 'interval'] = Number(text);
        break;
      case 'BYSECOND':
        options.bysecond = integerList(text, 0, 60, false);
        break;
      case 'BYMINUTE':
        options.byminute = integerList(text, 0, 59, false);
        break;
      case 'BYHOUR':
        options.byhour = integerList(text, 0, 23, false);
        break;
      case 'BYMONTHDAY':
        options.bymonthday = integerList(text, 1, 31, true);
        break;
      case 'BYYEARDAY':
        options.byyearday = integerList(text, 1, 366, true);
        break;
      case 'BYWEEKNO':
        options.byweekno = integerList(text, 1, 53, true);
        break;
      case 'BYMONTH':
        options.bymonth = integerList(text, 1, 12, false);
        break;
      case 'BYSETPOS':
        options.bysetpos = integerList(text, 1, 366, true);
        break;
      case 'WKST': {
        const index = weekdays.indexOf(text.toUpperCase() as (typeof weekdays)[number]);
        if (index === -1) throw invalidRecurrence();
        options.wkst = index;
        break;
      }
      case 'BYDAY':
        options.byweekday = text.split(',').map((day): Weekday => {
          const match = /^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$/i.exec(day);
          if (match === null) throw invalidRecurrence();
          const weekday = new rrule.Weekday(
            weekdays.indexOf(match[2]!.toUpperCase() as (typeof weekdays)[number]),
          );
          if (match[1] === undefined) return weekday;
          const n = Number(match[1]);
          if (n === 0 || Math.abs(n) > 53) throw invalidRecurrence();
          return weekday.nth(n);
        });
        break;
      default:
        throw invalidRecurrence();
    }
  }
  if (options.freq === undefined) throw invalidRecurrence();
  if (options.count !== undefined && options.untilText !== undefined) throw invalidRecurrence();
  return options;
}

interface DateList {
  exclude: boolean;
  /** Each value as a floating date (wall-clock fields in UTC), resolved once the series' zone is known. */
  values: ((start: SeriesStart) => Date)[];
}

/** An RDATE or EXDATE line ("EXDATE;TZID=Europe/Berlin:20260105T090000,20260112T090000"). */
function dateList(name: string, params: string[], value: string): DateList {
  let zone: string | undefined;
  for (const param of params) {
    const [key = '', text = ''] = param.split('=');
    if (key.toUpperCase() === 'TZID' && isIanaZone(text)) zone = text;
    else if (key.toUpperCase() !== 'VALUE' || !/^(DATE|DATE-TIME)$/i.test(text)) throw invalidRecurrence();
  }
  const values = value.split(',').map((text) => {
    const match = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z)?)?$/i.exec(text);
    if (match === null) throw invalidRecurrence();
    const [, y, mo, d, h, mi, s, utc] = match;
    const date = `${y}-${mo}-${d}`;
    if (Number.isNaN(Date.parse(`${date}T00:00:00Z`))) throw invalidRecurrence();
    return (start: SeriesStart): Date => {
      // A date alone names the occurrence of that day (at the series' time of day).
      if (h === undefined)
        return new Date(Date.parse(`${date}T${start.allDay ? '00:00:00' : start.wall.slice(11)}Z`));
      const wall = `${date}T${h}:${mi}:${s}`;
      const ms =
        utc !== undefined ? Date.parse(`${wall}Z`) : zone !== undefined ? instant(wall, zone) : undefined;
      const local = ms === undefined ? wall : wallClock(ms, start.zone);
      return new Date(
        Date.parse(
          `${start.allDay ? local.slice(0, 10) : local.slice(0, 19)}${start.allDay ? 'T00:00:00' : ''}Z`,
        ),
      );
    };
  });
  return { exclude: name === 'EXDATE', values };
}

interface ParsedRecurrence {
  rules: (Partial<Options> & { untilText?: string; exclude: boolean })[];
  dates: DateList[];
}

/** Checks `recurrence` as Google does and returns it as stored (the lines as written). */
export function checkRecurrence(recurrence: unknown): string[] {
  if (!Array.isArray(recurrence) || recurrence.some((line) => typeof line !== 'string'))
    throw invalidRecurrence();
  parseRecurrence(recurrence as string[]);
  return recurrence as string[];
}

function parseRecurrence(lines: string[]): ParsedRecurrence {
  const parsed: ParsedRecurrence = { rules: [], dates: [] };
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon === -1) throw invalidRecurrence();
    const [name = '', ...params] = line.slice(0, colon).split(';');
    const value = line.slice(colon + 1);
    const property = name.toUpperCase();
    if ((property === 'RRULE' || property === 'EXRULE') && params.length === 0)
      parsed.rules.push({ ...ruleOptions(value), exclude: property === 'EXRULE' });
    else if (property === 'RDATE' || property === 'EXDATE')
      parsed.dates.push(dateList(property, params, value));
    else throw invalidRecurrence();
  }
  if (!parsed.rules.some((r) => !r.exclude) && !parsed.dates.some((d) => !d.exclude))
    throw invalidRecurrence();
  return parsed;
}

/** A floating date (wall-clock fields in UTC) for a wall-clock time or date. */
const floating = (wall: string) => new Date(Date.parse(`${wall.length === 10 ? `${wall}T00:00:00` : wall}Z`));

/** UNTIL as a floating date in the series' zone: a UTC time converted, a date meaning the whole day. */
function untilOf(text: string, start: SeriesStart): Date {
  const date = `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}`;
  if (text.length === 8) return floating(`${date}T23:59:59`);
  const wall = `${date}T${text.slice(9, 11)}:${text.slice(11, 13)}:${text.slice(13, 15)}`;
  if (!text.endsWith('Z')) return floating(wall);
  const local = wallClock(Date.parse(`${wall}Z`), start.zone);
  return floating(start.allDay ? `${local.slice(0, 10)}T23:59:59` : local);
}

const sets = new Map<string, InstanceType<typeof RRuleSet>>();

function ruleSet(lines: string[], start: SeriesStart): InstanceType<typeof RRuleSet> {
  const key = JSON.stringify([lines, start]);
  const cached = sets.get(key);
  if (cached !== undefined) return cached;
  const parsed = parseRecurrence(lines);
  const set = new RRuleSet();
  const dtstart = floating(start.wall);
  for (const { untilText, exclude, ...options } of parsed.rules) {
    const rule = new RRule({
      ...options,
      dtstart,
      ...(untilText === undefined ? {} : { until: untilOf(untilText, start) }),
    });
    if (exclude) set.exrule(rule);
    else set.rrule(rule);
  }
  for (const list of parsed.dates)
    for (const value of list.values) {
      if (list.exclude) set.exdate(value(start));
      else set.rdate(value(start));
    }
  if (sets.size > 2000) sets.clear();
  sets.set(key, set);
  return set;
}

const toOccurrence = (date: Date, start: SeriesStart): Occurrence => {
  const wall = date.toISOString().slice(0, 19);
  return start.allDay
    ? { startMs: instant(`${wall.slice(0, 10)}T00:00:00`, start.zone), date: wall.slice(0, 10) }
    : { startMs: instant(wall, start.zone) };
};

/**
 * The occurrences whose start falls in [fromMs, toMs), in order. The window is instants; the
 * expansion runs over the same stretch of wall-clock time with a day's margin either side.
 */
export function occurrencesBetween(
  lines: string[],
  start: SeriesStart,
  fromMs: number,
  toMs: number,
): Occurrence[] {
  if (toMs <= fromMs) return [];
  const day = 86_400_000;
  const set = ruleSet(lines, start);
  return set
    .between(
      new Date(Math.max(fromMs - 2 * day, -8.64e15)),
      new Date(Math.min(toMs + 2 * day, 8.64e15)),
      true,
    )
    .map((date) => toOccurrence(date, start))
    .filter((o) => o.startMs >= fromMs && o.startMs < toMs);
}

/** Whether the recurrence has an occurrence starting at `startMs` (all-day: on `date`). */
export function isOccurrence(lines: string[], start: SeriesStart, occurrence: Occurrence): boolean {
  return occurrencesBetween(lines, start, occurrence.startMs, occurrence.startMs + 1).some(
    (o) => o.startMs === occurrence.startMs && o.date === occurrence.date,
  );
}
