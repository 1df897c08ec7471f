// Two tenants on one server, acme and globex, both connected through the sandbox org: every
// tenant page (/t/<slug>/…), the admin tenant pages and the /api routes of one, called with the
// other's ids and secrets, neither read nor change anything of the other. The webhook refuses the
// other tenant's Client ID and secret; an OAuth sign-in started at globex cannot complete at acme,
// not even with a real authorization code; globex's tenant session cannot disconnect acme; a retry
// at acme of an Event only globex knows queues nothing; an Event's story, the failures, the
// mailboxes and the admin pages show each tenant only its own.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { toCaseSafeId } from '../../src/domain/salesforce-ids.ts';
import { signWebhook } from '../../src/intake/webhook/webhook-delivery.ts';
import type { CreatedTenant } from '../../src/tenants/create-tenant.ts';
import { startSandboxedService, type SandboxedService } from '../support/sandboxed-service.ts';
import { seedDeadJob } from '../support/seed-dead-job.ts';
import { describeEachBackend } from '../support/test-databases.ts';
import { TestBrowser } from '../support/test-browser.ts';

const token = 'isolation-admin-token-0123456789abcdef';
const bearer = { authorization: `Bearer ${token}` };
/** Events each tenant's webhook recorded; no other tenant has heard of them. */
const acmeEventId = toCaseSafeId('00U5g00000AcMe1');
const globexEventId = toCaseSafeId('00U5g00000GlBx1');
/** A dead-lettered Event of globex. */
const globexDeadEventId = toCaseSafeId('00U5g00000GlBxD');
const globexMailbox = 'rep@globex.example';

