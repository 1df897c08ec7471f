// The Graph sandbox's series expansion against an independent expander (the rrule package)
// wherever Outlook and RFC 5545 agree — every pattern type, intervals, several days, weeks
// from any firstDayOfWeek, "the second Thursday or Friday" as BYSETPOS over BYDAY, numbered and
// endDate ranges — and on its own where they differ on purpose: day 29-31 in shorter months.
import fc from 'fast-check';
import { RRule, type Options, type Weekday } from 'rrule';
import { describe, expect, it } from 'vitest';
import { normalizeRecurrence, occurrenceDates, type GraphRecurrence } from './graph-recurrence.ts';

const days = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
const rruleDays: Record<(typeof days)[number], Weekday> = {
  sunday: RRule.SU,
  monday: RRule.MO,
  tuesday: RRule.TU,
  wednesday: RRule.WE,
  thursday: RRule.TH,
  friday: RRule.FR,
  saturday: RRule.SA,
};
const positions = { first: 1, second: 2, third: 3, fourth: 4, last: -1 } as const;

const recurrence = (pattern: Record<string, unknown>, range: Record<string, unknown>) => {
  const normalized = normalizeRecurrence({ pattern, range }, 'UTC', () => true);
  if (normalized === null) throw new Error('no recurrence');
  return normalized;
};

/** The same series as rrule options (dates as rrule's floating UTC midnights). */
function asRrule(r: GraphRecurrence): Partial<Options> {
  const { pattern, range } = r;
  const options: Partial<Options> = {
    interval: pattern.interval,
    dtstart: new Date(`${range.startDate}T00:00:00Z`),
    wkst: rruleDays[pattern.firstDayOfWeek],
  };
  switch (pattern.type) {
    case 'daily':
      options.freq = RRule.DAILY;
      break;
    case 'weekly':
      options.freq = RRule.WEEKLY;
      options.byweekday = pattern.daysOfWeek.map((d) => rruleDays[d]);
      break;
    case 'absoluteMonthly':
      options.freq = RRule.MONTHLY;
      options.bymonthday = pattern.dayOfMonth;
      break;
    case 'relativeMonthly':
      options.freq = RRule.MONTHLY;
      options.byweekday = pattern.daysOfWeek.map((d) => rruleDays[d]);
      options.bysetpos = positions[pattern.index];
      break;
    case 'absoluteYearly':
      options.freq = RRule.YEARLY;
      options.bymonth = pattern.month;
      options.bymonthday = pattern.dayOfMonth;
      break;
    case 'relativeYearly':
      options.freq = RRule.YEARLY;
      options.bymonth = pattern.month;
      options.byweekday = pattern.daysOfWeek.map((d) => rruleDays[d]);
      options.bysetpos = positions[pattern.index];
      break;
  }
  if (range.type === 'numbered') options.count = range.numberOfOccurrences;
  if (range.type === 'endDate') options.until = new Date(`${range.endDate}T23:59:59Z`);
  return options;
}

