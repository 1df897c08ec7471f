// Salesforce's REST API under /services/data/vNN.N/: query, queryAll and their next pages,
// sObject read/create/update/delete for Event, the composite read of many records by id, the
// updated/deleted replication endpoints, and limits. Every authenticated response carries
// Sforce-Limit-Info; a dead session is 401 INVALID_SESSION_ID; a spent daily limit is 403.
import { randomBytes } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { SalesforceApiError } from './api-error.ts';
import type { OAuthGrants } from './oauth-grants.ts';
import type { EventInput, OrgData } from './org-data.ts';
import type { SandboxClock } from './sandbox-clock.ts';
import { parseSoql } from './soql-parser.ts';
import { readRecord, runQuery, type WireRecord } from './soql-engine.ts';
import { formatDateTime, parseDateTime, type SObjectRecord } from './sobject-schema.ts';

export interface RestRouteOptions {
  grants: OAuthGrants;
  data: OrgData;
  clock: SandboxClock;
  dailyApiLimit: number;
  delay: () => Promise<void>;
  /** A fault to answer instead, if one is armed for this path. */
  takeFault: (path: string) => { status: number; body: unknown } | undefined;
}

type Env = { Variables: { user: SObjectRecord; version: string } };

const day = 86_400_000;
const minVersion = 50;
const maxVersion = 70;