describeEachBackend('tenant isolation', (database) => {
  let env: SandboxedService;
  let url: string;
  let acme: CreatedTenant;
  let globex: CreatedTenant;
  /** The tenant-session cookie a browser got from connecting globex. */
  let globexSession: string;

  beforeAll(async () => {
    env = await startSandboxedService({
      databaseUrl: database.url,
      env: { INSTANT_SYNC_ADMIN_TOKEN: token },
    });
    url = env.service.url;
    acme = await env.connectedTenant('acme');
    globex = await env.connectedTenant('globex');
    // Connect globex again in a browser of our own, to hold the session cookie it leaves.
    const browser = new TestBrowser();
    const done = await browser.submit(await browser.get(`${url}/t/globex/`), {
      button: /^(Connect|Reconnect)/,
    });
    expect(done.url).toBe(`${url}/t/globex/?result=connected`);
    globexSession = browser.cookie('is_session') ?? '';
    expect(globexSession).not.toBe('');

    for (const [tenant, eventId] of [
      [acme, acmeEventId],
      [globex, globexEventId],
    ] as const) {
      const response = await deliver(tenant.slug, {
        clientId: tenant.clientId,
        secret: tenant.webhookSecret,
        body: JSON.stringify({ events: [{ id: eventId, changeType: 'CREATE' }] }),
      });
      expect(response.status).toBe(202);
    }
    await seedDeadJob(env.service.runtime.store.db, {
      tenantId: globex.id,
      eventId: globexDeadEventId,
      lastError: 'creating the calendar item: Graph answered 503',
    });
    const mapped = await api('POST', '/api/tenants/globex/mailboxes', {
      user: env.ownerId,
      mailbox: globexMailbox,
    });
    expect(mapped.status).toBe(200);
  });
  afterAll(() => env.close());

  // ---- helpers ----

  function deliver(slug: string, delivery: { clientId: string; secret: string; body: string }) {
    const timestamp = String(Math.floor(env.clock.now() / 1000));
    return fetch(`${url}/t/${slug}/hooks/salesforce`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-instant-sync-client-id': delivery.clientId,
        'x-instant-sync-timestamp': timestamp,
        'x-instant-sync-signature': signWebhook(delivery.secret, timestamp, delivery.body),
      },
      body: Buffer.from(delivery.body),
    });
  }

  async function api(method: string, path: string, body?: unknown) {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { ...bearer, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, text, json: (): unknown => JSON.parse(text) };
  }

  /** Everything stored of one tenant (its pending sign-ins apart: Connect may add those). */
  async function stateOf(tenant: CreatedTenant) {
    const db = env.service.runtime.store.db;
    return {
      tenant: await db.selectFrom('tenants').selectAll().where('id', '=', tenant.id).execute(),
      connection: await db
        .selectFrom('salesforce_connections')
        .selectAll()
        .where('tenant_id', '=', tenant.id)
        .execute(),
      changes: await db
        .selectFrom('changes')
        .selectAll()
        .where('tenant_id', '=', tenant.id)
        .orderBy('id')
        .execute(),
      jobs: await db
        .selectFrom('jobs')
        .selectAll()
        .where('tenant_id', '=', tenant.id)
        .orderBy('id')
        .execute(),
      links: await db.selectFrom('links').selectAll().where('tenant_id', '=', tenant.id).execute(),
      mailboxes: await db
        .selectFrom('mailboxes')
        .selectAll()
        .where('tenant_id', '=', tenant.id)
        .orderBy('id')
        .execute(),
    };
  }

  /** Runs `attempt` and checks that neither tenant's stored state changed. */
  async function changesNeither(what: string, attempt: () => Promise<void>) {
    const before = { acme: await stateOf(acme), globex: await stateOf(globex) };
    await attempt();
    expect({ acme: await stateOf(acme), globex: await stateOf(globex) }, `${what} changed something`).toEqual(
      before,
    );
  }

  /** A tenant page's CSRF double-submit pair, as a browser holds it. */
  async function tenantPageCsrf(slug: string) {
    const page = await fetch(`${url}/t/${slug}/`);
    const csrf = /is_csrf=([^;]+)/.exec(page.headers.get('set-cookie') ?? '')?.[1];
    if (csrf === undefined) throw new Error(`the page of ${slug} set no CSRF cookie`);
    return csrf;
  }

  /** Starts a Connect at `slug`; the state and the browser binding it hands out. */
  async function startConnect(slug: string) {
    const csrf = await tenantPageCsrf(slug);
    const response = await fetch(`${url}/t/${slug}/connect`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `is_csrf=${csrf}` },
      body: new URLSearchParams({ csrf }).toString(),
    });
    expect(response.status).toBe(303);
    const authorizeUrl = response.headers.get('location') ?? '';
    const state = new URL(authorizeUrl).searchParams.get('state');
    const binding = /is_oauth=([^;]+)/.exec(response.headers.get('set-cookie') ?? '')?.[1];
    if (state === null || binding === undefined)
      throw new Error(`Connect at ${slug} gave no state or binding`);
    return { authorizeUrl, state, binding, csrf };
  }

  const adminBrowser = async () => {
    const browser = new TestBrowser();
    const page = await browser.submit(await browser.get(`${url}/admin/`), {
      button: /Sign in/,
      fields: { secret: token },
    });
    expect(page.url).toBe(`${url}/admin/`);
    return { browser, csrf: /name="csrf" value="([^"]+)"/.exec(page.html)?.[1] ?? '' };
  };

  /** What of globex must never appear in an answer about acme. */
  const globexMarks = () => [globex.clientId, 'globex', globexEventId, globexDeadEventId, globexMailbox];
  const marksIn = (text: string, marks: string[]) => marks.filter((mark) => text.includes(mark));

  // ---- the webhook ----

  it("refuses the other tenant's Client ID or secret at a tenant's webhook, recording nothing for either", async () => {
    for (const [target, other] of [
      [acme, globex],
      [globex, acme],
    ] as const) {
      const body = JSON.stringify({
        events: [{ id: toCaseSafeId('00U5g00000XtRa1'), changeType: 'UPDATE' }],
      });
      const attempts = [
        {
          what: "the other's Client ID and secret",
          clientId: other.clientId,
          secret: other.webhookSecret,
          code: 'unknown_client',
        },
        {
          what: "its Client ID with the other's secret",
          clientId: target.clientId,
          secret: other.webhookSecret,
          code: 'bad_signature',
        },
        {
          what: "the other's Client ID with its secret",
          clientId: other.clientId,
          secret: target.webhookSecret,
          code: 'unknown_client',
        },
      ];
      for (const attempt of attempts) {
        const what = `POST /t/${target.slug}/hooks/salesforce with ${attempt.what} (${other.slug}'s)`;
        await changesNeither(what, async () => {
          const response = await deliver(target.slug, { ...attempt, body });
          const answer = (await response.json()) as { error?: { code?: string } };
          expect({ what, status: response.status, code: answer.error?.code }).toEqual({
            what,
            status: 401,
            code: attempt.code,
          });
        });
      }
    }
  });

  // ---- Connect, the callback and Disconnect ----

  it('refuses at acme an OAuth callback whose sign-in was started at globex, changing neither connection', async () => {
    const started = await startConnect('globex');
    await changesNeither('the callback at acme with a state started at globex', async () => {
      const response = await fetch(
        `${url}/t/acme/oauth/callback?${new URLSearchParams({ state: started.state, code: 'x' }).toString()}`,
        { redirect: 'manual', headers: { cookie: `is_oauth=${started.binding}; is_csrf=${started.csrf}` } },
      );
      const page = await response.text();
      expect({ status: response.status, refused: page.includes('started for another tenant') }).toEqual({
        status: 400,
        refused: true,
      });
      expect(response.headers.get('set-cookie') ?? '').not.toContain('is_session=');
    });

    // With a real authorization code from the org, too: the code of globex's sign-in, taken to acme.
    const again = await startConnect('globex');
    const approved = await fetch(again.authorizeUrl, { redirect: 'manual' });
    const callback = new URL(approved.headers.get('location') ?? '', again.authorizeUrl);
    expect(callback.pathname).toBe('/t/globex/oauth/callback');
    expect(callback.searchParams.get('code')).toBeTruthy();
    await changesNeither("the callback at acme with globex's state and real code", async () => {
      const response = await fetch(`${url}/t/acme/oauth/callback${callback.search}`, {
        redirect: 'manual',
        headers: { cookie: `is_oauth=${again.binding}; is_csrf=${again.csrf}` },
      });
      const page = await response.text();
      expect({ status: response.status, refused: page.includes('started for another tenant') }).toEqual({
        status: 400,
        refused: true,
      });
      expect(response.headers.get('set-cookie') ?? '').not.toContain('is_session=');
    });
  });

  it("shows globex's tenant session nothing at acme's page, and refuses it acme's Disconnect", async () => {
    const cookie = `is_session=${globexSession}`;
    // The cookie is live: globex's page shows its holder the connection's details.
    const globexPage = await (await fetch(`${url}/t/globex/`, { headers: { cookie } })).text();
    expect(globexPage).toContain('Connected since');
    const acmePage = await (await fetch(`${url}/t/acme/`, { headers: { cookie } })).text();
    expect(acmePage).not.toContain('Connected since');
    expect(acmePage).toContain(acme.clientId);
    expect(marksIn(acmePage, globexMarks()), 'the page of acme').toEqual([]);

    const csrf = await tenantPageCsrf('acme');
    await changesNeither('Disconnect at acme with the tenant session of globex', async () => {
      const response = await fetch(`${url}/t/acme/disconnect`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          cookie: `${cookie}; is_csrf=${csrf}`,
        },
        body: new URLSearchParams({ csrf }).toString(),
      });
      expect(response.status).toBe(403);
    });
    const connection = (await api('GET', '/api/tenants/acme')).json() as { connection: { state: string } };
    expect(connection.connection.state).toBe('connected');
  });

  // ---- what the API and the admin pages show ----

  it("tells an Event's story only for the tenant that knows it", async () => {
    for (const [eventId, slug] of [
      [globexEventId, 'globex'],
      [globexEventId.slice(0, 15), 'globex'],
      [acmeEventId, 'acme'],
    ] as const) {
      const response = await api('GET', `/api/events/${eventId}`);
      expect({ eventId, status: response.status }).toEqual({ eventId, status: 200 });
      const stories = response.json() as { tenant: string }[];
      expect({ eventId, tenants: stories.map((s) => s.tenant) }).toEqual({ eventId, tenants: [slug] });
    }
    const { browser } = await adminBrowser();
    const page = await browser.get(`${url}/admin/events?id=${globexEventId}`);
    expect(page.html).toContain('tenant globex');
    expect(page.html).not.toContain('tenant acme');
  });

  it("lists only the tenant's own failures, and a retry of acme's dead letters leaves globex's alone", async () => {
    const acmeFailures = await api('GET', '/api/failures?tenant=acme');
    expect(acmeFailures.status).toBe(200);
    expect(acmeFailures.json()).toEqual([]);
    const globexFailures = (await api('GET', '/api/failures?tenant=globex')).json() as { eventId: string }[];
    expect(globexFailures.map((f) => f.eventId)).toEqual([globexDeadEventId]);

    await changesNeither("retrying acme's dead letters", async () => {
      const response = await api('POST', '/api/retry', { dead: true, tenant: 'acme' });
      expect({ status: response.status, body: response.json() }).toEqual({
        status: 200,
        body: { queued: 0 },
      });
    });
    const { browser } = await adminBrowser();
    const page = await browser.get(`${url}/admin/failures?tenant=acme`);
    expect(marksIn(page.html, globexMarks()), 'the failures page of acme').toEqual([]);
  });

  it("finds none of globex's owners through acme's mailboxes, and shows acme nothing of globex", async () => {
    await changesNeither("mapping at acme by the address of globex's owner", async () => {
      const response = await api('POST', '/api/tenants/acme/mailboxes', {
        user: globexMailbox,
        mailbox: 'someone@acme.example',
      });
      expect(response.status).toBe(404);
    });
    const detail = await api('GET', '/api/tenants/acme');
    expect(detail.status).toBe(200);
    expect(marksIn(detail.text, globexMarks()), 'GET /api/tenants/acme').toEqual([]);
    expect(detail.text).toContain(acme.clientId);

    const { browser } = await adminBrowser();
    const acmePage = await browser.get(`${url}/admin/tenants/acme`);
    expect(acmePage.status).toBe(200);
    expect(marksIn(acmePage.html, globexMarks()), 'the admin page of acme').toEqual([]);
    // The same check sees globex where it is.
    const globexPage = await browser.get(`${url}/admin/tenants/globex`);
    expect(marksIn(globexPage.html, [globex.slug, globexMailbox])).toEqual([globex.slug, globexMailbox]);
  });

  it("changes only acme's settings through acme's settings", async () => {
    const globexBefore = await stateOf(globex);
    const response = await api('PATCH', '/api/tenants/acme/settings', {
      settleWindow: '2s',
      deletePolicy: 'keep',
    });
    expect(response.status).toBe(200);
    expect(await stateOf(globex)).toEqual(globexBefore);
  });

  // ---- retrying an Event of the other tenant ----

  it('queues nothing at acme for an Event only globex knows, and leaves its job alone (API)', async () => {
    const db = env.service.runtime.store.db;
    const globexJob = () =>
      db
        .selectFrom('jobs')
        .selectAll()
        .where('tenant_id', '=', globex.id)
        .where('event_id', '=', globexEventId)
        .execute();
    const acmeRows = async () => ({
      jobs: (
        await db
          .selectFrom('jobs')
          .select('id')
          .where('tenant_id', '=', acme.id)
          .where('event_id', '=', globexEventId)
          .execute()
      ).length,
      changes: (
        await db
          .selectFrom('changes')
          .select('id')
          .where('tenant_id', '=', acme.id)
          .where('event_id', '=', globexEventId)
          .execute()
      ).length,
    });
    const jobBefore = await globexJob();
    expect(jobBefore).toHaveLength(1);
    for (const eventId of [globexEventId, globexEventId.slice(0, 15)]) {
      const response = await api('POST', '/api/retry', { tenant: 'acme', eventId });
      // Gathered into one comparison, so a failure shows every part of the answer at once.
      expect({
        request: `POST /api/retry {"tenant":"acme","eventId":"${eventId}"}`,
        status: response.status,
        acme: await acmeRows(),
        globexJob: await globexJob(),
      }).toEqual({
        request: `POST /api/retry {"tenant":"acme","eventId":"${eventId}"}`,
        status: 404,
        acme: { jobs: 0, changes: 0 },
        globexJob: jobBefore,
      });
    }
  });

  it('queues nothing at acme for an Event only globex knows from the admin Retry form either', async () => {
    const db = env.service.runtime.store.db;
    const { browser, csrf } = await adminBrowser();
    const page = await browser.post(
      `${url}/admin/retry`,
      { csrf, tenant: 'acme', eventId: globexDeadEventId, back: '/admin/failures' },
      { follow: false },
    );
    const acmeJobs = await db
      .selectFrom('jobs')
      .select('id')
      .where('tenant_id', '=', acme.id)
      .where('event_id', '=', globexDeadEventId)
      .execute();
    expect({ status: page.status < 500, acmeJobs: acmeJobs.length }).toEqual({ status: true, acmeJobs: 0 });
  });

  it("disconnects only acme through acme's Disconnect", async () => {
    const globexBefore = await stateOf(globex);
    const response = await api('POST', '/api/tenants/acme/disconnect');
    expect(response.status).toBe(200);
    expect((response.json() as { connection: { state: string } }).connection.state).toBe('disconnected');
    expect(await stateOf(globex)).toEqual(globexBefore);
  });
});
