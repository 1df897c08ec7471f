// Salesforce's REST API with plain fetch, for one tenant: SOQL queries (following
// nextRecordsUrl), the composite read of records by id, the org's limits, and the few record
// writes the server makes (our package's settings, a Remote Site Setting through the Tooling API). A rejected
// session (401 INVALID_SESSION_ID) is refreshed once and the call retried; every response's
// Sforce-Limit-Info is reported so the engine can slow down before the org runs dry. Wire
// errors become the service's error vocabulary here, in one place.
import { PermanentError, RetryableError, describeError } from '../lib/errors.ts';
import type { SalesforceSession, SessionSource } from './salesforce-sessions.ts';

export interface ApiUsage {
  used: number;
  max: number;
}

export interface SalesforceRestClientOptions {
  sessions: SessionSource;
  apiVersion: string;
  fetch?: typeof fetch;
  /** Called with the org's API usage after every response that reports it. */
  onApiUsage?: (usage: ApiUsage) => void;
  /** How long one request may take (default 30 s: half a sync job's lease, so a hung read never outlives it). */
  timeoutMs?: number;
}

export interface SalesforceRecord {
  attributes?: { type: string; url: string };
  Id?: string;
  [field: string]: unknown;
}

/** Which of Salesforce's APIs a record call goes to: the REST API's objects, or the Tooling API's. */
export type Api = 'rest' | 'tooling';

interface QueryPage<T> {
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
  records: T[];
}

/** Salesforce refused a request for good (a 4xx but 401 and 429): its errorCode, for callers that tell refusals apart. */
export class SalesforceRefusal extends PermanentError {
  readonly code: string;
  readonly status: number;
  constructor(message: string, code: string, status: number) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/** A full day of Salesforce's daily API limit is not coming back sooner than this. */
const limitExceededRetryMs = 15 * 60_000;

export class SalesforceRestClient {
  readonly #options: SalesforceRestClientOptions;
  readonly #fetch: typeof fetch;

  /** Salesforce's clock (its Date header) at the last response, for a skew check. */
  lastServerTime: number | undefined;

  constructor(options: SalesforceRestClientOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? fetch;
  }

  /** Runs a SOQL query and returns every record, page after page. */
  async query<T extends SalesforceRecord = SalesforceRecord>(
    soql: string,
    options: { all?: boolean } = {},
  ): Promise<T[]> {
    const records: T[] = [];
    let path: string | undefined =
      `${this.#base()}/${options.all === true ? 'queryAll' : 'query'}?q=${encodeURIComponent(soql)}`;
    while (path !== undefined) {
      const page: QueryPage<T> = await this.#request<QueryPage<T>>('GET', path);
      records.push(...page.records);
      path = page.done ? undefined : page.nextRecordsUrl;
    }
    return records;
  }

