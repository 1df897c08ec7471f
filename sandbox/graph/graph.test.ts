// The Graph sandbox as a client meets it: MSAL's client credentials grant, the events API with
// Graph's validation, transactionId de-duplication, the extended-property filter, $batch, and
// throttling by mailbox concurrency and by requests per 10 minutes; the time zones Graph takes,
// through Microsoft's own Graph client.
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { ConfidentialClientApplication, type INetworkModule, type NetworkResponse } from '@azure/msal-node';
import { Agent, fetch as undiciFetch } from 'undici';
import { Client } from '@microsoft/microsoft-graph-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGraphSandbox, type GraphSandbox } from './index.ts';

const property = 'String {66f5a359-4659-4830-9070-00047ec6ac6e} Name SalesforceEventId';

describe('Graph sandbox', () => {
  let graph: GraphSandbox;
  let token: string;
  let dispatcher: Agent;

  beforeAll(async () => {
    graph = await startGraphSandbox({ requestsPer10Minutes: 40 });
    graph.addApp({ tenantId: 'contoso', clientId: 'app', clientSecret: 'secret' });
    for (const address of ['rep@acme.example', 'busy@acme.example', 'limited@acme.example'])
      graph.addMailbox(address);
    dispatcher = new Agent({ connect: { ca: [...rootCertificates, readFileSync(graph.caFile, 'utf8')] } });
    token = await acquire('secret');
  });
  afterAll(async () => {
    await graph.close();
    await dispatcher.close();
  });

  async function acquire(secret: string): Promise<string> {
    const send = async (
      url: string,
      init: { method: string; headers?: Record<string, string>; body?: string },
    ) => {
      const response = await undiciFetch(url, { ...init, dispatcher });
      return {
        headers: Object.fromEntries(response.headers),
        body: await response.json(),
        status: response.status,
      };
    };
    const networkClient: INetworkModule = {
      sendGetRequestAsync: <T>(url: string, options?: { headers?: Record<string, string> }) =>
        send(url, {
          method: 'GET',
          ...(options?.headers === undefined ? {} : { headers: options.headers }),
        }) as Promise<NetworkResponse<T>>,
      sendPostRequestAsync: <T>(url: string, options?: { headers?: Record<string, string>; body?: string }) =>
        send(url, {
          method: 'POST',
          ...(options?.headers === undefined ? {} : { headers: options.headers }),
          ...(options?.body === undefined ? {} : { body: options.body }),
        }) as Promise<NetworkResponse<T>>,
    };
    const msal = new ConfidentialClientApplication({
      auth: {
        clientId: 'app',
        clientSecret: secret,
        authority: `${graph.url}/contoso`,
        knownAuthorities: [new URL(graph.url).host],
      },
      system: { networkClient },
    });
    const result = await msal.acquireTokenByClientCredential({ scopes: [`${graph.url}/.default`] });
    return result?.accessToken ?? '';
  }

  const call = (method: string, path: string, body?: unknown, bearer = token) =>
    undiciFetch(`${graph.url}/v1.0${path}`, {
      method,
      dispatcher,
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const event = (overrides: Record<string, unknown> = {}) => ({
    subject: 'Pipeline review',
    start: { dateTime: '2026-11-25T09:00:00', timeZone: 'Europe/Berlin' },
    end: { dateTime: '2026-11-25T10:00:00', timeZone: 'Europe/Berlin' },
    ...overrides,
  });

  it('grants app-only tokens to MSAL, and refuses a wrong secret', async () => {
    expect(token).not.toBe('');
    await expect(acquire('wrong')).rejects.toThrow(/invalid_client|7000215/);
    expect((await call('GET', '/users/rep@acme.example/events', undefined, 'nope')).status).toBe(401);
  });

  it('creates, reads, updates and deletes events, stamped with an extended property it can be found by', async () => {
    const created = await call(
      'POST',
      '/users/rep@acme.example/events',
      event({ singleValueExtendedProperties: [{ id: property, value: '00U1' }] }),
    );
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect(
      await (await call('PATCH', `/users/rep@acme.example/events/${id}`, { subject: 'Moved' })).json(),
    ).toMatchObject({ subject: 'Moved' });
    const filter = encodeURIComponent(
      `singleValueExtendedProperties/Any(ep: ep/id eq '${property}' and ep/value eq '00U1')`,
    );
    const found = (await (await call('GET', `/users/rep@acme.example/events?$filter=${filter}`)).json()) as {
      value: { id: string }[];
    };
    expect(found.value.map((e) => e.id)).toEqual([id]);
    expect((await call('DELETE', `/users/rep@acme.example/events/${id}`)).status).toBe(204);
    expect((await call('GET', `/users/rep@acme.example/events/${id}`)).status).toBe(404);
    expect((await call('GET', '/users/nobody@acme.example/events')).status).toBe(404);
  });

  it('returns the first event for a create retried with the same transactionId', async () => {
    const first = (await (
      await call('POST', '/users/rep@acme.example/events', event({ transactionId: 'tx-42' }))
    ).json()) as { id: string };
    const retry = (await (
      await call('POST', '/users/rep@acme.example/events', event({ transactionId: 'tx-42' }))
    ).json()) as { id: string };
    expect(retry.id).toBe(first.id);
    expect(graph.events('rep@acme.example').filter((e) => e['transactionId'] === 'tx-42')).toHaveLength(1);
  });

  it.each([
    [{ end: { dateTime: '2026-11-25T08:00:00', timeZone: 'Europe/Berlin' } }, 'ErrorInvalidRequest'],
    [{ isAllDay: true }, 'ErrorPropertyValidationFailure'],
    [{ start: { dateTime: '2026-11-25T09:00:00', timeZone: 'Mars/Base' } }, 'TimeZoneNotSupportedException'],
    [{ colour: 'red' }, 'RequestBodyRead'],
    [{ showAs: 'sleeping' }, 'ErrorInvalidRequest'],
  ])('refuses %j with %s', async (overrides, code) => {
    const response = await call('POST', '/users/rep@acme.example/events', event(overrides));
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code);
  });

  it('accepts all-day events at midnight and Windows time zone names', async () => {
    const allDay = event({
      isAllDay: true,
      start: { dateTime: '2026-11-26T00:00:00', timeZone: 'UTC' },
      end: { dateTime: '2026-11-27T00:00:00', timeZone: 'UTC' },
    });
    expect((await call('POST', '/users/rep@acme.example/events', allDay)).status).toBe(201);
    const windows = event({
      start: { dateTime: '2026-11-25T09:00:00', timeZone: 'W. Europe Standard Time' },
      end: { dateTime: '2026-11-25T10:00:00', timeZone: 'W. Europe Standard Time' },
    });
    expect((await call('POST', '/users/rep@acme.example/events', windows)).status).toBe(201);
  });

  it('answers up to 20 requests in a $batch, each with its own status', async () => {
    const response = await call('POST', '/$batch', {
      requests: [
        {
          id: '1',
          method: 'POST',
          url: '/users/rep@acme.example/events',
          headers: { 'Content-Type': 'application/json' },
          body: event(),
        },
        { id: '2', method: 'GET', url: '/users/rep@acme.example/events/unknown' },
      ],
    });
    const { responses } = (await response.json()) as { responses: { id: string; status: number }[] };
    expect(responses.map((r) => [r.id, r.status])).toEqual([
      ['1', 201],
      ['2', 404],
    ]);
    expect(
      (
        await call('POST', '/$batch', {
          requests: Array.from({ length: 21 }, (_, i) => ({
            id: String(i),
            method: 'GET',
            url: '/users/rep@acme.example/events',
          })),
        })
      ).status,
    ).toBe(400);
  });

  it('throttles a fifth concurrent request to one mailbox with 429 and Retry-After', async () => {
    graph.setLatency(150);
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => call('GET', '/users/busy@acme.example/events')),
    );
    graph.setLatency(0);
    const throttled = responses.filter((r) => r.status === 429);
    expect(responses.filter((r) => r.status === 200)).toHaveLength(4);
    expect(throttled).toHaveLength(4);
    expect(throttled[0]?.headers.get('retry-after')).toBe('1');
    expect(
      ((await throttled[0]!.json()) as { error: { code: string; message: string } }).error,
    ).toMatchObject({
      code: 'ApplicationThrottled',
      message: expect.stringContaining('MailboxConcurrency') as string,
    });
    expect(graph.stats().peakConcurrency).toBe(4);
  });

  it('throttles a mailbox past its requests per 10 minutes until the window moves on', async () => {
    for (let i = 0; i < 40; i++)
      expect((await call('GET', '/users/limited@acme.example/events')).status).toBe(200);
    const refused = await call('GET', '/users/limited@acme.example/events');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(500);
    graph.clock.advance(10 * 60_000);
    token = await acquire('secret');
    expect((await call('GET', '/users/limited@acme.example/events')).status).toBe(200);
  });

  it('injects faults, before or after the change', async () => {
    graph.injectFaults({ failureRate: 1, kinds: ['503'], afterCommit: false });
    expect((await call('POST', '/users/rep@acme.example/events', event({ subject: 'Lost' }))).status).toBe(
      503,
    );
    graph.injectFaults(undefined);
    expect(graph.events('rep@acme.example').some((e) => e['subject'] === 'Lost')).toBe(false);
  });

  it('logs each fault with the stamps of the item it concerned, and when mailboxes changed', async () => {
    const since = graph.clock.now();
    graph.failNext('500', { afterCommit: true, mailbox: 'rep@acme.example' });
    const stamped = event({
      subject: 'Stamped',
      singleValueExtendedProperties: [
        { id: 'String {00020329-0000-0000-C000-000000000046} Name x', value: '00U5g0000000042AAA' },
      ],
    });
    expect((await call('POST', '/users/rep@acme.example/events', stamped)).status).toBe(500);
    expect(graph.faultLog().at(-1)).toMatchObject({
      kind: '500',
      mailbox: 'rep@acme.example',
      afterCommit: true,
      itemStamps: ['00U5g0000000042AAA'],
    });
    const [written] = graph.writesAfter(since - 1, 10);
    expect(written).toBeGreaterThanOrEqual(since);
  });

  describe("time zones, through Microsoft's own Graph client", () => {
    /** A Graph SDK client against the sandbox (its fetch given the sandbox's CA). */
    const sdk = () =>
      Client.initWithMiddleware({
        baseUrl: `${graph.url}/`,
        defaultVersion: 'v1.0',
        // The SDK sends the token only to Graph's own hosts, or to hosts named here.
        customHosts: new Set([new URL(graph.url).hostname]),
        authProvider: { getAccessToken: () => Promise.resolve(token) },
        fetchOptions: { dispatcher } as unknown as RequestInit,
      });
    const original = globalThis.fetch;
    beforeAll(() => {
      // The SDK calls the global fetch; undici's takes the dispatcher with the sandbox's CA.
      globalThis.fetch = undiciFetch as unknown as typeof fetch;
    });
    afterAll(() => {
      globalThis.fetch = original;
    });
    const at = (timeZone: string) => ({
      subject: `In ${timeZone}`,
      start: { dateTime: '2027-01-12T09:00:00', timeZone },
      end: { dateTime: '2027-01-12T10:00:00', timeZone },
    });

    it.each([
      'W. Europe Standard Time',
      'Eastern Standard Time',
      'China Standard Time',
      'UTC',
      'Europe/Berlin',
      'Asia/Kolkata',
      'Europe/Kyiv',
      'Asia/Astana',
    ])(
      'creates an event in %s, a Windows name or one of the IANA names Graph documents',
      async (timeZone) => {
        const created = (await sdk().api('/users/rep@acme.example/events').post(at(timeZone))) as {
          start: { timeZone: string };
        };
        expect(created.start.timeZone).toBe(timeZone);
      },
    );

    it.each(['Europe/Vienna', 'America/Toronto', 'Asia/Hong_Kong', 'Europe/Amsterdam', 'Mars/Base'])(
      'refuses %s, an IANA name off the documented list, as Graph does',
      async (timeZone) => {
        const refused = await sdk()
          .api('/users/rep@acme.example/events')
          .post(at(timeZone))
          .then(
            () => undefined,
            (error: unknown) => error as { statusCode: number; code: string },
          );
        expect(refused).toMatchObject({ statusCode: 400, code: 'TimeZoneNotSupportedException' });
      },
    );

    it('refuses a series whose recurrenceTimeZone Graph does not take', async () => {
      const refused = await sdk()
        .api('/users/rep@acme.example/events')
        .post({
          ...at('W. Europe Standard Time'),
          recurrence: {
            pattern: { type: 'weekly', interval: 1, daysOfWeek: ['tuesday'] },
            range: { type: 'noEnd', startDate: '2027-01-12', recurrenceTimeZone: 'Europe/Vienna' },
          },
        })
        .then(
          () => undefined,
          (error: unknown) => error as { statusCode: number; code: string },
        );
      expect(refused).toMatchObject({ statusCode: 400, code: 'TimeZoneNotSupportedException' });
    });
  });
});
