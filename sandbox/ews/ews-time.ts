// Time as Exchange keeps it: Windows time zone ids (StartTimeZone Id="W. Europe Standard Time",
// TimeZoneContext) checked against the zones Windows knows, as CLDR's windowsZones lists them
// (the windows-iana package), each kept like the tz database zone CLDR maps it to; xs:dateTime
// values read as the EWS time zone rules say (an offset or Z wins, else the element's zone); and
// the conversion between an instant and a zone's wall-clock time that recurring series are
// expanded in. Node's Intl (full ICU) is the zone database.
import { findIana, WINDOWS_TO_IANA_MAP } from 'windows-iana';
import type { DateTimeValue } from './ews-schema.ts';

const windowsZones = new Set<string>(WINDOWS_TO_IANA_MAP.map((entry) => entry.windowsName as string));

/** The tz database zone a Windows zone keeps time like, or undefined for an id Windows does not have. */
export function ianaOf(windowsId: string): string | undefined {
  if (!windowsZones.has(windowsId)) return undefined;
  return findIana(windowsId)[0] ?? undefined;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let found = formatters.get(zone);
  if (found === undefined) {
    found = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, found);
  }
  return found;
}

/** The wall-clock time (YYYY-MM-DDTHH:MM:SS) `ms` shows in the tz database zone `zone`. */
export function wallClock(ms: number, zone: string): string {
  const parts = Object.fromEntries(
    formatter(zone)
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  return `${parts['year']}-${parts['month']}-${parts['day']}T${parts['hour']}:${parts['minute']}:${parts['second']}`;
}

function offsetMinutes(ms: number, zone: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  return Math.round((Date.parse(`${wallClock(whole, zone)}Z`) - whole) / 60_000);
}

/**
 * The instant a wall-clock time names in `zone`: the earlier one when the clocks go back, and for
 * a time the clocks skip, the instant as many minutes after the jump.
 */
export function instant(wall: string, zone: string): number {
  const asUtc = Date.parse(`${wall.slice(0, 19)}Z`);
  const first = asUtc - offsetMinutes(asUtc, zone) * 60_000;
  const candidates = [first, asUtc - offsetMinutes(first, zone) * 60_000];
  const exact = candidates.filter((c) => wallClock(c, zone) === wall.slice(0, 19)).sort((a, b) => a - b);
  if (exact[0] !== undefined) return exact[0];
  return asUtc - offsetMinutes(asUtc - 86_400_000, zone) * 60_000;
}

/** The instant an xs:dateTime names: by its own offset, else as wall-clock time in `zone` (tz database name). */
export function instantOf(value: DateTimeValue, zone: string): number {
  if (value.offset !== undefined) {
    const suffix = value.offset === 'Z' ? 'Z' : value.offset;
    // 24:00:00 is the next day's midnight.
    const wall = value.wall.endsWith('T24:00:00') ? `${value.wall.slice(0, 11)}00:00:00` : value.wall;
    return Date.parse(`${wall}${suffix}`) + value.millis + (wall === value.wall ? 0 : 86_400_000);
  }
  return instant(value.wall, zone) + value.millis;
}

/** How Exchange writes an instant: UTC, to the second. */
export const utc = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The date `days` after `date` (yyyy-mm-dd). */
export const addDays = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** An xs:duration for a span, as Exchange writes Duration ("PT1H30M", "P1D"). */
export function duration(ms: number): string {
  const totalSeconds = Math.round(Math.max(0, ms) / 1000);
  const days = Math.floor(totalSeconds / 86_400);
  const hours = Math.floor((totalSeconds % 86_400) / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const time = `${hours > 0 ? `${hours}H` : ''}${minutes > 0 ? `${minutes}M` : ''}${seconds > 0 ? `${seconds}S` : ''}`;
  return `P${days > 0 ? `${days}D` : ''}${time === '' ? (days > 0 ? '' : 'T0S') : `T${time}`}`;
}
