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

  it('adds days across month and year ends', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
  });
});
