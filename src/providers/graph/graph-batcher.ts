// Graph JSON batching: the requests a provider is handed in one go (what one callback of the event
// loop runs, with the promise jobs it sets off) go to Graph together, up to 20 in one
// `POST /v1.0/$batch` (learn.microsoft.com/graph/json-batching). Under a burst that is one HTTP
// request for up to 20 changes instead of 20; a lone request (steady traffic) goes as itself,
// without waiting for company. They are handed to the HTTP client as that go ends (nextTick), not
// at the end of the loop's turn: the client writes a request on a kept-alive connection only after
// one more look at it, in the turn's check phase, so a request handed over in that phase left a
// whole turn later, after that turn's database writes (0.25 ms of every round of one mailbox's
// four calls in `one-mailbox`; under `burst` the answers of a batch free their slots in one go, and
// HTTP requests per change stayed at 0.057, docs/performance.md). So do requests that are all for one
// mailbox: Graph runs at most 4 of a mailbox's at once whichever way they come, and a batch is
// answered only when its slowest request is done, so each of them would wait for the others
// and its slot stay taken meanwhile (one mailbox's 1,000 creates took 7 ms more per round of 4).
//
// Each request keeps its own answer: a sub-response becomes a GraphAnswer with its status, headers
// and body, so the provider reads it exactly as a direct answer (429 with Retry-After, 404, …).
// The answer holds the body Graph's batch answer already parsed, and a request's JSON body goes
// into the batch as the text it is: neither is parsed or written out a second time (that was a
// fifth of what a burst allocated in the Graph path).
// Graph runs a batch's requests side by side and counts each against its mailbox's limits (4 at
// once), which the engine's mailbox limiter already keeps. When Graph refuses or throttles the
// batch as a whole, every request in it gets that answer.
//
// A batch never fails a request for another's sake. When the batch itself gets no answer (its
// connection dropped, or it has not begun to answer within `batchPatienceMs`, default 2 s, where Graph
// answers in well under a second: one hung request holds a batch's answer for as long as it
// hangs), each of its requests is sent again as itself: those that were fine answer at once,
// and a bad one fails, or keeps its caller waiting, alone. (Failing them all instead cost every
// request of the batch an attempt: under 20 % of calls failing, some Events ran out of attempts.)
// Past the patience a batch counts as hung only when a request sent after it was answered
// promptly, and it has waited four times as long as nine in ten of Graph's latest 32 answers took:
// when no later request was answered promptly, or answers have come slowly (four workers on two
// cores, each starting with 500 calls at once, waited 0.4-4 s for the first, while those sent a
// few seconds later came back in half a second: the median of their times was short, and the tail
// of the first wave was taken for hung calls), Graph or this machine is slow for every request,
// and sending twenty more each would add to what makes them slow: such a batch is waited for up
// to four times the patience, or four times as long as nine in ten of Graph's latest answers took
// when that is longer (a worker whose first wave took 7-8 s to answer gave up its last 18 batches
// at 8 s, and sent their 360 requests again each alone, while their answers were on the way).
// Sending again is safe: a create carries its transactionId, so one Graph had stored returns the
// item it made; an update sets the same values; a delete of a deleted item is "not found", which
// the provider reads as gone.

import type { HttpRequest } from '../../lib/outbound-fetch.ts';

export interface GraphRequest {
  method: string;
  /** Absolute: `<graph base>/v1.0/users/…`. */
  url: string;
  headers: Record<string, string>;
  /** JSON text (an object, as JSON.stringify writes it), for writes. */
  body?: string | undefined;
  signal?: AbortSignal | undefined;
}

export interface GraphBatcherOptions {
  /** https://graph.microsoft.com (or a national cloud's, or the sandbox), without a trailing slash. */
  graphBaseUrl: string;
  /** The HTTP client's `request` (lib/outbound-fetch.ts). */
  request: HttpRequest;
  token: () => Promise<string>;
  timeoutMs: number;
  /** At most this many requests per batch (Graph allows 20). */
  maxPerBatch?: number;
  /** How long a batch may take before its requests are sent again each as itself (default 2 s). */
  batchPatienceMs?: number;
}

/** What the provider reads of an answer: a fetch Response has it, and so does a batch's sub-response. */
export interface GraphAnswer {
  readonly ok: boolean;
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  json(): Promise<unknown>;
}

