import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CalendarItem, Recurrence } from '../../domain/calendar-item.ts';
import { instantsOf } from '../../domain/time-zones.ts';
import { findIana } from 'windows-iana';
import {
  salesforceIdProperty,
  toGraphEvent,
  toGraphSeriesKeepingTiming,
  whyGraphCannotWrite,
} from './to-graph-event.ts';

/** The tz database zone a zone Graph was given keeps time like (CLDR's own pick for a Windows name). */
const ianaOf = (graphZone: string) => (graphZone === 'UTC' ? 'UTC' : (findIana(graphZone)[0] ?? graphZone));

const zones = [
  'America/New_York',
  'Europe/London',
  'Europe/Berlin',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
  'Pacific/Apia',
  'America/Sao_Paulo',
  // Zones Graph refuses by their IANA names, and one whose rules changed after CLDR's mapping.
  'Europe/Vienna',
  'America/Toronto',
  'Asia/Hong_Kong',
  'America/Vancouver',
];
const item: CalendarItem = {
  salesforceEventId: '00U5g0000000001EAA',
  subject: 'Review',
  body: 'Notes',
  location: 'Room 4',
  timing: {
    kind: 'timed',
    start: Date.UTC(2026, 10, 25, 8),
    end: Date.UTC(2026, 10, 25, 9),
    timeZone: 'Europe/Berlin',
  },
  showAs: 'busy',
  sensitivity: 'private',
  reminderMinutesBeforeStart: 15,
  attendees: [{ email: 'boss@acme.example', name: 'Big Boss', type: 'required' }],
  recurrence: null,
};

describe('toGraphSeriesKeepingTiming', () => {
  it("writes a series' own fields without its times, all-day flag and pattern", () => {
    const series: CalendarItem = {
      ...item,
      recurrence: {
        frequency: 'daily',
        interval: 1,
        byDay: [],
        byMonthDay: null,
        byMonth: null,
        setPosition: null,
        weekStart: 'MO',
        startDate: '2026-11-25',
        end: { kind: 'count', count: 5 },
        timeZone: 'Europe/Berlin',
      },
    };
    const written = toGraphSeriesKeepingTiming(series);
    expect(Object.keys(written).sort()).toEqual(
      Object.keys(toGraphEvent(series))
        .filter((key) => !['start', 'end', 'isAllDay', 'recurrence'].includes(key))
        .sort(),
    );
    expect(written).toMatchObject({ subject: 'Review', sensitivity: 'private' });
  });
});

