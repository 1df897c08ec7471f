// Time zone arithmetic with the platform's Intl only (no I/O): is a zone known, what wall-clock
// time an instant has in it, and which instant a wall-clock time names (with the DST cases where
// it names none or two).

/** The formatter's options (en-US): every part of the wall-clock time, 24-hour. */
export const wallClockOptions: Readonly<Intl.DateTimeFormatOptions> = {
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
};

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { ...wallClockOptions, timeZone });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isKnownTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** en-US with these options writes `12/01/2026, 09:00:00`: one string to slice, no parts to build. */
const usDateTime = /^(\d{2})\/(\d{2})\/(\d{4}), (\d{2}):(\d{2}):(\d{2})$/;

/** The wall-clock time as Intl tells it: what the faster path below must always agree with. */
function intlLocalDateTime(instant: number, timeZone: string): string {
  const f = formatter(timeZone);
  const m = usDateTime.exec(f.format(instant));
  if (m !== null) return `${m[3]}-${m[1]}-${m[2]}T${m[4]}:${m[5]}:${m[6]}`;
  // Years outside 1000–9999 are written differently: take the parts.
  const parts = Object.fromEntries(f.formatToParts(instant).map((p) => [p.type, p.value]));
  return `${parts['year']}-${parts['month']}-${parts['day']}T${parts['hour']}:${parts['minute']}:${parts['second']}`;
}

/**
 * Formatting with Intl is the service's costliest step per Event (a Graph item's times take a
 * dozen look-ups), so the offset a zone has in force is kept per 15-minute span of time: a span
 * whose first and last second have the same offset has no change of offset inside it (a zone
 * never changes twice within 15 minutes; its changes fall on whole seconds), and any instant in it
 * is then its UTC time moved by that offset. A span with a change in it (NaN here) goes to Intl.
 */
const spanMs = 15 * 60_000;
const dayMs = 86_400_000;
const spanOffsets = new Map<string, Map<number, number>>();
/** About seven months of spans per zone before its spans are forgotten (at most ~1 MB each). */
const maxSpansPerZone = 20_000;
/** Where toISOString writes a four-digit year, as Intl does (with room for a ±14 h offset). */
const fastFrom = Date.UTC(1001, 0, 1);
const fastTo = Date.UTC(9998, 11, 31);

function offsetThroughSpan(span: number, timeZone: string): number {
  let spans = spanOffsets.get(timeZone);
  if (spans === undefined) {
    spans = new Map();
    spanOffsets.set(timeZone, spans);
  }
  let offset = spans.get(span);
  if (offset === undefined) {
    const first = span * spanMs;
    const last = first + spanMs - 1000;
    const atFirst = Date.parse(`${intlLocalDateTime(first, timeZone)}Z`) - first;
    const atLast = Date.parse(`${intlLocalDateTime(last, timeZone)}Z`) - last;
    offset = atFirst === atLast ? atFirst : Number.NaN;
    if (spans.size >= maxSpansPerZone) spans.clear();
    spans.set(span, offset);
  }
  return offset;
}

/** The wall-clock time of `instant` in `timeZone`, as YYYY-MM-DDTHH:mm:ss. */
export function localDateTime(instant: number, timeZone: string): string {
  if (instant >= fastFrom && instant < fastTo) {
    const offset = offsetThroughSpan(Math.floor(instant / spanMs), timeZone);
    if (!Number.isNaN(offset)) return new Date(instant + offset).toISOString().slice(0, 19);
  }
  return intlLocalDateTime(instant, timeZone);
}

/** The calendar date of `instant` in `timeZone`. */
export function localDate(instant: number, timeZone: string): string {
  return localDateTime(instant, timeZone).slice(0, 10);
}

/**
 * Every instant whose wall-clock time in `timeZone` is `local` (YYYY-MM-DDTHH:mm:ss): one usually,
 * none in a spring-forward gap, two in a fall-back overlap.
 */
export function instantsOf(local: string, timeZone: string): number[] {
  const asUtc = Date.parse(`${local}Z`);
  // A zone's offset is within ±14 h: try the offsets in force around that time (usually one and
  // the same: each distinct candidate is checked once).
  const candidates = new Set<number>();
  for (const probe of [asUtc - dayMs, asUtc, asUtc + dayMs])
    candidates.add(asUtc - (Date.parse(`${localDateTime(probe, timeZone)}Z`) - probe));
  const found: number[] = [];
  for (const candidate of candidates) if (localDateTime(candidate, timeZone) === local) found.push(candidate);
  return found.sort((a, b) => a - b);
}

/** Whether `local` names exactly one instant in `timeZone` (so a provider cannot misread it). */
export function isUnambiguous(instant: number, timeZone: string): boolean {
  // Most instants are days away from a change of offset: when the zone has one offset from a day
  // before to a day after (the span offsets above, which instantsOf probes too), the wall-clock
  // time names this instant alone, and no instant need be searched for.
  if (instant - dayMs >= fastFrom && instant + dayMs < fastTo) {
    const offset = offsetThroughSpan(Math.floor(instant / spanMs), timeZone);
    if (
      !Number.isNaN(offset) &&
      offsetThroughSpan(Math.floor((instant - dayMs) / spanMs), timeZone) === offset &&
      offsetThroughSpan(Math.floor((instant + dayMs) / spanMs), timeZone) === offset
    )
      return true;
  }
  const named = instantsOf(localDateTime(instant, timeZone), timeZone);
  return named.length === 1 && named[0] === instant;
}

/** YYYY-MM-DD plus `days`. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * dayMs).toISOString().slice(0, 10);
}

export function isIsoDate(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) && new Date(`${text}T00:00:00Z`).toISOString().startsWith(text);
}
