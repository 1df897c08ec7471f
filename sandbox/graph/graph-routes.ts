// Microsoft Graph's calendar endpoints for app-only clients: create, read, update and delete
// events in /users/{id or UPN} (with If-Match on the change key), list them a page at a time,
// find them by a single-value extended property, expand series into occurrences (instances,
// calendarView), return times in UTC or the zone `Prefer: outlook.timezone` asks for, and $batch
// up to 20 requests. Throttled as Graph throttles a mailbox (4 requests at once, 10,000 per 10
// minutes: 429 ApplicationThrottled with Retry-After), batched requests included, with optional
// latency and injected faults.
import { setTimeout as sleep } from 'node:timers/promises';
import { Hono, type Context } from 'hono';
import type { GraphTokens } from './graph-auth.ts';
import { GraphError } from './graph-errors.ts';
import { instant, isKnownZone } from './graph-event-json.ts';
import { eventJson, occurrenceJson, parseSelect, type EventView } from './graph-event-view.ts';
import { instanceOn, instancesOf, occurrenceId, parseOccurrenceId } from './graph-instances.ts';
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

  /** `#users('…')` of an @odata.context: the user as the request's path names it, percent-encoded (`rep%40acme.example`). */
  const contextBase = (c: Context) => {
    const url = new URL(c.req.url);
    const user = decodeURIComponent(url.pathname.split('/')[3] ?? '');
    return `${url.origin}/v1.0/$metadata#users('${encodeURIComponent(user)}')`;
  };
  const selected = (view: EventView) => (view.select === undefined ? '' : `(${view.select.join(',')})`);

  /**
   * How this request wants events: start and end in the zone `Prefer: outlook.timezone` names
   * (reads default to UTC; a write's response keeps the zones written, as the create example on
   * user-post-events shows), the body as `outlook.body-content-type` says (HTML by default), and
   * `$select`. Sets `Preference-Applied` for the preferences honoured.
   */
  const viewOf = (c: Context, kind: 'read' | 'write'): EventView => {
    const preferences = new Map<string, string>();
    for (const part of (c.req.header('prefer') ?? '').split(',')) {
      const match = /^\s*([^=\s]+)\s*=\s*"?([^"]*)"?\s*$/.exec(part);
      if (match !== null) preferences.set((match[1] ?? '').toLowerCase(), match[2] ?? '');
    }
    const applied: string[] = [];
    const zone = preferences.get('outlook.timezone');
    const zoneTaken = zone !== undefined && isKnownZone(zone);
    if (zoneTaken) applied.push(`outlook.timezone="${zone}"`);
    const bodyType = preferences.get('outlook.body-content-type')?.toLowerCase();
    if (bodyType === 'text' || bodyType === 'html') applied.push(`outlook.body-content-type="${bodyType}"`);
    if (applied.length > 0) c.header('Preference-Applied', applied.join(', '));
    return {
      timeZone: zoneTaken ? zone : kind === 'read' ? 'UTC' : undefined,
      bodyType: bodyType === 'text' ? 'text' : 'html',
      select: parseSelect(c.req.query('$select')),
      expandProperty: expandedProperty(c),
    };
  };

  /**
   * One page of a collection: `$top` items (Graph's default page size for events is 10, and
   * Outlook's collections take at most 1,000), from `$skip`, with an `@odata.nextLink` to the
   * rest that repeats the request's own query with the next `$skip`, as Outlook's lists page.
   */
  const page = <T>(c: Context, context: string, items: T[], render: (item: T) => unknown): Response => {
    const top = Math.min(queryCount(c, '$top') ?? defaultPageSize, maxPageSize);
    const skip = queryCount(c, '$skip') ?? 0;
    const json: Record<string, unknown> = { '@odata.context': context };
    if (top > 0 && skip + top < items.length) {
      const url = new URL(c.req.url);
      const query = url.search
        .slice(1)
        .split('&')
        .filter(
          (part) => part !== '' && decodeURIComponent(part.split('=')[0] ?? '').toLowerCase() !== '$skip',
        );
      json['@odata.nextLink'] = `${url.origin}${url.pathname}?${[...query, `$skip=${skip + top}`].join('&')}`;
    }
    json['value'] = items.slice(skip, skip + top).map(render);
    return c.json(json);
  };

  /** A PATCH or DELETE with If-Match goes ahead only while the item still has the change key it names. */
  const checkIfMatch = (c: Context, event: StoredEvent) => {
    const ifMatch = c.req.header('if-match');
    if (ifMatch === undefined) return;
    const tags = ifMatch.split(',').map((tag) => tag.trim());
    if (
      tags.includes('*') ||
      tags.includes(`W/"${event.changeKey}"`) ||
      tags.includes(`"${event.changeKey}"`)
    )
      return;
    throw new GraphError(
      412,
      'ErrorIrresolvableConflict',
      'The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item.',
    );
  };

  const stampsOf = (event: StoredEvent) => [...event.extendedProperties.values()];

  /**
   * What an event id names: a stored event (single or series master), or an instance of a series
   * (an occurrence or exception, by the id the instances list gave it, with its original date);
   * 404 ErrorItemNotFound for an id that is neither, a date the series does not (or no longer)
   * fall on, and a cancelled occurrence.
   */
  const target = (mailbox: Mailbox, id: string): { event: StoredEvent; date?: string } => {
    const named = mailboxes.has(mailbox, id) ? undefined : parseOccurrenceId(id);
    if (named === undefined) return { event: mailboxes.event(mailbox, id) };
    const master = mailboxes.event(mailbox, named.masterId);
    instanceOn(master, named.date);
    return { event: master, date: named.date };
  };

  for (const events of ['/v1.0/users/:user/events', '/v1.0/users/:user/calendar/events']) {
    app.post(events, async (c) => {
      const mailbox = eventsOf(c);
      const input = await jsonBody(c);
      return limited(
        c,
        mailbox,
        () => {
          const view = viewOf(c, 'write');
          const { event } = mailboxes.create(mailbox, input);
          return c.json(
            {
              '@odata.context': `${contextBase(c)}/events${selected(view)}/$entity`,
              ...eventJson(event, view),
            },
            201,
          );
        },
        () =>
          ((input['singleValueExtendedProperties'] ?? []) as { value?: unknown }[]).map((p) =>
            String(p.value),
          ),
      );
    });

    app.get(events, (c) => {
      const mailbox = eventsOf(c);
      return limited(
        c,
        mailbox,
        () => {
          const view = viewOf(c, 'read');
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
          return page(c, `${contextBase(c)}/events${selected(view)}`, found, (e) => eventJson(e, view));
        },
        () => {
          const value = /ep\/value eq '((?:[^']|'')*)'/.exec(c.req.query('$filter') ?? '')?.[1];
          return value === undefined ? [] : [value.replaceAll("''", "'")];
        },
      );
    });

    app.get(`${events}/:id`, (c) => {
      const mailbox = eventsOf(c);
      const id = c.req.param('id');
      return limited(c, mailbox, () => {
        const view = viewOf(c, 'read');
        const context = `${contextBase(c)}/events${selected(view)}/$entity`;
        const { event, date } = target(mailbox, id);
        // An occurrence or exception is read by its own id, as the instances list gave it.
        const json =
          date === undefined ? eventJson(event, view) : occurrenceJson(event, instanceOn(event, date), view);
        return c.json({ '@odata.context': context, ...json });
      });
    });

    // Update event: a series master, a single event, or one instance of a series (which becomes
    // an exception); If-Match against the change key of the item (an instance's is its series').
    app.patch(`${events}/:id`, async (c) => {
      const mailbox = eventsOf(c);
      const input = await jsonBody(c);
      const id = c.req.param('id');
      return limited(
        c,
        mailbox,
        () => {
          const view = viewOf(c, 'write');
          const { event, date } = target(mailbox, id);
          checkIfMatch(c, event);
          const json =
            date === undefined
              ? eventJson(mailboxes.update(mailbox, id, input), view)
              : occurrenceJson(mailboxes.updateInstance(event, date, input), instanceOn(event, date), view);
          return c.json({ '@odata.context': `${contextBase(c)}/events${selected(view)}/$entity`, ...json });
        },
        () => stampsOf(target(mailbox, id).event),
      );
    });

    // Delete event: a single event, a whole series (with its exceptions), or one instance of a
    // series, which is cancelled (gone from instances and calendarView, its id unknown).
    app.delete(`${events}/:id`, (c) => {
      const mailbox = eventsOf(c);
      const id = c.req.param('id');
      return limited(
        c,
        mailbox,
        () => {
          const { event, date } = target(mailbox, id);
          checkIfMatch(c, event);
          if (date === undefined) mailboxes.delete(mailbox, id);
          else mailboxes.cancelInstance(event, date);
          return c.body(null, 204);
        },
        () => stampsOf(target(mailbox, id).event),
      );
    });

    // event-list-instances: the occurrences and exceptions of a series within the window (none for
    // a single event); cancelled occurrences are left out, exceptions are where they were moved.
    app.get(`${events}/:id/instances`, (c) => {
      const mailbox = eventsOf(c);
      const id = c.req.param('id');
      return limited(
        c,
        mailbox,
        () => {
          const view = viewOf(c, 'read');
          const { from, to } = timeWindow(c);
          const master = mailboxes.event(mailbox, id);
          return page(
            c,
            `${contextBase(c)}/events('${encodeURIComponent(id)}')/instances${selected(view)}`,
            instancesOf(master, from, to),
            (instance) => occurrenceJson(master, instance.occurrence, view),
          );
        },
        () => stampsOf(mailboxes.event(mailbox, id)),
      );
    });
  }

  // user-list-calendarview: single events and every series' occurrences and exceptions within the
  // window (exceptions at their own times, cancelled occurrences left out), by start.
  const calendarView = (c: Context) => {
    const mailbox = eventsOf(c);
    return limited(c, mailbox, () => {
      const view = viewOf(c, 'read');
      const { from, to } = timeWindow(c);
      const items: { start: number; id: string; json: () => unknown }[] = [];
      for (const event of mailboxes.events(mailbox)) {
        if (event.body['recurrence'] !== null && event.body['recurrence'] !== undefined) {
          for (const instance of instancesOf(event, from, to))
            items.push({
              start: instance.start,
              id: occurrenceId(event.id, instance.occurrence.date),
              json: () => occurrenceJson(event, instance.occurrence, view),
            });
          continue;
        }
        const start = event.body['start'] as { dateTime: string; timeZone: string };
        const end = event.body['end'] as { dateTime: string; timeZone: string };
        const startMs = instant(start.dateTime, start.timeZone);
        const endMs = instant(end.dateTime, end.timeZone);
        if (startMs < to && (endMs > from || (endMs === startMs && startMs >= from)))
          items.push({ start: startMs, id: event.id, json: () => eventJson(event, view) });
      }
      items.sort((a, b) => a.start - b.start || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return page(c, `${contextBase(c)}/calendarView${selected(view)}`, items, (item) => item.json());
    });
  };
  for (const path of ['calendarView', 'calendarview', 'calendar/calendarView', 'calendar/calendarview'])
    app.get(`/v1.0/users/:user/${path}`, calendarView);

  app.post('/v1.0/$batch', async (c) => {
    const requests = parseBatch(await jsonBody(c));
    const origin = new URL(c.req.url).origin;
    const outcomes = new Map<string, Promise<BatchResponse>>();
    // Independent requests run side by side, as Graph runs them (so a batch to one mailbox meets
    // its concurrency limit); one with dependsOn waits for those it names, and fails with 424
    // when one of them failed (json-batching: "Sequencing requests with the dependsOn property").
    const run = (request: BatchRequest): Promise<BatchResponse> => {
      const key = request.id.toLowerCase();
      const known = outcomes.get(key);
      if (known !== undefined) return known;
      const outcome = (async (): Promise<BatchResponse> => {
        const before = await Promise.all(
          request.dependsOn.map((id) => run(requests.find((r) => r.id.toLowerCase() === id.toLowerCase())!)),
        );
        if (before.some((r) => r.status >= 400))
          return {
            id: request.id,
            status: 424,
            headers: { 'content-type': 'application/json' },
            body: new GraphError(
              424,
              'FailedDependency',
              `A request that request id : ${request.id} depends on failed.`,
            ).toBody(),
          };
        const url = request.url.startsWith('/') ? request.url : `/${request.url}`;
        const contentType = Object.entries(request.headers).find(
          ([name]) => name.toLowerCase() === 'content-type',
        )?.[1];
        const sub = await app.fetch(
          new Request(`${origin}/v1.0${url}`, {
            method: request.method,
            // The headers as sent: a body is JSON only when its Content-Type says so.
            headers: { ...request.headers, authorization: c.req.header('authorization') ?? '' },
            ...(request.body === undefined
              ? {}
              : {
                  body:
                    typeof request.body === 'string' && !/json/i.test(contentType ?? '')
                      ? request.body
                      : JSON.stringify(request.body),
                }),
          }),
          c.env,
        );
        const text = await sub.text();
        // Named as Graph names them in a batch response ("Content-Type", "Retry-After"), which is
        // how the Graph SDK's BatchResponseContent looks them up.
        const headers = Object.fromEntries(
          [...sub.headers]
            .filter(([name]) => name !== 'content-length')
            .map(([name, value]) => [
              name.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase()),
              value,
            ]),
        );
        return {
          id: request.id,
          status: sub.status,
          headers,
          ...(text === '' ? {} : { body: JSON.parse(text) as unknown }),
        };
      })();
      outcomes.set(key, outcome);
      return outcome;
    };
    return c.json({ responses: await Promise.all(requests.map(run)) });
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

/** Graph's page size for events when `$top` is not given, and the most `$top` may ask for (list messages: "within the range of 1 and 1000"). */
const defaultPageSize = 10;
const maxPageSize = 1000;

/** `$top` or `$skip`: a whole number, or undefined when absent. */
function queryCount(c: Context, name: '$top' | '$skip'): number | undefined {
  const value = c.req.query(name);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value))
    throw new GraphError(
      400,
      'RequestBroker--ParseUri',
      `Invalid value '${value}' for ${name} query option found. The ${name} query option requires a non-negative integer value.`,
    );
  return Number(value);
}

