import { describe, expect, it } from 'vitest';
import { parseRrule } from './rrule.ts';

const context = { startDate: '2026-11-25', timeZone: 'Europe/Berlin' };

describe('parseRrule', () => {
  it.each([
    [
      'RRULE:FREQ=DAILY;INTERVAL=2;COUNT=10',
      { frequency: 'daily', interval: 2, end: { kind: 'count', count: 10 } },
    ],
    [
      'FREQ=WEEKLY;BYDAY=MO,WE,FR;UNTIL=20270101T000000Z',
      { frequency: 'weekly', byDay: ['MO', 'WE', 'FR'], end: { kind: 'until', date: '2027-01-01' } },
    ],
    ['FREQ=MONTHLY;BYMONTHDAY=15', { frequency: 'monthly', byMonthDay: 15, end: { kind: 'never' } }],
    ['FREQ=MONTHLY;BYDAY=2TU', { frequency: 'monthly', byDay: ['TU'], setPosition: 2 }],
    ['FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1', { frequency: 'monthly', byDay: ['FR'], setPosition: -1 }],
    ['FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1', { frequency: 'yearly', byMonth: 3, byMonthDay: 1 }],
  ])('reads %s', (rule, expected) => {
    expect(parseRrule(rule, context)).toMatchObject(expected);
  });

  it.each([
    ['FREQ=HOURLY', 'recurrence frequency "HOURLY" is not supported'],
    ['FREQ=WEEKLY', 'a weekly recurrence needs BYDAY'],
    ['FREQ=MONTHLY', 'a monthly recurrence needs BYMONTHDAY or a weekday position'],
    ['FREQ=DAILY;BYHOUR=9', 'recurrence rule uses BYHOUR, which calendars cannot express'],
    ['FREQ=DAILY;COUNT=3;UNTIL=20270101', 'recurrence has both COUNT and UNTIL'],
    [
      'FREQ=MONTHLY;BYDAY=5MO',
      'recurrence positions other than 1st to 4th or last weekday are not supported',
    ],
    ['FREQ=DAILY;INTERVAL=0', 'recurrence INTERVAL must be 1 to 99'],
    ['FREQ', 'recurrence rule part "FREQ" is malformed'],
  ])('refuses %s', (rule, problem) => {
    expect(parseRrule(rule, context)).toEqual({ problem });
  });
});
