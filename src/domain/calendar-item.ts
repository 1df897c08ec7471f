// The provider-neutral calendar item: what a Salesforce Event becomes before any provider sees
// it. Providers translate it to Graph, EWS or Google wire shapes; the engine hashes its canonical
// form to tell whether an update would change anything.

export type ShowAs = 'free' | 'tentative' | 'busy' | 'oof' | 'workingElsewhere';

export type ItemTiming =
  /** Instants (epoch ms) shown in `timeZone` (IANA), the owner's zone. */
  | { kind: 'timed'; start: number; end: number; timeZone: string }
  /**
   * Whole days: `startDate` up to, not including, `endDate` (YYYY-MM-DD). The dates are never
   * shifted; `timeZone` (the owner's) is where providers that tie all-day items to a zone put them.
   */
  | { kind: 'all-day'; startDate: string; endDate: string; timeZone: string };

export interface Attendee {
  email: string;
  name: string | null;
  type: 'required' | 'optional';
}

export type Weekday = 'MO' | 'TU' | 'WE' | 'TH' | 'FR' | 'SA' | 'SU';

export interface Recurrence {
  frequency: 'daily' | 'weekly' | 'monthly' | 'yearly';
  interval: number;
  /** Weekly: the days. Monthly/yearly by position: the day with `setPosition`. */
  byDay: Weekday[];
  /** 1..31 for "the Nth of the month". */
  byMonthDay: number | null;
  /** 1..12 for yearly patterns. */
  byMonth: number | null;
  /** 1..4 or -1 (last) with `byDay` for "the second Tuesday". */
  setPosition: number | null;
  weekStart: Weekday;
  /** The first occurrence's date (YYYY-MM-DD) in `timeZone`. */
  startDate: string;
  end: { kind: 'never' } | { kind: 'count'; count: number } | { kind: 'until'; date: string };
  timeZone: string;
}

export interface CalendarItem {
  salesforceEventId: string;
  subject: string;
  /** Plain text. */
  body: string;
  location: string | null;
  timing: ItemTiming;
  showAs: ShowAs;
  sensitivity: 'normal' | 'private';
  /** Minutes before the start, or null for no reminder. */
  reminderMinutesBeforeStart: number | null;
  attendees: Attendee[];
  recurrence: Recurrence | null;
}

/**
 * A stable text of everything a provider would write: equal texts mean an update would change
 * nothing. It is JSON with every object's keys sorted, so it does not depend on construction order
 * (written in one pass: sorting through JSON.stringify's replacer built a sorted copy of every
 * object, most of a sync's garbage after the provider call).
 */
export function canonicalItem(item: CalendarItem): string {
  // An item built with its keys in order (map-event.ts) is that text as JSON.stringify writes it:
  // the same characters from V8's own writer, without the walk's string joins (20 MB of a burst's
  // allocations sampled over 15 s, 7 MB this way; docs/performance.md).
  return inCanonicalOrder(item) ? JSON.stringify(item) : (canonicalJson(item) ?? 'null');
}

/**
 * Whether JSON.stringify writes `value` exactly as canonicalJson would: only JSON's own values,
 * plain objects and arrays, no toJSON, and every object's keys already sorted (none an array index,
 * which objects list first whatever the order they were set in).
 */
function inCanonicalOrder(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return typeof value !== 'bigint';
  // (Loops by index: a for…of that V8 has not optimized makes an object for every step.)
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!inCanonicalOrder(value[i])) return false;
    return true;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if ((i > 0 && (keys[i - 1] as string) >= key) || isArrayIndex(key)) return false;
    if (!inCanonicalOrder((value as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/**
 * Sorted keys in the order an object built from them would list them: keys that are array
 * indices first, by their number (JavaScript puts them there whatever the order they were set
 * in), then the others as strings. Most objects have no such key: their keys are sorted as they are.
 */
function sortedKeys(record: object): string[] {
  const keys = Object.keys(record);
  if (keys.some(isArrayIndex)) return keys.sort(byObjectKeyOrder);
  // Already in order (as an item's objects are built): no sort, which copies the keys.
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) return keys.sort();
  return keys;
}

function byObjectKeyOrder(a: string, b: string): number {
  const ai = isArrayIndex(a);
  const bi = isArrayIndex(b);
  if (ai !== bi) return ai ? -1 : 1;
  if (ai) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

const arrayIndexPattern = /^(?:0|[1-9]\d*)$/;

function isArrayIndex(key: string): boolean {
  const first = key.charCodeAt(0);
  return first >= 48 && first <= 57 && arrayIndexPattern.test(key) && Number(key) < 4_294_967_295;
}

/** Object keys as JSON writes them, kept: an item's keys are the same few names every time. */
const quotedKeys = new Map<string, string>();

function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = JSON.stringify(key);
    if (quotedKeys.size < 10_000) quotedKeys.set(key, quoted);
  }
  return quoted;
}

/** JSON.stringify's text of `value` with object keys sorted; undefined where it would leave the value out. */
function canonicalJson(value: unknown): string | undefined {
  if (value === null) return 'null';
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean') return JSON.stringify(value);
  // undefined, functions and symbols: left out of objects, null in arrays (as JSON.stringify does).
  if (type !== 'object') return undefined;
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i++)
      text += `${i === 0 ? '' : ','}${canonicalJson(value[i]) ?? 'null'}`;
    return `${text}]`;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function')
    return canonicalJson((value as { toJSON: () => unknown }).toJSON());
  const record = value as Record<string, unknown>;
  const keys = sortedKeys(record);
  let text = '{';
  let first = true;
  for (const key of keys) {
    const member = canonicalJson(record[key]);
    if (member === undefined) continue;
    text += `${first ? '' : ','}${quotedKey(key)}:${member}`;
    first = false;
  }
  return `${text}}`;
}