interface Pending {
  request: GraphRequest;
  resolve: (response: GraphAnswer) => void;
  reject: (error: unknown) => void;
  settled: boolean;
}

interface SubResponse {
  id: string;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** Answers whose times tell how long Graph takes of late. */
const answerTimesKept = 32;

/** Statuses a Response may not carry a body with. */
const nullBodyStatuses = new Set([101, 103, 204, 205, 304]);

export class GraphBatcher {
  readonly #options: GraphBatcherOptions;
  #pending: Pending[] = [];
  #scheduled = false;
  /** When the latest request (a batch, or one alone) was sent that Graph answered within half the patience. */
  #promptlyAnsweredSentAt = -Infinity;
  /** How long the latest answers took (ms, a ring of answerTimesKept), for how late is late now. */
  readonly #answerMs: number[] = [];
  #answerNext = 0;

  constructor(options: GraphBatcherOptions) {
    this.#options = options;
  }

  /** Sends `request` (with the others handed over in the same go, in one $batch) and resolves with its answer. */
  send(request: GraphRequest): Promise<GraphAnswer> {
    return new Promise<GraphAnswer>((resolve, reject) => {
      const { signal } = request;
      if (signal?.aborted === true) {
        reject(abortReason(signal));
        return;
      }
      const entry: Pending = { request, resolve, reject, settled: false };
      // Given up by its caller (a stopping worker, a lost lease): fails at once, whatever the batch does.
      signal?.addEventListener('abort', () => settle(entry, () => reject(abortReason(signal))), {
        once: true,
      });
      this.#pending.push(entry);
      if (!this.#scheduled) {
        this.#scheduled = true;
        process.nextTick(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const ready = this.#pending.filter((entry) => !entry.settled);
    this.#pending = [];
    const max = this.#options.maxPerBatch ?? 20;
    const mailboxes = new Set(ready.map((entry) => mailboxOf(entry.request.url)));
    if (mailboxes.size === 1 && !mailboxes.has(undefined)) {
      for (const entry of ready) void this.#direct(entry);
      return;
    }
    const sentAt = performance.now();
    for (let i = 0; i < ready.length; i += max) {
      const group = ready.slice(i, i + max);
      void (group.length === 1 ? this.#direct(group[0]!) : this.#batch(group, sentAt));
    }
  }

  async #direct(entry: Pending): Promise<void> {
    const { request } = entry;
    const sentAt = performance.now();
    try {
      const response = await this.#options.request(request.url, {
        method: request.method,
        headers: { ...request.headers, authorization: `Bearer ${await this.#options.token()}` },
        body: request.body,
        signal: this.#signal(request.signal),
      });
      this.#noteAnswer(sentAt);
      settle(entry, () => entry.resolve(response));
    } catch (error) {
      settle(entry, () => entry.reject(error));
    }
  }

  /** Graph began to answer a request (a batch, or one alone) sent at `sentAt`: notes whether promptly. */
  #noteAnswer(sentAt: number): void {
    const took = performance.now() - sentAt;
    if (took <= (this.#options.batchPatienceMs ?? 2000) / 2)
      this.#promptlyAnsweredSentAt = Math.max(this.#promptlyAnsweredSentAt, sentAt);
    this.#answerMs[this.#answerNext] = took;
    this.#answerNext = (this.#answerNext + 1) % answerTimesKept;
  }

  /** How long Graph's answers take of late: nine in ten of the latest took at most this (0 before any). */
  #typicalAnswerMs(): number {
    const sorted = this.#answerMs.toSorted((a, b) => a - b);
    return sorted[Math.floor(sorted.length * 0.9)] ?? 0;
  }

  async #batch(group: readonly Pending[], sentAt: number): Promise<void> {
    const base = `${this.#options.graphBaseUrl}/v1.0`;
    // Patience runs until Graph's answer is in (Graph answers a batch once every request in it is
    // done, and the body follows its headers at once; the HTTP client reads both). When the timer
    // fires, the answer is looked for once more after this process's next look at its sockets:
    // a process busy past the patience (a burst on a full machine) would otherwise give up on an
    // answer already waiting in its socket and send all its requests again.
    // Given up on only when a request sent after it was answered promptly (see the top).
    const patienceMs = this.#options.batchPatienceMs ?? 2000;
    const patience = new AbortController();
    let answered = false;
    let timer: NodeJS.Timeout | undefined;
    const lookAfter = (ms: number) => {
      timer = setTimeout(
        () =>
          setImmediate(() => {
            if (answered || patience.signal.aborted) return;
            const waited = performance.now() - sentAt;
            const typical = this.#typicalAnswerMs();
            const hung = this.#promptlyAnsweredSentAt > sentAt && waited >= 4 * typical;
            if (hung || waited >= 4 * Math.max(patienceMs, typical))
              patience.abort(new Error("Graph's batch answer is late"));
            else lookAfter(patienceMs);
          }),
        ms,
      );
    };
    lookAfter(patienceMs);
    try {
      let body = '{"requests":[';
      group.forEach(({ request }, index) => {
        const described = JSON.stringify({
          id: String(index + 1),
          method: request.method,
          url: request.url.startsWith(base) ? request.url.slice(base.length) : request.url,
          headers: request.headers,
        });
        body += index === 0 ? '' : ',';
        // The body is JSON text already (the provider wrote it): it goes in as it is.
        body +=
          request.body === undefined
            ? described
            : `${described.slice(0, -1)},"body":${jsonText(request.body)}}`;
      });
      body += ']}';
      const response = await this.#options.request(`${base}/$batch`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await this.#options.token()}`,
          'content-type': 'application/json',
        },
        body,
        signal: AbortSignal.any([this.#signal(undefined), patience.signal]),
      });
      answered = true;
      this.#noteAnswer(sentAt);
      if (!response.ok) {
        // The batch as a whole was refused or throttled: each request gets that answer.
        for (const entry of group) settle(entry, () => entry.resolve(response));
        return;
      }
      const text = await response.text();
      const answers = new Map(
        ((JSON.parse(text) as { responses?: SubResponse[] }).responses ?? []).map((r) => [r.id, r]),
      );
      group.forEach((entry, index) => {
        const answer = answers.get(String(index + 1));
        settle(entry, () =>
          answer === undefined
            ? entry.reject(new Error(`Graph's batch answer has no response for request ${index + 1}`))
            : entry.resolve(toResponse(answer)),
        );
      });
    } catch {
      // No answer to the batch (dropped, too slow, unreadable): each request goes again alone.
      for (const entry of group) if (!entry.settled) void this.#direct(entry);
    } finally {
      answered = true; // no look after this
      clearTimeout(timer);
    }
  }

