// Salesforce's REST API under /services/data/vNN.N/: query, queryAll and their next pages,
// sObject read/create/update/delete for Event (and deleting a Lightning series from one of its
// events onwards), the composite read of many records by id, the
// updated/deleted replication endpoints, and limits. Every authenticated response carries
// Sforce-Limit-Info; a dead session is 401 INVALID_SESSION_ID; the daily limit, spent past its
// tolerance, is 403 REQUEST_LIMIT_EXCEEDED; an unknown resource is 404 NOT_FOUND in JSON. Our
// package's settings and the Tooling API's RemoteProxy (package-routes.ts) and the Tooling API's
// query sit behind the same checks and count against the same limit.
import { randomInt } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { entityIsDeleted, methodNotAllowed, notFound, SalesforceApiError } from './api-error.ts';
import type { OAuthGrants } from './oauth-grants.ts';
import { fromThisEventOnwardsAnswer, type EventInput, type OrgData, type WriteOptions } from './org-data.ts';
import { caseSafeSuffix } from './salesforce-ids.ts';
import type { SandboxClock } from './sandbox-clock.ts';
import { parseSoql } from './soql-parser.ts';
import { packageRoutes } from './package-routes.ts';
import { checkFields, readRecord, runQuery, type Api, type WireRecord } from './soql-engine.ts';
import { formatDateTime, parseDateTime, type SObjectRecord } from './sobject-schema.ts';

export interface RestRouteOptions {
  grants: OAuthGrants;
  data: OrgData;
  clock: SandboxClock;
  dailyApiLimit: number;
  /** The org's event delivery allocation, which the limits resource reports as DailyDeliveredPlatformEvents. */
  deliveries: { readonly max: number; remaining(): number };
  /** How far over the daily limit a burst may go before calls are refused, as a share of it. */
  apiLimitTolerance: number;
  delay: () => Promise<void>;
  /** A fault to answer instead, if one is armed for this path. */
  takeFault: (path: string) => { status: number; body: unknown } | undefined;
}

export type RestEnv = { Variables: { user: SObjectRecord; version: string } };
type Env = RestEnv;

/** A query's results kept for its next pages (a server-side cursor). */
interface Cursor {
  records: WireRecord[];
  totalSize: number;
  expiresAt: number;
  /** The API it was asked through: a Tooling query's pages are under …/tooling/query/. */
  api: Api;
  entityTypeName: string;
}

const day = 86_400_000;
const minVersion = 50;
const maxVersion = 70;
/** Cursors and their results are kept 2 days (Salesforce Developer Limits, API Query Cursor Limits). */
const cursorLifetimeMs = 2 * day;
/** Salesforce keeps every cursor for its 2 days; the sandbox, in memory, keeps the newest ones. */
const maxCursors = 1000;
const idAlphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * Every limit the limits resource lists (REST API Developer Guide, List Org Limits), with the
 * example's allocations; DailyApiRequests and DailyDeliveredPlatformEvents are the org's own.
 * DataStorageMB and FileStorageMB are listed only to users with the Manage Users permission (REST
 * API Developer Guide, Limits).
 */
