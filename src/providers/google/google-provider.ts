// The Google Calendar provider: a service account acting as each owner (domain-wide delegation),
// writing to the owner's primary calendar through the Calendar API v3 client. An item's id is
// derived from its Salesforce Event id, so a retried or repeated create meets the existing event
// (409 duplicate) and patches it instead of making a second one; every write sends the whole body.
// The client's own retries are off (the engine retries with its policy), and each call ends after
// a timeout or when the engine gives the job up.
import { calendar, type calendar_v3 } from '@googleapis/calendar';
import type { JWT } from 'google-auth-library';
import type { CalendarItem } from '../../domain/calendar-item.ts';
import { localDate } from '../../domain/time-zones.ts';
import { PermanentError } from '../../lib/errors.ts';
import {
  ItemNotFoundError,
  type CalendarProvider,
  type CallOptions,
  type ItemRef,
  type SeriesInstanceRef,
  type SeriesInstances,
} from '../calendar-provider.ts';
import { googleCapabilities } from './google-capabilities.ts';
import { googleEventIdFor } from './google-event-id.ts';
import { googleFailure, RateLimitBackoff, readGoogleFailure, responseHeader } from './google-errors.ts';
import type { GoogleTokenSource } from './google-token-source.ts';
import {
  salesforceIdProperty,
  sendUpdatesFor,
  toGoogleEvent,
  toGoogleOccurrence,
  whyGoogleCannotWrite,
  withoutNulls,
} from './to-google-event.ts';

export interface GoogleProviderOptions {
  tokens: Pick<GoogleTokenSource, 'client' | 'token' | 'forget' | 'clientId'>;
  /** https://www.googleapis.com, or the sandbox. */
  calendarBaseUrl: string;
  fetch: typeof fetch;
  timeoutMs?: number;
  /** Jitter of the rate-limit backoff (tests fix it). */
  random?: () => number;
}

/** The owner's own calendar: the token's subject is the owner. */
const calendarId = 'primary';

type Call<T> = (auth: JWT, options: { signal?: AbortSignal; timeout: number }) => Promise<T>;

export class GoogleProvider implements CalendarProvider {
  readonly kind = 'google';
  readonly capabilities = googleCapabilities;
  readonly #tokens: GoogleProviderOptions['tokens'];
  readonly #calendar: calendar_v3.Calendar;
  readonly #timeoutMs: number;
  readonly #backoff: RateLimitBackoff;

