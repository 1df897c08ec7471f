// The pattern of a Lightning event series (Recurrence2PatternText, an RFC 5545 RRULE as
// Salesforce writes it: "RRULE:FREQ=WEEKLY;BYDAY=MO;WKST=SU;INTERVAL=1;COUNT=13"): what the
// sandbox org accepts, the occurrences it expands into (with the rrule package, in the series'
// local wall-clock time, so each occurrence keeps its local start across DST), and the pattern
// cut to end before an occurrence (DELETE …/fromThisEventOnwards).
import rrule from 'rrule';
import { floatingOf, instantOf } from './zoned-time.ts';

const { RRule } = rrule;

const day = 86_400_000;
/** How far a series without COUNT or UNTIL is expanded: the sandbox's horizon (Salesforce does not document its own). */
export const horizonYears = 5;

const weekday = '(?:MO|TU|WE|TH|FR|SA|SU)';
const numberList = (min: number, max: number, signed: boolean) => (value: string) =>
  value.split(',').every((item) => {
    if (!new RegExp(`^${signed ? '[+-]?' : ''}\\d{1,3}$`).test(item)) return false;
    const n = Math.abs(Number(item));
    return n >= min && n <= max;
  });

/** The rule parts the sandbox takes, each with the values RFC 5545 allows. */
const partRules: Record<string, (value: string) => boolean> = {
  FREQ: (value) => /^(?:SECONDLY|MINUTELY|HOURLY|DAILY|WEEKLY|MONTHLY|YEARLY)$/.test(value),
  INTERVAL: (value) => /^[1-9]\d{0,3}$/.test(value),
  COUNT: (value) => /^[1-9]\d{0,3}$/.test(value),
  UNTIL: (value) => /^\d{8}(?:T\d{6}Z)?$/.test(value) && !Number.isNaN(untilFloating(value, 'UTC')),
  BYDAY: (value) =>
    value.split(',').every((item) => {
      const match = new RegExp(`^([+-]?\\d{1,2})?${weekday}$`).exec(item);
      return (
        match !== null &&
        (match[1] === undefined || (Math.abs(Number(match[1])) >= 1 && Math.abs(Number(match[1])) <= 53))
      );
    }),
  BYMONTHDAY: numberList(1, 31, true),
  BYMONTH: numberList(1, 12, false),
  BYSETPOS: numberList(1, 366, true),
  BYYEARDAY: numberList(1, 366, true),
  BYWEEKNO: numberList(1, 53, true),
  WKST: (value) => new RegExp(`^${weekday}$`).test(value),
};

/** The rule's parts by name, or what is wrong with it (the message of a FIELD_INTEGRITY_EXCEPTION). */
export function readPattern(text: string): Map<string, string> | { problem: string } {
  const body = /^RRULE:([^\r\n]+)$/.exec(text)?.[1];
  if (body === undefined) return { problem: 'the pattern must be one RRULE line ("RRULE:FREQ=…")' };
  const parts = new Map<string, string>();
  for (const part of body.split(';')) {
    const [name = '', value, ...rest] = part.split('=');
    if (value === undefined || rest.length > 0 || value === '')
      return { problem: `"${part}" is not a rule part (NAME=VALUE)` };
    if (['BYHOUR', 'BYMINUTE', 'BYSECOND'].includes(name))
      return { problem: `${name} is not allowed: every occurrence starts at the series' start time` };
    const valid = partRules[name];
    if (valid === undefined) return { problem: `unknown rule part ${name}` };
    if (parts.has(name)) return { problem: `${name} is given twice` };
    if (!valid(value)) return { problem: `${name}=${value} is not a valid value` };
    parts.set(name, value);
  }
  const freq = parts.get('FREQ');
  if (freq === undefined) return { problem: 'FREQ is required' };
  if (!['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'].includes(freq))
    return { problem: `FREQ=${freq} is not supported: a series repeats DAILY, WEEKLY, MONTHLY or YEARLY` };
  // RFC 5545: "The UNTIL or COUNT rule parts are OPTIONAL, but they MUST NOT occur in the same 'recur'."
  if (parts.has('COUNT') && parts.has('UNTIL')) return { problem: 'COUNT and UNTIL must not both be given' };
  return parts;
}

