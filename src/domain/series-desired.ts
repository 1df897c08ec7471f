// What a Lightning event series should be in the calendar: the series item (mapped from the
// series record) and, for each occurrence record, the date it stands for, whether it was changed
// or excluded on its own, and the item it maps to. Its hash covers all of it, so a change to any
// occurrence record makes the series' link out of date. Pure: the hash function is given.
import { canonicalItem, type CalendarItem } from './calendar-item.ts';
import { mapEvent, type MapContext } from './map-event.ts';
import type { SeriesOccurrence } from './plan-series.ts';
import type { SalesforceEvent } from './salesforce-event.ts';
import { addDays, localDate } from './time-zones.ts';

/**
 * A content hash over the given parts, in order (the engine's is SHA-256 in base64url). Given
 * rather than imported, so the domain stays free of Node's modules.
 */
export type Digest = (...parts: readonly string[]) => string;

/** The series as Salesforce has it: the calendar series' own content, and the occurrence records. */
export interface SeriesDesired {
  /** Hash of the series item (pattern, times, content). */
  masterHash: string;
  /** The pattern and times: when they change, a calendar drops its changed and cancelled occurrences. */
  timingKey: string;
  occurrences: readonly SeriesOccurrence[];
  /** The calendar item each occurrence record maps to, by Event id. */
  occurrenceItems: ReadonlyMap<string, CalendarItem>;
  /** Where the occurrences are: [from, to) epoch ms, and the zone their dates are in. */
  window: { from: number; to: number; timeZone: string };
}

const day = 86_400_000;
/** How far a series without an end is looked at: as far as Salesforce is assumed to make its occurrences. */
const openEndedYears = 5;

export function seriesDesired(input: {
  seriesItem: CalendarItem;
  seriesHash: string;
  occurrences: readonly { event: SalesforceEvent }[];
  /** The series date each occurrence record was first seen standing for. */
  knownSlots: ReadonlyMap<string, string>;
  context: MapContext;
  digest: Digest;
}): SeriesDesired & { item: CalendarItem; hash: string; notes: string[] } {
  const zone = input.seriesItem.recurrence?.timeZone ?? input.seriesItem.timing.timeZone;
  const notes: string[] = [];
  const occurrences: SeriesOccurrence[] = [];
  const occurrenceItems = new Map<string, CalendarItem>();
  for (const { event } of input.occurrences) {
    const mapped = mapEvent(event, input.context);
    if (mapped.kind === 'skip') {
      notes.push(
        `the occurrence ${event.id} cannot be shown on its own (${mapped.reason}): it keeps the series' content`,
      );
      continue;
    }
    const item = mapped.item;
    const hash = input.digest(canonicalItem(item));
    const date = item.timing.kind === 'all-day' ? item.timing.startDate : localDate(item.timing.start, zone);
    occurrenceItems.set(event.id, item);
    occurrences.push({
      eventId: event.id,
      date,
      knownSlot: input.knownSlots.get(event.id),
      isException: event.occurrence?.isException === true,
      isExclusion: event.occurrence?.isExclusion === true,
      hash,
    });
  }
  occurrences.sort((a, b) => a.date.localeCompare(b.date) || a.eventId.localeCompare(b.eventId));
  // A pattern without an end has as many occurrences as Salesforce made records for (it makes
  // them some years ahead): the calendar series ends with the last of them, and grows with them.
  let seriesItem = input.seriesItem;
  let seriesHash = input.seriesHash;
  const recurrence = seriesItem.recurrence;
  const lastDate = occurrences
    .map((o) => o.knownSlot ?? o.date)
    .reduce<string | undefined>((last, date) => (last === undefined || date > last ? date : last), undefined);
  if (recurrence !== null && recurrence.end.kind === 'never' && lastDate !== undefined) {
    seriesItem = { ...seriesItem, recurrence: { ...recurrence, end: { kind: 'until', date: lastDate } } };
    seriesHash = input.digest(canonicalItem(seriesItem));
    notes.push(
      `the pattern has no end: the calendar series ends with Salesforce's last occurrence, ${lastDate}`,
    );
  }
  const signature = occurrences.map((o) => [
    o.eventId,
    o.isExclusion ? 'excluded' : o.isException ? o.hash : 'plain',
  ]);
  return {
    item: seriesItem,
    masterHash: seriesHash,
    timingKey: JSON.stringify({ timing: seriesItem.timing, recurrence: seriesItem.recurrence }),
    occurrences,
    occurrenceItems,
    window: { ...windowOf(seriesItem, occurrences), timeZone: zone },
    hash: input.digest(input.seriesHash, JSON.stringify(signature)),
    notes,
  };
}

/** From before the series' first day to after the last day its pattern or its records reach. */
function windowOf(
  item: CalendarItem,
  occurrences: readonly SeriesOccurrence[],
): { from: number; to: number } {
  const timing = item.timing;
  const start = timing.kind === 'all-day' ? Date.parse(`${timing.startDate}T00:00:00Z`) : timing.start;
  const recurrence = item.recurrence;
  let end = start + openEndedYears * 366 * day;
  if (recurrence !== null) {
    if (recurrence.end.kind === 'until') end = Date.parse(`${recurrence.end.date}T00:00:00Z`);
    if (recurrence.end.kind === 'count') {
      const period = { daily: 1, weekly: 7, monthly: 31, yearly: 366 }[recurrence.frequency];
      end = start + recurrence.end.count * recurrence.interval * period * day;
    }
  }
  const last = occurrences.at(-1)?.date;
  if (last !== undefined) end = Math.max(end, Date.parse(`${addDays(last, 1)}T00:00:00Z`));
  return { from: start - 2 * day, to: end + 3 * day };
}
