import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mapEvent, type MapContext } from './map-event.ts';
import type { SalesforceEvent } from './salesforce-event.ts';
import { addDays } from './time-zones.ts';

const zones = [
  'America/New_York',
  'Europe/London',
  'Europe/Berlin',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
  'Pacific/Apia',
  'America/Sao_Paulo',
];

const base: SalesforceEvent = {
  id: '00U5g0000000001EAA',
  subject: 'Quarterly review',
  description: 'Agenda: numbers',
  location: 'Room 4',
  start: Date.UTC(2026, 10, 25, 9),
  end: Date.UTC(2026, 10, 25, 10),
  isAllDay: false,
  activityDate: '2026-11-25',
  durationMinutes: 60,
  showAs: 'Busy',
  isPrivate: false,
  ownerId: '0055g0000000001AAA',
  isChild: false,
  reminderAt: null,
  isReminderSet: false,
  isLegacyRecurrence: false,
  recurrence: null,
  isSeries: false,
  seriesKey: null,
  occurrence: null,
  createdById: '0055g0000000001AAA',
  createdAt: Date.UTC(2026, 10, 24, 8),
  version: Date.UTC(2026, 10, 24, 9),
};
const context: MapContext = {
  ownerTimeZone: 'Europe/Berlin',
  invitees: [],
  invitationPolicy: 'none',
  internalDomains: ['acme.example'],
};
const item = (event: Partial<SalesforceEvent>, ctx: Partial<MapContext> = {}) => {
  const result = mapEvent({ ...base, ...event }, { ...context, ...ctx });
  if (result.kind !== 'item') throw new Error(`skipped: ${result.reason}`);
  return result;
};
const skipReason = (event: Partial<SalesforceEvent>, ctx: Partial<MapContext> = {}) => {
  const result = mapEvent({ ...base, ...event }, { ...context, ...ctx });
  return result.kind === 'skip' ? result.reason : undefined;
};

