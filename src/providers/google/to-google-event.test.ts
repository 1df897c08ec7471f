import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CalendarItem, Recurrence, ShowAs } from '../../domain/calendar-item.ts';
import { addDays, localDate } from '../../domain/time-zones.ts';
import {
  googleRrule,
  sendUpdatesFor,
  toGoogleEvent,
  toGoogleOccurrence,
  whyGoogleCannotWrite,
  withoutNulls,
} from './to-google-event.ts';

const item: CalendarItem = {
  salesforceEventId: '00U5g0000000001EAA',
  subject: 'Review',
  body: 'Notes\nsecond line',
  location: 'Room 4',
  timing: {
    kind: 'timed',
    start: Date.UTC(2026, 10, 25, 8),
    end: Date.UTC(2026, 10, 25, 9, 30),
    timeZone: 'Europe/Berlin',
  },
  showAs: 'busy',
  sensitivity: 'private',
  reminderMinutesBeforeStart: 15,
  attendees: [
    { email: 'boss@acme.example', name: 'Big Boss', type: 'required' },
    { email: 'peer@acme.example', name: null, type: 'optional' },
  ],
  recurrence: null,
};

const series = (rule: Partial<Recurrence>, base: CalendarItem = item): CalendarItem => ({
  ...base,
  recurrence: {
    frequency: 'weekly',
    interval: 1,
    byDay: ['WE'],
    byMonthDay: null,
    byMonth: null,
    setPosition: null,
    weekStart: 'MO',
    startDate: '2026-11-25',
    end: { kind: 'never' },
    timeZone: 'Europe/Berlin',
    ...rule,
  },
});

describe('toGoogleEvent', () => {
  it('writes every field as Google expects it, stamped with the Salesforce id', () => {
    expect(toGoogleEvent(item)).toEqual({
      summary: 'Review',
      description: 'Notes\nsecond line',
      location: 'Room 4',
      start: { dateTime: '2026-11-25T08:00:00Z', date: null, timeZone: 'Europe/Berlin' },
      end: { dateTime: '2026-11-25T09:30:00Z', date: null, timeZone: 'Europe/Berlin' },
      transparency: 'opaque',
      visibility: 'private',
      reminders: { useDefault: false, overrides: [{ method: 'popup', minutes: 15 }] },
      attendees: [
        { email: 'boss@acme.example', displayName: 'Big Boss', optional: false },
        { email: 'peer@acme.example', optional: true },
      ],
      recurrence: null,
      extendedProperties: { private: { salesforceEventId: '00U5g0000000001EAA' } },
    });
  });

  it('clears what the item no longer has: location, reminder, attendees, privacy', () => {
    const google = toGoogleEvent({
      ...item,
      location: null,
      reminderMinutesBeforeStart: null,
      attendees: [],
      sensitivity: 'normal',
    });
    expect(google).toMatchObject({
      location: null,
      reminders: { useDefault: false, overrides: [] },
      attendees: [],
      visibility: 'default',
      recurrence: null,
    });
  });

  it("caps a reminder at Google's four weeks", () => {
    const minutes = (reminder: number) =>
      toGoogleEvent({ ...item, reminderMinutesBeforeStart: reminder }).reminders?.overrides?.[0]?.minutes;
    expect(minutes(0)).toBe(0);
    expect(minutes(40_320)).toBe(40_320);
    expect(minutes(50_000)).toBe(40_320);
  });

  it.each([
    ['free', 'transparent'],
    ['busy', 'opaque'],
    ['tentative', 'opaque'],
    ['oof', 'opaque'],
    ['workingElsewhere', 'transparent'],
  ] as [ShowAs, string][])('writes show-as %s as %s', (showAs, transparency) => {
    expect(toGoogleEvent({ ...item, showAs }).transparency).toBe(transparency);
  });

  it('writes all-day items as dates, the end exclusive, never shifted, whatever the zone', () => {
    for (const timeZone of ['Pacific/Kiritimati', 'Pacific/Pago_Pago', 'America/New_York', 'UTC']) {
      const google = toGoogleEvent({
        ...item,
        timing: { kind: 'all-day', startDate: '2026-12-31', endDate: '2027-01-02', timeZone },
      });
      expect(google.start).toEqual({ date: '2026-12-31', dateTime: null, timeZone: null });
      expect(google.end).toEqual({ date: '2027-01-02', dateTime: null, timeZone: null });
    }
  });

  it('gives an all-day series the zone it repeats in, and an UNTIL date', () => {
    const google = toGoogleEvent(
      series(
        {
          frequency: 'daily',
          byDay: [],
          timeZone: 'America/New_York',
          end: { kind: 'until', date: '2027-03-20' },
        },
        {
          ...item,
          timing: {
            kind: 'all-day',
            startDate: '2027-03-01',
            endDate: '2027-03-02',
            timeZone: 'America/New_York',
          },
        },
      ),
    );
    expect(google.start).toEqual({ date: '2027-03-01', dateTime: null, timeZone: 'America/New_York' });
    expect(google.end).toEqual({ date: '2027-03-02', dateTime: null, timeZone: 'America/New_York' });
    expect(google.recurrence).toEqual(['RRULE:FREQ=DAILY;WKST=MO;UNTIL=20270320']);
  });

  it("writes a timed series in the series' zone", () => {
    const google = toGoogleEvent(series({ timeZone: 'America/New_York' }));
    expect(google.start).toMatchObject({ dateTime: '2026-11-25T08:00:00Z', timeZone: 'America/New_York' });
    expect(google.recurrence).toEqual(['RRULE:FREQ=WEEKLY;BYDAY=WE;WKST=MO']);
  });

  it('names the same instants as the item, in any zone', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'UTC'),
        fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2030, 0, 1) }),
        fc.integer({ min: 1, max: 600 }),
        (timeZone, ms, minutes) => {
          const start = Math.floor(ms / 60_000) * 60_000;
          const end = start + minutes * 60_000;
          const google = toGoogleEvent({ ...item, timing: { kind: 'timed', start, end, timeZone } });
          return (
            Date.parse(google.start?.dateTime ?? '') === start &&
            Date.parse(google.end?.dateTime ?? '') === end &&
            google.start?.timeZone === timeZone
          );
        },
      ),
    );
  });
});

