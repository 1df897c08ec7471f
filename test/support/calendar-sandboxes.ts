// The calendar side of the whole system run as processes (system-processes.ts): a provider's
// sandbox started from its launcher, set up through its control API, and read back for the
// end-to-end audits and the bench in the same words whatever the provider — Microsoft Graph or
// Google Calendar. Each driver knows its sandbox's control API and wire shapes; nothing else does.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GoogleTokenSource } from '../../src/providers/google/google-token-source.ts';
import { GraphTokenSource } from '../../src/providers/graph/graph-token-source.ts';
import { salesforceIdProperty } from '../../src/providers/graph/to-graph-event.ts';
import { startCliProcess } from './cli-process.ts';
import type { ChildProcess } from 'node:child_process';

export type CalendarKind = 'graph' | 'google';

export interface MailboxItem {
  itemId: string;
  salesforceId: string | undefined;
  subject: string;
  start: string;
  /** When the sandbox stored the item, and last changed it (ISO). */
  createdAt: string;
  modifiedAt: string;
}

export interface CalendarFaults {
  failureRate: number;
  kinds: string[];
  afterCommit: boolean;
  hangMs?: number;
}

/** A calendar sandbox as the system's tests and bench see it. */
export interface CalendarSandbox {
  kind: CalendarKind;
  url: string;
  /** The arguments of `instant-sync provider set <slug> <kind> …` that point the service at this sandbox. */
  providerSetArgs: string[];
  addMailbox(address: string): Promise<void>;
  /** The live items of a mailbox (cancelled ones left out). */
  items(address: string): Promise<MailboxItem[]>;
  /** One item as the provider's API reads it (start as an ISO instant). */
  item(address: string, itemId: string): Promise<{ start: string; subject: string }>;
  /** The occurrences of a series item (the provider's own instances list), starts as ISO instants. */
  instances(address: string, itemId: string): Promise<{ start: string; subject: string }[]>;
  faults(faults: CalendarFaults): Promise<void>;
  stats(): Promise<{ requests: number; throttled: number; faults: number; tokenRequests: number }>;
  /** When mailboxes were next changed after `after` (epoch ms; the first time only). */
  writesAfter(after: number): Promise<number[]>;
  /** Every fault injected so far, with the stamps (Salesforce ids) of the items concerned. */
  faultLog(): Promise<{ at: number; kind: string; afterCommit: boolean; itemStamps: string[] }[]>;
}

export interface StartedCalendarSandbox {
  sandbox: CalendarSandbox;
  child: ChildProcess;
  exited: Promise<unknown>;
}

type Call = <T>(base: string, method: string, path: string, body?: unknown) => Promise<T>;

const launchers: Record<CalendarKind, string> = {
  graph: fileURLToPath(new URL('../../sandbox/graph/main.ts', import.meta.url)),
  google: fileURLToPath(new URL('../../sandbox/google/main.ts', import.meta.url)),
};

export async function startCalendarSandbox(
  kind: CalendarKind,
  options: { cwd: string; latencyMs: number; call: Call; fetchImpl: typeof fetch },
): Promise<StartedCalendarSandbox> {
  const started = await startCliProcess(['--latency-ms', String(options.latencyMs)], {
    cwd: options.cwd,
    script: launchers[kind],
    ready: /listening on (\S+)/,
    timeoutMs: 30_000,
  });
  const url = started.match[1] ?? '';
  const sandbox =
    kind === 'graph'
      ? await graphSandbox(url, options.cwd, options.call, options.fetchImpl)
      : await googleSandbox(url, options.cwd, options.call, options.fetchImpl);
  return { sandbox, child: started.child, exited: started.exited };
}

