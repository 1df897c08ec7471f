// The one interface every mailbox provider (Graph, EWS, Google) implements, and that the engine
// calls. A provider turns CalendarItems into its wire format and its wire errors into the
// service's error vocabulary (RetryableError with retryAfterMs, PermanentError); it never reads
// the configuration or the database: it is given a ready token source and its endpoints.
import type { Attendee, CalendarItem, Recurrence, ShowAs } from '../domain/calendar-item.ts';
import { PermanentError } from '../lib/errors.ts';

export type ProviderKind = 'graph' | 'ews' | 'google';

/** How a provider names an item in a mailbox. */
export interface ItemRef {
  itemId: string;
  /** EWS needs the change key to update; others leave it null. */
  changeKey: string | null;
}

/**
 * What a provider can do and show, declared once (its folder's index.ts carries the same object):
 * the engine paces calls by the limits, the contract suite checks every declared field against
 * the provider's sandbox, and `provider kinds` tells admins what each calendar can show.
 */
export interface ProviderCapabilities {
  /** Requests a mailbox accepts at once. */
  maxConcurrentPerMailbox: number;
  /** Requests a mailbox accepts per window. */
  requestsPerWindow: { count: number; windowMs: number };
  /** A create retried after a lost response makes one item, and how the provider achieves it. */
  idempotentCreate: { how: string } | null;
  /** How each show-as value appears in this calendar (a value it has no word for becomes the nearest it has). */
  showAs: Readonly<Record<ShowAs, ShowAs>>;
  /** Private Events are marked private in the calendar. */
  privateItems: boolean;
  /** The largest reminder it takes, in minutes before the start (longer ones are written as this). */
  maxReminderMinutes: number;
  /** The attendee kinds it tells apart (others are written as required). */
  attendeeTypes: readonly Attendee['type'][];
  /** The recurrence frequencies it holds as a calendar series. */
  recurrence: readonly Recurrence['frequency'][];
  /**
   * Occurrences of a series can be changed or cancelled on their own (the provider has
   * `instances`); `moveAcrossNeighbours`: one may move past the next or previous occurrence.
   */
  seriesInstances: { moveAcrossNeighbours: boolean } | null;
  /** What it cannot express, and what is done instead, in a sentence each (for the docs and `provider kinds`). */
  limitations: readonly string[];
}

/** The item a provider was asked to change is no longer in the mailbox (someone deleted it there). */
export class ItemNotFoundError extends Error {
  override readonly name = 'ItemNotFoundError';
}

/** The mailbox itself does not exist (or has no calendar) at the provider. */
export class MailboxNotFoundError extends PermanentError {}

/**
 * The provider refuses the service this mailbox (Google: the service account is not delegated
 * the scope; EWS: no impersonation right). Like a mailbox that does not exist, it is a state of
 * the mailbox, not of one Event: the mailbox shows the refusal as its problem, its Events wait
 * (nothing is set aside), and they sync once access is granted (checked every minute).
 */
export class MailboxAccessDeniedError extends MailboxNotFoundError {}

/**
 * What every call may be given. `signal` ends the call early (the engine gave the job up: its
 * lease is at risk); a provider also ends each call after a timeout of its own, well within a
 * job's lease.
 */
export interface CallOptions {
  signal?: AbortSignal | undefined;
  /**
   * An update of a series whose times, zone and pattern are those it was last written with (the
   * engine knows from what it applied): a provider leaves them out of the request, so a calendar
   * that drops a series' changed and cancelled occurrences whenever those are written (Exchange
   * may rebuild its recurrence when the pattern is set) keeps them for a change of subject, say.
   */
  keepSeriesTiming?: boolean | undefined;
}

/** One occurrence of a calendar series: its id and original date (YYYY-MM-DD in the series' zone). */
export interface SeriesInstanceRef {
  id: string;
  date: string;
}

/**
 * What a provider that keeps series with per-occurrence changes offers (Graph: the series'
 * instances, each of which can be changed or cancelled on its own).
 */
export interface SeriesInstances {
  /** The series' occurrences starting in [from, to) (epoch ms), named by their original date in `timeZone`. */
  list(
    mailbox: string,
    series: ItemRef,
    window: { from: number; to: number; timeZone: string },
    options?: CallOptions,
  ): Promise<SeriesInstanceRef[]>;
  /**
   * Changes one occurrence to `item` (a single item: its times, subject, body, location, show-as,
   * sensitivity, reminder). Throws ItemNotFoundError when the occurrence is no longer there, and
   * OccurrenceCannotMoveError when the provider refuses the new times for an occurrence.
   */
  change(mailbox: string, instanceId: string, item: CalendarItem, options?: CallOptions): Promise<void>;
  /** Cancels one occurrence; one already gone counts as cancelled. */
  cancel(mailbox: string, instanceId: string, options?: CallOptions): Promise<void>;
}

/** The provider keeps an occurrence between its neighbours: it refused to move it further. */
export class OccurrenceCannotMoveError extends PermanentError {}

export interface CalendarProvider {
  readonly kind: ProviderKind;
  readonly capabilities: ProviderCapabilities;
  /** Per-occurrence changes of series, when the provider has them. */
  readonly instances?: SeriesInstances;
  /**
   * Creates the item. `idempotencyKey` is the same for retries of the same create, so a retry
   * after a lost response does not make a second item.
   */
  create(
    mailbox: string,
    item: CalendarItem,
    options: CallOptions & { idempotencyKey: string },
  ): Promise<ItemRef>;
  /** Throws ItemNotFoundError when the item is gone from the mailbox. */
  update(mailbox: string, ref: ItemRef, item: CalendarItem, options?: CallOptions): Promise<ItemRef>;
  /** Deletes the item; an item already gone counts as deleted. */
  delete(mailbox: string, ref: ItemRef, options?: CallOptions): Promise<void>;
  /** The item stamped with this Salesforce Event id, if the mailbox holds one. */
  findBySalesforceId(
    mailbox: string,
    salesforceEventId: string,
    options?: CallOptions,
  ): Promise<ItemRef | undefined>;
  /**
   * Checks the credentials (and, given a mailbox, the right to its calendar); throws what is wrong.
   * Returns the provider's clock, when it said, for a skew check.
   */
  checkAccess(mailbox?: string): Promise<{ serverTime: number | undefined }>;
  /**
   * Why this provider cannot write `item` faithfully (a time zone it has no name for, say), or
   * undefined when it can. The engine skips such an Event with this reason instead of calling.
   */
  cannotWrite(item: CalendarItem): string | undefined;
  /**
   * Starts getting what its calls will need (a token), without waiting: the engine asks before
   * it reads a batch from Salesforce, so the two overlap. A failure shows on the first call.
   */
  prepare?(): void;
}
