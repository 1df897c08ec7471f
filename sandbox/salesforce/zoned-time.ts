// Wall-clock time in an IANA time zone (a Salesforce TimeZoneSidKey), both ways: the local
// date-time of an instant, and the instant of a local date-time as RFC 5545 reads one (a time
// that a spring-forward gap skips is taken with the offset before the gap, so 02:30 becomes
// 03:30; a time that a fall-back repeats is its first instant).

const hour = 3_600_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** Whether `timeZone` is an IANA zone name this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The local wall-clock time of `ms` in `timeZone`, as epoch ms of the same fields in UTC ("floating"). */
export function floatingOf(ms: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(ms)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const wholeSeconds = Date.UTC(
    parts['year'] ?? 1970,
    (parts['month'] ?? 1) - 1,
    parts['day'] ?? 1,
    parts['hour'] ?? 0,
    parts['minute'] ?? 0,
    parts['second'] ?? 0,
  );
  return wholeSeconds + (((ms % 1000) + 1000) % 1000);
}

/** The instant at which `timeZone`'s clocks show the floating time `local`. */
export function instantOf(local: number, timeZone: string): number {
  const offsetAt = (ms: number) => floatingOf(ms, timeZone) - ms;
  const before = offsetAt(local - 24 * hour);
  const after = offsetAt(local + 24 * hour);
  const valid = [...new Set([before, after])]
    .map((offset) => local - offset)
    .filter((ms) => floatingOf(ms, timeZone) === local)
    .sort((a, b) => a - b);
  return valid[0] ?? local - before;
}

/** YYYY-MM-DD of `ms` in `timeZone`. */
export function localDateOf(ms: number, timeZone: string): string {
  return new Date(floatingOf(ms, timeZone)).toISOString().slice(0, 10);
}
