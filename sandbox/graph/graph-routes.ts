// Microsoft Graph's calendar endpoints for app-only clients: create, read, update and delete
// events in /users/{id or UPN}, find them by a single-value extended property, and $batch up to
// 20 requests. Throttled as Graph throttles a mailbox (4 requests at once, 10,000 per 10 minutes:
// 429 ApplicationThrottled with Retry-After), with optional latency and injected faults.
import { setTimeout as sleep } from 'node:timers/promises';
import { Hono, type Context } from 'hono';
import type { GraphTokens } from './graph-auth.ts';
import { GraphError } from './graph-errors.ts';
import type { GraphMailboxes, Mailbox, StoredEvent } from './graph-mailboxes.ts';

export interface GraphFaults {
  /** Share of requests (0..1) that fail in one of `kinds`. */
  failureRate: number;
  kinds: ('500' | '503' | '504' | '429' | 'reset' | 'timeout')[];
  /** Whether a failure may strike after the change was made (a lost response). */
  afterCommit: boolean;
  /** How long a `timeout` fault holds the request before dropping it (default 30 s). */
  hangMs?: number;
}

export interface GraphRouteOptions {
  mailboxes: GraphMailboxes;
  tokens: GraphTokens;
  now: () => number;
  latencyMs: () => number;
  faults: () => GraphFaults | undefined;
  /** One-shot faults queued by tests (for any mailbox, or one), taken before the random ones. */
  takeQueuedFault: (
    mailbox: string,
  ) => { kind: GraphFaults['kinds'][number]; after: boolean; hangMs?: number } | undefined;
  /** Requests allowed per mailbox in 10 minutes (Graph: 10,000). */
  requestsPerWindow: number;
  /** Seen by tests: requests served, 429s sent, and the most requests ever in flight for one mailbox. */
  stats: { requests: number; throttled: number; peakConcurrency: number; faults: number };
  /** Every injected fault, with the extended property values of the item(s) its request concerned. */
  faultLog: FaultRecord[];
  /** When each change to a mailbox (create, update, delete) was made, in order: the newest 200,000. */
  writeLog: number[];
}

export interface FaultRecord {
  at: number;
  kind: GraphFaults['kinds'][number];
  mailbox: string;
  /** Whether the change was made before the fault struck (the answer was lost). */
  afterCommit: boolean;
  /** The single-value extended property values of the item the request created, changed or looked for. */
  itemStamps: string[];
}

/** The log keeps the newest faults only. */
const faultLogLimit = 100_000;

const maxConcurrent = 4;
const windowMs = 10 * 60_000;

