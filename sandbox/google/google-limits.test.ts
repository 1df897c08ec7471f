// The Google sandbox's quotas, faults and control: the per-user and per-project minute windows
// (and recovery once the window slides on), failures injected before or after a change, the
// control API a sandbox running as its own process is driven by, and the launcher's first lines.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { calendar_v3 } from '@googleapis/calendar';
import { failure, googleClients, scopes, type GoogleClients } from './google-test-clients.ts';
import { startGoogleSandbox, type GoogleSandbox, type GoogleServiceAccountKey } from './index.ts';

const event = (stamp: string): calendar_v3.Schema$Event => ({
  summary: 'Pipeline review',
  start: { dateTime: '2026-11-25T09:00:00Z' },
  end: { dateTime: '2026-11-25T10:00:00Z' },
  extendedProperties: { private: { sfEventId: stamp } },
});

describe('Google sandbox quotas and faults', () => {
  let google: GoogleSandbox;
  let clients: GoogleClients;
  let key: GoogleServiceAccountKey;
  const as = (user: string) => clients.api(clients.jwt(key, { subject: user }));

  beforeAll(async () => {
    google = await startGoogleSandbox({ requestsPerMinutePerUser: 3, requestsPerMinutePerProject: 8 });
    for (const user of [
      'quota@acme.example',
      'other@acme.example',
      'faults@acme.example',
      'third@acme.example',
    ])
      google.addUser(user);
    key = google.addServiceAccount({ clientEmail: 'sync@acme-sync.iam.gserviceaccount.com' });
    google.delegate(key.client_id, [scopes.events]);
    clients = googleClients(google);
  });
  afterAll(async () => {
    await clients.close();
    await google.close();
  });

  it('refuses a user over their minute with 403 userRateLimitExceeded, then the project over its own, until the window slides on', async () => {
    const list = (user: string) => as(user).events.list({ calendarId: 'primary' }, { retry: false });
    for (let i = 0; i < 3; i++) expect((await list('quota@acme.example')).status).toBe(200);
    expect(await failure(list('quota@acme.example'))).toEqual({
      status: 403,
      reason: 'userRateLimitExceeded',
      message: 'User Rate Limit Exceeded',
    });
    expect(google.stats().throttled).toBe(1);
    for (let i = 0; i < 3; i++) expect((await list('other@acme.example')).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await list('third@acme.example')).status).toBe(200);
    expect(await failure(list('third@acme.example'))).toEqual({
      status: 403,
      reason: 'rateLimitExceeded',
      message: 'Rate Limit Exceeded',
    });
    google.clock.advance(60_001);
    expect((await list('quota@acme.example')).status).toBe(200);
  });

  it('makes the change and loses the answer when a fault strikes after commit, and not before', async () => {
    google.clock.advance(60_001);
    const api = as('faults@acme.example');
    google.failNext('500', { afterCommit: true, user: 'faults@acme.example' });
    expect(
      await failure(api.events.insert({ calendarId: 'primary', requestBody: event('00U1') })),
    ).toMatchObject({
      status: 500,
      reason: 'backendError',
    });
    expect(google.events('faults@acme.example').map((e) => e['extendedProperties'])).toEqual([
      { private: { sfEventId: '00U1' } },
    ]);
    google.failNext('429', { afterCommit: false });
    expect(
      await failure(api.events.insert({ calendarId: 'primary', requestBody: event('00U2') })),
    ).toMatchObject({
      status: 429,
      reason: 'rateLimitExceeded',
    });
    expect(google.events('faults@acme.example')).toHaveLength(1);
    expect(google.faultLog().map((f) => [f.kind, f.user, f.afterCommit, f.itemStamps])).toEqual([
      ['500', 'faults@acme.example', true, ['00U1']],
      ['429', 'faults@acme.example', false, ['00U2']],
    ]);
    expect(google.stats().faults).toBe(2);
  });

  it('drops the connection for reset and, after hangMs, for timeout', async () => {
    google.clock.advance(60_001);
    const { access_token: token } = await clients.jwt(key, { subject: 'faults@acme.example' }).authorize();
    const list = () =>
      clients.fetch('/calendar/v3/calendars/primary/events', {
        headers: { authorization: `Bearer ${token}` },
      });
    google.failNext('reset', { afterCommit: false });
    await expect(list()).rejects.toThrow();
    google.failNext('timeout', { afterCommit: false, hangMs: 20 });
    await expect(list()).rejects.toThrow();
    google.clock.advance(60_001);
    expect((await list()).status).toBe(200);
  });

  it('counts the most requests one user had in flight', async () => {
    google.clock.advance(60_001);
    google.setLatency(500);
    const api = as('other@acme.example');
    await Promise.all([1, 2, 3].map(() => api.events.list({ calendarId: 'primary' })));
    google.setLatency(0);
    expect(google.stats().peakConcurrency).toBeGreaterThanOrEqual(2);
  });
});