const documentedLimits: Record<string, number> = {
  ActiveScratchOrgs: 3,
  AnalyticsExternalDataSizeMB: 40_960,
  ConcurrentAsyncGetReportInstances: 200,
  ConcurrentEinsteinDataInsightsStoryCreation: 5,
  ConcurrentEinsteinDiscoveryStoryCreation: 2,
  ConcurrentSyncReportRuns: 20,
  DailyAnalyticsDataflowJobExecutions: 60,
  DailyAnalyticsUploadedFilesSizeMB: 51_200,
  DailyFunctionsApiCallLimit: 235_000,
  DailyApiRequests: 0,
  DailyAsyncApexExecutions: 250_000,
  DailyAsyncApexTests: 500,
  DailyBulkApiBatches: 15_000,
  DailyBulkV2QueryFileStorageMB: 976_562,
  DailyBulkV2QueryJobs: 10_000,
  DailyDeliveredPlatformEvents: 0,
  DailyDurableGenericStreamingApiEvents: 10_000,
  DailyDurableStreamingApiEvents: 10_000,
  DailyEinsteinDataInsightsStoryCreation: 1000,
  DailyEinsteinDiscoveryPredictAPICalls: 50_000,
  DailyEinsteinDiscoveryPredictionsByCDC: 5_000_000,
  DailyEinsteinDiscoveryStoryCreation: 100,
  DailyGenericStreamingApiEvents: 10_000,
  DailyScratchOrgs: 6,
  DailyStandardVolumePlatformEvents: 10_000,
  DailyStreamingApiEvents: 10_000,
  DailyWorkflowEmails: 100_000,
  DataStorageMB: 1024,
  DurableStreamingApiConcurrentClients: 20,
  FileStorageMB: 1024,
  HourlyAsyncReportRuns: 1200,
  HourlyDashboardRefreshes: 200,
  HourlyDashboardResults: 5000,
  HourlyDashboardStatuses: 999_999_999,
  HourlyLongTermIdMapping: 100_000,
  HourlyManagedContentPublicRequests: 50_000,
  HourlyODataCallout: 20_000,
  HourlyPublishedPlatformEvents: 50_000,
  HourlyPublishedStandardVolumePlatformEvents: 1000,
  HourlyShortTermIdMapping: 100_000,
  HourlySyncReportRuns: 500,
  HourlyTimeBasedWorkflow: 1000,
  MassEmail: 5000,
  MonthlyEinsteinDiscoveryStoryCreation: 500,
  Package2VersionCreates: 6,
  Package2VersionCreatesWithoutValidation: 500,
  PermissionSets: 1500,
  PrivateConnectOutboundCalloutHourlyLimitMB: 0,
  SingleEmail: 5000,
  StreamingApiConcurrentClients: 20,
};
const manageUsersLimits = new Set(['DataStorageMB', 'FileStorageMB']);