/**
 * The window of an instances or calendarView request: startDateTime and endDateTime, both
 * required, in ISO 8601; "If no timezone offset is included in the value, it is interpreted as
 * UTC" (user-list-calendarview), whatever `Prefer: outlook.timezone` says.
 */
function timeWindow(c: Context): { from: number; to: number } {
  const query = new Map(
    [...new URL(c.req.url).searchParams].map(([name, value]) => [name.toLowerCase(), value] as const),
  );
  const read = (name: 'StartDateTime' | 'EndDateTime') => {
    const value = query.get(name.toLowerCase());
    if (value === undefined || value === '')
      throw new GraphError(
        400,
        'ErrorInvalidParameter',
        'This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.',
      );
    const match =
      /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2})(:\d{2})?(?:\.(\d{1,7}))?)?(Z|[+-]\d{2}:\d{2})?$/i.exec(value);
    const ms =
      match === null
        ? Number.NaN
        : Date.parse(
            `${match[1]}T${match[2] ?? '00:00'}${match[3] ?? ':00'}.${(match[4] ?? '0').slice(0, 3).padEnd(3, '0')}${match[5] ?? 'Z'}`,
          );
    if (Number.isNaN(ms))
      throw new GraphError(
        400,
        'ErrorInvalidParameter',
        `The value '${value}' of parameter '${name}' is invalid.`,
      );
    return ms;
  };
  return { from: read('StartDateTime'), to: read('EndDateTime') };
}

