// The mailboxes and their calendars as the sandbox keeps them. A calendar item is a single item
// or a recurring master; a master's modified occurrences (exceptions) and deleted occurrences
// live with it, keyed by their original start, as Exchange keeps them in the master's recurrence
// blob. Ids look like Exchange's (base64, "AAMk…"; change keys "DwAAABYAAAA…"); an occurrence's
// id names its master and original start, so it keeps its id when moved. Every write gets a new
// change key; the version each change key and each property was written at is kept, for
// UpdateItem's conflict resolution.
import { randomBytes, randomUUID } from 'node:crypto';
import { ItemError } from './ews-errors.ts';
import type { Attendee, ExtendedValue, FreeBusy, Sensitivity } from './ews-item-input.ts';
import { firstOccurrences, occurrencesBetween, type Recurrence, type SeriesClock } from './ews-recurrence.ts';
import { ianaOf, wallClock } from './ews-time.ts';

/** Everything a calendar item (or an occurrence of one) holds that a client can write. */
export interface CalendarFields {
  subject: string | undefined;
  sensitivity: Sensitivity;
  body: { type: 'Text' | 'HTML'; text: string } | undefined;
  categories: string[];
  importance: 'Low' | 'Normal' | 'High';
  reminderIsSet: boolean;
  reminderMinutesBeforeStart: number;
  extended: ExtendedValue[];
  uid: string;
  startMs: number;
  endMs: number;
  /** Windows ids */
  startTimeZone: string;
  endTimeZone: string;
  isAllDayEvent: boolean;
  legacyFreeBusyStatus: FreeBusy;
  location: string | undefined;
  isResponseRequested: boolean;
  allowNewTimeProposal: boolean;
  requiredAttendees: Attendee[];
  optionalAttendees: Attendee[];
  resources: Attendee[];
  recurrence: Recurrence | undefined;
}

interface Versioned {
  changeKey: string;
  version: number;
  /** every change key this item has had, with the version it names */
  keyVersions: Map<string, number>;
  /** the version each property (element name or extended key) was last written at */
  fieldVersions: Map<string, number>;
  created: number;
  modified: number;
}

/** A modified occurrence of a series. */
export interface Exception extends Versioned {
  originalStart: number;
  fields: CalendarFields;
}

export interface StoredItem extends Versioned {
  id: string;
  mailbox: string;
  fields: CalendarFields;
  order: number;
  exceptions: Map<number, Exception>;
  /** original starts of deleted occurrences */
  deleted: Set<number>;
}

export interface SentMessage {
  itemId: string;
  kind: 'request' | 'cancellation' | 'update';
  to: string[];
}

export interface Mailbox {
  address: string;
  displayName: string;
  items: Map<string, StoredItem>;
  sent: SentMessage[];
  calendarFolderId: string;
}

/** What an item id names: a single item or master, or one occurrence of a master. */
export type Target = { item: StoredItem; occurrence?: undefined } | { item: StoredItem; occurrence: number };

const idHeader = Buffer.from([0x00, 0x03, 0x24]);

const encodeId = (payload: string) =>
  Buffer.concat([idHeader, Buffer.from(payload, 'utf8')]).toString('base64');

function decodeId(id: string): string | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(id)) return undefined;
  const bytes = Buffer.from(id, 'base64');
  if (bytes.length <= idHeader.length || !bytes.subarray(0, 3).equals(idHeader)) return undefined;
  return bytes.subarray(3).toString('utf8');
}

export const newChangeKey = () =>
  Buffer.concat([Buffer.from([0x0f, 0, 0, 0, 0x16, 0, 0, 0]), randomBytes(16)]).toString('base64');

/** Whether a change key is one Exchange could have issued (base64 of its binary form). */
export const isWellFormedChangeKey = (key: string) => /^[A-Za-z0-9+/]+={0,2}$/.test(key) && key.length >= 8;

export const occurrenceId = (item: StoredItem, originalStart: number) =>
  encodeId(`occ:${item.id}:${originalStart}`);

/** The time of day and zone a series' occurrences are expanded in. */
export function seriesClock(fields: CalendarFields): SeriesClock {
  const zone = ianaOf(fields.startTimeZone) ?? 'UTC';
  return { timeOfDay: wallClock(fields.startMs, zone).slice(11, 19), zone };
}

export class EwsStore {
  readonly #mailboxes = new Map<string, Mailbox>();
  readonly #now: () => number;
  #order = 0;

  constructor(now: () => number) {
    this.#now = now;
  }

  addMailbox(address: string, displayName?: string): Mailbox {
    const key = address.toLowerCase();
    const existing = this.#mailboxes.get(key);
    if (existing !== undefined) return existing;
    const mailbox: Mailbox = {
      address: key,
      displayName: displayName ?? key.split('@')[0] ?? key,
      items: new Map(),
      sent: [],
      calendarFolderId: encodeId(`folder:calendar:${key}`),
    };
    this.#mailboxes.set(key, mailbox);
    return mailbox;
  }

  mailbox(address: string): Mailbox | undefined {
    return this.#mailboxes.get(address.toLowerCase());
  }