export function restRoutes(options: RestRouteOptions): Hono<Env> {
  const { data, clock } = options;
  const app = new Hono<Env>({ strict: false });
  const calls: number[] = [];
  const cursors = new Map<string, Cursor>();
  /** Whether the org is refused for now: from the tolerance reached until back under the limit. */
  let overLimit = false;

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
      return c.json(notFound().toBody(), 404);
    }
    const token = /^(?:Bearer|OAuth) (.+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    const user = token === undefined ? undefined : options.grants.authenticate(token);
    if (user === undefined) {
      return c.json([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }], 401);
    }
    // The limit is enforced against the last 24 hours' calls, with room for bursts: calls go on
    // (the header then shows usage above the limit) until the tolerance is spent, and are then
    // refused until the 24 hours' usage drops below the limit (Salesforce Help, System Overview:
    // API Usage; Salesforce Developers blog, Flexible API Limits).
    const used = usage();
    const limit = options.dailyApiLimit;
    if (overLimit && used < limit) overLimit = false;
    if (!overLimit && used >= Math.floor(limit * (1 + options.apiLimitTolerance))) overLimit = true;
    if (overLimit) {
      c.header('Sforce-Limit-Info', `api-usage=${used}/${limit}`);
      return c.json([{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }], 403);
    }
    calls.push(clock.now());
    c.header('Sforce-Limit-Info', `api-usage=${used + 1}/${limit}`);
    const fault = options.takeFault(c.req.path);
    if (fault !== undefined) return c.json(fault.body, fault.status as 500);
    c.set('user', user);
    c.set('version', `${version}.0`);
    await next();
    return undefined;
  });

  /**
   * One page of a query's results from `position`: totalSize is the whole query's on every page,
   * and nextRecordsUrl names the cursor and the position of the next record
   * (/services/data/v66.0/query/0r8xx…-2000), as Salesforce writes it.
   */
  const page = (c: Context<Env>, locator: string | undefined, cursor: Cursor, position: number) => {
    const end = position + batchSize(c.req.header('sforce-query-options'));
    const tooling = cursor.api === 'tooling' ? 'tooling/' : '';
    let next: string | undefined;
    if (end < cursor.records.length) next = `${locator ?? keepCursor(cursor)}-${end}`;
    const nextRecordsUrl =
      next === undefined ? undefined : `/services/data/v${c.get('version')}/${tooling}query/${next}`;
    const records = cursor.records.slice(position, end);
    // The Tooling API's query answers with the same fields and a few of its own (Tooling API
    // Developer Guide, Query; its RemoteProxy example): size, queryLocator and entityTypeName.
    if (cursor.api === 'tooling') {
      return c.json({
        size: cursor.totalSize,
        totalSize: cursor.totalSize,
        done: nextRecordsUrl === undefined,
        queryLocator: next ?? null,
        ...(nextRecordsUrl === undefined ? {} : { nextRecordsUrl }),
        entityTypeName: cursor.entityTypeName,
        records,
      });
    }
    return c.json({
      totalSize: cursor.totalSize,
      done: nextRecordsUrl === undefined,
      ...(nextRecordsUrl === undefined ? {} : { nextRecordsUrl }),
      records,
    });
  };

  const keepCursor = (cursor: Cursor): string => {
    for (const [id, kept] of cursors) {
      if (kept.expiresAt <= clock.now() || cursors.size >= maxCursors) cursors.delete(id);
      else break;
    }
    const id15 = `0r8${Array.from({ length: 12 }, () => idAlphabet[randomInt(62)] ?? '0').join('')}`;
    const id = id15 + caseSafeSuffix(id15);
    cursors.set(id, cursor);
    return id;
  };

  const query = (includeDeleted: boolean, api: Api) => (c: Context<Env>) => {
    const soql = c.req.query('q');
    if (soql === undefined || soql.trim() === '')
      throw new SalesforceApiError(400, 'MALFORMED_QUERY', 'query parameter q is required');
    const answer = runQuery(parseSoql(soql), data, { includeDeleted, apiVersion: c.get('version'), api });
    return page(c, undefined, { ...answer, api, expiresAt: clock.now() + cursorLifetimeMs }, 0);
  };
  const nextPage = (api: Api) => (c: Context<Env>) => {
    const [, id = '', at = ''] = /^(0r8[A-Za-z0-9]{15})-(\d+)$/.exec(c.req.param('locator') ?? '') ?? [];
    const cursor = cursors.get(id);
    const position = Number(at);
    if (
      cursor === undefined ||
      cursor.api !== api ||
      cursor.expiresAt <= clock.now() ||
      position > cursor.records.length
    )
      throw new SalesforceApiError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
    return page(c, id, cursor, position);
  };
  app.get('/services/data/:version/query', query(false, 'rest'));
  app.get('/services/data/:version/queryAll', query(true, 'rest'));
  app.get('/services/data/:version/query/:locator', nextPage('rest'));
  app.get('/services/data/:version/tooling/query', query(false, 'tooling'));
  app.get('/services/data/:version/tooling/query/:locator', nextPage('tooling'));

  // The limits resource is for users with the View Setup and Configuration permission; others
  // get API_DISABLED_FOR_ORG "limits resource is not enabled".
  app.get('/services/data/:version/limits', (c) => {
    const permissions = data.permissions.get(c.get('user').Id);
    if (permissions?.viewSetupAndConfiguration !== true) {
      throw new SalesforceApiError(403, 'API_DISABLED_FOR_ORG', 'limits resource is not enabled');
    }
    const limits: Record<string, unknown> = {};
    for (const [name, max] of Object.entries(documentedLimits)) {
      if (manageUsersLimits.has(name) && !permissions.manageUsers) continue;
      limits[name] =
        name === 'DailyApiRequests'
          ? { Max: options.dailyApiLimit, Remaining: options.dailyApiLimit - usage() }
          : name === 'DailyDeliveredPlatformEvents'
            ? { Max: options.deliveries.max, Remaining: options.deliveries.remaining() }
            : name === 'PermissionSets'
              ? { Max: max, Remaining: max, CreateCustom: { Max: 1000, Remaining: 1000 } }
              : { Max: max, Remaining: max };
    }
    return c.json(limits);
  });

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

  // sObject Collections retrieve (REST API Developer Guide, Get Records Using sObject
  // Collections): one element per id in order; an id that is invalid, not readable, or names a
  // record in the recycle bin (retrieve() never returns deleted records) is null; a field that
  // does not exist fails the whole request with 400, whatever the ids.
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
    checkFields('Event', fields);
    return c.json(
      ids.map((id) => {
        const record = data.findEvent(id);
        return record === undefined || record['IsDeleted'] === true
          ? null
          : readRecord('Event', record, fields, data, c.get('version'));
      }),
    );
  };
  app.get('/services/data/:version/composite/sobjects/Event', composite);
  app.post('/services/data/:version/composite/sobjects/Event', composite);

  app.get('/services/data/:version/sobjects/Event/:id', (c) => {
    const record = data.findEvent(c.req.param('id'));
    if (record === undefined) throw notFound();
    if (record['IsDeleted'] === true) throw entityIsDeleted();
    const fields = c.req.query('fields')?.split(',').filter(Boolean);
    return c.json(readRecord('Event', record, fields, data, c.get('version')));
  });

  app.post('/services/data/:version/sobjects/Event', async (c) => {
    const record = data.createEvent(c.get('user').Id, await eventBody(c), writeOptions(c));
    return c.json({ id: record.Id, success: true, errors: [] }, 201);
  });

  app.patch('/services/data/:version/sobjects/Event/:id', async (c) => {
    data.updateEvent(c.get('user').Id, c.req.param('id'), await eventBody(c), writeOptions(c));
    return c.body(null, 204);
  });

  app.delete('/services/data/:version/sobjects/Event/:id', (c) => {
    data.deleteEvent(c.get('user').Id, c.req.param('id'), writeOptions(c));
    return c.body(null, 204);
  });

  // Delete Lightning Experience Event Series (REST API Developer Guide): 200 once the request is
  // accepted; the events are deleted afterwards ("Wait for all events to be removed").
  app.delete('/services/data/:version/sobjects/Event/:id/fromThisEventOnwards', (c) => {
    void data.deleteFromThisEventOnwards(c.get('user').Id, c.req.param('id'), writeOptions(c));
    return c.json(fromThisEventOnwardsAnswer, 200);
  });

  // A resource the sandbox has, asked with a method it does not take.
  const allowed = (methods: string) => (c: Context<Env>) => methodNotAllowed(c, methods);
  app.all('/services/data/:version/query', allowed('HEAD,GET'));
  app.all('/services/data/:version/queryAll', allowed('HEAD,GET'));
  app.all('/services/data/:version/tooling/query', allowed('HEAD,GET'));
  app.all('/services/data/:version/limits', allowed('HEAD,GET'));
  app.all('/services/data/:version/composite/sobjects/Event', allowed('HEAD,GET,POST'));
  app.all('/services/data/:version/sobjects/Event/:id', allowed('HEAD,GET,PATCH,DELETE'));
  app.all('/services/data/:version/sobjects/Event/:id/fromThisEventOnwards', allowed('DELETE'));
  // Our package's settings (while it is installed) and the Tooling API's RemoteProxy, after
  // Event's routes so that those answer first.
  packageRoutes(app, { data });

  app.onError((error, c) => {
    if (error instanceof SalesforceApiError) return c.json(error.toBody(), error.status as 400);
    return c.json([{ message: error.message, errorCode: 'UNKNOWN_EXCEPTION' }], 500);
  });
  return app;
}

/**
 * How a REST write is reported to change data capture: changeOrigin names the API and its
 * version, and the client id when the caller set one in Sforce-Call-Options (Change Data
 * Capture Developer Guide, ChangeEventHeader Fields: com/salesforce/api/rest/66.0;client=…).
 */
function writeOptions(c: Context<Env>): WriteOptions {
  const client = /(?:^|[,\s])client=([^,\s]+)/.exec(c.req.header('sforce-call-options') ?? '')?.[1];
  return {
    changeOrigin: `com/salesforce/api/rest/${c.get('version')}${client === undefined ? '' : `;client=${client}`}`,
  };
}

async function eventBody(c: Context<Env>): Promise<EventInput> {
  const body: unknown = await c.req.json().catch(() => undefined);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new SalesforceApiError(400, 'JSON_PARSER_ERROR', 'the body must be a JSON object of Event fields');
  }
  return body as EventInput;
}

/** Sforce-Query-Options batchSize: 200 to 2,000 records a page (default 2,000). */
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
