// The Microsoft Graph calendar provider: app-only, one mailbox per Salesforce owner. Creates
// carry a transactionId so a retry after a lost response does not make a second item, and every
// item carries the Salesforce Event id as an extended property so it can be found again.
import type { CalendarItem } from '../../domain/calendar-item.ts';
import { localDate } from '../../domain/time-zones.ts';
import type { HttpRequest } from '../../lib/outbound-fetch.ts';
import {
  ItemNotFoundError,
  MailboxNotFoundError,
  OccurrenceCannotMoveError,
  type CalendarProvider,
  type CallOptions,
  type ProviderCapabilities,
  type ItemRef,
  type SeriesInstanceRef,
  type SeriesInstances,
} from '../calendar-provider.ts';
import { GraphBatcher, type GraphAnswer } from './graph-batcher.ts';
import { graphFailure, graphTransportFailure } from './graph-errors.ts';
import type { GraphTokenSource } from './graph-token-source.ts';
import {
  salesforceIdProperty,
  toGraphEvent,
  toGraphSeriesKeepingTiming,
  toGraphOccurrence,
  whyGraphCannotWrite,
} from './to-graph-event.ts';

/** What Outlook shows of an Event, and Graph's limits (one mailbox: 4 requests at once, 10,000 per 10 minutes). */
export const graphCapabilities: ProviderCapabilities = {
  maxConcurrentPerMailbox: 4,
  requestsPerWindow: { count: 10_000, windowMs: 10 * 60_000 },
  idempotentCreate: { how: 'the create carries a transactionId, the same for every retry of one create' },
  showAs: {
    free: 'free',
    tentative: 'tentative',
    busy: 'busy',
    oof: 'oof',
    workingElsewhere: 'workingElsewhere',
  },
  privateItems: true,
  // reminderMinutesBeforeStart is a 32-bit whole number.
  maxReminderMinutes: 2_147_483_647,
  attendeeTypes: ['required', 'optional'],
  recurrence: ['daily', 'weekly', 'monthly', 'yearly'],
  seriesInstances: { moveAcrossNeighbours: false },
  limitations: [
    'an occurrence of a series cannot move past a neighbouring occurrence: such an occurrence is cancelled in the series and shown as an item of its own',
    'a time zone with no Windows name cannot be written: such an Event is skipped with that reason (a single timed Event is written in UTC instead, its instants exact)',
    'a series on the 29th, 30th or 31st of the month, which Outlook would move to the last day of shorter months, is skipped with that reason',
  ],
};

export interface GraphProviderOptions {
  tokens: Pick<GraphTokenSource, 'token' | 'prepare'>;
  /** https://graph.microsoft.com, or a national cloud's, or the sandbox. */
  graphBaseUrl: string;
  /** The HTTP client's `request` (lib/outbound-fetch.ts). */
  request: HttpRequest;
  timeoutMs?: number;
  /** How long a `$batch` may take before its requests go again each as itself (default 2 s). */
  batchPatienceMs?: number;
}

export class GraphProvider implements CalendarProvider {
  readonly kind = 'graph';
  readonly capabilities = graphCapabilities;
  readonly #options: GraphProviderOptions;
  /** Requests made together go to Graph together, in one $batch of up to 20. */
  readonly #batcher: GraphBatcher;