describe('Google sandbox control API', () => {
  let google: GoogleSandbox;
  let clients: GoogleClients;

  beforeAll(async () => {
    google = await startGoogleSandbox();
    clients = googleClients(google);
  });
  afterAll(async () => {
    await clients.close();
    await google.close();
  });

  const control = async (path: string, method = 'GET', body?: unknown) => {
    const response = await clients.fetch(`/__sandbox${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text === '' ? undefined : text.startsWith('<') ? text : (JSON.parse(text) as unknown),
    };
  };

  it('sets up a domain over HTTP that the real clients then use, and shows what happened', async () => {
    const made = await control('/service-accounts', 'POST', {
      clientEmail: 'sync@acme-sync.iam.gserviceaccount.com',
    });
    expect(made.status).toBe(201);
    const key = made.body as GoogleServiceAccountKey;
    expect(
      (await control('/delegations', 'POST', { clientId: key.client_id, scopes: [scopes.events] })).status,
    ).toBe(204);
    expect(await control('/users', 'POST', { email: 'Rep@acme.example' })).toEqual({
      status: 201,
      body: { email: 'rep@acme.example' },
    });
    expect((await control('/users', 'POST', { email: 'not an address' })).status).toBe(400);
    const api = clients.api(clients.jwt(key, { subject: 'rep@acme.example' }));
    const created = await api.events.insert({
      calendarId: 'primary',
      sendUpdates: 'all',
      requestBody: { ...event('00U7'), attendees: [{ email: 'buyer@customer.example' }] },
    });
    expect(await control('/users')).toEqual({
      status: 200,
      body: [{ email: 'rep@acme.example', events: 1 }],
    });
    expect((await control('/users/rep@acme.example/events')).body).toEqual([created.data]);
    expect((await control('/users/rep@acme.example/notifications')).body).toEqual([
      { eventId: created.data.id, kind: 'invitation', to: ['buyer@customer.example'] },
    ]);
    expect((await control('/users/nobody@acme.example/events')).status).toBe(404);
    expect((await control('/stats')).body).toMatchObject({ requests: 1, tokenRequests: 1 });
    const writes = (await control(`/writes?after=0&limit=10`)).body as number[];
    expect(writes).toHaveLength(1);
    expect((await control('/view')).body).toContain('Pipeline review');
  });

  it('sets latency and faults over HTTP', async () => {
    expect((await control('/latency', 'POST', { ms: 0 })).status).toBe(204);
    expect(
      (await control('/faults', 'POST', { failureRate: 1, kinds: ['503'], afterCommit: false })).status,
    ).toBe(204);
    expect((await control('/faults', 'POST', { failureRate: 0, kinds: [], afterCommit: false })).status).toBe(
      204,
    );
    expect(
      (await control('/faults', 'POST', { failureRate: 2, kinds: ['503'], afterCommit: false })).status,
    ).toBe(400);
    expect(
      (await control('/faults/next', 'POST', { kind: '503', afterCommit: true, user: 'rep@acme.example' }))
        .status,
    ).toBe(204);
    expect((await control('/faults/next', 'POST', { kind: 'teapot', afterCommit: true })).status).toBe(400);
    expect((await control('/faults/log')).body).toEqual([]);
    expect((await control('/clock', 'POST', { advanceMs: 1000 })).status).toBe(200);
  });
});

describe('Google sandbox launcher', () => {
  it('prints where it listens and the CA file, and stops on SIGTERM', async () => {
    const main = fileURLToPath(new URL('./main.ts', import.meta.url));
    const child = spawn(process.execPath, [main]);
    const lines = await new Promise<string[]>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const got = out.split('\n');
        if (got.length > 2) resolve(got.slice(0, 2));
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
    });
    const url = /^Google sandbox listening on (https:\/\/127\.0\.0\.1:\d+)$/.exec(lines[0] ?? '')?.[1];
    expect(url).toBeDefined();
    expect(lines[1]).toMatch(
      new RegExp(`^  TLS CA certificate: \\S+ca\\.crt; calendars at ${url}/__sandbox/view$`),
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