export function graphRoutes(options: GraphRouteOptions): Hono {
  const { mailboxes, tokens, now, stats } = options;
  const app = new Hono({ strict: false });
  const inFlight = new Map<string, number>();
  const history = new Map<string, number[]>();

  const authenticate = (c: { req: { header(name: string): string | undefined } }) => {
    const token = /^Bearer (.+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    const state = tokens.check(token);
    if (state === 'missing')
      throw new GraphError(401, 'InvalidAuthenticationToken', 'Access token is empty.');
    if (state === 'expired')
      throw new GraphError(
        401,
        'InvalidAuthenticationToken',
        'Lifetime validation failed, the token is expired.',
      );
    if (state === 'invalid')
      throw new GraphError(401, 'InvalidAuthenticationToken', 'IDX14100: JWT is not well formed.');
  };

  /** Runs `work` for `mailbox` under Graph's limits and the injected faults. */
  const limited = async (
    c: Context,
    mailbox: Mailbox,
    work: () => Response | Promise<Response>,
    /** What the request is about: the stamps (extended property values) of its item. */
    stamps: () => string[] = () => [],
  ): Promise<Response> => {
    stats.requests++;
    const key = mailbox.address;
    const current = (inFlight.get(key) ?? 0) + 1;
    const times = (history.get(key) ?? []).filter((t) => t > now() - windowMs);
    history.set(key, times);
    if (current > maxConcurrent) {
      stats.throttled++;
      throw new GraphError(429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.', {
        'Retry-After': '1',
      });
    }
    if (times.length >= options.requestsPerWindow) {
      stats.throttled++;
      const wait = Math.ceil(((times[0] ?? now()) + windowMs - now()) / 1000);
      throw new GraphError(
        429,
        'ApplicationThrottled',
        'Application is over its request limit for this mailbox.',
        { 'Retry-After': String(Math.max(1, wait)) },
      );
    }
    times.push(now());
    inFlight.set(key, current);
    stats.peakConcurrency = Math.max(stats.peakConcurrency, current);
    try {
      const latency = options.latencyMs();
      if (latency > 0) await sleep(latency);
      const queued = options.takeQueuedFault(key);
      const fault = queued ?? pickFault(options.faults());
      const hangMs = queued?.hangMs ?? options.faults()?.hangMs ?? 30_000;
      if (fault !== undefined) {
        if (options.faultLog.length >= faultLogLimit) options.faultLog.shift();
        let itemStamps: string[] = [];
        try {
          itemStamps = stamps();
        } catch {
          // an item that is not there has no stamps
        }
        options.faultLog.push({
          at: options.now(),
          kind: fault.kind,
          mailbox: key,
          afterCommit: fault.after,
          itemStamps,
        });
      }
      if (fault !== undefined && !fault.after) await fail(c, fault.kind, stats, hangMs);
      const response = await work();
      if (c.req.method !== 'GET' && response.status < 300) {
        if (options.writeLog.length >= 200_000) options.writeLog.shift();
        options.writeLog.push(options.now());
      }
      if (fault?.after === true) await fail(c, fault.kind, stats, hangMs);
      return response;
    } finally {
      inFlight.set(key, (inFlight.get(key) ?? 1) - 1);
    }
  };

  app.use('/v1.0/*', async (c, next) => {
    authenticate(c);
    await next();
  });

  const eventsOf = (c: Context) => mailboxes.mailbox(c.req.param('user') ?? '');

  const create = async (c: Context) => {
    const mailbox = eventsOf(c);
    const input = await jsonBody(c);
    return limited(
      c,
      mailbox,
      () => {
        const { event } = mailboxes.create(mailbox, input);
        return c.json(toGraphJson(event, expandedProperty(c)), 201);
      },
      () =>
        ((input['singleValueExtendedProperties'] ?? []) as { value?: unknown }[]).map((p) => String(p.value)),
    );
  };
  app.post('/v1.0/users/:user/events', create);
  app.post('/v1.0/users/:user/calendar/events', create);

  app.get('/v1.0/users/:user/events', (c) => {
    const mailbox = eventsOf(c);
    return limited(
      c,
      mailbox,
      () => {
        const filter = c.req.query('$filter');
        let found: StoredEvent[];
        if (filter === undefined) found = mailboxes.events(mailbox);
        else {
          const match =
            /^singleValueExtendedProperties\/Any\(ep:\s*ep\/id eq '([^']+)' and ep\/value eq '((?:[^']|'')*)'\)$/.exec(
              filter.trim(),
            );
          if (match === null)
            throw new GraphError(
              400,
              'ErrorInvalidUrlQueryFilter',
              'The query filter contains one or more invalid nodes.',
            );
          found = mailboxes.findByExtendedProperty(
            mailbox,
            match[1] ?? '',
            (match[2] ?? '').replaceAll("''", "'"),
          );
        }
        const top = Number(c.req.query('$top') ?? 100);
        return c.json({
          '@odata.context': `${new URL(c.req.url).origin}/v1.0/$metadata#users('${mailbox.address}')/events`,
          value: found.slice(0, top).map((e) => toGraphJson(e, expandedProperty(c))),
        });
      },
      () => {
        const value = /ep\/value eq '((?:[^']|'')*)'/.exec(c.req.query('$filter') ?? '')?.[1];
        return value === undefined ? [] : [value.replaceAll("''", "'")];
      },
    );
  });

  app.get('/v1.0/users/:user/events/:id', (c) => {
    const mailbox = eventsOf(c);
    return limited(c, mailbox, () =>
      c.json(toGraphJson(mailboxes.event(mailbox, c.req.param('id')), expandedProperty(c))),
    );
  });

  app.patch('/v1.0/users/:user/events/:id', async (c) => {
    const mailbox = eventsOf(c);
    const input = await jsonBody(c);
    return limited(
      c,
      mailbox,
      () => c.json(toGraphJson(mailboxes.update(mailbox, c.req.param('id'), input), expandedProperty(c))),
      () => [...mailboxes.event(mailbox, c.req.param('id')).extendedProperties.values()],
    );
  });

  app.delete('/v1.0/users/:user/events/:id', (c) => {
    const mailbox = eventsOf(c);
    return limited(
      c,
      mailbox,
      () => {
        mailboxes.delete(mailbox, c.req.param('id'));
        return c.body(null, 204);
      },
      () => [...mailboxes.event(mailbox, c.req.param('id')).extendedProperties.values()],
    );
  });

  app.post('/v1.0/$batch', async (c) => {
    const body = (await jsonBody(c)) as {
      requests?: {
        id?: unknown;
        method?: unknown;
        url?: unknown;
        headers?: Record<string, string>;
        body?: unknown;
      }[];
    };
    if (!Array.isArray(body.requests) || body.requests.length === 0 || body.requests.length > 20) {
      throw new GraphError(400, 'BadRequest', 'A batch holds 1 to 20 requests.');
    }
    const responses = [];
    for (const request of body.requests) {
      const url = typeof request.url === 'string' ? request.url : '';
      const sub = await app.fetch(
        new Request(`${new URL(c.req.url).origin}/v1.0${url.startsWith('/') ? url : `/${url}`}`, {
          method: typeof request.method === 'string' ? request.method : 'GET',
          headers: {
            ...request.headers,
            authorization: c.req.header('authorization') ?? '',
            'content-type': 'application/json',
          },
          ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
        }),
        c.env,
      );
      const text = await sub.text();
      responses.push({
        id: request.id,
        status: sub.status,
        headers: Object.fromEntries(sub.headers),
        body: text === '' ? undefined : (JSON.parse(text) as unknown),
      });
    }
    return c.json({ responses });
  });

  app.onError((error, c) => {
    if (error instanceof GraphError) {
      for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
      return c.json(error.toBody(), error.status as 400);
    }
    if (error instanceof DroppedConnection) return new Response(null, { status: 499 });
    return c.json(new GraphError(500, 'generalException', error.message).toBody(), 500);
  });
  return app;
}

