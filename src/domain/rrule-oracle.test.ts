// parseRrule against an independent RFC 5545 expander (the rrule package): for random
// Lightning-style rules — every frequency, intervals, BYDAY / BYMONTHDAY / BYSETPOS / BYMONTH,
// COUNT or UNTIL (a UTC date-time, as Salesforce writes it), WKST present or absent — started at
// random times in seven zones, the occurrences of the rule as written equal, one for one over
// five years, those of the Recurrence read from it (written back as the calendar receives it:
// explicit week start, an end date whose occurrences count). Times are compared as local
// wall-clock times in the series' zone, which is how a series repeats.
import fc from 'fast-check';
import { RRule, type Options } from 'rrule';
import { describe, expect, it } from 'vitest';
import type { Recurrence, Weekday } from './calendar-item.ts';
import { parseRrule } from './rrule.ts';
import { localDateTime } from './time-zones.ts';

const zones = [
  'America/New_York',
  'Europe/London',
  'Europe/Berlin',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
  'Pacific/Apia',
  'America/Sao_Paulo',
];
const days: readonly Weekday[] = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];
const rruleDays = {
  MO: RRule.MO,
  TU: RRule.TU,
  WE: RRule.WE,
  TH: RRule.TH,
  FR: RRule.FR,
  SA: RRule.SA,
  SU: RRule.SU,
};
const frequencies = {
  DAILY: RRule.DAILY,
  WEEKLY: RRule.WEEKLY,
  MONTHLY: RRule.MONTHLY,
  YEARLY: RRule.YEARLY,
};

/** A local wall-clock time as rrule's "floating" Date (its UTC fields are the local ones). */
const floating = (local: string) => new Date(`${local.slice(0, 19)}Z`);
const horizonYears = 5;

/** The occurrences (local wall-clock times) of rrule options from `start`, over the horizon, 400 at most. */
function expand(options: Partial<Options>, start: Date): string[] {
  const rule = new RRule({ ...options, dtstart: start });
  const until = new Date(start.getTime());
  until.setUTCFullYear(until.getUTCFullYear() + horizonYears);
  return rule
    .between(start, until, true)
    .slice(0, 400)
    .map((d) => d.toISOString().slice(0, 19));
}

/** The Recurrence written back as rules the calendar follows: its week start, and every occurrence on its end date. */
function fromRecurrence(recurrence: Recurrence): Partial<Options> {
  const options: Partial<Options> = {
    freq: frequencies[recurrence.frequency.toUpperCase() as keyof typeof frequencies],
    interval: recurrence.interval,
    wkst: rruleDays[recurrence.weekStart],
  };
  if (recurrence.byDay.length > 0) {
    options.byweekday = recurrence.byDay.map((d) => rruleDays[d]);
    if (recurrence.setPosition !== null) options.bysetpos = recurrence.setPosition;
  }
  if (recurrence.byMonthDay !== null) options.bymonthday = recurrence.byMonthDay;
  if (recurrence.byMonth !== null) options.bymonth = recurrence.byMonth;
  if (recurrence.end.kind === 'count') options.count = recurrence.end.count;
  if (recurrence.end.kind === 'until') options.until = floating(`${recurrence.end.date}T23:59:59`);
  return options;
}

interface Drawn {
  rule: string;
  zone: string;
  start: number;
}