export function restRoutes(options: RestRouteOptions): Hono<Env> {
  const { data, clock } = options;
  const app = new Hono<Env>({ strict: false });
  const calls: number[] = [];
  const cursors = new Map<string, WireRecord[]>();

  const usage = () => {
    const since = clock.now() - day;
    while (calls.length > 0 && (calls[0] ?? 0) <= since) calls.shift();
    return calls.length;
  };

  app.get('/services/data', (c) =>
    c.json(
      Array.from({ length: maxVersion - minVersion + 1 }, (_, i) => {
        const version = `${minVersion + i}.0`;
        return { label: `v${version}`, url: `/services/data/v${version}`, version };
      }),
    ),
  );

  app.use('/services/data/:version/*', async (c, next) => {
    await options.delay();
    const version = /^v(\d{2})\.0$/.exec(c.req.param('version'))?.[1];
    if (version === undefined || Number(version) < minVersion || Number(version) > maxVersion) {
      return c.json([{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }], 404);
    }
    const token = /^(?:Bearer|OAuth) (.+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    const user = token === undefined ? undefined : options.grants.authenticate(token);
    if (user === undefined) {
      return c.json([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }], 401);
    }
    const used = usage();
    c.header(
      'Sforce-Limit-Info',
      `api-usage=${Math.min(used + 1, options.dailyApiLimit)}/${options.dailyApiLimit}`,
    );
    if (used >= options.dailyApiLimit) {
      return c.json([{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }], 403);
    }
    calls.push(clock.now());
    const fault = options.takeFault(c.req.path);
    if (fault !== undefined) return c.json(fault.body, fault.status as 500);
    c.set('user', user);
    c.set('version', `${version}.0`);
    await next();
    return undefined;
  });

  const page = (c: Context<Env>, records: WireRecord[]) => {
    const batch = batchSize(c.req.header('sforce-query-options'));
    const first = records.slice(0, batch);
    const rest = records.slice(batch);
    let nextRecordsUrl: string | undefined;
    if (rest.length > 0) {
      const locator = `01g${randomBytes(6).toString('hex')}-${batch}`;
      cursors.set(locator, rest);
      nextRecordsUrl = `/services/data/v${c.get('version')}/query/${locator}`;
    }
    return { first, nextRecordsUrl };
  };

  const query = (includeDeleted: boolean) => (c: Context<Env>) => {
    const soql = c.req.query('q');
    if (soql === undefined || soql.trim() === '')
      throw new SalesforceApiError(400, 'MALFORMED_QUERY', 'query parameter q is required');
    const records = runQuery(parseSoql(soql), data, { includeDeleted, apiVersion: c.get('version') });
    const { first, nextRecordsUrl } = page(c, records);
    return c.json({
      totalSize: records.length,
      done: nextRecordsUrl === undefined,
      ...(nextRecordsUrl === undefined ? {} : { nextRecordsUrl }),
      records: first,
    });
  };
  app.get('/services/data/:version/query', query(false));
  app.get('/services/data/:version/queryAll', query(true));
  app.get('/services/data/:version/query/:locator', (c) => {
    const remaining = cursors.get(c.req.param('locator'));
    if (remaining === undefined)
      throw new SalesforceApiError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
    cursors.delete(c.req.param('locator'));
    const { first, nextRecordsUrl } = page(c, remaining);
    return c.json({
      totalSize: remaining.length,
      done: nextRecordsUrl === undefined,
      ...(nextRecordsUrl === undefined ? {} : { nextRecordsUrl }),
      records: first,
    });
  });

  app.get('/services/data/:version/limits', (c) =>
    c.json({
      DailyApiRequests: {
        Max: options.dailyApiLimit,
        Remaining: Math.max(0, options.dailyApiLimit - usage()),
      },
    }),
  );

  app.get('/services/data/:version/sobjects/Event/updated', (c) => {
    const { start, end } = replicationWindow(c.req.query('start'), c.req.query('end'), clock.now());
    const ids = [...data.events.values()]
      .filter(
        (e) =>
          typeof e['SystemModstamp'] === 'number' &&
          e['SystemModstamp'] >= start &&
          e['SystemModstamp'] < end &&
          e['IsDeleted'] !== true,
      )
      .map((e) => e.Id);
    return c.json({ ids, latestDateCovered: formatDateTime(end) });
  });

  app.get('/services/data/:version/sobjects/Event/deleted', (c) => {
    const { start, end } = replicationWindow(c.req.query('start'), c.req.query('end'), clock.now());
    const deletedRecords = [...data.deletedAt.entries()]
      .filter(([, at]) => at >= start && at < end)
      .map(([id, at]) => ({ id, deletedDate: formatDateTime(at) }));
    return c.json({
      deletedRecords,
      earliestDateAvailable: formatDateTime(clock.now() - 15 * day),
      latestDateCovered: formatDateTime(end),
    });
  });

  const composite = async (c: Context<Env>) => {
    let ids: string[];
    let fields: string[];
    if (c.req.method === 'GET') {
      ids = (c.req.query('ids') ?? '').split(',').filter(Boolean);
      fields = (c.req.query('fields') ?? '').split(',').filter(Boolean);
    } else {
      const body = (await c.req.json().catch(() => undefined)) as
        { ids?: unknown; fields?: unknown } | undefined;
      if (!Array.isArray(body?.ids) || !Array.isArray(body.fields)) {
        throw new SalesforceApiError(
          400,
          'JSON_PARSER_ERROR',
          'the body must be { "ids": [...], "fields": [...] }',
        );
      }
      ids = body.ids.map(String);
      fields = body.fields.map(String);
    }
    if (ids.length === 0 || fields.length === 0)
      throw new SalesforceApiError(400, 'INVALID_FIELD', 'ids and fields are required');
    if (ids.length > 2000)
      throw new SalesforceApiError(400, 'LIMIT_EXCEEDED', 'at most 2000 ids per request');
    return c.json(
      ids.map((id) => {
        const record = data.events.get(id);
        return record === undefined || record['IsDeleted'] === true
          ? null
          : readRecord('Event', record, fields, data, c.get('version'));
      }),
    );
  };
  app.get('/services/data/:version/composite/sobjects/Event', composite);
  app.post('/services/data/:version/composite/sobjects/Event', composite);

  app.get('/services/data/:version/sobjects/Event/:id', (c) => {
    const record = data.events.get(c.req.param('id'));
    if (record === undefined || record['IsDeleted'] === true)
      throw new SalesforceApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
    const fields = c.req.query('fields')?.split(',').filter(Boolean);
    return c.json(readRecord('Event', record, fields, data, c.get('version')));
  });

  app.post('/services/data/:version/sobjects/Event', async (c) => {
    const record = data.createEvent(c.get('user').Id, await eventBody(c));
    return c.json({ id: record.Id, success: true, errors: [] }, 201);
  });

  app.patch('/services/data/:version/sobjects/Event/:id', async (c) => {
    data.updateEvent(c.get('user').Id, c.req.param('id'), await eventBody(c));
    return c.body(null, 204);
  });

  app.delete('/services/data/:version/sobjects/Event/:id', (c) => {
    data.deleteEvent(c.get('user').Id, c.req.param('id'));
    return c.body(null, 204);
  });

  app.onError((error, c) => {
    if (error instanceof SalesforceApiError) return c.json(error.toBody(), error.status as 400);
    return c.json([{ message: error.message, errorCode: 'UNKNOWN_EXCEPTION' }], 500);
  });
  return app;
}

async function eventBody(c: Context<Env>): Promise<EventInput> {
  const body: unknown = await c.req.json().catch(() => undefined);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new SalesforceApiError(400, 'JSON_PARSER_ERROR', 'the body must be a JSON object of Event fields');
  }
  return body as EventInput;
}

function batchSize(header: string | undefined): number {
  const size = Number(/batchSize=(\d+)/i.exec(header ?? '')?.[1] ?? 2000);
  return Math.min(2000, Math.max(200, size));
}

function replicationWindow(
  start: string | undefined,
  end: string | undefined,
  now: number,
): { start: number; end: number } {
  const from = start === undefined ? undefined : parseDateTime(start);
  const to = end === undefined ? undefined : parseDateTime(end);
  if (from === undefined || to === undefined || from >= to || now - from > 30 * day) {
    throw new SalesforceApiError(
      400,
      'INVALID_REPLICATION_DATE',
      'start and end must be datetimes, start before end, within the last 30 days',
    );
  }
  // Salesforce covers whole minutes: the window ends at the last full minute before `end`.
  return { start: from, end: Math.min(Math.floor(to / 60_000) * 60_000, now) };
}