describe('googleRrule', () => {
  it.each([
    [
      { frequency: 'weekly', byDay: ['MO', 'WE'], end: { kind: 'count', count: 13 } },
      'FREQ=WEEKLY;BYDAY=MO,WE;WKST=MO;COUNT=13',
    ],
    [
      { frequency: 'weekly', interval: 2, byDay: ['FR'], weekStart: 'SU' },
      'FREQ=WEEKLY;INTERVAL=2;BYDAY=FR;WKST=SU',
    ],
    [{ frequency: 'daily', byDay: [], interval: 3 }, 'FREQ=DAILY;INTERVAL=3;WKST=MO'],
    [{ frequency: 'monthly', byDay: ['TU'], setPosition: 2 }, 'FREQ=MONTHLY;BYDAY=2TU;WKST=MO'],
    [{ frequency: 'monthly', byDay: ['FR'], setPosition: -1 }, 'FREQ=MONTHLY;BYDAY=-1FR;WKST=MO'],
    [
      { frequency: 'monthly', byDay: ['MO', 'TU', 'WE', 'TH', 'FR'], setPosition: -1 },
      'FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;WKST=MO',
    ],
    [{ frequency: 'monthly', byDay: [], byMonthDay: 31 }, 'FREQ=MONTHLY;BYMONTHDAY=31;WKST=MO'],
    [
      { frequency: 'yearly', byDay: ['TH'], setPosition: 4, byMonth: 11 },
      'FREQ=YEARLY;BYDAY=4TH;BYMONTH=11;WKST=MO',
    ],
    [
      { frequency: 'yearly', byDay: [], byMonthDay: 29, byMonth: 2 },
      'FREQ=YEARLY;BYMONTHDAY=29;BYMONTH=2;WKST=MO',
    ],
  ] as [Partial<Recurrence>, string][])('writes %j as %s', (rule, expected) => {
    const recurrence = series(rule).recurrence!;
    expect(googleRrule(recurrence, false)).toBe(`RRULE:${expected}`);
  });

  it.each([
    // Berlin: CEST (UTC+2) in summer, CET (UTC+1) after the last Sunday of October.
    ['Europe/Berlin', '2026-07-15', '20260715T215959Z'],
    ['Europe/Berlin', '2026-11-15', '20261115T225959Z'],
    ['Europe/Berlin', '2026-10-25', '20261025T225959Z'],
    // New York: EDT (UTC−4) in summer, EST (UTC−5) after the first Sunday of November.
    ['America/New_York', '2026-07-01', '20260702T035959Z'],
    ['America/New_York', '2026-11-10', '20261111T045959Z'],
    ['America/New_York', '2027-03-14', '20270315T035959Z'],
  ])('ends a timed series in %s on %s at that day’s last second there: UNTIL=%s', (timeZone, date, until) => {
    const rule = googleRrule(series({ timeZone, end: { kind: 'until', date } }).recurrence!, false);
    expect(rule).toBe(`RRULE:FREQ=WEEKLY;BYDAY=WE;WKST=MO;UNTIL=${until}`);
  });

  it('ends a timed series at the last second of its last date, in every zone and across DST changes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          'Europe/Berlin',
          'America/New_York',
          'Australia/Lord_Howe',
          'America/Santiago',
          'America/Havana',
          'Asia/Beirut',
          'Pacific/Apia',
        ),
        fc.integer({ min: 0, max: 6 * 366 }),
        (timeZone, days) => {
          const date = addDays('2024-01-01', days);
          const rule = googleRrule(series({ timeZone, end: { kind: 'until', date } }).recurrence!, false);
          const until = /UNTIL=(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(rule);
          if (until === null) return false;
          const [, y, mo, d, h, mi, s] = until.map(Number) as [
            number,
            number,
            number,
            number,
            number,
            number,
            number,
          ];
          const instant = Date.UTC(y, mo - 1, d, h, mi, s);
          return localDate(instant, timeZone) === date && localDate(instant + 1000, timeZone) !== date;
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('toGoogleOccurrence', () => {
  it("writes an occurrence's own fields, never a pattern, attendees or the Salesforce id", () => {
    const occurrence = toGoogleOccurrence(series({}));
    expect(occurrence).toEqual({
      summary: 'Review',
      description: 'Notes\nsecond line',
      location: 'Room 4',
      start: { dateTime: '2026-11-25T08:00:00Z', date: null, timeZone: 'Europe/Berlin' },
      end: { dateTime: '2026-11-25T09:30:00Z', date: null, timeZone: 'Europe/Berlin' },
      transparency: 'opaque',
      visibility: 'private',
      reminders: { useDefault: false, overrides: [{ method: 'popup', minutes: 15 }] },
    });
  });
});

describe('withoutNulls', () => {
  it('leaves out of a new event what a patch would clear with null', () => {
    expect(withoutNulls(toGoogleEvent({ ...item, location: null }))).toEqual({
      ...toGoogleEvent(item),
      location: undefined,
      start: { dateTime: '2026-11-25T08:00:00Z', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2026-11-25T09:30:00Z', timeZone: 'Europe/Berlin' },
      recurrence: undefined,
    });
  });
});

describe('whyGoogleCannotWrite', () => {
  it('takes every IANA zone and refuses a name that is none', () => {
    expect(whyGoogleCannotWrite(item)).toBeUndefined();
    expect(whyGoogleCannotWrite(series({ timeZone: 'Antarctica/Troll' }))).toBeUndefined();
    expect(
      whyGoogleCannotWrite({ ...item, timing: { ...item.timing, timeZone: 'Mars/Olympus_Mons' } }),
    ).toMatch(/Mars\/Olympus_Mons.*IANA/);
  });
});

describe('sendUpdatesFor', () => {
  it('emails the attendees the invitation policy kept, and nobody when it kept none', () => {
    expect(sendUpdatesFor(item)).toBe('all');
    expect(sendUpdatesFor({ ...item, attendees: [] })).toBe('none');
  });
});