const rules = fc
  .record({
    freq: fc.constantFrom('DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'),
    interval: fc.integer({ min: 1, max: 4 }),
    byDay: fc.uniqueArray(fc.constantFrom(...days), { minLength: 1, maxLength: 3 }),
    monthly: fc.constantFrom('day', 'position'),
    // Days 29 to 31 are where Outlook and RFC 5545 part ways (Graph refuses those series: see
    // to-graph-event.ts).
    monthDay: fc.integer({ min: 1, max: 28 }),
    position: fc.constantFrom(1, 2, 3, 4, -1),
    month: fc.integer({ min: 1, max: 12 }),
    wkst: fc.option(fc.constantFrom(...days), { nil: undefined }),
    end: fc.oneof(
      fc.record({ kind: fc.constant('count' as const), count: fc.integer({ min: 1, max: 30 }) }),
      fc.record({
        kind: fc.constant('until' as const),
        afterDays: fc.integer({ min: 0, max: 900 }),
        hour: fc.integer({ min: 0, max: 23 }),
      }),
      fc.constant({ kind: 'never' as const }),
    ),
    zone: fc.constantFrom(...zones),
    // 2026 to 2029, at a whole quarter hour between 07:00 and 19:45 UTC.
    startDay: fc.integer({ min: 0, max: 4 * 365 }),
    startQuarter: fc.integer({ min: 28, max: 79 }),
  })
  .map((r): Drawn => {
    const start = Date.UTC(2026, 0, 1) + r.startDay * 86_400_000 + r.startQuarter * 900_000;
    const parts = [`FREQ=${r.freq}`, `INTERVAL=${r.interval}`];
    if (r.freq === 'WEEKLY') parts.push(`BYDAY=${r.byDay.join(',')}`);
    if (r.freq === 'MONTHLY' || r.freq === 'YEARLY') {
      if (r.monthly === 'day') parts.push(`BYMONTHDAY=${r.monthDay}`);
      else parts.push(`BYDAY=${r.byDay[0]}`, `BYSETPOS=${r.position}`);
      if (r.freq === 'YEARLY') parts.push(`BYMONTH=${r.month}`);
    }
    if (r.wkst !== undefined) parts.push(`WKST=${r.wkst}`);
    if (r.end.kind === 'count') parts.push(`COUNT=${r.end.count}`);
    if (r.end.kind === 'until') {
      const until = new Date(start + r.end.afterDays * 86_400_000);
      until.setUTCHours(r.end.hour, 0, 0, 0);
      parts.push(`UNTIL=${until.toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`);
    }
    return { rule: parts.join(';'), zone: r.zone, start };
  });

describe('parseRrule against an RFC 5545 expander', () => {
  it('reads every rule into a Recurrence with the same occurrences', () => {
    fc.assert(
      fc.property(rules, ({ rule, zone, start }) => {
        const local = localDateTime(start, zone);
        const startTime = local.slice(11, 19);
        const parsed = parseRrule(rule, { startDate: local.slice(0, 10), timeZone: zone, startTime });
        if ('problem' in parsed) throw new Error(`${rule}: ${parsed.problem}`);
        // The rule as written: UNTIL is an instant, compared with each occurrence's instant; in
        // the zone's wall-clock time that is the UNTIL instant's local time.
        const written = RRule.parseString(rule);
        if (written.until !== undefined && written.until !== null)
          written.until = floating(localDateTime(written.until.getTime(), zone));
        const expected = expand(written, floating(local));
        const actual = expand(fromRecurrence(parsed), floating(local));
        expect({ rule, zone, local, occurrences: actual }).toEqual({
          rule,
          zone,
          local,
          occurrences: expected,
        });
      }),
      { numRuns: 1500 },
    );
  });

  it('counts weeks from Monday when WKST is absent, as RFC 5545 says', () => {
    // FREQ=WEEKLY;INTERVAL=3;BYDAY=MO,SU from Sunday 2027-12-12: next on Monday 2027-12-27.
    const parsed = parseRrule('FREQ=WEEKLY;INTERVAL=3;BYDAY=MO,SU;COUNT=3', {
      startDate: '2027-12-12',
      timeZone: 'Europe/Berlin',
      startTime: '09:00:00',
    });
    expect(parsed).toMatchObject({ weekStart: 'MO' });
    const occurrences = expand(fromRecurrence(parsed as Recurrence), floating('2027-12-12T09:00:00'));
    expect(occurrences).toEqual(['2027-12-12T09:00:00', '2027-12-27T09:00:00', '2028-01-02T09:00:00']);
  });

  it("reads a UTC UNTIL as the date it falls on in the series zone, before or after that day's occurrence", () => {
    const until = (rule: string, timeZone: string, startTime: string) =>
      parseRrule(rule, { startDate: '2027-01-04', timeZone, startTime });
    // 23:30 UTC on 31 December is already 1 January in Berlin, after 00:15 there.
    expect(until('FREQ=DAILY;UNTIL=20271231T233000Z', 'Europe/Berlin', '00:15:00')).toMatchObject({
      end: { kind: 'until', date: '2028-01-01' },
    });
    // 08:00 UTC is 09:00 in Berlin: the 10:00 occurrence that day is past it.
    expect(until('FREQ=DAILY;UNTIL=20270110T080000Z', 'Europe/Berlin', '10:00:00')).toMatchObject({
      end: { kind: 'until', date: '2027-01-09' },
    });
    expect(until('FREQ=DAILY;UNTIL=20270110', 'Pacific/Apia', '10:00:00')).toMatchObject({
      end: { kind: 'until', date: '2027-01-10' },
    });
  });
});