  /** Reads records by id in one call per 2,000 ids; a missing or deleted id yields null, in id order. */
  async retrieve<T extends SalesforceRecord = SalesforceRecord>(
    objectName: string,
    ids: readonly string[],
    fields: readonly string[],
  ): Promise<(T | null)[]> {
    const results: (T | null)[] = [];
    for (let i = 0; i < ids.length; i += 2000) {
      const chunk = ids.slice(i, i + 2000);
      results.push(
        ...(await this.#request<(T | null)[]>('POST', `${this.#base()}/composite/sobjects/${objectName}`, {
          ids: chunk,
          fields,
        })),
      );
    }
    return results;
  }

  /** Records deleted between `start` and `end` (within the last 30 days), from the replication API. */
  async deleted(
    objectName: string,
    start: number,
    end: number,
  ): Promise<{ id: string; deletedAt: number }[]> {
    const range = `start=${encodeURIComponent(new Date(start).toISOString())}&end=${encodeURIComponent(new Date(end).toISOString())}`;
    const body = await this.#request<{ deletedRecords: { id: string; deletedDate: string }[] }>(
      'GET',
      `${this.#base()}/sobjects/${objectName}/deleted/?${range}`,
    );
    return body.deletedRecords.map((r) => ({ id: r.id, deletedAt: Date.parse(r.deletedDate) }));
  }

  async limits(): Promise<Record<string, { Max: number; Remaining: number }>> {
    return this.#request('GET', `${this.#base()}/limits`);
  }

  /** Creates a record (of the REST API, or with `tooling` of the Tooling API); returns its id. */
  async create(objectName: string, fields: Record<string, unknown>, api: Api = 'rest'): Promise<string> {
    const created = await this.#request<{ id: string }>(
      'POST',
      `${this.#path(api)}/sobjects/${objectName}`,
      fields,
    );
    return created.id;
  }

  async update(
    objectName: string,
    id: string,
    fields: Record<string, unknown>,
    api: Api = 'rest',
  ): Promise<void> {
    await this.#request(
      'PATCH',
      `${this.#path(api)}/sobjects/${objectName}/${encodeURIComponent(id)}`,
      fields,
    );
  }

  async remove(objectName: string, id: string, api: Api = 'rest'): Promise<void> {
    await this.#request('DELETE', `${this.#path(api)}/sobjects/${objectName}/${encodeURIComponent(id)}`);
  }

  /** A query of the Tooling API (one page: the objects asked for here are few). */
  async toolingQuery<T extends SalesforceRecord = SalesforceRecord>(soql: string): Promise<T[]> {
    const page = await this.#request<QueryPage<T>>(
      'GET',
      `${this.#path('tooling')}/query?q=${encodeURIComponent(soql)}`,
    );
    return page.records;
  }

  #base(): string {
    return `/services/data/v${this.#options.apiVersion}`;
  }

  #path(api: Api): string {
    return api === 'tooling' ? `${this.#base()}/tooling` : this.#base();
  }

  async #request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let session = await this.#options.sessions.session();
    let response = await this.#send(session, method, path, body);
    if (response.status === 401) {
      session = await this.#options.sessions.rejected(session);
      response = await this.#send(session, method, path, body);
    }
    this.#reportUsage(response);
    if (response.status === 204) return undefined as T;
    if (response.ok) return (await response.json()) as T;
    throw await this.#failure(response, `${method} ${path.split('?')[0] ?? path}`);
  }

  async #send(session: SalesforceSession, method: string, path: string, body: unknown): Promise<Response> {
    try {
      return await this.#fetch(`${session.instanceUrl.replace(/\/+$/, '')}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${session.accessToken}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.#options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      throw new RetryableError(`cannot reach Salesforce: ${describeError(error)}`, { cause: error });
    }
  }

  #reportUsage(response: Response): void {
    const serverDate = Date.parse(response.headers.get('date') ?? '');
    if (!Number.isNaN(serverDate)) this.lastServerTime = serverDate;
    const match = /api-usage=(\d+)\/(\d+)/.exec(response.headers.get('sforce-limit-info') ?? '');
    if (match !== null) this.#options.onApiUsage?.({ used: Number(match[1]), max: Number(match[2]) });
  }

  async #failure(response: Response, what: string): Promise<Error> {
    const body: unknown = await response.json().catch(() => undefined);
    const first = Array.isArray(body)
      ? (body[0] as { message?: string; errorCode?: string } | undefined)
      : undefined;
    const code = first?.errorCode ?? `HTTP_${response.status}`;
    const message = `${what}: ${code}${first?.message === undefined ? '' : ` (${first.message})`}`;
    if (response.status === 401) return new RetryableError(`Salesforce rejected a fresh session: ${message}`);
    if (code === 'REQUEST_LIMIT_EXCEEDED') {
      return new RetryableError(`the org's daily API limit is spent: ${message}`, {
        retryAfterMs: limitExceededRetryMs,
      });
    }
    if (response.status === 429 || response.status >= 500) {
      const retryAfter = Number(response.headers.get('retry-after'));
      return new RetryableError(
        `Salesforce is unavailable: ${message}`,
        Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {},
      );
    }
    return new SalesforceRefusal(`Salesforce refused ${message}`, code, response.status);
  }
}