class DroppedConnection extends Error {}

function pickFault(
  faults: GraphFaults | undefined,
): { kind: GraphFaults['kinds'][number]; after: boolean } | undefined {
  if (faults === undefined || faults.kinds.length === 0 || Math.random() >= faults.failureRate)
    return undefined;
  const kind = faults.kinds[Math.floor(Math.random() * faults.kinds.length)] ?? '500';
  return { kind, after: faults.afterCommit && Math.random() < 0.5 };
}

async function fail(
  c: Context,
  kind: GraphFaults['kinds'][number],
  stats: GraphRouteOptions['stats'],
  hangMs: number,
): Promise<never> {
  stats.faults++;
  const socket = (c.env as { incoming?: { socket?: { destroy(): void } } } | undefined)?.incoming?.socket;
  switch (kind) {
    case '429':
      stats.throttled++;
      throw new GraphError(429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.', {
        'Retry-After': '1',
      });
    case 'reset':
      socket?.destroy();
      throw new DroppedConnection();
    case 'timeout':
      await sleep(hangMs, undefined, { ref: false });
      socket?.destroy();
      throw new DroppedConnection();
    case '500':
    case '503':
    case '504':
      throw new GraphError(
        Number(kind),
        kind === '503' ? 'ServiceUnavailable' : kind === '504' ? 'GatewayTimeout' : 'generalException',
        'injected fault',
      );
  }
}

async function jsonBody(c: Context): Promise<Record<string, unknown>> {
  const body: unknown = await c.req.json().catch(() => undefined);
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new GraphError(400, 'BadRequest', 'The request body must be a JSON object.');
  return body as Record<string, unknown>;
}

/** `$expand=singleValueExtendedProperties($filter=id eq '...')` → that property id. */
function expandedProperty(c: Context): string | undefined {
  const expand = c.req.query('$expand');
  return expand === undefined ? undefined : /id eq '([^']+)'/.exec(expand)?.[1];
}

export function toGraphJson(event: StoredEvent, expandProperty?: string): Record<string, unknown> {
  const json: Record<string, unknown> = {
    '@odata.etag': `W/"${event.changeKey}"`,
    id: event.id,
    createdDateTime: event.createdDateTime,
    lastModifiedDateTime: event.lastModifiedDateTime,
    changeKey: event.changeKey,
    transactionId: event.transactionId,
    iCalUId: event.iCalUId,
    ...event.body,
  };
  if (expandProperty !== undefined) {
    json['singleValueExtendedProperties'] = [...event.extendedProperties]
      .filter(([id]) => id.toLowerCase() === expandProperty.toLowerCase())
      .map(([id, value]) => ({ id, value }));
  }
  return json;
}