describe('toGraphEvent', () => {
  it('writes every field as Graph expects it, stamped with the Salesforce id', () => {
    expect(toGraphEvent(item)).toEqual({
      subject: 'Review',
      body: { contentType: 'text', content: 'Notes' },
      isAllDay: false,
      start: { dateTime: '2026-11-25T09:00:00', timeZone: 'W. Europe Standard Time' },
      end: { dateTime: '2026-11-25T10:00:00', timeZone: 'W. Europe Standard Time' },
      location: { displayName: 'Room 4' },
      showAs: 'busy',
      sensitivity: 'private',
      isReminderOn: true,
      reminderMinutesBeforeStart: 15,
      attendees: [{ emailAddress: { address: 'boss@acme.example', name: 'Big Boss' }, type: 'required' }],
      recurrence: null,
      singleValueExtendedProperties: [{ id: salesforceIdProperty, value: '00U5g0000000001EAA' }],
    });
  });

  it('writes all-day items at midnight in the owner zone', () => {
    expect(
      toGraphEvent({
        ...item,
        timing: {
          kind: 'all-day',
          startDate: '2026-11-26',
          endDate: '2026-11-28',
          timeZone: 'America/New_York',
        },
      }),
    ).toMatchObject({
      isAllDay: true,
      start: { dateTime: '2026-11-26T00:00:00', timeZone: 'Eastern Standard Time' },
      end: { dateTime: '2026-11-28T00:00:00', timeZone: 'Eastern Standard Time' },
    });
  });

  it('writes Windows zone names, also for IANA zones Graph refuses by name', () => {
    for (const [zone, windows] of [
      ['Europe/Vienna', 'W. Europe Standard Time'],
      ['America/Toronto', 'Eastern Standard Time'],
      ['Asia/Hong_Kong', 'China Standard Time'],
      ['Asia/Kolkata', 'India Standard Time'],
      ['UTC', 'UTC'],
    ] as const) {
      const graph = toGraphEvent({
        ...item,
        timing: { ...item.timing, timeZone: zone },
      });
      expect(graph['start']).toMatchObject({ timeZone: windows });
    }
  });

  it('says why it cannot write an all-day item or a series in a zone no Windows zone keeps time like', () => {
    const troll = {
      kind: 'all-day',
      // Troll moves from UTC to UTC+2 at the end of March; no Windows zone does.
      startDate: '2027-03-20',
      endDate: '2027-04-05',
      timeZone: 'Antarctica/Troll',
    } as const;
    expect(whyGraphCannotWrite({ ...item, timing: troll })).toMatch(/Antarctica\/Troll.*Windows time zone/);
    expect(whyGraphCannotWrite(item)).toBeUndefined();
    // A single timed item is written in UTC instead: its instants stay exact.
    const timed = {
      kind: 'timed',
      start: Date.UTC(2027, 2, 1, 9),
      end: Date.UTC(2027, 2, 1, 10),
      timeZone: 'Antarctica/Troll',
    } as const;
    expect(whyGraphCannotWrite({ ...item, timing: timed })).toBeUndefined();
    expect(toGraphEvent({ ...item, timing: timed })['start']).toEqual({
      dateTime: '2027-03-01T09:00:00',
      timeZone: 'UTC',
    });
  });

  it('falls back to UTC for an instant inside a DST overlap', () => {
    const start = Date.UTC(2026, 9, 25, 1, 30); // 02:30 CET, the second time that night
    expect(
      toGraphEvent({
        ...item,
        timing: { kind: 'timed', start, end: start + 3_600_000, timeZone: 'Europe/Berlin' },
      }),
    ).toMatchObject({
      start: { dateTime: '2026-10-25T01:30:00', timeZone: 'UTC' },
    });
  });

  it.each([
    [
      {
        frequency: 'weekly',
        byDay: ['MO', 'WE'],
        setPosition: null,
        byMonthDay: null,
        byMonth: null,
        end: { kind: 'count', count: 13 },
      },
      {
        pattern: { type: 'weekly', daysOfWeek: ['monday', 'wednesday'] },
        range: { type: 'numbered', numberOfOccurrences: 13 },
      },
    ],
    [
      {
        frequency: 'monthly',
        byDay: ['TU'],
        setPosition: 2,
        byMonthDay: null,
        byMonth: null,
        end: { kind: 'never' },
      },
      {
        pattern: { type: 'relativeMonthly', index: 'second', daysOfWeek: ['tuesday'] },
        range: { type: 'noEnd' },
      },
    ],
    [
      {
        frequency: 'monthly',
        byDay: [],
        setPosition: null,
        byMonthDay: 15,
        byMonth: null,
        end: { kind: 'until', date: '2027-06-30' },
      },
      {
        pattern: { type: 'absoluteMonthly', dayOfMonth: 15 },
        range: { type: 'endDate', endDate: '2027-06-30' },
      },
    ],
    [
      {
        frequency: 'yearly',
        byDay: ['FR'],
        setPosition: -1,
        byMonthDay: null,
        byMonth: 11,
        end: { kind: 'never' },
      },
      { pattern: { type: 'relativeYearly', index: 'last', month: 11 } },
    ],
  ] as const)('writes recurrence %j', (recurrence, expected) => {
    const graph = toGraphEvent({
      ...item,
      recurrence: {
        interval: 1,
        weekStart: 'SU',
        startDate: '2026-11-25',
        timeZone: 'Europe/Berlin',
        ...recurrence,
        byDay: [...recurrence.byDay],
      },
    });
    expect(graph['recurrence']).toMatchObject(expected);
  });

  it('names the same instants as the item, in every zone and across DST changes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2030, 0, 1) }),
        fc.integer({ min: 1, max: 600 }),
        (zone, ms, minutes) => {
          const start = Math.floor(ms / 60_000) * 60_000;
          const end = start + minutes * 60_000;
          const graph = toGraphEvent({
            ...item,
            timing: { kind: 'timed', start, end, timeZone: zone },
          }) as Record<string, { dateTime: string; timeZone: string }>;
          const named = (edge: { dateTime: string; timeZone: string }) =>
            instantsOf(edge.dateTime, ianaOf(edge.timeZone));
          return (
            named(graph['start']!).length === 1 &&
            named(graph['start']!)[0] === start &&
            named(graph['end']!)[0] === end
          );
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('series Outlook would place differently', () => {
  const series = (rule: Partial<Recurrence>): CalendarItem => ({
    ...item,
    recurrence: {
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
      ...rule,
    },
  });

  it('refuses a series on day 29 to 31 that visits a shorter month (Outlook moves it to the last day, Salesforce skips it)', () => {
    expect(whyGraphCannotWrite(series({}))).toMatch(/day 31 of the month, which Outlook moves/);
    expect(whyGraphCannotWrite(series({ byMonthDay: 29, startDate: '2027-01-29' }))).toMatch(/day 29/);
    expect(
      whyGraphCannotWrite(
        series({ frequency: 'yearly', byMonth: 2, byMonthDay: 29, startDate: '2028-02-29' }),
      ),
    ).toMatch(/day 29/);
  });

  it('writes those that never visit a shorter month', () => {
    expect(whyGraphCannotWrite(series({ end: { kind: 'count', count: 1 } }))).toBeUndefined();
    expect(whyGraphCannotWrite(series({ interval: 12 }))).toBeUndefined();
    expect(
      whyGraphCannotWrite(series({ byMonthDay: 30, end: { kind: 'until', date: '2027-01-31' } })),
    ).toBeUndefined();
    expect(whyGraphCannotWrite(series({ byMonthDay: 28 }))).toBeUndefined();
    expect(
      whyGraphCannotWrite(
        series({ frequency: 'yearly', byMonth: 3, byMonthDay: 31, startDate: '2027-03-31' }),
      ),
    ).toBeUndefined();
  });
});
