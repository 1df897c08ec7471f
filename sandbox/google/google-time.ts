// Time as Google Calendar reads and writes it: IANA zone names (EventDateTime.timeZone is "an
// IANA Time Zone Database name"), RFC 3339 date-times with or without an offset, yyyy-mm-dd
// dates, and the conversion between an instant and a zone's wall-clock time, which series are
// expanded in. Node's Intl (full ICU) is the zone database.

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

/**
 * Whether Google takes `name` as a time zone: a tz database name (links such as US/Eastern
 * included) spelled with its own case; offsets like "+01:00" and made-up names are refused.
 */
export function isIanaZone(name: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(name)) return false;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return false;
  }
  // Intl reads names in any case; the database does not.
  return !(resolved.toLowerCase() === name.toLowerCase() && resolved !== name);
}

/** The wall-clock time (YYYY-MM-DDTHH:MM:SS) `ms` shows in `zone`. */
export function wallClock(ms: number, zone: string): string {
  const parts = Object.fromEntries(
    formatter(zone)
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  return `${parts['year']}-${parts['month']}-${parts['day']}T${parts['hour']}:${parts['minute']}:${parts['second']}`;
}

/** The zone's offset from UTC at `ms`, in minutes. */
export function offsetMinutes(ms: number, zone: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  return Math.round((Date.parse(`${wallClock(whole, zone)}Z`) - whole) / 60_000);
}

/**
 * The instant a wall-clock time names in `zone`: the earlier one when the clocks go back, and
 * for a time the clocks skip, the instant as many minutes after the jump (as RFC 5545 reads it).
 */
export function instant(wall: string, zone: string): number {
  const asUtc = Date.parse(`${wall}Z`);
  const first = asUtc - offsetMinutes(asUtc, zone) * 60_000;
  const candidates = [first, asUtc - offsetMinutes(first, zone) * 60_000];
  const exact = candidates.filter((c) => wallClock(c, zone) === wall.slice(0, 19)).sort((a, b) => a - b);
  if (exact[0] !== undefined) return exact[0];
  // In a gap: the offset before the jump applies.
  return asUtc - offsetMinutes(asUtc - 86_400_000, zone) * 60_000;
}

/** RFC 3339 with the zone's offset at that instant ("Z" for none), as Google writes dateTime. */
export function rfc3339(ms: number, zone: string): string {
  const offset = offsetMinutes(ms, zone);
  if (offset === 0) return `${wallClock(ms, zone)}Z`;
  const sign = offset < 0 ? '-' : '+';
  const hours = String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0');
  const minutes = String(Math.abs(offset) % 60).padStart(2, '0');
  return `${wallClock(ms, zone)}${sign}${hours}:${minutes}`;
}

/** Google's timestamps (created, updated): UTC with milliseconds. */
export const timestamp = (ms: number) => new Date(ms).toISOString();

const rfc3339Pattern = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?$/;

/**
 * An RFC 3339 date-time: its wall-clock part and, when it has an offset, the instant it names;
 * undefined when it is not one (or names a day or time that does not exist).
 */
export function parseDateTime(value: string): { wall: string; ms: number | undefined } | undefined {
  const match = rfc3339Pattern.exec(value);
  if (match === null) return undefined;
  const [, date = '', hh = '', mm = '', ss = '', fraction, offset] = match;
  if (!isDate(date) || Number(hh) > 23 || Number(mm) > 59 || Number(ss) > 59) return undefined;
  const wall = `${date}T${hh}:${mm}:${ss}`;
  if (offset === undefined) return { wall, ms: undefined };
  const millis = fraction === undefined ? 0 : Math.floor(Number(`0${fraction}`) * 1000);
  const ms = Date.parse(`${wall}${offset.toUpperCase() === 'Z' ? 'Z' : offset}`) + millis;
  return Number.isNaN(ms) ? undefined : { wall, ms };
}

/** A yyyy-mm-dd date that exists. */
export function isDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const ms = Date.parse(`${value}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === value;
}

/** The date `days` after `date` (yyyy-mm-dd). */
export const addDays = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
