// The Exchange Server (on-premises) calendar provider over EWS: one service account with the
// ApplicationImpersonation role acting as each owner, writing to the owner's calendar. Every item
// carries the Salesforce Event id as a named extended property, which is how an item whose create
// answer was lost is found again (EWS has no idempotency key; the engine searches before it
// retries such a create). Updates carry the stored ChangeKey and overwrite; a stale one costs a
// GetItem and one retry. Each call ends after a timeout, or when the engine gives the job up.
import type { CalendarItem } from '../../domain/calendar-item.ts';
import { PermanentError } from '../../lib/errors.ts';
import {
  ItemNotFoundError,
  type CalendarProvider,
  type CallOptions,
  type ItemRef,
  type SeriesInstanceRef,
  type SeriesInstances,
} from '../calendar-provider.ts';
import { ewsCapabilities } from './ews-capabilities.ts';
import {
  ewsFailure,
  ewsHttpFailure,
  ewsTransportFailure,
  readEwsAnswer,
  type EwsAnswer,
  type EwsResponseMessage,
} from './ews-errors.ts';
import {
  createItem,
  deleteItem,
  envelope,
  findBySalesforceId,
  getItemId,
  getOccurrences,
  getServerTimeZone,
  peekCalendar,
  updateItem,
} from './ews-requests.ts';
import type { EwsHttpAnswer, EwsTransport } from './ews-transport.ts';
import { itemRefs, readOccurrencePage, succeeded } from './ews-responses.ts';
import {
  meetingMessages,
  toEwsItem,
  toEwsOccurrenceUpdates,
  toEwsUpdates,
  whyEwsCannotWrite,
} from './to-ews-item.ts';

export interface EwsProviderOptions {
  transport: Pick<EwsTransport, 'post'>;
  /** The EWS URL, for messages. */
  url: string;
  timeoutMs?: number;
  /** Occurrences asked for per GetItem when walking a series (Microsoft: keep batches small). */
  occurrenceBatch?: number;
}

/** A ChangeKey that is out of date, missing or unreadable: read the current one and try again. */
const staleChangeKeyCodes = new Set([
  'ErrorIrresolvableConflict',
  'ErrorStaleObject',
  'ErrorChangeKeyRequiredForWriteOperations',
  'ErrorInvalidChangeKey',
]);

/** An occurrence addressed by its series and index that is not there (any more). */
const occurrenceGoneCodes = new Set(['ErrorItemNotFound', 'ErrorCalendarOccurrenceIsDeletedFromRecurrence']);

/** The longest series walked: Salesforce makes five years of occurrences, daily at most. */
const maxOccurrences = 2_000;

export class EwsProvider implements CalendarProvider {
  readonly kind = 'ews';
  readonly capabilities = ewsCapabilities;
  readonly #options: EwsProviderOptions;

  constructor(options: EwsProviderOptions) {
    this.#options = options;
  }

  readonly instances: SeriesInstances = {
    list: (mailbox, series, window, options) => this.#listOccurrences(mailbox, series, window, options),
    change: (mailbox, instanceId, item, options) =>
      this.#changeOccurrence(mailbox, instanceId, item, options),
    cancel: (mailbox, instanceId, options) =>
      this.delete(mailbox, { itemId: instanceId, changeKey: null }, options),
  };

  cannotWrite(item: CalendarItem): string | undefined {
    return whyEwsCannotWrite(item);
  }