describe('series expansion', () => {
  it('agrees with an independent RFC 5545 expander wherever Outlook and RFC 5545 agree', () => {
    const pattern = fc.oneof(
      fc.record({ type: fc.constant('daily'), interval: fc.integer({ min: 1, max: 10 }) }),
      fc.record({
        type: fc.constant('weekly'),
        interval: fc.integer({ min: 1, max: 4 }),
        daysOfWeek: fc.uniqueArray(fc.constantFrom(...days), { minLength: 1, maxLength: 7 }),
        firstDayOfWeek: fc.constantFrom(...days),
      }),
      fc.record({
        type: fc.constant('absoluteMonthly'),
        interval: fc.integer({ min: 1, max: 6 }),
        // Up to 28: on 29-31 Outlook and RFC 5545 part ways (tested below).
        dayOfMonth: fc.integer({ min: 1, max: 28 }),
      }),
      fc.record({
        type: fc.constant('relativeMonthly'),
        interval: fc.integer({ min: 1, max: 6 }),
        daysOfWeek: fc.uniqueArray(fc.constantFrom(...days), { minLength: 1, maxLength: 7 }),
        index: fc.constantFrom('first', 'second', 'third', 'fourth', 'last'),
      }),
      fc.record({
        type: fc.constant('absoluteYearly'),
        interval: fc.integer({ min: 1, max: 3 }),
        dayOfMonth: fc.integer({ min: 1, max: 28 }),
        month: fc.integer({ min: 1, max: 12 }),
      }),
      fc.record({
        type: fc.constant('relativeYearly'),
        interval: fc.integer({ min: 1, max: 3 }),
        daysOfWeek: fc.uniqueArray(fc.constantFrom(...days), { minLength: 1, maxLength: 7 }),
        index: fc.constantFrom('first', 'second', 'third', 'fourth', 'last'),
        month: fc.integer({ min: 1, max: 12 }),
      }),
    );
    const startDate = fc
      .integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2030, 11, 31) })
      .map((ms) => new Date(ms).toISOString().slice(0, 10));
    const range = fc.oneof(
      fc.record({ type: fc.constant('numbered'), numberOfOccurrences: fc.integer({ min: 1, max: 40 }) }),
      fc.record({ type: fc.constant('endDate'), days: fc.integer({ min: 0, max: 1500 }) }),
      fc.record({ type: fc.constant('noEnd') }),
    );
    fc.assert(
      fc.property(pattern, startDate, range, (p, start, r) => {
        const endDate =
          'days' in r
            ? new Date(Date.parse(start) + r.days * 86_400_000).toISOString().slice(0, 10)
            : undefined;
        const series = recurrence(p, {
          type: r.type,
          startDate: start,
          ...('numberOfOccurrences' in r ? { numberOfOccurrences: r.numberOfOccurrences } : {}),
          ...(endDate === undefined ? {} : { endDate }),
        });
        // Six years on: every occurrence of an endDate range (up to four years), forty of the others.
        const through = `${Number(start.slice(0, 4)) + 6}${start.slice(4)}`;
        const ours = [...occurrenceDates(series, through)].slice(0, 60);
        const theirs = new RRule(asRrule(series))
          .between(new Date(`${start}T00:00:00Z`), new Date(`${through}T23:59:59Z`), true)
          .slice(0, 60)
          .map((d) => d.toISOString().slice(0, 10));
        expect(ours).toEqual(theirs);
      }),
      { numRuns: 1500 },
    );
  });

  it('moves day 29-31 to the last day of a shorter month, and counts it, where RFC 5545 skips the month', () => {
    const monthly = recurrence(
      { type: 'absoluteMonthly', interval: 1, dayOfMonth: 30 },
      { type: 'numbered', startDate: '2027-01-30', numberOfOccurrences: 3 },
    );
    expect([...occurrenceDates(monthly, '2030-01-01')]).toEqual(['2027-01-30', '2027-02-28', '2027-03-30']);
    const quarterly = recurrence(
      { type: 'absoluteMonthly', interval: 3, dayOfMonth: 31 },
      { type: 'endDate', startDate: '2027-01-31', endDate: '2027-12-31' },
    );
    expect([...occurrenceDates(quarterly, '2030-01-01')]).toEqual([
      '2027-01-31',
      '2027-04-30',
      '2027-07-31',
      '2027-10-31',
    ]);
  });

  it('fills in what Graph returns for properties a pattern or range does not use', () => {
    expect(
      recurrence(
        { type: 'relativeMonthly', interval: 1, daysOfWeek: ['Friday', 'thursday', 'FRIDAY'], dayOfMonth: 9 },
        { type: 'numbered', startDate: '2027-01-01', numberOfOccurrences: 3, endDate: '2027-12-31' },
      ),
    ).toEqual({
      pattern: {
        type: 'relativeMonthly',
        interval: 1,
        month: 0,
        dayOfMonth: 0,
        daysOfWeek: ['thursday', 'friday'],
        firstDayOfWeek: 'sunday',
        index: 'first',
      },
      range: {
        type: 'numbered',
        startDate: '2027-01-01',
        endDate: '0001-01-01',
        recurrenceTimeZone: 'UTC',
        numberOfOccurrences: 3,
      },
    });
  });
});