  mailboxes(): Mailbox[] {
    return [...this.#mailboxes.values()];
  }

  create(mailbox: Mailbox, fields: CalendarFields): StoredItem {
    const now = this.#now();
    const changeKey = newChangeKey();
    const item: StoredItem = {
      id: encodeId(`item:${randomUUID()}`),
      mailbox: mailbox.address,
      fields,
      order: this.#order++,
      exceptions: new Map(),
      deleted: new Set(),
      changeKey,
      version: 1,
      keyVersions: new Map([[changeKey, 1]]),
      fieldVersions: new Map(),
      created: now,
      modified: now,
    };
    mailbox.items.set(item.id, item);
    return item;
  }

  /** What an ItemId names in this mailbox: ErrorInvalidIdMalformed for no id of ours, ErrorItemNotFound for one gone. */
  resolve(mailbox: Mailbox, id: string): Target {
    const payload = decodeId(id);
    if (payload === undefined) throw new ItemError('ErrorInvalidIdMalformed');
    if (payload.startsWith('item:')) {
      const item = mailbox.items.get(id);
      if (item === undefined) throw new ItemError('ErrorItemNotFound');
      return { item };
    }
    const occurrence = /^occ:(.+):(-?\d+)$/.exec(payload);
    if (occurrence === null) throw new ItemError('ErrorItemNotFound');
    const item = mailbox.items.get(occurrence[1]!);
    const originalStart = Number(occurrence[2]);
    if (item === undefined || item.fields.recurrence === undefined || item.deleted.has(originalStart))
      throw new ItemError('ErrorItemNotFound');
    if (!item.exceptions.has(originalStart) && !this.isOccurrence(item, originalStart))
      throw new ItemError('ErrorItemNotFound');
    return { item, occurrence: originalStart };
  }

  isOccurrence(item: StoredItem, originalStart: number): boolean {
    if (item.fields.recurrence === undefined) return false;
    return occurrencesBetween(
      item.fields.recurrence,
      seriesClock(item.fields),
      originalStart,
      originalStart + 1,
    ).includes(originalStart);
  }

  /**
   * Refuses an occurrence's new start on or before the day of the previous occurrence, or on or
   * after the day of the next (days in the series' zone; a neighbour changed on its own counts
   * where it is now): Exchange's ErrorOccurrenceCrossingBoundary.
   */
  checkCrossingBoundary(item: StoredItem, originalStart: number, newStartMs: number): void {
    if (item.fields.recurrence === undefined) return;
    const clock = seriesClock(item.fields);
    const year = 366 * 86_400_000;
    const starts = occurrencesBetween(
      item.fields.recurrence,
      clock,
      originalStart - year,
      originalStart + year,
    );
    const index = starts.indexOf(originalStart);
    const dayOf = (ms: number) => wallClock(ms, clock.zone).slice(0, 10);
    const dayNow = (start: number | undefined) =>
      start === undefined ? undefined : dayOf(item.exceptions.get(start)?.fields.startMs ?? start);
    const previous = dayNow(index > 0 ? starts[index - 1] : undefined);
    const next = dayNow(index >= 0 ? starts[index + 1] : undefined);
    const day = dayOf(newStartMs);
    if ((previous !== undefined && day <= previous) || (next !== undefined && day >= next))
      throw new ItemError('ErrorOccurrenceCrossingBoundary');
  }

  /** The original start of a master's occurrence by its 1-based index, refused as Exchange refuses it. */
  occurrenceAt(item: StoredItem, index: number): number {
    if (item.fields.recurrence === undefined)
      throw new ItemError('ErrorCalendarCannotUseIdForRecurringMasterId');
    const starts = index < 1 ? [] : firstOccurrences(item.fields.recurrence, seriesClock(item.fields), index);
    const start = starts[index - 1];
    if (start === undefined) throw new ItemError('ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange');
    if (item.deleted.has(start)) throw new ItemError('ErrorCalendarOccurrenceIsDeletedFromRecurrence');
    return start;
  }

  /** The fields one occurrence has: its exception's, or the master's at the occurrence's times. */
  occurrenceFields(item: StoredItem, originalStart: number): CalendarFields {
    const exception = item.exceptions.get(originalStart);
    if (exception !== undefined) return exception.fields;
    const length = item.fields.endMs - item.fields.startMs;
    return { ...item.fields, recurrence: undefined, startMs: originalStart, endMs: originalStart + length };
  }

  /** Records a write: a new change key, and the version of each property written. */
  touch(record: Versioned, written: Iterable<string>): void {
    record.version++;
    record.changeKey = newChangeKey();
    record.keyVersions.set(record.changeKey, record.version);
    for (const field of written) record.fieldVersions.set(field, record.version);
    record.modified = this.#now();
  }

  /** Makes (or updates) an exception of a series from an occurrence's new fields. */
  writeException(
    item: StoredItem,
    originalStart: number,
    fields: CalendarFields,
    written: Iterable<string>,
  ): Exception {
    let exception = item.exceptions.get(originalStart);
    if (exception === undefined) {
      const changeKey = newChangeKey();
      const now = this.#now();
      exception = {
        originalStart,
        fields,
        changeKey,
        version: 1,
        keyVersions: new Map([[changeKey, 1]]),
        fieldVersions: new Map(),
        created: now,
        modified: now,
      };
      item.exceptions.set(originalStart, exception);
      for (const field of written) exception.fieldVersions.set(field, 1);
    } else {
      exception.fields = fields;
      this.touch(exception, written);
    }
    return exception;
  }

  /** The exception or master that stands for a target (what its change key names). */
  versionedOf(target: Target): Versioned {
    if (target.occurrence === undefined) return target.item;
    return target.item.exceptions.get(target.occurrence) ?? target.item;
  }

  now(): number {
    return this.#now();
  }
}