  async create(
    mailbox: string,
    item: CalendarItem,
    options: CallOptions & { idempotencyKey: string },
  ): Promise<ItemRef> {
    const what = 'creating the calendar item';
    const message = await this.#single(
      mailbox,
      createItem(toEwsItem(item), meetingMessages(item)),
      what,
      options.signal,
    );
    if (!succeeded(message)) throw ewsFailure(message, what, mailbox);
    const ref = itemRefs(message)[0];
    if (ref === undefined) throw new PermanentError(`${what}: Exchange answered without the new item's id`);
    return ref;
  }

  update(mailbox: string, ref: ItemRef, item: CalendarItem, options?: CallOptions): Promise<ItemRef> {
    return this.#write(
      mailbox,
      ref.itemId,
      ref.changeKey,
      toEwsUpdates(item, options?.keepSeriesTiming === true),
      item,
      'updating the calendar item',
      options,
    );
  }

  async delete(mailbox: string, ref: ItemRef, options?: CallOptions): Promise<void> {
    const what = 'deleting the calendar item';
    const message = await this.#single(mailbox, deleteItem(ref.itemId), what, options?.signal);
    if (succeeded(message) || occurrenceGoneCodes.has(message.code)) return; // deleted, or already gone
    throw ewsFailure(message, what, mailbox);
  }

  async findBySalesforceId(
    mailbox: string,
    salesforceEventId: string,
    options?: CallOptions,
  ): Promise<ItemRef | undefined> {
    const what = 'looking for the calendar item';
    const message = await this.#single(mailbox, findBySalesforceId(salesforceEventId), what, options?.signal);
    if (!succeeded(message)) throw ewsFailure(message, what, mailbox);
    return itemRefs(message)[0];
  }

  async checkAccess(mailbox?: string): Promise<{ serverTime: number | undefined }> {
    if (mailbox === undefined) {
      // Any EWS answer, even a refusal of the operation, says the service account signed in:
      // IIS checks the credentials before EWS reads the request.
      const { answer, read } = await this.#exchange(getServerTimeZone(), 'signing in to Exchange', undefined);
      if (read.kind === 'unreadable')
        throw answer.status === 200
          ? new PermanentError(`signing in to Exchange: ${this.#options.url} did not answer as EWS does`)
          : ewsHttpFailure(answer, 'signing in to Exchange', this.#options.url);
      return { serverTime: serverTimeOf(answer) };
    }
    const what = 'reading the calendar';
    const { messages, serverTime } = await this.#send(peekCalendar(), what, mailbox, undefined);
    const failed = messages.find((m) => !succeeded(m));
    if (failed !== undefined) throw ewsFailure(failed, what, mailbox);
    return { serverTime };
  }

  /**
   * An occurrence shares its ChangeKey with its series and every other occurrence, so any change
   * to the series since it was listed makes a listed key stale, and UpdateItem needs a current
   * one ("even when conflict resolution is set to always overwrite"): read it, then update.
   */
  async #changeOccurrence(
    mailbox: string,
    instanceId: string,
    item: CalendarItem,
    options?: CallOptions,
  ): Promise<void> {
    const what = 'changing an occurrence of the series';
    const key = await this.#currentChangeKey(mailbox, instanceId, what, options?.signal);
    await this.#write(mailbox, instanceId, key, toEwsOccurrenceUpdates(item), item, what, options);
  }

  /** UpdateItem with `changeKey`; a stale key is read again (GetItem) and the update tried once more. */
  async #write(
    mailbox: string,
    itemId: string,
    changeKey: string | null,
    updates: string,
    item: CalendarItem,
    what: string,
    options?: CallOptions,
  ): Promise<ItemRef> {
    let key = changeKey;
    for (let attempt = 1; ; attempt += 1) {
      const message = await this.#single(
        mailbox,
        updateItem(itemId, key, updates, meetingMessages(item)),
        what,
        options?.signal,
      );
      if (succeeded(message)) return itemRefs(message)[0] ?? { itemId, changeKey: null };
      if (attempt === 1 && staleChangeKeyCodes.has(message.code)) {
        key = await this.#currentChangeKey(mailbox, itemId, what, options?.signal);
        continue;
      }
      if (occurrenceGoneCodes.has(message.code))
        throw new ItemNotFoundError(`${what}: the item is no longer in the mailbox`);
      throw ewsFailure(message, what, mailbox);
    }
  }

  async #currentChangeKey(
    mailbox: string,
    itemId: string,
    what: string,
    signal?: AbortSignal,
  ): Promise<string | null> {
    const message = await this.#single(mailbox, getItemId(itemId), what, signal);
    if (!succeeded(message)) {
      if (occurrenceGoneCodes.has(message.code))
        throw new ItemNotFoundError(`${what}: the item is no longer in the mailbox`);
      throw ewsFailure(message, what, mailbox);
    }
    return itemRefs(message)[0]?.changeKey ?? null;
  }

  /**
   * Walks the series' occurrences by index, a batch of OccurrenceItemIds per GetItem, as
   * Microsoft documents it (a CalendarView spans two years at most, and every other item of the
   * calendar with them), until Exchange says the index is past the series or they leave the window.
   */
  async #listOccurrences(
    mailbox: string,
    series: ItemRef,
    window: { from: number; to: number; timeZone: string },
    options?: CallOptions,
  ): Promise<SeriesInstanceRef[]> {
    const what = 'listing the occurrences of the series';
    const batch = this.#options.occurrenceBatch ?? 50;
    const found: SeriesInstanceRef[] = [];
    let next: number | undefined = 1;
    while (next !== undefined && next <= maxOccurrences) {
      const first: number = next;
      const { messages } = await this.#send(
        getOccurrences(series.itemId, first, batch),
        what,
        mailbox,
        options?.signal,
      );
      const page = readOccurrencePage(messages, first, window, what, mailbox);
      found.push(...page.found);
      next = page.next;
    }
    return found;
  }

  /** A request whose answer holds one response message. */
  async #single(
    mailbox: string,
    body: string,
    what: string,
    signal?: AbortSignal,
  ): Promise<EwsResponseMessage> {
    const { messages } = await this.#send(body, what, mailbox, signal);
    const message = messages[0];
    if (message === undefined)
      throw new PermanentError(`${what}: Exchange answered without a response message`);
    return message;
  }

  /** Sends one request; a refusal of the whole request (HTTP, SOAP fault) is thrown, item errors are returned. */
  async #send(
    body: string,
    what: string,
    mailbox: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ messages: EwsResponseMessage[]; serverTime: number | undefined }> {
    const { answer, read } = await this.#exchange(body, what, mailbox, signal);
    if (answer.status !== 200) throw ewsHttpFailure(answer, what, this.#options.url, mailbox);
    if (read.kind === 'fault') throw ewsFailure(read, what, mailbox);
    if (read.kind === 'unreadable')
      throw new PermanentError(`${what}: ${this.#options.url} did not answer as EWS does`);
    return { messages: read.messages, serverTime: serverTimeOf(answer) };
  }

  /** One request and its answer, read; only a request that got no answer at all is thrown. */
  async #exchange(
    body: string,
    what: string,
    mailbox: string | undefined,
    signal?: AbortSignal,
  ): Promise<{ answer: EwsHttpAnswer; read: EwsAnswer }> {
    const timeout = AbortSignal.timeout(this.#options.timeoutMs ?? 30_000);
    try {
      const answer = await this.#options.transport.post(envelope(body, mailbox), {
        anchorMailbox: mailbox,
        signal: signal === undefined ? timeout : AbortSignal.any([timeout, signal]),
      });
      return { answer, read: readEwsAnswer(answer.body) };
    } catch (error) {
      throw ewsTransportFailure(error, what);
    }
  }
}

/** The server's clock from its Date header, for doctor's skew check. */
function serverTimeOf(answer: EwsHttpAnswer): number | undefined {
  const date = answer.headers['date'];
  const time = Date.parse((Array.isArray(date) ? date[0] : date) ?? '');
  return Number.isNaN(time) ? undefined : time;
}
