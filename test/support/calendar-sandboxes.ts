// The calendar side of the whole system run as processes (system-processes.ts): a provider's
// sandbox started from its launcher, set up through its control API, and read back for the
// end-to-end audits and the bench in the same words whatever the provider — Microsoft Graph,
// Google Calendar or Exchange Server over EWS. Each driver knows its sandbox's control API and wire
// shapes; nothing else does.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findIana } from 'windows-iana';
import { localDate } from '../../src/domain/time-zones.ts';
import { envelope } from '../../src/providers/ews/ews-requests.ts';
import { EwsTransport } from '../../src/providers/ews/ews-transport.ts';
import {
  attribute,
  child,
  children,
  escapeXmlAttribute,
  parseXml,
  text,
  type XmlNode,
} from '../../src/providers/ews/ews-xml.ts';
import { salesforceIdPropertySet } from '../../src/providers/ews/to-ews-item.ts';
import { GoogleTokenSource } from '../../src/providers/google/google-token-source.ts';
import { GraphTokenSource } from '../../src/providers/graph/graph-token-source.ts';
import { salesforceIdProperty } from '../../src/providers/graph/to-graph-event.ts';
import { startCliProcess } from './cli-process.ts';
import type { ChildProcess } from 'node:child_process';

export type CalendarKind = 'graph' | 'google' | 'ews';

/** A sandbox's counters: calls served (a batch's each counted), HTTP requests (a batch is one), 429s, injected faults, sign-ins. */
export interface CalendarStats {
  requests: number;
  httpRequests: number;
  throttled: number;
  faults: number;
  tokenRequests: number;
}

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
  stats(): Promise<CalendarStats>;
  /** When mailboxes were next changed after `after` (epoch ms; the first time only). */
  writesAfter(after: number): Promise<number[]>;
  /** Every fault injected so far, with the stamps (Salesforce ids) of the items concerned. */
  faultLog(): Promise<{ at: number; kind: string; afterCommit: boolean; itemStamps: string[] }[]>;
}

/**
 * The calendars as the audits, the end-to-end cases and the bench read them, mailbox by mailbox:
 * one sandbox, or a hybrid tenant's several, each address read where its owner's provider keeps it
 * (routedCalendars).
 */
export interface Calendars {
  /** The kind of provider whose sandbox holds this mailbox's items. */
  kindOf(address: string): CalendarKind;
  /** The live items of a mailbox (cancelled ones left out), in its provider's sandbox. */
  items(address: string): Promise<MailboxItem[]>;
  /** One item as the provider's API reads it (start as an ISO instant). */
  item(address: string, itemId: string): Promise<{ start: string; subject: string }>;
  /** The occurrences of a series item (the provider's own instances list), starts as ISO instants. */
  instances(address: string, itemId: string): Promise<{ start: string; subject: string }[]>;
  /**
   * Items of this address in the sandboxes of the other providers, where none may be (a write sent
   * through the wrong provider). Always none with one sandbox.
   */
  strays(address: string): Promise<{ sandbox: string; item: MailboxItem }[]>;
  /** Injects the same faults into every sandbox (each in its own provider's words). */
  faults(faults: CalendarFaults): Promise<void>;
  /** Every sandbox's figures, added up. */
  stats(): Promise<CalendarStats>;
  /** When a mailbox of any sandbox was next changed after `after` (epoch ms; the first time only). */
  writesAfter(after: number): Promise<number[]>;
  /** Every fault injected so far in any sandbox, in the order they happened. */
  faultLog(): Promise<{ at: number; kind: string; afterCommit: boolean; itemStamps: string[] }[]>;
}

/** A tenant's provider as the system runs it: its name in the tenant and the sandbox it writes to. */
export interface RoutedSandbox {
  name: string;
  sandbox: CalendarSandbox;
}

/**
 * The calendars of a tenant whose mailboxes go through `providers` (the first is its default):
 * `providerOf` names the provider of each address an admin assigned to another one; any other
 * address is the default's. With one provider this reads that sandbox as it is.
 */