  constructor(options: GraphProviderOptions) {
    this.#options = { ...options, graphBaseUrl: options.graphBaseUrl.replace(/\/+$/, '') };
    this.#batcher = new GraphBatcher({
      graphBaseUrl: this.#options.graphBaseUrl,
      request: options.request,
      token: () => options.tokens.token(),
      timeoutMs: options.timeoutMs ?? 30_000,
      ...(options.batchPatienceMs === undefined ? {} : { batchPatienceMs: options.batchPatienceMs }),
    });
  }

  readonly instances: SeriesInstances = {
    list: (mailbox, series, window, options) => this.#listInstances(mailbox, series, window, options),
    change: (mailbox, instanceId, item, options) => this.#changeInstance(mailbox, instanceId, item, options),
    cancel: (mailbox, instanceId, options) =>
      this.delete(mailbox, { itemId: instanceId, changeKey: null }, options),
  };

  cannotWrite(item: CalendarItem): string | undefined {
    return whyGraphCannotWrite(item);
  }

  prepare(): void {
    this.#options.tokens.prepare();
  }

  async create(
    mailbox: string,
    item: CalendarItem,
    options: CallOptions & { idempotencyKey: string },
  ): Promise<ItemRef> {
    const body = { ...toGraphEvent(item), transactionId: options.idempotencyKey };
    const response = await this.#send(
      'POST',
      `${this.#events(mailbox)}`,
      'creating the calendar item',
      options.signal,
      body,
    );
    if (!response.ok) throw await graphFailure(response, 'creating the calendar item');
    return { itemId: ((await response.json()) as { id: string }).id, changeKey: null };
  }

  async update(mailbox: string, ref: ItemRef, item: CalendarItem, options?: CallOptions): Promise<ItemRef> {
    const response = await this.#send(
      'PATCH',
      `${this.#events(mailbox)}/${encodeURIComponent(ref.itemId)}`,
      'updating the calendar item',
      options?.signal,
      options?.keepSeriesTiming === true && item.recurrence !== null
        ? toGraphSeriesKeepingTiming(item)
        : toGraphEvent(item),
    );
    if (!response.ok) {
      const failure = await graphFailure(response, 'updating the calendar item');
      if (response.status === 404 && !(failure instanceof MailboxNotFoundError))
        throw new ItemNotFoundError('the calendar item is no longer in the mailbox');
      throw failure;
    }
    return { itemId: ((await response.json()) as { id: string }).id, changeKey: null };
  }

  async delete(mailbox: string, ref: ItemRef, options?: CallOptions): Promise<void> {
    const response = await this.#send(
      'DELETE',
      `${this.#events(mailbox)}/${encodeURIComponent(ref.itemId)}`,
      'deleting the calendar item',
      options?.signal,
    );
    if (response.ok) return;
    const failure = await graphFailure(response, 'deleting the calendar item');
    if (response.status === 404 && !(failure instanceof MailboxNotFoundError)) return; // already gone
    throw failure;
  }

  async findBySalesforceId(
    mailbox: string,
    salesforceEventId: string,
    options?: CallOptions,
  ): Promise<ItemRef | undefined> {
    const filter = `singleValueExtendedProperties/Any(ep: ep/id eq '${salesforceIdProperty}' and ep/value eq '${salesforceEventId.replaceAll("'", "''")}')`;
    const response = await this.#send(
      'GET',
      `${this.#events(mailbox)}?$filter=${encodeURIComponent(filter)}&$select=id&$top=2`,
      'looking for the calendar item',
      options?.signal,
    );
    if (!response.ok) throw await graphFailure(response, 'looking for the calendar item');
    const found = ((await response.json()) as { value: { id: string }[] }).value[0];
    return found === undefined ? undefined : { itemId: found.id, changeKey: null };
  }

  async checkAccess(mailbox?: string): Promise<{ serverTime: number | undefined }> {
    await this.#options.tokens.token();
    if (mailbox === undefined) return { serverTime: undefined };
    const response = await this.#send(
      'GET',
      `${this.#events(mailbox)}?$top=1&$select=id`,
      'reading the calendar',
      undefined,
    );
    if (!response.ok) throw await graphFailure(response, 'reading the calendar');
    const date = Date.parse(response.headers.get('date') ?? '');
    return { serverTime: Number.isNaN(date) ? undefined : date };
  }

  async #listInstances(
    mailbox: string,
    series: ItemRef,
    window: { from: number; to: number; timeZone: string },
    options?: CallOptions,
  ): Promise<SeriesInstanceRef[]> {
    const at = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '');
    let url: string | undefined =
      `${this.#events(mailbox)}/${encodeURIComponent(series.itemId)}/instances` +
      `?startDateTime=${at(window.from)}&endDateTime=${at(window.to)}&$select=id,originalStart&$top=1000`;
    const found: SeriesInstanceRef[] = [];
    while (url !== undefined) {
      const response = await this.#send('GET', url, 'listing the occurrences of the series', options?.signal);
      if (!response.ok) {
        const failure = await graphFailure(response, 'listing the occurrences of the series');
        if (response.status === 404 && !(failure instanceof MailboxNotFoundError))
          throw new ItemNotFoundError('the calendar series is no longer in the mailbox');
        throw failure;
      }
      const page = (await response.json()) as {
        value: { id: string; originalStart?: string }[];
        '@odata.nextLink'?: string;
      };
      for (const instance of page.value) {
        const start = Date.parse(instance.originalStart ?? '');
        if (!Number.isNaN(start)) found.push({ id: instance.id, date: localDate(start, window.timeZone) });
      }
      url = page['@odata.nextLink'];
    }
    return found;
  }

  async #changeInstance(
    mailbox: string,
    instanceId: string,
    item: CalendarItem,
    options?: CallOptions,
  ): Promise<void> {
    const response = await this.#send(
      'PATCH',
      `${this.#events(mailbox)}/${encodeURIComponent(instanceId)}`,
      'changing an occurrence of the series',
      options?.signal,
      toGraphOccurrence(item),
    );
    if (response.ok) return;
    const failure = await graphFailure(response, 'changing an occurrence of the series');
    if (response.status === 404 && !(failure instanceof MailboxNotFoundError))
      throw new ItemNotFoundError('the occurrence is no longer in the calendar series');
    if (failure.message.includes('ErrorOccurrenceCrossingBoundary'))
      throw new OccurrenceCannotMoveError(failure.message);
    throw failure;
  }

  #events(mailbox: string): string {
    return `${this.#options.graphBaseUrl}/v1.0/users/${encodeURIComponent(mailbox)}/events`;
  }

  async #send(
    method: string,
    url: string,
    what: string,
    signal: AbortSignal | undefined,
    body?: unknown,
  ): Promise<GraphAnswer> {
    try {
      return await this.#batcher.send({
        method,
        url,
        headers: {
          prefer: 'IdType="ImmutableId"',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (error) {
      throw graphTransportFailure(error, what);
    }
  }
}