interface BatchRequest {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  dependsOn: string[];
}

interface BatchResponse {
  id: string;
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

/**
 * A $batch body checked as Graph checks it before running anything (json-batching): 1 to 20
 * requests, each with an id (unique, whatever its case), a method and a url; a body only with a
 * Content-Type header; dependsOn naming other requests of the batch. Any of these failing fails
 * the whole batch with 400; a sub-request that is bad in itself fails alone, with its own status.
 */
function parseBatch(body: Record<string, unknown>): BatchRequest[] {
  const bad = (message: string) => new GraphError(400, 'BadRequest', message);
  const list = body['requests'];
  if (!Array.isArray(list)) throw bad('Invalid batch payload format.');
  if (list.length === 0 || list.length > 20)
    throw bad(`A batch holds 1 to 20 requests; this one holds ${list.length}.`);
  const seen = new Set<string>();
  const requests = list.map((raw: unknown): BatchRequest => {
    const request = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const { id, method, url, headers, body: content, dependsOn } = request;
    if (typeof id !== 'string' || id === '') throw bad('Every request in a batch needs a string id.');
    if (seen.has(id.toLowerCase())) throw bad(`Request Id ${id} has to be unique in a batch.`);
    seen.add(id.toLowerCase());
    if (typeof method !== 'string' || !/^(GET|POST|PATCH|PUT|DELETE)$/i.test(method))
      throw bad(`Request id : ${id} has no valid method.`);
    if (typeof url !== 'string' || url === '') throw bad(`Request id : ${id} has no url.`);
    if (
      headers !== undefined &&
      (typeof headers !== 'object' ||
        headers === null ||
        Array.isArray(headers) ||
        Object.values(headers).some((v) => typeof v !== 'string'))
    )
      throw bad(`The headers of request id : ${id} must be an object of strings.`);
    const given = (headers ?? {}) as Record<string, string>;
    const hasContentType = Object.keys(given).some((name) => name.toLowerCase() === 'content-type');
    if (/^(POST|PATCH|PUT)$/i.test(method) && (content === undefined || content === null || !hasContentType))
      throw bad(`Write request id : ${id} does not contain Content-Type header or body.`);
    if (
      dependsOn !== undefined &&
      (!Array.isArray(dependsOn) || dependsOn.some((d) => typeof d !== 'string'))
    )
      throw bad(`The dependsOn of request id : ${id} must be a list of request ids.`);
    return {
      id,
      method: method.toUpperCase(),
      url,
      headers: given,
      ...(content === undefined || content === null ? {} : { body: content }),
      dependsOn: (dependsOn ?? []) as string[],
    };
  });
  // Every dependency names a request of this batch, and none goes round in a circle.
  const byId = new Map(requests.map((r) => [r.id.toLowerCase(), r]));
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (request: BatchRequest) => {
    const key = request.id.toLowerCase();
    if (done.has(key)) return;
    if (visiting.has(key)) throw bad(`The dependsOn of request id : ${request.id} goes round in a circle.`);
    visiting.add(key);
    for (const dependency of request.dependsOn) {
      const target = byId.get(dependency.toLowerCase());
      if (target === undefined)
        throw bad(`Request id : ${request.id} depends on ${dependency}, which is not in the batch.`);
      visit(target);
    }
    visiting.delete(key);
    done.add(key);
  };
  requests.forEach(visit);
  return requests;
}
