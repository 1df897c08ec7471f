// The HTTP client for every outbound call (Salesforce, mailbox providers, notifications): undici
// with at most `maxConnectionsPerOrigin` sockets per origin (a burst of thousands of calls
// reuses them instead of opening a TLS connection each, which costs memory on both sides), and,
// when an extra CA is configured (a corporate proxy's, or the sandboxes' local CA), that CA
// trusted next to the usual public roots. That trust is one TLS context shared by every socket
// (lib/outbound-tls.ts): given a `ca` list instead, each new connection would parse the whole root
// bundle into a certificate store of its own (CPU on every connect, and megabytes of native memory
// per socket).
//
// The sockets of an origin stay in one pool for the life of the process. undici's Agent closes an
// origin's pool whenever the count of its connected sockets touches zero (every call in flight
// given up at once, say), even while that pool is still connecting sockets for calls queued in
// it; the next calls then open a second pool beside it, past the limit, and the two pools' counts
// mix, so more closings follow. A `scale-out-4` worker opened 335 TLS connections to Graph
// through 8 pools that way; routed here, each origin has one pool (docs/architecture.md).
//
// Two entry points on the same sockets: `fetch`, for the libraries that take one (MSAL, Google's,
// the Salesforce clients), and `request`, for the calls the sync makes all the time (Graph's):
// undici's own request API, without fetch's Request, Response and stream objects (a sixth of the
// service's CPU per change in `one-mailbox`, where every change is a call of its own; see
// docs/performance.md). Its answer holds the whole body, read before it is handed over, so the
// socket is free for the next call whether or not the caller reads it, and the caller's time
// limit covers the body too. Unlike fetch it follows no redirect and asks for no compression
// (Graph's API answers neither way).
import { Dispatcher, Pool, fetch as undiciFetch, request as undiciRequest } from 'undici';
import { contextTrustingExtraCa } from './outbound-tls.ts';

export const maxConnectionsPerOrigin = 128;

/** An HTTP answer as the sync reads it: a fetch Response has this much, and so does `request`'s. */
export interface HttpAnswer {
  readonly ok: boolean;
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  json(): Promise<unknown>;
  text(): Promise<string>;
}

export interface HttpRequestInit {
  method: string;
  headers: Record<string, string>;
  /** Text (JSON, a form), for writes. */
  body?: string | undefined;
  signal?: AbortSignal | undefined;
}

export type HttpRequest = (url: string, init: HttpRequestInit) => Promise<HttpAnswer>;

export interface OutboundHttp {
  fetch: typeof fetch;
  request: HttpRequest;
}

export function createOutboundHttp(options: {
  extraCaPem?: string | undefined;
  /** At most this many sockets to one origin (default maxConnectionsPerOrigin). */
  connectionsPerOrigin?: number | undefined;
}): OutboundHttp {
  const dispatcher = new PoolPerOrigin({
    connections: options.connectionsPerOrigin ?? maxConnectionsPerOrigin,
    ...(options.extraCaPem === undefined
      ? {}
      : {
          connect: { secureContext: contextTrustingExtraCa(options.extraCaPem) },
        }),
  });
  return {
    fetch: (input: string | URL | Request, init?: RequestInit) =>
      undiciFetch(input as Parameters<typeof undiciFetch>[0], {
        ...(init as Parameters<typeof undiciFetch>[1]),
        dispatcher,
      }),
    request: async (url, init) => {
      const response = await undiciRequest(url, {
        method: init.method as 'GET',
        headers: init.headers,
        ...(init.body === undefined ? {} : { body: init.body }),
        ...(init.signal === undefined ? {} : { signal: init.signal }),
        dispatcher,
      });
      const body = await response.body.text();
      const { headers, statusCode } = response;
      return answer(
        statusCode,
        (name) => {
          const value = headers[name.toLowerCase()];
          return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
        },
        body,
      );
    },
  };
}

export function createOutboundFetch(options: { extraCaPem?: string | undefined }): typeof fetch {
  return createOutboundHttp(options).fetch;
}

/** Each origin's calls through one pool of sockets, made at its first call and kept (see the top). */
class PoolPerOrigin extends Dispatcher {
  readonly #options: Pool.Options;
  readonly #pools = new Map<string, Pool>();

  constructor(options: Pool.Options) {
    super();
    this.#options = options;
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const origin = String(options.origin);
    let pool = this.#pools.get(origin);
    if (pool === undefined) {
      pool = new Pool(origin, this.#options);
      this.#pools.set(origin, pool);
    }
    return pool.dispatch(options, handler);
  }
}

/** `request` made with a given fetch (a test's, or one a caller supplies), its body read the same way. */
export function requestThroughFetch(fetchImpl: typeof fetch): HttpRequest {
  return async (url, init) => {
    const response = await fetchImpl(url, {
      method: init.method,
      headers: init.headers,
      ...(init.body === undefined ? {} : { body: init.body }),
      ...(init.signal === undefined ? {} : { signal: init.signal }),
    });
    const body = await response.text();
    return answer(response.status, (name) => response.headers.get(name), body);
  };
}

function answer(status: number, header: (name: string) => string | null, body: string): HttpAnswer {
  return {
    ok: status >= 200 && status < 300,
    status,
    headers: { get: header },
    // Parsed when asked, as fetch's json() does: an empty body fails with a SyntaxError.
    json: () => Promise.resolve().then(() => JSON.parse(body) as unknown),
    text: () => Promise.resolve(body),
  };
}
