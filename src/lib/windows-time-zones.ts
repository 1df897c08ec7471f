// IANA time zones (what Salesforce's TimeZoneSidKey holds) as Windows time zone names (what
// Microsoft Graph and Exchange take). Graph documents Windows names plus a short list of IANA
// names, and creating an event in an IANA zone off that list (Europe/Vienna, America/Toronto, …)
// fails, so every zone written to Graph or EWS goes through here.
//
// The mapping is CLDR's windowsZones (as the windows-iana package ships it), checked against the
// clock: a Windows zone is only used for an IANA zone that keeps the same time as the Windows
// zone's own reference zone, every hour from a year ago to five years ahead. Where a country
// changed its rules after the mapping was made (Kazakhstan in 2024, British Columbia, …), CLDR's
// entry would put every meeting an hour off; then another Windows zone that keeps the same time is
// used, and where none does the zone has no Windows name (the provider says so, and the Event is
// skipped with that reason rather than written at the wrong time).
import { findIana, findWindows, WINDOWS_TO_IANA_MAP } from 'windows-iana';

const weekMs = 604_800_000;
const dayMs = 86_400_000;
const hourMs = 3_600_000;

/** The answers for the default window, which starts on `cacheFrom` (a new day starts a new cache). */
const cache = new Map<string, string | undefined>();
let cacheFrom = 0;
const offsetFormats = new Map<string, Intl.DateTimeFormat>();

function offsetAt(zone: string, instant: number): string {
  let format = offsetFormats.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    offsetFormats.set(zone, format);
  }
  // The offset ends the text ("12/7/2026, GMT+05:30"): read from `format`, a third of the time
  // `formatToParts` takes (which builds an object for every part).
  const text = format.format(instant);
  return text.slice(text.lastIndexOf('GMT'));
}

/**
 * Whether `a` and `b` keep the same time at every hour of [from, to). Looked at weekly, then day by
 * day over a week in which either zone's offset changed, and hour by hour over such a day: no zone
 * changes its offset twice within a week (the closest changes in the tz database, Morocco's around
 * Ramadan, are 35 days apart; windows-time-zones.test.ts checks the running Node.js's data), so a
 * week whose two ends agree holds no change. About a third of the looks a daily look took: the
 * first change in each zone waits for them once a day (docs/performance.md).
 */
function keepSameTime(a: string, b: string, from: number, to: number): boolean {
  return sameAcross(a, b, from, to, [weekMs, dayMs, hourMs]);
}

/**
 * Whether `a` and `b` show the same offset at `from`, every `step` after it and at the last hour
 * before `to`; where either zone's offset changed between two of those looks, the time between them
 * is looked at again with the next, finer step.
 */
function sameAcross(a: string, b: string, from: number, to: number, steps: readonly number[]): boolean {
  const [step = hourMs, ...finer] = steps;
  let previous: string[] | undefined;
  let previousAt = from;
  for (let at = from; ; at += step) {
    const last = at >= to - hourMs;
    const when = last ? to - hourMs : at;
    const now = [offsetAt(a, when), offsetAt(b, when)];
    if (now[0] !== now[1]) return false;
    const changed = previous !== undefined && (previous[0] !== now[0] || previous[1] !== now[1]);
    if (changed && finer.length > 0 && !sameAcross(a, b, previousAt, when, finer)) return false;
    if (last) return true;
    previous = now;
    previousAt = when;
  }
}

/** Each Windows zone with the tz database zone CLDR gives for it worldwide (territory 001). */
const windowsReferences: readonly [windows: string, iana: string][] = [
  ...new Set(WINDOWS_TO_IANA_MAP.map((entry) => entry.windowsName)),
].flatMap((windows) => {
  const iana = findIana(windows)[0];
  return iana === undefined ? [] : [[windows, iana] as [string, string]];
});

function knownZone(zone: string): boolean {
  try {
    offsetAt(zone, 0);
    return true;
  } catch {
    return false;
  }
}

/** The first Windows zone (CLDR's own mapping first) that keeps the same time as `ianaZone` over [from, to). */
function search(ianaZone: string, from: number, to: number): string | undefined {
  if (!knownZone(ianaZone)) return undefined;
  let mapped: string[] = [];
  try {
    mapped = findWindows(ianaZone);
  } catch {
    // windows-iana throws for a name it has never heard of: look for a zone that keeps time.
  }
  const candidates = [
    ...windowsReferences.filter(([windows]) => mapped.includes(windows)),
    ...windowsReferences.filter(([windows]) => !mapped.includes(windows)),
  ];
  return candidates.find(([, reference]) => keepSameTime(ianaZone, reference, from, to))?.[0];
}

/**
 * The Windows name for `ianaZone` over `range` (epoch ms; by default from a year ago to five years
 * ahead): a Windows zone that keeps the same time there, or undefined when none does (or the zone
 * is unknown). The answer for the default window is kept; a range outside it is looked at alone.
 */
export function windowsTimeZone(
  ianaZone: string,
  range?: { from: number; to: number },
  now: number = Date.now(),
): string | undefined {
  if (ianaZone === 'UTC' || ianaZone === 'Etc/UTC' || ianaZone === 'GMT') return 'UTC';
  const windowFrom = Math.floor(now / dayMs) * dayMs - 365 * dayMs;
  const windowTo = windowFrom + 6 * 365 * dayMs;
  if (cacheFrom !== windowFrom) {
    cache.clear();
    cacheFrom = windowFrom;
  }
  const usual = () => {
    if (!cache.has(ianaZone)) cache.set(ianaZone, search(ianaZone, windowFrom, windowTo));
    return cache.get(ianaZone);
  };
  if (range === undefined) return usual();
  const from = Math.floor(range.from / dayMs) * dayMs - dayMs;
  const to = Math.ceil(range.to / dayMs) * dayMs + dayMs;
  const inWindow = from >= windowFrom && to <= windowTo;
  return (inWindow ? usual() : undefined) ?? search(ianaZone, from, to);
}