export function routedCalendars(
  providers: readonly RoutedSandbox[],
  providerOf: ReadonlyMap<string, string>,
): Calendars {
  const [fallback] = providers;
  if (fallback === undefined) throw new Error('a tenant needs at least one provider');
  const byName = new Map(providers.map((p) => [p.name, p]));
  const route = (address: string): RoutedSandbox => {
    const name = providerOf.get(address.toLowerCase());
    if (name === undefined) return fallback;
    const found = byName.get(name);
    if (found === undefined) throw new Error(`${address} is assigned to ${name}, which is not a provider`);
    return found;
  };
  const sandboxes = providers.map((p) => p.sandbox);
  return {
    kindOf: (address) => route(address).sandbox.kind,
    items: (address) => route(address).sandbox.items(address),
    item: (address, itemId) => route(address).sandbox.item(address, itemId),
    instances: (address, itemId) => route(address).sandbox.instances(address, itemId),
    strays: async (address) => {
      const own = route(address);
      const others = providers.filter((p) => p !== own);
      return (
        await Promise.all(
          others.map(async (p) =>
            (await p.sandbox.items(address)).map((item) => ({
              sandbox: `${p.sandbox.kind} sandbox of the provider ${p.name}`,
              item,
            })),
          ),
        )
      ).flat();
    },
    faults: async (faults) => {
      await Promise.all(sandboxes.map((s) => s.faults(faults)));
    },
    stats: async () => {
      const total = { requests: 0, httpRequests: 0, throttled: 0, faults: 0, tokenRequests: 0 };
      for (const stats of await Promise.all(sandboxes.map((s) => s.stats())))
        for (const key of Object.keys(total) as (keyof typeof total)[]) total[key] += stats[key];
      return total;
    },
    writesAfter: async (after) =>
      (await Promise.all(sandboxes.map((s) => s.writesAfter(after))))
        .flat()
        .sort((a, b) => a - b)
        .slice(0, 1),
    faultLog: async () =>
      (await Promise.all(sandboxes.map((s) => s.faultLog()))).flat().sort((a, b) => a.at - b.at),
  };
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
  ews: fileURLToPath(new URL('../../sandbox/ews/main.ts', import.meta.url)),
};

export async function startCalendarSandbox(
  kind: CalendarKind,
  options: { cwd: string; latencyMs: number; call: Call; fetchImpl: typeof fetch },
): Promise<StartedCalendarSandbox> {
  const started = await startCliProcess(['--latency-ms', String(options.latencyMs)], {
    cwd: options.cwd,
    script: launchers[kind],
    // Both lines the launcher prints: where it listens, and the CA its certificate comes from.
    ready: /listening on (\S+)\s+TLS CA certificate: (\S+);/,
    timeoutMs: 30_000,
  });
  const url = started.match[1] ?? '';
  const caFile = started.match[2] ?? '';
  const sandbox =
    kind === 'graph'
      ? await graphSandbox(url, options.cwd, options.call, options.fetchImpl)
      : kind === 'google'
        ? await googleSandbox(url, options.cwd, options.call, options.fetchImpl)
        : await ewsSandbox(url, options.cwd, options.call, caFile);
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
    stats: async () => {
      const stats = await call<{
        requests: number;
        throttled: number;
        faults: number;
        tokenRequests: number;
      }>(url, 'GET', '/__sandbox/stats');
      // The service sends Google no batches: every call is one HTTP request.
      return { ...stats, httpRequests: stats.requests };
    },
    faultLog: () => call(url, 'GET', '/__sandbox/faults/log'),
    writesAfter: (after) => call(url, 'GET', `/__sandbox/writes?after=${after}&limit=1`),
  };
}

/** An EWS time (UTC) as the audits compare them; an all-day item's as its date's midnight UTC (in its Windows zone). */
function ewsInstant(start: string, allDay: boolean, windowsZone: string | undefined): string {
  const ms = Date.parse(start);
  if (!allDay) return `${new Date(ms).toISOString().slice(0, 19)}Z`;
  return `${localDate(ms, findIana(windowsZone ?? 'UTC')[0] ?? 'UTC')}T00:00:00Z`;
}

