// The bench's stand-in for the tools admins use today, so `npm run bench -- baseline` can put
// numbers side by side: every change the org reports is queued, and once per sync interval (the
// admin guide's default, 5 minutes) the queue is worked through with one Salesforce read and one mailbox
// call per change — no coalescing, no batched reads, no payloads used. It learns changes from the
// same CDC stream (through the real salesforce-pubsub-api-client) and writes items the same way
// (Graph events stamped with the Salesforce id), so the harness measures it exactly like the service.
// It is a yardstick, not a product: it keeps its item ids in memory and never retries.
//   node bench/baseline-sync.ts '<json settings>'   (see BaselineSettings)
import { readFileSync } from 'node:fs';
import PubSubApiClient from 'salesforce-pubsub-api-client';
import { createOutboundFetch } from '../src/lib/outbound-fetch.ts';
import { salesforceIdProperty } from '../src/providers/graph/to-graph-event.ts';
import { sandboxOrgSession } from '../test/support/sandbox-org-session.ts';
import type { SystemEndpoints } from '../test/support/system-processes.ts';

export interface BaselineSettings {
  intervalMs: number;
  /** Changes worked on at once (each Event's changes stay in order). */
  concurrency: number;
  caFile: string;
  salesforce: SystemEndpoints['salesforce'] & { apiVersion: string };
  graph: NonNullable<SystemEndpoints['graph']>;
}

interface QueuedChange {
  eventId: string;
  changeType: string;
}

const settings = JSON.parse(process.argv[2] ?? '{}') as BaselineSettings;
const fetchImpl = createOutboundFetch({ extraCaPem: readFileSync(settings.caFile, 'utf8') });

async function json<T>(response: Response, what: string): Promise<T> {
  if (!response.ok) throw new Error(`${what}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function graphToken(): Promise<string> {
  const g = settings.graph;
  const token = await json<{ access_token: string }>(
    await fetchImpl(`${g.url}/${g.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: g.clientId,
        client_secret: g.clientSecret,
        scope: 'https://graph.microsoft.com/.default',
      }).toString(),
    }),
    'Graph token',
  );
  return token.access_token;
}

const session = await sandboxOrgSession(
  { ...settings.salesforce, loginUrl: settings.salesforce.url },
  fetchImpl,
);
let graphBearer = await graphToken();
const itemIds = new Map<string, { mailbox: string; itemId: string }>();
let queue: QueuedChange[] = [];
let synced = 0;
let failed = 0;

/** One change: read the Event (deleted rows included), then one Graph call. */
async function syncChange(change: QueuedChange): Promise<void> {
  const soql = `SELECT Id, Subject, StartDateTime, EndDateTime, IsDeleted, Owner.Email FROM Event WHERE Id = '${change.eventId}'`;
  const result = await json<{ records: Record<string, unknown>[] }>(
    await fetchImpl(
      `${session.instanceUrl}/services/data/v${settings.salesforce.apiVersion}/queryAll?q=${encodeURIComponent(soql)}`,
      { headers: { authorization: `Bearer ${session.accessToken}` } },
    ),
    'read',
  );
  const record = result.records[0];
  const known = itemIds.get(change.eventId);
  const graph = (method: string, path: string, body?: unknown) =>
    fetchImpl(`${settings.graph.url}/v1.0${path}`, {
      method,
      headers: { authorization: `Bearer ${graphBearer}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  if (record === undefined || record['IsDeleted'] === true) {
    if (known === undefined) return;
    const response = await graph(
      'DELETE',
      `/users/${encodeURIComponent(known.mailbox)}/events/${encodeURIComponent(known.itemId)}`,
    );
    if (!response.ok && response.status !== 404) throw new Error(`delete: ${response.status}`);
    itemIds.delete(change.eventId);
    return;
  }
  const mailbox = String((record['Owner'] as { Email?: string } | null)?.Email ?? '');
  const utc = (value: unknown) => ({
    dateTime: new Date(String(value).replace(/\+0000$/, 'Z')).toISOString().slice(0, 19),
    timeZone: 'UTC',
  });
  const item = {
    subject: typeof record['Subject'] === 'string' ? record['Subject'] : '',
    start: utc(record['StartDateTime']),
    end: utc(record['EndDateTime']),
  };
  if (known === undefined) {
    const created = await json<{ id: string }>(
      await graph('POST', `/users/${encodeURIComponent(mailbox)}/events`, {
        ...item,
        singleValueExtendedProperties: [{ id: salesforceIdProperty, value: change.eventId }],
      }),
      'create',
    );
    itemIds.set(change.eventId, { mailbox, itemId: created.id });
    return;
  }
  await json(
    await graph(
      'PATCH',
      `/users/${encodeURIComponent(known.mailbox)}/events/${encodeURIComponent(known.itemId)}`,
      item,
    ),
    'update',
  );
}

/** Works through what was queued, `concurrency` Events at a time, each Event's changes in order. */
async function sweep(): Promise<void> {
  const due = queue;
  queue = [];
  if (due.length === 0) return;
  graphBearer = await graphToken();
  const byEvent = new Map<string, QueuedChange[]>();
  for (const change of due) byEvent.set(change.eventId, [...(byEvent.get(change.eventId) ?? []), change]);
  const lanes = [...byEvent.values()];
  const started = Date.now();
  await Promise.all(
    Array.from({ length: settings.concurrency }, async () => {
      for (let lane = lanes.shift(); lane !== undefined; lane = lanes.shift())
        for (const change of lane) {
          try {
            await syncChange(change);
            synced++;
          } catch (error) {
            failed++;
            console.error(`could not sync ${change.eventId}: ${(error as Error).message}`);
          }
        }
    }),
  );
  console.log(
    `sweep: ${due.length} changes in ${Date.now() - started} ms (${synced} synced, ${failed} failed)`,
  );
}

const quiet = { debug: () => undefined, info: () => undefined, warn: console.warn, error: console.error };
const client = new PubSubApiClient(
  {
    authType: 'user-supplied',
    accessToken: session.accessToken,
    instanceUrl: session.instanceUrl,
    organizationId: session.orgId,
    pubSubEndpoint: settings.salesforce.pubSubEndpoint,
    // The sandbox org's certificate comes from the bench's own local CA.
    rejectUnauthorizedSsl: false,
  },
  quiet,
);
await client.connect();
// From the earliest event the org keeps (the bench's org is new): nothing made while the
// subscription opens is missed.
client.subscribeFromEarliestEvent(
  '/data/EventChangeEvent',
  (_subscription: unknown, type: string, data: unknown) => {
    if (type !== 'event') return;
    const header = (data as { payload: { ChangeEventHeader: { changeType: string; recordIds: string[] } } })
      .payload.ChangeEventHeader;
    for (const eventId of header.recordIds) queue.push({ eventId, changeType: header.changeType });
  },
  null,
);

let sweeping = Promise.resolve();
const timer = setInterval(() => {
  sweeping = sweeping.then(sweep);
}, settings.intervalMs);
const stop = () => {
  clearInterval(timer);
  client.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
console.log(`baseline sync started: a sweep every ${settings.intervalMs} ms`);
