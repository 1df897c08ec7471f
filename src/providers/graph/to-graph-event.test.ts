import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CalendarItem } from '../../domain/calendar-item.ts';
import { instantsOf } from '../../domain/time-zones.ts';
import { salesforceIdProperty, toGraphEvent } from './to-graph-event.ts';

const zones = [
  'America/New_York',
  'Europe/London',
  'Europe/Berlin',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
  'Pacific/Apia',
  'America/Sao_Paulo',
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

describe('toGraphEvent', () => {
  it('writes every field as Graph expects it, stamped with the Salesforce id', () => {
    expect(toGraphEvent(item)).toEqual({
      subject: 'Review',
      body: { contentType: 'text', content: 'Notes' },
      isAllDay: false,
      start: { dateTime: '2026-11-25T09:00:00', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2026-11-25T10:00:00', timeZone: 'Europe/Berlin' },
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
      start: { dateTime: '2026-11-26T00:00:00', timeZone: 'America/New_York' },
      end: { dateTime: '2026-11-28T00:00:00', timeZone: 'America/New_York' },
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
            instantsOf(edge.dateTime, edge.timeZone);
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
