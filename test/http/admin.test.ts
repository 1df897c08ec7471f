// The admin pages and JSON API over real HTTP with a cookie-keeping client: sign in with the
// password or token, see the tenant connected, find a dead-lettered Event, open its story, press
// Sync again and see it synced; and the refusals: no session → redirect or 401, a POST without the
// CSRF token, a wrong password, too many wrong passwords; the API by bearer token.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli-in-process.ts';
import { createSyncWorker, tenantCreationDeps } from '../../src/main.ts';
import { createTenant } from '../../src/tenants/create-tenant.ts';
import { setMailboxProvider } from '../../src/tenants/set-mailbox-provider.ts';
import { startSyncedService, type SyncedService } from '../support/synced-service.ts';
import { seedDeadJob } from '../support/seed-dead-job.ts';
import { describeEachBackend } from '../support/test-databases.ts';
import { TestBrowser } from '../support/test-browser.ts';

const token = 'admin-token-0123456789abcdefghij';
const password = 'correct horse battery staple';

describeEachBackend('admin pages and API', (database) => {
  let synced: SyncedService;
  let url: string;

  beforeAll(async () => {
    synced = await startSyncedService({
      databaseUrl: database.url,
      env: { INSTANT_SYNC_ADMIN_TOKEN: token },
    });
    url = synced.env.service.url;
    const folder = mkdtempSync(join(tmpdir(), 'instant-sync-admin-'));
    const file = join(folder, 'password.txt');
    writeFileSync(file, `${password}\n`);
    const set = await runCliInProcess(
      ['admin', 'set-password', '--password-file', file],
      synced.env.service.env,
    ).finally(() => rmSync(folder, { recursive: true, force: true }));
    expect(set.code).toBe(0);
  });
  afterAll(() => synced.close());

  const signIn = async (secret: string) => {
    const browser = new TestBrowser();
    const page = await browser.submit(await browser.get(`${url}/admin/`), {
      button: /Sign in/,
      fields: { secret },
    });
    return { browser, page };
  };

  it('keeps everything behind the sign-in', async () => {
    const anonymous = new TestBrowser();
    const page = await anonymous.get(`${url}/admin/failures`);
    expect(page.url).toBe(`${url}/admin/login`);
    expect((await fetch(`${url}/api/tenants`)).status).toBe(401);
    const wrongToken = await fetch(`${url}/api/tenants`, {
      headers: { authorization: 'Bearer not-the-token' },
    });
    expect(wrongToken.status).toBe(401);
    const byToken = await fetch(`${url}/api/tenants`, { headers: { authorization: `Bearer ${token}` } });
    expect(byToken.status).toBe(200);
    expect(await byToken.json()).toEqual([expect.objectContaining({ slug: 'acme', provider: 'graph' })]);
  });

  it('refuses a wrong password, and locks the address out after five', async () => {
    const { page } = await signIn('not the password');
    expect(page.status).toBe(401);
    expect(page.html).toContain('That password or token is not right.');
    for (let i = 0; i < 4; i++) await signIn('still wrong');
    const locked = await signIn(password);
    expect(locked.page.status).toBe(429);
    expect(locked.page.html).toContain('Too many failed attempts');
    synced.env.advance(16 * 60_000); // the lock lasts a quarter of an hour
    expect((await signIn(password)).page.url).toBe(`${url}/admin/`);
  });

  it('signs in, shows the tenant, retries a dead-lettered Event from its story and sees it synced', async () => {
    const { browser, page } = await signIn(token);
    expect(page.url).toBe(`${url}/admin/`);
    expect(page.html).toMatch(/acme[\s\S]*Connected[\s\S]*Microsoft 365 \(Graph\)/);

    const { sandbox, ownerId } = synced.env;
    const { runtime } = synced.env.service;
    const id = String(
      sandbox.createEvent(ownerId, {
        Subject: 'Dead then alive',
        StartDateTime: '2026-12-01T09:00:00Z',
        DurationInMinutes: 30,
      }).Id,
    );
    await seedDeadJob(runtime.store.db, {
      tenantId: synced.tenantId,
      eventId: id,
      lastError: 'creating the calendar item: Graph answered 503',
    });

    const failuresPage = await browser.get(`${url}/admin/failures?kind=dead`);
    expect(failuresPage.html).toContain(id);
    expect(failuresPage.html).toContain('Graph answered 503');
    const story = await browser.get(`${url}/admin/events?id=${id}`);
    expect(story.html).toContain('dead, 20 attempt(s)');
    const retried = await browser.submit(story, { button: /Sync again/ });
    expect(retried.html).toContain('Queued to sync again.');
    expect(await createSyncWorker(runtime).runOnce()).toMatchObject({ outcomes: { done: 1 } });
    const after = await browser.get(`${url}/admin/events?id=${id}`);
    expect(after.html).toMatch(/apply[\s\S]*create done/);
    expect(synced.graph.events('rep@acme.example').map((e) => e['subject'])).toContain('Dead then alive');
    expect((await browser.get(`${url}/admin/`)).html).toContain(
      'End-to-end latency per minute, last 24 hours: 1 sync;',
    );

    // The JSON API with the session: reads freely, writes only with the session's CSRF token
    // (the one its pages' forms carry; the sign-in form's cookie token is not it).
    const csrf = /name="csrf" value="([^"]+)"/.exec(after.html)?.[1] ?? '';
    const cookie = `is_admin=${browser.cookie('is_admin') ?? ''}; is_csrf=${browser.cookie('is_csrf') ?? ''}`;
    expect(csrf).not.toBe(browser.cookie('is_csrf'));
    expect((await fetch(`${url}/api/events/${id}`, { headers: { cookie } })).status).toBe(200);
    const write = (headers: Record<string, string>) =>
      fetch(`${url}/api/retry`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ dead: true }),
      });
    expect((await write({})).status).toBe(403);
    expect((await write({ 'x-csrf-token': browser.cookie('is_csrf') ?? '' })).status).toBe(403);
    expect(await (await write({ 'x-csrf-token': csrf })).json()).toEqual({ queued: 0 });
  });

  it('changes a tenant setting, and refuses a bad value with its reason', async () => {
    const { browser } = await signIn(token);
    const page = await browser.get(`${url}/admin/tenants/acme`);
    expect(page.html).toContain('Refresh-token policy');
    const refused = await browser.submit(page, {
      button: /Save settings/,
      fields: { settleWindow: 'soon', invitationPolicy: 'everyone' },
    });
    expect(refused.status).toBe(400);
    expect(refused.html).toContain(
      'the settle window must be a duration such as 500ms or 2s, got &quot;soon&quot;',
    );
    const saved = await browser.submit(await browser.get(`${url}/admin/tenants/acme`), {
      button: /Save settings/,
      fields: { settleWindow: '1s', deletePolicy: 'keep' },
    });
    expect(saved.html).toContain('Settings saved.');
    const tenant = await synced.env.service.runtime.store.db
      .selectFrom('tenants')
      .select(['settle_window_ms', 'delete_policy'])
      .where('slug', '=', 'acme')
      .executeTakeFirstOrThrow();
    expect(tenant).toEqual({ settle_window_ms: 1000, delete_policy: 'keep' });
  });

  it('shows the times in the zone chosen in Preferences, and refuses a zone it does not know', async () => {
    const { browser } = await signIn(token);
    const page = await browser.get(`${url}/admin/preferences`);
    const refused = await browser.submit(page, { button: /Save/, fields: { timeZone: 'Mars/Olympus_Mons' } });
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('“Mars/Olympus_Mons” is not a time zone this service knows');
    expect(browser.cookie('is_zone')).toBeUndefined();
    const saved = await browser.submit(page, { button: /Save/, fields: { timeZone: 'Asia/Kolkata' } });
    expect(saved.html).toContain('Saved.');
    expect(saved.html).toMatch(/<option value="Asia\/Kolkata"\s+selected/);
    expect(browser.cookie('is_zone')).toBe('Asia/Kolkata');
    // The pages render their times in it (IST) before any script runs.
    expect((await browser.get(`${url}/admin/tenants/acme`)).html).toMatch(/title="[^"]+ GMT\+5:30"/);
    const cleared = await browser.submit(saved, { button: /Save/, fields: { timeZone: '' } });
    expect(cleared.html).toMatch(/<option value=""\s+selected/);
    expect(browser.cookie('is_zone')).toBeUndefined();
  });

  it('says a tenant that must reconnect has no expiry, rather than "never"', async () => {
    const { db } = synced.env.service.runtime.store;
    const created = await createTenant(tenantCreationDeps(synced.env.service.runtime), { slug: 'initech' });
    await db
      .updateTable('salesforce_connections')
      .set({ state: 'reconnect_required', last_error: 'invalid_grant: expired access/refresh token' })
      .where('tenant_id', '=', created.id)
      .execute();
    const { browser } = await signIn(token);
    const page = await browser.get(`${url}/admin/tenants/initech`);
    expect(page.html).toContain('Reconnect required');
    const expires = /<dt>Expires<\/dt>\s*<dd>\s*([^<]*?)\s*<\/dd>/.exec(page.html)?.[1];
    expect(expires).toBe('– (not connected)');
    expect((await browser.get(`${url}/admin/tenants/acme`)).html).not.toContain('not connected');
  });

  it('shows and changes a tenant through the API', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const detail = (await (await fetch(`${url}/api/tenants/acme`, { headers: auth })).json()) as Record<
      string,
      unknown
    >;
    expect(detail).toMatchObject({ slug: 'acme', connection: { state: 'connected' }, pollIntervalMs: null });
    expect(detail['mailboxes']).toEqual([
      expect.objectContaining({ mailbox: 'rep@acme.example', state: 'active' }),
    ]);
    const patch = (body: unknown) =>
      fetch(`${url}/api/tenants/acme/settings`, {
        method: 'PATCH',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const changed = await patch({
      pollInterval: '5m',
      invitationPolicy: 'all',
      internalDomains: ['acme.com'],
    });
    expect(await changed.json()).toMatchObject({
      pollIntervalMs: 300_000,
      invitationPolicy: 'all',
      internalDomains: ['acme.com'],
    });
    const refused = await patch({ invitationPolicy: 'everyone', colour: 'red' });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({
      error: { code: 'bad_input', message: 'unknown settings: colour' },
    });
    const mapped = await fetch(`${url}/api/tenants/acme/mailboxes`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'rep@acme.example', mailbox: 'Shared@Acme.example' }),
    });
    expect(await mapped.json()).toEqual([
      expect.objectContaining({ mailbox: 'shared@acme.example', source: 'override' }),
    ]);
    const bad = await patch({ pollInterval: '1s' });
    expect(await bad.json()).toEqual({
      error: { code: 'bad_input', message: 'the polling interval must be from 10s to 1d' },
    });
  });

  it('answers API errors in the house shape, with the request id', async () => {
    const bad = await fetch(`${url}/api/events/not-an-id`, {
      headers: { authorization: `Bearer ${token}`, 'x-request-id': 'trace-me-42' },
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('x-request-id')).toBe('trace-me-42');
    expect(await bad.json()).toEqual({
      error: {
        code: 'bad_input',
        message: '"not-an-id" is not a Salesforce Event id (15 or 18 letters and digits, starting with 00U)',
      },
    });
    const unknown = await fetch(`${url}/api/events/00U000000000001EAA`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("shows a visitor of a tenant page that tenant's status and nothing of other tenants", async () => {
    await createTenant(tenantCreationDeps(synced.env.service.runtime), {
      slug: 'globex',
      name: 'Globex Corporation',
    });
    const page = await new TestBrowser().get(`${url}/t/acme/`);
    expect(page.status).toBe(200);
    expect(page.html).toContain('Connected');
    expect(page.html).not.toContain('Globex');
    expect(page.html).not.toContain('Dead then alive');
    // Who is connected is public (a Reconnect as someone else needs an admin); the org is not.
    expect(page.html).toMatch(/Connected as<\/dt>\s*<dd>rep@acme\.example<\/dd>/);
    const { connection } = await synced.env.service.runtime.salesforce.connections.get('acme');
    expect(page.html).not.toContain(connection.orgId ?? 'no org');
  });

  it("a hybrid tenant's page shows each mailbox's provider, and its mapping form assigns one", async () => {
    const { runtime } = synced.env.service;
    await setMailboxProvider(
      { repos: runtime.store.repos, secretBox: runtime.secretBox, clock: synced.env.clock },
      'acme',
      'ews',
      {
        url: 'https://mail.acme.example/EWS/Exchange.asmx',
        username: 'ACME\\svc-instant-sync',
        password: 'on-premises secret',
        auth: 'ntlm',
      },
      { name: 'onprem' },
    );
    const { browser } = await signIn(token);
    const page = await browser.get(`${url}/admin/tenants/acme`);
    expect(page.html).toContain('<th>Provider</th>');
    expect(page.html).toMatch(/onprem \(Exchange Server \(EWS\)\)/);
    const assigned = await browser.submit(page, {
      action: /\/mailboxes$/,
      fields: { user: synced.env.ownerId, mailbox: 'rep@acme.example', provider: 'onprem' },
    });
    expect([assigned.status, /role="alert">[^<]*<\/p>/.exec(assigned.html)?.[0]]).toEqual([200, undefined]);
    expect(assigned.html).toMatch(/<td>rep@acme\.example<\/td>\s*<td>override<\/td>\s*<td>onprem<\/td>/);

    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const unknown = await fetch(`${url}/api/tenants/acme/mailboxes`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ user: synced.env.ownerId, mailbox: 'rep@acme.example', provider: 'cloud' }),
    });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toContain(
      'tenant acme has no provider named "cloud" (it has default, onprem)',
    );
    const back = await fetch(`${url}/api/tenants/acme/mailboxes`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ user: synced.env.ownerId, mailbox: 'rep@acme.example', provider: 'default' }),
    });
    expect(await back.json()).toEqual([
      expect.objectContaining({ mailbox: 'rep@acme.example', provider: 'default' }),
    ]);
    const detail = (await (await fetch(`${url}/api/tenants/acme`, { headers: auth })).json()) as Record<
      string,
      unknown
    >;
    expect(detail['providers']).toEqual([
      { name: 'default', kind: 'graph', isDefault: true },
      { name: 'onprem', kind: 'ews', isDefault: false },
    ]);
  });

  it('refuses a form posted without its CSRF token', async () => {
    const { browser } = await signIn(token);
    const forged = await browser.post(`${url}/admin/retry`, { dead: 'all' });
    expect(forged.status).toBe(403);
  });
});
