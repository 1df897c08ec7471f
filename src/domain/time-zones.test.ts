import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDays,
  instantsOf,
  isKnownTimeZone,
  isUnambiguous,
  localDateTime,
  wallClockOptions,
} from './time-zones.ts';

const zones = [
  'America/New_York',
  'Europe/London',
  'Europe/Berlin',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
  'Pacific/Apia',
  'America/Sao_Paulo',
];

/** The wall-clock time Intl names for `instant`, from its parts (the yardstick). */
function intlWallClock(instant: number, zone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { ...wallClockOptions, timeZone: zone })
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  return `${parts['year']}-${parts['month']}-${parts['day']}T${parts['hour']}:${parts['minute']}:${parts['second']}`;
}

/** The zone's offset at `instant` (whole seconds), as Intl tells it. */
function intlOffset(instant: number, zone: string): number {
  const whole = Math.floor(instant / 1000) * 1000;
  return Date.parse(`${intlWallClock(whole, zone)}Z`) - whole;
}

describe('time zones', () => {
  it('tells the wall-clock time exactly as Intl names its parts, in every zone, any year', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...zones, 'UTC', 'Asia/Kathmandu'),
        fc.integer({ min: Date.UTC(1, 0, 1), max: Date.UTC(9999, 11, 31) }),
        (zone, instant) => {
          const parts = Object.fromEntries(
            new Intl.DateTimeFormat('en-US', { ...wallClockOptions, timeZone: zone })
              .formatToParts(instant)
              .map((p) => [p.type, p.value]),
          );
          expect(localDateTime(instant, zone)).toBe(
            `${parts['year']}-${parts['month']}-${parts['day']}T${parts['hour']}:${parts['minute']}:${parts['second']}`,
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('agrees with Intl to the second around offset changes at odd moments, and in every zone Intl knows', () => {
    // Each: a zone and a day near one of its changes of offset (half-hour DST, a skipped day,
    // changes by minutes and seconds before 1980).
    const changes: [string, string][] = [
      ['Australia/Lord_Howe', '2026-04-04'],
      ['Pacific/Chatham', '2026-04-04'],
      ['Pacific/Apia', '2011-12-29'],
      ['America/Caracas', '2016-04-30'],
      ['Africa/Monrovia', '1972-01-06'],
      ['Pacific/Kiritimati', '1994-12-30'],
      ['Europe/Dublin', '2026-10-24'],
      ['Asia/Kathmandu', '1985-12-31'],
    ];
    for (const [zone, day] of changes) {
      // Find the change hour by hour, then to the second.
      let before = Date.parse(`${day}T00:00:00Z`) - 86_400_000;
      let after = before + 3_600_000;
      while (intlOffset(after, zone) === intlOffset(before, zone)) {
        before = after;
        after += 3_600_000;
        expect(
          after - Date.parse(`${day}T00:00:00Z`),
          `a change of offset in ${zone} near ${day}`,
        ).toBeLessThan(4 * 86_400_000);
      }
      while (after - before > 1000) {
        const middle = before + Math.floor((after - before) / 2000) * 1000;
        if (intlOffset(middle, zone) === intlOffset(before, zone)) before = middle;
        else after = middle;
      }
      for (let instant = after - 3_600_000; instant <= after + 3_600_000; instant += 7_000)
        expect(localDateTime(instant, zone), `${zone} at ${new Date(instant).toISOString()}`).toBe(
          intlWallClock(instant, zone),
        );
      for (const instant of [after - 1000, after - 1, after, after + 999])
        expect(localDateTime(instant, zone)).toBe(intlWallClock(instant, zone));
    }
    fc.assert(
      fc.property(
        fc.constantFrom(...Intl.supportedValuesOf('timeZone')),
        fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2100, 0, 1) }),
        (zone, instant) => {
          expect(localDateTime(instant, zone)).toBe(intlWallClock(instant, zone));
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('knows real zones and refuses made-up ones', () => {
    expect(isKnownTimeZone('Europe/Berlin')).toBe(true);
    expect(isKnownTimeZone('GMT')).toBe(true);
    expect(isKnownTimeZone('Mars/Olympus_Mons')).toBe(false);
  });

  it('finds no instant in a spring-forward gap and two in a fall-back overlap', () => {
    expect(instantsOf('2026-03-29T02:30:00', 'Europe/Berlin')).toEqual([]);
    expect(instantsOf('2026-10-25T02:30:00', 'Europe/Berlin')).toEqual([
      Date.UTC(2026, 9, 25, 0, 30),
      Date.UTC(2026, 9, 25, 1, 30),
    ]);
    expect(instantsOf('2026-11-24T09:00:00', 'Asia/Kolkata')).toEqual([Date.UTC(2026, 10, 24, 3, 30)]);
    // Lord Howe moves by half an hour.
    expect(instantsOf('2026-04-05T01:45:00', 'Australia/Lord_Howe')).toHaveLength(2);
  });

  it('turns any instant into a wall-clock time that names it, unless it falls in an overlap', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2032, 0, 1) }),
        (zone, ms) => {
          const instant = Math.floor(ms / 1000) * 1000;
          const named = instantsOf(localDateTime(instant, zone), zone);
          return named.includes(instant) && (named.length === 1) === isUnambiguous(instant, zone);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('calls an instant unambiguous only where its wall-clock time names it alone, minute by minute around changes', () => {
    // Every 5 minutes from two days before to two days after a fall-back change (an overlap hour,
    // or half hour) and a spring-forward one: the quick answer far from a change and the searched
    // one near it must both agree with the wall-clock time's instants.
    const changes: [string, number][] = [
      ['Europe/Berlin', Date.UTC(2026, 9, 25, 1)],
      ['Europe/Berlin', Date.UTC(2026, 2, 29, 1)],
      ['America/New_York', Date.UTC(2026, 10, 1, 6)],
      ['Australia/Lord_Howe', Date.UTC(2026, 3, 4, 15)],
      ['Pacific/Apia', Date.UTC(2011, 11, 30, 10)],
    ];
    let ambiguous = 0;
    for (const [zone, change] of changes) {
      for (let instant = change - 2 * 86_400_000; instant <= change + 2 * 86_400_000; instant += 300_000) {
        const named = instantsOf(localDateTime(instant, zone), zone);
        const alone = named.length === 1 && named[0] === instant;
        expect(isUnambiguous(instant, zone), `${zone} ${new Date(instant).toISOString()}`).toBe(alone);
        if (!alone) ambiguous += 1;
      }
    }
    // The overlaps: Berlin's and New York's hour and Lord Howe's half hour, each instant in them.
    expect(ambiguous).toBe(12 * 2 + 12 * 2 + 6 * 2);
  });

  it('adds days across month and year ends', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
  });
});