describe('mapEvent', () => {
  it('maps each field of a timed Event', () => {
    expect(item({}).item).toEqual({
      salesforceEventId: base.id,
      subject: 'Quarterly review',
      body: 'Agenda: numbers',
      location: 'Room 4',
      timing: { kind: 'timed', start: base.start, end: base.end, timeZone: 'Europe/Berlin' },
      showAs: 'busy',
      sensitivity: 'normal',
      reminderMinutesBeforeStart: null,
      attendees: [],
      recurrence: null,
    });
  });

  it.each([
    ['Busy', 'busy'],
    ['Free', 'free'],
    ['OutOfOffice', 'oof'],
    [null, 'busy'],
  ])('maps ShowAs %s to %s', (showAs, expected) => {
    expect(item({ showAs }).item.showAs).toBe(expected);
  });

  it('shows an org-specific ShowAs value as busy, and says so', () => {
    const result = item({ showAs: 'OnSite' });
    expect(result.item.showAs).toBe('busy');
    expect(result.notes).toEqual(['ShowAs "OnSite" has no calendar equivalent: shown as busy']);
  });

  it('maps private, reminders, empty subject and location', () => {
    const result = item({
      isPrivate: true,
      isReminderSet: true,
      reminderAt: base.start! - 15 * 60_000,
      subject: null,
      location: '',
    });
    expect(result.item).toMatchObject({
      sensitivity: 'private',
      reminderMinutesBeforeStart: 15,
      subject: '',
      location: null,
    });
  });

  it('uses ActivityDate for all-day Events, unshifted, with an exclusive end over several days', () => {
    const event = {
      isAllDay: true,
      activityDate: '2026-11-26',
      start: Date.UTC(2026, 10, 26),
      end: Date.UTC(2026, 10, 28),
      durationMinutes: 4320,
    };
    for (const zone of zones) {
      expect(item(event, { ownerTimeZone: zone }).item.timing).toEqual({
        kind: 'all-day',
        startDate: '2026-11-26',
        endDate: '2026-11-29',
        timeZone: zone,
      });
    }
  });

  it('keeps Unicode and long descriptions, cut at 32,000 characters', () => {
    expect(item({ subject: 'Réunion 会議 🚀', description: 'Ünïcödé ✓' }).item).toMatchObject({
      subject: 'Réunion 会議 🚀',
      body: 'Ünïcödé ✓',
    });
    const long = item({ description: 'x'.repeat(40_000) });
    expect(long.item.body).toHaveLength(32_000);
    expect(long.notes).toContain('the description was cut to 32000 characters');
  });

  it('skips with a reason what it cannot map faithfully', () => {
    expect(skipReason({ end: base.start! - 1 })).toBe('End is before Start');
    expect(skipReason({}, { ownerTimeZone: 'Mars/Olympus_Mons' })).toBe(
      'the owner\'s time zone "Mars/Olympus_Mons" is unknown',
    );
    expect(skipReason({ isChild: true })).toMatch(/^an invitee's copy \(IsChild\)/);
    expect(skipReason({ isAllDay: true, activityDate: null })).toBe(
      'an all-day Event without a valid ActivityDate',
    );
    expect(skipReason({ isLegacyRecurrence: true })).toMatch(/classic \(pre-Lightning\) recurring/);
    expect(
      skipReason({
        recurrence: { pattern: 'RRULE:FREQ=HOURLY', timeZone: 'Europe/Berlin' },
      }),
    ).toBe('recurrence frequency "HOURLY" is not supported');
  });

  it('maps Lightning recurrence in the pattern time zone', () => {
    const result = item({
      recurrence: {
        pattern: 'RRULE:FREQ=WEEKLY;BYDAY=MO;WKST=SU;INTERVAL=1;COUNT=13',
        timeZone: 'America/New_York',
      },
    });
    expect(result.item.recurrence).toEqual({
      frequency: 'weekly',
      interval: 1,
      byDay: ['MO'],
      byMonthDay: null,
      byMonth: null,
      setPosition: null,
      weekStart: 'SU',
      startDate: '2026-11-25',
      end: { kind: 'count', count: 13 },
      timeZone: 'America/New_York',
    });
  });

  describe('invitees and the invitation policy', () => {
    const invitees = [
      { email: 'Boss@Acme.example', name: 'Big Boss', status: 'New' },
      { email: 'cara@client.example', name: 'Cara Client', status: 'Accepted' },
      { email: 'no@acme.example', name: 'Nope', status: 'Declined' },
      { email: null, name: 'Lead Without Email', status: 'New' },
    ];
    it('none: nobody is invited; invitees are listed in the body', () => {
      const result = item({ description: null }, { invitees, invitationPolicy: 'none' });
      expect(result.item.attendees).toEqual([]);
      expect(result.item.body).toBe(
        'Invitees: Big Boss <boss@acme.example>, Cara Client <cara@client.example>, Lead Without Email',
      );
    });
    it('internal: only the tenant domains are attendees', () => {
      const result = item({}, { invitees, invitationPolicy: 'internal' });
      expect(result.item.attendees).toEqual([
        { email: 'boss@acme.example', name: 'Big Boss', type: 'required' },
      ]);
      expect(result.item.body).toBe(
        'Agenda: numbers\n\nInvitees: Cara Client <cara@client.example>, Lead Without Email',
      );
    });
    it('all: everyone with an email is an attendee', () => {
      expect(item({}, { invitees, invitationPolicy: 'all' }).item.attendees.map((a) => a.email)).toEqual([
        'boss@acme.example',
        'cara@client.example',
      ]);
    });
  });

  it('keeps the instants of any timed Event and the dates of any all-day Event, in every zone', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2030, 0, 1) }),
        fc.integer({ min: 0, max: 14 * 24 * 60 }),
        fc.boolean(),
        (zone, startMs, minutes, allDay) => {
          const start = Math.floor(startMs / 60_000) * 60_000;
          if (allDay) {
            const date = new Date(start).toISOString().slice(0, 10);
            const days = Math.max(1, Math.ceil(minutes / 1440));
            const timing = item(
              {
                isAllDay: true,
                activityDate: date,
                start: Date.parse(`${date}T00:00:00Z`),
                durationMinutes: days * 1440,
              },
              { ownerTimeZone: zone },
            ).item.timing;
            return (
              timing.kind === 'all-day' && timing.startDate === date && timing.endDate === addDays(date, days)
            );
          }
          const timing = item({ start, end: start + minutes * 60_000 }, { ownerTimeZone: zone }).item.timing;
          return (
            timing.kind === 'timed' &&
            timing.start === start &&
            timing.end === start + minutes * 60_000 &&
            timing.timeZone === zone
          );
        },
      ),
      { numRuns: 1000 },
    );
  });
});
