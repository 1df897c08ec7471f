// What the EWS provider reads out of successful answers, pure: the ItemIds an operation returns,
// and one page of a series' occurrences walked by index (GetItem of OccurrenceItemIds). Errors of
// the whole request are ews-errors.ts's; these readers see the response messages.
import { localDate } from '../../domain/time-zones.ts';
import { ItemNotFoundError, type ItemRef, type SeriesInstanceRef } from '../calendar-provider.ts';
import { ewsFailure, type EwsResponseMessage } from './ews-errors.ts';
import { attribute, child, children, text } from './ews-xml.ts';

/** A message that is not an error (Warning counts as done: the item was written). */
export const succeeded = (message: EwsResponseMessage) => message.responseClass !== 'Error';

/** The ItemIds of a response message's items (`m:Items`, or a FindItem's `m:RootFolder/t:Items`). */
export function itemRefs(message: EwsResponseMessage): ItemRef[] {
  const items = child(message.node, 'Items') ?? child(child(message.node, 'RootFolder'), 'Items');
  if (items === undefined) return [];
  return Object.keys(items)
    .filter((name) => !name.startsWith('@') && name !== '#text')
    .flatMap((name) => children(items, name))
    .flatMap((item) => {
      const itemId = child(item, 'ItemId');
      const id = attribute(itemId, 'Id');
      return id === undefined ? [] : [{ itemId: id, changeKey: attribute(itemId, 'ChangeKey') ?? null }];
    });
}

/** One page of a series walk: the occurrences found, and the index to ask for next (none: done). */
export interface OccurrencePage {
  found: SeriesInstanceRef[];
  next: number | undefined;
}

/**
 * Reads the answers for occurrences `first`, `first + 1`, … (one message each, in order): each
 * occurrence starting in the window is named by its original start's date in the window's zone;
 * a deleted one is skipped; the walk ends at the first index past the series, or once the
 * occurrences start after the window (none may pass its neighbour, so the rest start later still).
 */
export function readOccurrencePage(
  messages: readonly EwsResponseMessage[],
  first: number,
  window: { from: number; to: number; timeZone: string },
  what: string,
  mailbox: string,
): OccurrencePage {
  const found: SeriesInstanceRef[] = [];
  for (const [offset, message] of messages.entries()) {
    if (message.code === 'ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange')
      return { found, next: undefined };
    if (message.code === 'ErrorCalendarOccurrenceIsDeletedFromRecurrence') continue;
    // Exchange stopped the batch here ("likely to occur for the items that follow"): ask again from it.
    if (message.code === 'ErrorBatchProcessingStopped' && offset > 0) return { found, next: first + offset };
    if (!succeeded(message)) {
      if (
        message.code === 'ErrorItemNotFound' ||
        message.code === 'ErrorCalendarCannotUseIdForRecurringMasterId'
      )
        throw new ItemNotFoundError(`${what}: the calendar series is no longer in the mailbox`);
      throw ewsFailure(message, what, mailbox);
    }
    const item = child(child(message.node, 'Items'), 'CalendarItem');
    const id = attribute(child(item, 'ItemId'), 'Id');
    const start = Date.parse(text(item, 'Start') ?? '');
    const original = Date.parse(text(item, 'OriginalStart') ?? '');
    const named = Number.isNaN(original) ? start : original;
    if (id === undefined || Number.isNaN(named)) continue;
    if (start >= window.from && start < window.to)
      found.push({ id, date: localDate(named, window.timeZone) });
    if (named >= window.to && start >= window.to) return { found, next: undefined };
  }
  return { found, next: messages.length === 0 ? undefined : first + messages.length };
}