  #signal(caller: AbortSignal | undefined): AbortSignal {
    const timeout = AbortSignal.timeout(this.#options.timeoutMs);
    return caller === undefined ? timeout : AbortSignal.any([timeout, caller]);
  }
}

/** The mailbox a request is for (`…/users/{id or address}/…`), or undefined for another path. */
function mailboxOf(url: string): string | undefined {
  return /\/users\/([^/?]+)/.exec(url)?.[1]?.toLowerCase();
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new DOMException('The request was given up.', 'AbortError');
}

function settle(entry: Pending, action: () => void): void {
  if (entry.settled) return;
  entry.settled = true;
  action();
}

/**
 * `text` when it is one JSON value, as a request's body must be to go into a batch; throws
 * otherwise (the batch is then not sent, and each request goes as itself).
 */
function jsonText(text: string): string {
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[') JSON.parse(text);
  return text;
}

/** A sub-response as the answer a direct request would have had. */
function toResponse(answer: SubResponse): GraphAnswer {
  // A status a Response cannot carry (Graph documents none) is an answer that could not be read.
  const status = answer.status >= 200 && answer.status <= 599 ? answer.status : 502;
  const body = nullBodyStatuses.has(status) ? undefined : (answer.body ?? undefined);
  const headers = answer.headers ?? {};
  return {
    ok: status >= 200 && status <= 299,
    status,
    headers: {
      get(name) {
        const wanted = name.toLowerCase();
        for (const key in headers) if (key.toLowerCase() === wanted) return String(headers[key]);
        return null;
      },
    },
    // As Response.json() reads it: a body sent as text is parsed, no body is an error.
    json: () =>
      body === undefined
        ? Promise.reject(new SyntaxError('Unexpected end of JSON input'))
        : typeof body === 'string'
          ? Promise.resolve().then(() => JSON.parse(body) as unknown)
          : Promise.resolve(body),
  };
}
