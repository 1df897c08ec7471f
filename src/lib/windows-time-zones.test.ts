import { findIana } from 'windows-iana';
import { describe, expect, it } from 'vitest';
import { windowsTimeZone } from './windows-time-zones.ts';

const now = Date.UTC(2026, 11, 2);

/** The zone's offset at `t` ("GMT-08:00"), as the clock says. */
const formats = new Map<string, Intl.DateTimeFormat>();
function offset(zone: string, t: number): string | undefined {
  let format = formats.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    formats.set(zone, format);
  }
  return format.formatToParts(t).find((p) => p.type === 'timeZoneName')?.value;
}

/** Whether two zones show the same offset at every hour of [from, to). */
function sameEveryHour(a: string, b: string, from: number, to: number): boolean {
  for (let t = from; t < to; t += 3_600_000) if (offset(a, t) !== offset(b, t)) return false;
  return true;
}

describe('windowsTimeZone', () => {
  it("names CLDR's Windows zone, for zones Graph refuses by their IANA names too", () => {
    expect(windowsTimeZone('Europe/Vienna', undefined, now)).toBe('W. Europe Standard Time');
    expect(windowsTimeZone('America/Toronto', undefined, now)).toBe('Eastern Standard Time');
    expect(windowsTimeZone('Europe/Amsterdam', undefined, now)).toBe('W. Europe Standard Time');
    expect(windowsTimeZone('Asia/Hong_Kong', undefined, now)).toBe('China Standard Time');
    expect(windowsTimeZone('Asia/Calcutta', undefined, now)).toBe('India Standard Time');
    expect(windowsTimeZone('UTC', undefined, now)).toBe('UTC');
    expect(windowsTimeZone('Mars/Olympus_Mons', undefined, now)).toBeUndefined();
  });

  it('rests on no zone changing its offset twice within two weeks (the check looks weekly first)', () => {
    // The closest changes in the tz database are Morocco's around Ramadan, 35 days apart. A Node.js
    // whose data brings two changes closer than this fails here, before a meeting is written at the
    // wrong time: the weekly look in windows-time-zones.ts would then have to be finer.
    const day = 86_400_000;
    // The window the service looks at when it runs: from a year ago to five years ahead.
    const from = Date.now() - 365 * day;
    const to = from + 6 * 365 * day;
    let closest = { days: Infinity, zone: '' };
    for (const zone of Intl.supportedValuesOf('timeZone')) {
      let previous = offset(zone, from);
      let changedAt = -Infinity;
      for (let t = from + day; t < to; t += day) {
        const current = offset(zone, t);
        if (current === previous) continue;
        if ((t - changedAt) / day < closest.days) closest = { days: (t - changedAt) / day, zone };
        changedAt = t;
        previous = current;
      }
    }
    expect(
      closest.days,
      `${closest.zone} changes its offset twice within ${closest.days} days`,
    ).toBeGreaterThanOrEqual(14);
  }, 120_000);

  it('only ever names a Windows zone that keeps the same time over the range asked about', () => {
    // Six weeks across the northern spring change, looked at alone (the range lies outside the
    // window kept for `later`), and checked every hour.
    const from = Date.UTC(2027, 2, 1);
    const to = Date.UTC(2027, 3, 15);
    const later = Date.UTC(2030, 0, 1);
    let unnamed = 0;
    for (const zone of Intl.supportedValuesOf('timeZone')) {
      const windows = windowsTimeZone(zone, { from, to }, later);
      if (windows === undefined) {
        unnamed += 1;
        continue;
      }
      const reference = windows === 'UTC' ? 'UTC' : findIana(windows)[0];
      expect({ zone, windows, same: sameEveryHour(zone, reference ?? '', from, to) }).toMatchObject({
        same: true,
      });
    }
    // Nearly every zone has one; the few without are refused, never written at the wrong time.
    expect(unnamed).toBeLessThan(5);
  });
});