/** Where the occurrences of a series fall: its first occurrence, its zone, and whether it is all-day. */
export interface SeriesTiming {
  /** Timed: the first occurrence's start (epoch ms). All-day: midnight UTC of its date. */
  start: number;
  allDay: boolean;
  timeZone: string;
}

/**
 * The starts of every occurrence of a valid pattern (see readPattern), in order: instants for a
 * timed series, midnight UTC of each date for an all-day one. The rule is expanded from DTSTART =
 * the first occurrence's local wall-clock time in the series' zone (WKST Monday unless given); a
 * UTC UNTIL is compared in that local time, a date UNTIL takes its whole day. A rule without
 * COUNT or UNTIL is expanded over `horizonYears`.
 */
export function expandPattern(text: string, timing: SeriesTiming): number[] {
  const parts = readPattern(text);
  if (!(parts instanceof Map)) return [];
  const options = RRule.parseString(
    [...parts]
      .filter(([name]) => name !== 'UNTIL')
      .map(([n, v]) => `${n}=${v}`)
      .join(';'),
  );
  const local = timing.allDay ? timing.start : floatingOf(timing.start, timing.timeZone);
  // rrule works in whole seconds: the sub-second part of the start is kept on every occurrence.
  const fraction = ((local % 1000) + 1000) % 1000;
  const dtstart = new Date(local - fraction);
  const until = parts.get('UNTIL');
  const rule = new RRule({
    ...options,
    dtstart,
    ...(until === undefined ? {} : { until: new Date(untilFloating(until, timing.timeZone)) }),
  });
  let dates: Date[];
  if (parts.has('COUNT') || until !== undefined) {
    dates = rule.all();
  } else {
    const end = new Date(dtstart.getTime());
    end.setUTCFullYear(end.getUTCFullYear() + horizonYears);
    dates = rule.between(dtstart, end, true);
  }
  return dates.map((date) => {
    const floating = date.getTime() + fraction;
    return timing.allDay ? floating : instantOf(floating, timing.timeZone);
  });
}

/** An UNTIL value as floating local time in `timeZone`: a UTC date-time at its local time, a date at its day's end. */
function untilFloating(value: string, timeZone: string): number {
  const [, y, m, d, hh, mm, ss] = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})Z)?$/.exec(value) ?? [];
  if (hh === undefined) {
    const date = Date.UTC(Number(y), Number(m) - 1, Number(d));
    return new Date(date).getUTCDate() === Number(d) ? date + day - 1000 : Number.NaN;
  }
  const instant = Date.UTC(Number(y), Number(m) - 1, Number(d), Number(hh), Number(mm), Number(ss));
  if (Number.isNaN(instant) || new Date(instant).getUTCDate() !== Number(d)) return Number.NaN;
  return floatingOf(instant, timeZone);
}

/** The pattern with COUNT or UNTIL replaced by UNTIL=`until` (in the place the end had, else last). */
export function endPatternAt(text: string, until: string): string {
  const parts = (/^RRULE:(.*)$/.exec(text)?.[1] ?? '').split(';');
  const at = parts.findIndex((part) => /^(?:COUNT|UNTIL)=/.test(part));
  const kept = parts.filter((part) => !/^(?:COUNT|UNTIL)=/.test(part));
  kept.splice(at < 0 ? kept.length : at, 0, `UNTIL=${until}`);
  return `RRULE:${kept.join(';')}`;
}

/** An instant as RFC 5545 writes a UTC date-time: 20261208T090000Z. */
export function utcDateTime(ms: number): string {
  return `${new Date(ms).toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`;
}

/** A date as RFC 5545 writes it: 20261208. */
export function basicDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10).replace(/-/g, '');
}
