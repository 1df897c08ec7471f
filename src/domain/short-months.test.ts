import { describe, expect, it } from 'vitest';
import type { Recurrence } from './calendar-item.ts';
import { dayMissingFromAVisitedMonth } from './short-months.ts';

const monthly = (overrides: Partial<Recurrence>): Recurrence => ({
  frequency: 'monthly',
  interval: 1,
  byDay: [],
  byMonthDay: 31,
  byMonth: null,
  setPosition: null,
  weekStart: 'MO',
  startDate: '2027-01-31',
  end: { kind: 'never' },
  timeZone: 'Europe/Berlin',
  ...overrides,
});

describe('dayMissingFromAVisitedMonth', () => {
  it('names the day a visited month lacks, and nothing when every visited month has it', () => {
    expect(dayMissingFromAVisitedMonth(monthly({}))).toBe(31);
    expect(dayMissingFromAVisitedMonth(monthly({ byMonthDay: 28 }))).toBeUndefined();
    // Every 12 months from January: always a 31st.
    expect(dayMissingFromAVisitedMonth(monthly({ interval: 12 }))).toBeUndefined();
    // One occurrence only: February is never visited.
    expect(dayMissingFromAVisitedMonth(monthly({ end: { kind: 'count', count: 1 } }))).toBeUndefined();
    expect(
      dayMissingFromAVisitedMonth(
        monthly({ frequency: 'yearly', byMonth: 2, byMonthDay: 29, startDate: '2028-02-29' }),
      ),
    ).toBe(29);
  });
});