  constructor(options: GoogleProviderOptions) {
    this.#tokens = options.tokens;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#backoff = new RateLimitBackoff(options.random);
    this.#calendar = calendar({
      version: 'v3',
      rootUrl: `${options.calendarBaseUrl.replace(/\/+$/, '')}/`,
      fetchImplementation: options.fetch,
      // googleapis turns gaxios' retries on unless told otherwise.
      retry: false,
      retryConfig: { retry: 0 },
    });
  }

  readonly instances: SeriesInstances = {
    list: (mailbox, series, window, options) => this.#listInstances(mailbox, series, window, options),
    change: (mailbox, instanceId, item, options) => this.#changeInstance(mailbox, instanceId, item, options),
    cancel: (mailbox, instanceId, options) =>
      this.delete(mailbox, { itemId: instanceId, changeKey: null }, options),
  };

  cannotWrite(item: CalendarItem): string | undefined {
    return whyGoogleCannotWrite(item);
  }

  async create(
    mailbox: string,
    item: CalendarItem,
    options: CallOptions & { idempotencyKey: string },
  ): Promise<ItemRef> {
    let id: string;
    try {
      id = googleEventIdFor(item.salesforceEventId);
    } catch (error) {
      throw new PermanentError(`creating the calendar item: ${(error as Error).message}`);
    }
    const body = toGoogleEvent(item);
    const sendUpdates = sendUpdatesFor(item);
    try {
      await this.#send(mailbox, options.signal, (auth, call) =>
        this.#calendar.events.insert(
          { auth, calendarId, sendUpdates, fields: 'id', requestBody: { ...withoutNulls(body), id } },
          call,
        ),
      );
    } catch (error) {
      const failure = readGoogleFailure(error);
      if (failure.status !== 409) throw this.#failure(error, 'creating the calendar item', mailbox);
      // The event exists: an earlier try whose answer was lost, or one deleted since, which Google
      // keeps (cancelled) under its id. Writing it whole and confirmed brings either back in line.
      try {
        await this.#patch(mailbox, id, { ...body, status: 'confirmed' }, sendUpdates, options.signal);
      } catch (again) {
        const status = readGoogleFailure(again).status;
        if (status === 404 || status === 410)
          throw new PermanentError(
            `creating the calendar item: Google says an event with id ${id} exists (409 duplicate) but cannot find it to update it`,
          );
        throw this.#failure(again, 'updating the calendar item that already had its id', mailbox);
      }
    }
    return { itemId: id, changeKey: null };
  }

  async update(mailbox: string, ref: ItemRef, item: CalendarItem, options?: CallOptions): Promise<ItemRef> {
    try {
      // Confirmed: an item someone deleted in Google is still there, cancelled; this brings it back.
      await this.#patch(
        mailbox,
        ref.itemId,
        { ...toGoogleEvent(item), status: 'confirmed' },
        sendUpdatesFor(item),
        options?.signal,
      );
    } catch (error) {
      const status = readGoogleFailure(error).status;
      if (status === 404 || status === 410)
        throw new ItemNotFoundError('the calendar item is no longer in the mailbox');
      throw this.#failure(error, 'updating the calendar item', mailbox);
    }
    return { itemId: ref.itemId, changeKey: null };
  }

  async delete(mailbox: string, ref: ItemRef, options?: CallOptions): Promise<void> {
    try {
      await this.#send(mailbox, options?.signal, (auth, call) =>
        // 'all': whoever the item invited hears that it is cancelled (an item without attendees emails nobody).
        this.#calendar.events.delete({ auth, calendarId, eventId: ref.itemId, sendUpdates: 'all' }, call),
      );
    } catch (error) {
      const status = readGoogleFailure(error).status;
      // 410 Gone: deleted already (Google keeps it, cancelled); 404: never there or purged.
      if (status === 404 || status === 410) return;
      throw this.#failure(error, 'deleting the calendar item', mailbox);
    }
  }

  async findBySalesforceId(
    mailbox: string,
    salesforceEventId: string,
    options?: CallOptions,
  ): Promise<ItemRef | undefined> {
    let items: calendar_v3.Schema$Event[];
    try {
      const response = await this.#send(mailbox, options?.signal, (auth, call) =>
        this.#calendar.events.list(
          {
            auth,
            calendarId,
            privateExtendedProperty: [`${salesforceIdProperty}=${salesforceEventId}`],
            showDeleted: false,
            maxResults: 2,
            fields: 'items(id,recurringEventId)',
          },
          call,
        ),
      );
      items = response.data.items ?? [];
    } catch (error) {
      throw this.#failure(error, 'looking for the calendar item', mailbox, true);
    }
    const found = items[0];
    // An occurrence changed on its own carries its series' properties: the series is the item.
    const id = found?.recurringEventId ?? found?.id;
    return id === undefined || id === null ? undefined : { itemId: id, changeKey: null };
  }

  async checkAccess(mailbox?: string): Promise<{ serverTime: number | undefined }> {
    // The service account's own token proves the key; a mailbox's token proves the delegation.
    await this.#tokens.token(mailbox);
    if (mailbox === undefined) return { serverTime: undefined };
    let date: string | undefined;
    try {
      const response = await this.#send(mailbox, undefined, (auth, call) =>
        this.#calendar.events.list({ auth, calendarId, maxResults: 1, fields: 'items(id)' }, call),
      );
      date = responseHeader(response.headers, 'date');
    } catch (error) {
      throw this.#failure(error, 'reading the calendar', mailbox, true);
    }
    const serverTime = Date.parse(date ?? '');
    return { serverTime: Number.isNaN(serverTime) ? undefined : serverTime };
  }

  async #listInstances(
    mailbox: string,
    series: ItemRef,
    window: { from: number; to: number; timeZone: string },
    options?: CallOptions,
  ): Promise<SeriesInstanceRef[]> {
    const found: SeriesInstanceRef[] = [];
    let pageToken: string | undefined;
    do {
      let page: calendar_v3.Schema$Events;
      try {
        const token = pageToken;
        const response = await this.#send(mailbox, options?.signal, (auth, call) =>
          this.#calendar.events.instances(
            {
              auth,
              calendarId,
              eventId: series.itemId,
              timeMin: new Date(window.from).toISOString(),
              timeMax: new Date(window.to).toISOString(),
              showDeleted: false,
              maxResults: 2500,
              fields: 'items(id,originalStartTime),nextPageToken',
              ...(token === undefined ? {} : { pageToken: token }),
            },
            call,
          ),
        );
        page = response.data;
      } catch (error) {
        const status = readGoogleFailure(error).status;
        if (status === 404 || status === 410)
          throw new ItemNotFoundError('the calendar series is no longer in the mailbox');
        throw this.#failure(error, 'listing the occurrences of the series', mailbox);
      }
      for (const instance of page.items ?? []) {
        const original = instance.originalStartTime;
        const date =
          typeof original?.date === 'string'
            ? original.date
            : typeof original?.dateTime === 'string'
              ? localDate(Date.parse(original.dateTime), window.timeZone)
              : undefined;
        if (typeof instance.id === 'string' && date !== undefined) found.push({ id: instance.id, date });
      }
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken !== undefined);
    return found;
  }

  /** Google keeps no occurrence between its neighbours, so this never throws OccurrenceCannotMoveError. */
  async #changeInstance(
    mailbox: string,
    instanceId: string,
    item: CalendarItem,
    options?: CallOptions,
  ): Promise<void> {
    try {
      await this.#patch(mailbox, instanceId, toGoogleOccurrence(item), sendUpdatesFor(item), options?.signal);
    } catch (error) {
      const status = readGoogleFailure(error).status;
      if (status === 404 || status === 410)
        throw new ItemNotFoundError('the occurrence is no longer in the calendar series');
      throw this.#failure(error, 'changing an occurrence of the series', mailbox);
    }
  }

  #patch(
    mailbox: string,
    eventId: string,
    requestBody: calendar_v3.Schema$Event,
    sendUpdates: string,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    return this.#send(mailbox, signal, (auth, call) =>
      this.#calendar.events.patch(
        { auth, calendarId, eventId, sendUpdates, fields: 'id', requestBody },
        call,
      ),
    );
  }

  /**
   * One call as `mailbox`, within the timeout and the caller's signal. A success ends the
   * mailbox's rate-limit backoff; a 401 drops its auth client, so the retry signs a new assertion.
   */
  async #send<T>(mailbox: string, signal: AbortSignal | undefined, call: Call<T>): Promise<T> {
    // gaxios would drop a signal that is already aborted (it keeps only the timeout then).
    signal?.throwIfAborted();
    try {
      const result = await call(this.#tokens.client(mailbox), {
        ...(signal === undefined ? {} : { signal }),
        timeout: this.#timeoutMs,
      });
      this.#backoff.reset(mailbox);
      return result;
    } catch (error) {
      if (readGoogleFailure(error).status === 401) this.#tokens.forget(mailbox);
      throw error;
    }
  }

  #failure(error: unknown, what: string, mailbox: string, notFoundIsMailbox = false): Error {
    return googleFailure(error, what, {
      mailbox,
      clientId: this.#tokens.clientId,
      backoff: this.#backoff,
      notFoundIsMailbox,
    });
  }
}