async function graphSandbox(
  url: string,
  cwd: string,
  call: Call,
  fetchImpl: typeof fetch,
): Promise<CalendarSandbox> {
  await call(url, 'POST', '/__sandbox/apps', {
    tenantId: 'contoso',
    clientId: 'sync-app',
    clientSecret: 'graph-secret',
  });
  const secretFile = join(cwd, 'graph-secret.txt');
  writeFileSync(secretFile, 'graph-secret\n', { mode: 0o600 });
  const tokens = new GraphTokenSource(
    {
      directoryTenantId: 'contoso',
      clientId: 'sync-app',
      clientSecret: 'graph-secret',
      loginBaseUrl: url,
      graphBaseUrl: url,
    },
    fetchImpl,
  );
  const read = async <T>(path: string): Promise<T> => {
    const response = await fetchImpl(`${url}/v1.0${path}`, {
      headers: { authorization: `Bearer ${await tokens.token()}` },
    });
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const events = (address: string) => `/users/${encodeURIComponent(address)}/events`;
  return {
    kind: 'graph',
    url,
    providerSetArgs: [
      '--directory-tenant-id',
      'contoso',
      '--client-id',
      'sync-app',
      '--client-secret-file',
      secretFile,
      '--graph-url',
      url,
      '--login-url',
      url,
    ],
    addMailbox: (address) => call(url, 'POST', '/__sandbox/mailboxes', { address }),
    items: async (address) =>
      (
        await call<Record<string, unknown>[]>(
          url,
          'GET',
          `/__sandbox/mailboxes/${encodeURIComponent(address)}/events`,
        )
      ).map((event) => ({
        itemId: String(event['id']),
        subject: String(event['subject']),
        createdAt: String(event['createdDateTime']),
        modifiedAt: String(event['lastModifiedDateTime']),
        start: String((event['start'] as { dateTime?: string } | undefined)?.dateTime),
        salesforceId: (
          event['singleValueExtendedProperties'] as { id: string; value: string }[] | undefined
        )?.find((p) => p.id === salesforceIdProperty)?.value,
      })),
    item: async (address, itemId) => {
      const found = await read<{ start: { dateTime: string }; subject: string }>(
        `${events(address)}/${encodeURIComponent(itemId)}?$select=start,subject`,
      );
      return { start: `${found.start.dateTime.slice(0, 19)}Z`, subject: found.subject };
    },
    instances: async (address, itemId) => {
      const found: { start: string; subject: string }[] = [];
      let path: string | undefined =
        `${events(address)}/${encodeURIComponent(itemId)}/instances` +
        '?startDateTime=2020-01-01T00:00:00Z&endDateTime=2040-01-01T00:00:00Z&$top=1000';
      while (path !== undefined) {
        const page: {
          '@odata.nextLink'?: string;
          value: { start: { dateTime: string }; subject: string }[];
        } = await read(path);
        for (const instance of page.value)
          found.push({ start: `${instance.start.dateTime.slice(0, 19)}Z`, subject: instance.subject });
        path = page['@odata.nextLink']?.replace(`${url}/v1.0`, '');
      }
      return found;
    },
    faults: (faults) => call(url, 'POST', '/__sandbox/faults', faults),
    stats: () => call(url, 'GET', '/__sandbox/stats'),
    faultLog: () => call(url, 'GET', '/__sandbox/faults/log'),
    writesAfter: (after) => call(url, 'GET', `/__sandbox/writes?after=${after}&limit=1`),
  };
}

interface GoogleTime {
  date?: string;
  dateTime?: string;
}

/** An instant as the audits compare them (YYYY-MM-DDTHH:mm:ssZ); an all-day date as its midnight UTC. */
function googleInstant(time: GoogleTime): string {
  const ms = time.date === undefined ? Date.parse(time.dateTime ?? '') : Date.parse(`${time.date}T00:00:00Z`);
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

async function googleSandbox(
  url: string,
  cwd: string,
  call: Call,
  fetchImpl: typeof fetch,
): Promise<CalendarSandbox> {
  // As a Workspace admin does: a service account, its JSON key, and its client id delegated the scope.
  const key = await call<{
    client_id: string;
    client_email: string;
    private_key: string;
    private_key_id: string;
    token_uri: string;
  }>(url, 'POST', '/__sandbox/service-accounts', {
    clientEmail: 'instant-sync@acme-sync.iam.gserviceaccount.com',
    projectId: 'acme-sync',
  });
  await call(url, 'POST', '/__sandbox/delegations', {
    clientId: key.client_id,
    scopes: ['https://www.googleapis.com/auth/calendar.events'],
  });
  const keyFile = join(cwd, 'google-service-account.json');
  writeFileSync(keyFile, JSON.stringify(key), { mode: 0o600 });
  const tokens = new GoogleTokenSource(
    {
      serviceAccountEmail: key.client_email,
      privateKeyPem: key.private_key,
      privateKeyId: key.private_key_id,
      tokenUrl: key.token_uri,
    },
    fetchImpl,
  );
  const read = async <T>(address: string, path: string): Promise<T> => {
    const response = await fetchImpl(`${url}/calendar/v3/calendars/primary/events${path}`, {
      headers: { authorization: `Bearer ${await tokens.token(address)}` },
    });
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  return {
    kind: 'google',
    url,
    providerSetArgs: ['--service-account-file', keyFile, '--calendar-url', url],
    addMailbox: (address) => call(url, 'POST', '/__sandbox/users', { email: address }),
    // Live events; occurrences changed on their own belong to their series, not items of their own.
    items: async (address) =>
      (
        await call<Record<string, unknown>[]>(
          url,
          'GET',
          `/__sandbox/users/${encodeURIComponent(address)}/events`,
        )
      )
        .filter((event) => event['status'] !== 'cancelled' && event['recurringEventId'] === undefined)
        .map((event) => ({
          itemId: String(event['id']),
          subject: String((event['summary'] as string | undefined) ?? ''),
          createdAt: String(event['created']),
          modifiedAt: String(event['updated']),
          start: googleInstant(event['start'] as GoogleTime),
          salesforceId: (event['extendedProperties'] as { private?: Record<string, string> } | undefined)
            ?.private?.['salesforceEventId'],
        })),
    item: async (address, itemId) => {
      const found = await read<{ start: GoogleTime; summary?: string }>(
        address,
        `/${encodeURIComponent(itemId)}`,
      );
      return { start: googleInstant(found.start), subject: found.summary ?? '' };
    },
    instances: async (address, itemId) => {
      const found: { start: string; subject: string }[] = [];
      let pageToken: string | undefined;
      do {
        const query = new URLSearchParams({
          timeMin: '2020-01-01T00:00:00Z',
          timeMax: '2040-01-01T00:00:00Z',
          maxResults: '2500',
          ...(pageToken === undefined ? {} : { pageToken }),
        });
        const page = await read<{ items: { start: GoogleTime; summary?: string }[]; nextPageToken?: string }>(
          address,
          `/${encodeURIComponent(itemId)}/instances?${query.toString()}`,
        );
        for (const instance of page.items)
          found.push({ start: googleInstant(instance.start), subject: instance.summary ?? '' });
        pageToken = page.nextPageToken;
      } while (pageToken !== undefined);
      return found;
    },
    faults: (faults) => call(url, 'POST', '/__sandbox/faults', faults),
    stats: () => call(url, 'GET', '/__sandbox/stats'),
    faultLog: () => call(url, 'GET', '/__sandbox/faults/log'),
    writesAfter: (after) => call(url, 'GET', `/__sandbox/writes?after=${after}&limit=1`),
  };
}