const twoYearsMs = 2 * 365 * 24 * 3600_000;
const dayMs = 24 * 3600_000;

async function ewsSandbox(url: string, cwd: string, call: Call, caFile: string): Promise<CalendarSandbox> {
  // As an Exchange admin does: a service account, and the ApplicationImpersonation role for it.
  const account = { username: 'CONTOSO\\svc-instant-sync', password: 'ews-secret' };
  await call(url, 'POST', '/__sandbox/accounts', account);
  await call(url, 'POST', '/__sandbox/impersonation', { username: account.username });
  const passwordFile = join(cwd, 'ews-password.txt');
  writeFileSync(passwordFile, `${account.password}\n`, { mode: 0o600 });
  const ewsUrl = `${url}/EWS/Exchange.asmx`;
  // Reads go through EWS itself, as the service account impersonating the owner (NTLM).
  const transport = new EwsTransport({
    url: ewsUrl,
    ...account,
    auth: 'ntlm',
    extraCaPem: readFileSync(caFile, 'utf8'),
    maxConnections: 4,
  });
  /** The one response message of an operation as `address`, or an error with Exchange's words. */
  const soap = async (address: string, operation: string, body: string): Promise<XmlNode> => {
    const answer = await transport.post(envelope(body, address), {
      anchorMailbox: address,
      signal: AbortSignal.timeout(30_000),
    });
    const message = child(
      child(
        child(child(child(parseXml(answer.body), 'Envelope'), 'Body'), `${operation}Response`),
        'ResponseMessages',
      ),
      `${operation}ResponseMessage`,
    );
    if (answer.status !== 200 || message === undefined || attribute(message, 'ResponseClass') !== 'Success')
      throw new Error(
        `${operation} as ${address}: ${answer.status} ${text(message, 'ResponseCode') ?? ''} ${text(message, 'MessageText') ?? answer.body.slice(0, 500)}`,
      );
    return message;
  };
  const getItem = (address: string, itemId: string, fields: string[]) =>
    soap(
      address,
      'GetItem',
      '<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>' +
        fields.map((f) => `<t:FieldURI FieldURI="${f}"/>`).join('') +
        `</t:AdditionalProperties></m:ItemShape><m:ItemIds><t:ItemId Id="${escapeXmlAttribute(itemId)}"/></m:ItemIds></m:GetItem>`,
    ).then((message) => child(child(message, 'Items'), 'CalendarItem'));
  // Exchange refuses a CalendarView over two years: a series' range is read in windows.
  const calendarView = async (address: string, fromMs: number, toMs: number): Promise<XmlNode[]> => {
    // An item across two windows' edge is in both: one entry per ItemId.
    const found = new Map<string, XmlNode>();
    for (let from = fromMs; from < toMs; from += twoYearsMs - dayMs) {
      const to = Math.min(toMs, from + twoYearsMs - dayMs);
      const message = await soap(
        address,
        'FindItem',
        '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>' +
          '<t:FieldURI FieldURI="item:Subject"/><t:FieldURI FieldURI="calendar:Start"/>' +
          '<t:FieldURI FieldURI="calendar:IsAllDayEvent"/><t:FieldURI FieldURI="calendar:UID"/>' +
          '<t:FieldURI FieldURI="calendar:CalendarItemType"/><t:FieldURI FieldURI="calendar:StartTimeZoneId"/>' +
          '</t:AdditionalProperties></m:ItemShape>' +
          `<m:CalendarView StartDate="${new Date(from).toISOString()}" EndDate="${new Date(to).toISOString()}"/>` +
          '<m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds></m:FindItem>',
      );
      const folder = child(message, 'RootFolder');
      if (attribute(folder, 'IncludesLastItemInRange') === 'false')
        throw new Error(`the calendar view of ${address} is cut short: read it in shorter windows`);
      for (const item of children(child(folder, 'Items'), 'CalendarItem'))
        found.set(attribute(child(item, 'ItemId'), 'Id') ?? '', item);
    }
    return [...found.values()];
  };
  const shown = (item: XmlNode | undefined) => ({
    start: ewsInstant(
      text(item, 'Start') ?? '',
      text(item, 'IsAllDayEvent') === 'true',
      text(item, 'StartTimeZoneId'),
    ),
    subject: text(item, 'Subject') ?? '',
  });
  // What the engine's fault plans call them, in Exchange's words: throttling is ErrorServerBusy.
  const faultKinds: Record<string, string> = {
    '500': '500',
    '503': '503',
    '504': '503',
    '429': 'server-busy',
    reset: 'reset',
    timeout: 'timeout',
  };
  return {
    kind: 'ews',
    url,
    providerSetArgs: [
      '--url',
      ewsUrl,
      '--username',
      account.username,
      '--password-file',
      passwordFile,
      '--auth',
      'ntlm',
    ],
    addMailbox: (address) => call(url, 'POST', '/__sandbox/mailboxes', { address }),
    // Items deleted (moved to Deleted Items) are gone from the calendar; occurrences belong to their series.
    items: async (address) =>
      (
        await call<Record<string, unknown>[]>(
          url,
          'GET',
          `/__sandbox/mailboxes/${encodeURIComponent(address)}/items`,
        )
      ).map((item) => ({
        itemId: String(item['ItemId']),
        subject: String((item['Subject'] as string | null) ?? ''),
        createdAt: String(item['DateTimeCreated']),
        modifiedAt: String(item['LastModifiedTime']),
        start: ewsInstant(
          String(item['Start']),
          item['IsAllDayEvent'] === true,
          String(item['StartTimeZoneId']),
        ),
        salesforceId: (
          item['ExtendedProperties'] as { PropertySetId?: string; PropertyName?: string; Value?: string }[]
        ).find(
          (p) =>
            p.PropertySetId?.toLowerCase() === salesforceIdPropertySet &&
            p.PropertyName === 'SalesforceEventId',
        )?.Value,
      })),
    item: async (address, itemId) =>
      shown(
        await getItem(address, itemId, [
          'item:Subject',
          'calendar:Start',
          'calendar:IsAllDayEvent',
          'calendar:StartTimeZoneId',
        ]),
      ),
    // The series' occurrences as Outlook shows the calendar: a CalendarView over the series' span,
    // the occurrences and exceptions that carry the series' UID.
    instances: async (address, itemId) => {
      const master = await getItem(address, itemId, [
        'calendar:UID',
        'calendar:Start',
        'calendar:FirstOccurrence',
        'calendar:LastOccurrence',
      ]);
      const uid = text(master, 'UID');
      const first = Date.parse(
        text(child(master, 'FirstOccurrence'), 'Start') ?? text(master, 'Start') ?? '',
      );
      const last = Date.parse(text(child(master, 'LastOccurrence'), 'End') ?? '');
      // An occurrence moves at most to its neighbours' days; a month either side holds every one.
      const from = first - 31 * dayMs;
      const to = (Number.isNaN(last) ? first + twoYearsMs : last) + 31 * dayMs;
      return (await calendarView(address, from, to))
        .filter((item) => text(item, 'UID') === uid && text(item, 'CalendarItemType') !== 'Single')
        .map(shown)
        .sort((a, b) => a.start.localeCompare(b.start));
    },
    faults: (faults) => {
      const kinds = faults.kinds.map((kind) => {
        const ews = faultKinds[kind];
        if (ews === undefined) throw new Error(`the EWS sandbox has no fault like ${kind}`);
        return ews;
      });
      return call(url, 'POST', '/__sandbox/faults', { ...faults, kinds: [...new Set(kinds)] });
    },
    stats: async () => {
      const stats = await call<{
        requests: number;
        throttled: number;
        faults: number;
        authHandshakes: number;
      }>(url, 'GET', '/__sandbox/stats');
      // EWS has no tokens: the service account signs in once per connection (NTLM handshakes).
      // Every call is one SOAP request (the service sends no batches).
      return { ...stats, httpRequests: stats.requests, tokenRequests: stats.authHandshakes };
    },
    faultLog: () => call(url, 'GET', '/__sandbox/faults/log'),
    writesAfter: (after) => call(url, 'GET', `/__sandbox/writes?after=${after}&limit=1`),
  };
}
