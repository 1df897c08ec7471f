// The admin pages (/admin/…) and the JSON API (/api/…) behind the same sign-in: the overview of
// every tenant, the failures (dead letters and skips) with Retry, and an Event's whole story.
// Pages use a session cookie (HttpOnly, SameSite=Lax, Secure behind https; the session lives in
// the database, so signing out ends it) and a CSRF token derived from the session on every form;
// the API takes the session (with that token in `x-csrf-token` for writes) or
// `Authorization: Bearer <INSTANT_SYNC_ADMIN_TOKEN>` for scripts. Wrong passwords and tokens are
// limited per address (admin-auth.ts).
import { Hono, type Context, type Next } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import { normalizeEventId, salesforceIdProblem } from '../domain/salesforce-ids.ts';
import { adminSessionLifetimeMs } from './admin-auth.ts';
import {
  deadEvents,
  retryEvents,
  tenantsKnowingEvent,
  type EventKey,
} from '../intake/manual/retry-events.ts';
import { BadInputError, NotFoundError } from '../lib/errors.ts';
import { describeLinkedItem, eventStories, type EventStory } from '../reports/event-story.ts';
import { syncHistory, type SyncPoint } from '../reports/sync-history.ts';
import {
  failures,
  tenantOverviewPage,
  tenantOverviews,
  type TenantQuery,
  type Failure,
  type TenantOverview,
} from './overview.ts';
import { findProviderPlugin } from '../providers/registry.ts';
import { tenantSorts, type TenantSort } from '../store/tenants-repository.ts';
import { sessionCsrf, sessionCsrfValid, type AdminDeps, type AdminEnv } from './admin-context.ts';
import { csrfToken, csrfValid, type CookieSettings } from '../http/browser-cookies.ts';
import { adminTenantRoutes } from './admin-tenant-page.ts';
import { latencyChart, queueChart, syncsChart } from './latency-chart.ts';
import { queueHistory, type QueuePoint } from '../reports/queue-history.ts';
import { adminNav, eventCells, pageNav } from './admin-views.ts';
import { pageTime } from '../http/page-time.ts';
import { readForm } from '../http/read-form.ts';
import { displayZone, displayZoneRoutes } from './display-zone.ts';
import { htmlPage, messagePage } from '../http/html-page.ts';

export type { AdminDeps } from './admin-context.ts';

const sessionCookie = 'is_admin';

/** Whether a request carries a live admin session (the tenant page lets an admin connect as another user). */
export function adminSignedIn(
  auth: AdminDeps['auth'],
  clock: AdminDeps['clock'],
): (c: Context) => Promise<boolean> {
  return async (c) => (await auth.session(getCookie(c, sessionCookie), clock.now())) !== undefined;
}

export function adminRoutes(deps: AdminDeps): Hono {
  const app = new Hono<AdminEnv>();
  const cookies: CookieSettings = { secure: deps.publicUrl.startsWith('https:'), secretBox: deps.secretBox };
  const sessionOf = (c: Context) => deps.auth.session(getCookie(c, sessionCookie), deps.clock.now());

  // ---- sign-in ----
  // The sign-in form has no session yet: its CSRF token is the browser's double-submit cookie.
  app.get('/admin/login', async (c) => {
    c.header('cache-control', 'no-store');
    return c.html(loginPage(csrfToken(c, cookies), await deps.auth.configured(), c.req.query('error')));
  });
  app.post('/admin/login', async (c) => {
    const form = await readForm(c);
    if (!csrfValid(c, form['csrf'])) return c.html(loginPage(csrfToken(c, cookies), true, 'expired'), 403);
    const now = deps.clock.now();
    const secret = typeof form['secret'] === 'string' ? form['secret'] : '';
    const result = await deps.auth.signIn(secret, deps.clientAddress(c), now);
    if (!result.ok && result.reason === 'locked') {
      c.header('retry-after', String(result.retryAfterSeconds));
      return c.html(loginPage(csrfToken(c, cookies), true, 'locked'), 429);
    }
    if (!result.ok)
      return c.html(loginPage(csrfToken(c, cookies), await deps.auth.configured(), 'wrong'), 401);
    setCookie(c, sessionCookie, result.sessionId, {
      path: '/',
      httpOnly: true,
      sameSite: 'Lax',
      secure: cookies.secure,
      maxAge: adminSessionLifetimeMs / 1000,
    });
    return c.redirect('/admin/', 303);
  });
  app.post('/admin/logout', async (c) => {
    const form = await readForm(c);
    const session = await sessionOf(c);
    if (session !== undefined && deps.auth.csrfValid(session, form['csrf'])) {
      await deps.auth.signOut(session);
      deleteCookie(c, sessionCookie, { path: '/', secure: cookies.secure });
    }
    return c.redirect('/admin/login', 303);
  });

  // ---- everything else needs a session ----
  const pagesGuard = async (c: Context<AdminEnv>, next: Next) => {
    const session = await sessionOf(c);
    if (session === undefined) return c.redirect('/admin/login', 303);
    c.set('adminSession', session);
    c.header('cache-control', 'no-store');
    await next();
    return undefined;
  };
  app.use('/admin', pagesGuard);
  app.use('/admin/*', async (c: Context<AdminEnv>, next: Next) => {
    if (c.req.path === '/admin/login' || c.req.path === '/admin/logout') return next();
    return pagesGuard(c, next);
  });
  app.use('/api/*', async (c: Context<AdminEnv>, next: Next) => {
    const authorization = c.req.header('authorization');
    if (authorization !== undefined) {
      const bearer = /^Bearer ([\x21-\x7e]{1,512})$/.exec(authorization)?.[1];
      const result =
        bearer === undefined
          ? 'wrong'
          : await deps.auth.checkBearer(bearer, deps.clientAddress(c), deps.clock.now());
      if (typeof result === 'object') {
        c.header('retry-after', String(result.locked));
        return c.json(
          {
            error: {
              code: 'too_many_attempts',
              message: 'too many wrong tokens from this address; wait and retry',
            },
          },
          429,
        );
      }
      if (result === 'wrong') return unauthorized(c);
    } else {
      const session = await sessionOf(c);
      if (session === undefined) return unauthorized(c);
      if (
        c.req.method !== 'GET' &&
        c.req.method !== 'HEAD' &&
        !deps.auth.csrfValid(session, c.req.header('x-csrf-token'))
      )
        return c.json(
          {
            error: {
              code: 'forbidden',
              message: 'a write with the session cookie needs the x-csrf-token header',
            },
          },
          403,
        );
      c.set('adminSession', session);
    }
    c.header('cache-control', 'no-store');
    await next();
    return undefined;
  });

  // ---- pages ----
  app.get('/admin', (c) => c.redirect('/admin/', 308));
  app.get('/admin/', async (c) =>
    c.html(
      overviewPage(
        tenantQuery(c),
        await tenantOverviewPage(deps.overview, tenantQuery(c)),
        await syncHistory(deps.repos, deps.clock.now()),
        await queueHistory(deps.repos, deps.clock.now()),
        sessionCsrf(c),
        deps.clock.now(),
        displayZone(c, deps.displayTimeZone).zone,
      ),
    ),
  );
  app.get('/admin/failures', async (c) => {
    const tenant = c.req.query('tenant') || undefined;
    const kind = parseKind(c.req.query('kind'));
    const search = c.req.query('q')?.trim().slice(0, 100) || undefined;
    const page = Number(c.req.query('page'));
    const list = await failures(deps.repos, { now: deps.clock.now(), tenant, kind, search });
    return c.html(
      failuresPage(list, {
        tenant,
        kind,
        search,
        page: Number.isInteger(page) && page >= 1 ? page : 1,
        csrf: sessionCsrf(c),
        retried: c.req.query('retried'),
        timeZone: displayZone(c, deps.displayTimeZone).zone,
      }),
    );
  });
  app.post('/admin/retry', async (c) => {
    const form = await readForm(c);
    if (!sessionCsrfValid(c, deps, form['csrf']))
      return c.text('The form expired. Open the page again and retry.', 403);
    // Only a path of these pages, in characters a Location header can carry.
    const back =
      typeof form['back'] === 'string' && /^\/admin\/[\x21-\x7e]*$/.test(form['back'])
        ? form['back']
        : '/admin/failures';
    let queued: number;
    try {
      queued = await retry(deps, {
        tenant: typeof form['tenant'] === 'string' && form['tenant'] !== '' ? form['tenant'] : undefined,
        eventId: typeof form['eventId'] === 'string' && form['eventId'] !== '' ? form['eventId'] : undefined,
        dead: form['dead'] === 'all',
      });
    } catch (error) {
      if (!(error instanceof BadInputError || error instanceof NotFoundError)) throw error;
      return c.html(
        messagePage('Nothing was queued', error.message, { href: back, label: 'Back' }),
        error instanceof NotFoundError ? 404 : 400,
      );
    }
    return c.redirect(`${back}${back.includes('?') ? '&' : '?'}retried=${queued}`, 303);
  });
  app.get('/admin/events', async (c) => {
    const given = (c.req.query('id') ?? '').trim();
    const id = normalizeEventId(given);
    const stories = id === undefined ? [] : await eventStories(deps.repos, id);
    return c.html(
      eventPage(id ?? given, stories, {
        csrf: sessionCsrf(c),
        retried: c.req.query('retried'),
        problem: given === '' ? undefined : salesforceIdProblem(given, 'Event'),
        timeZone: displayZone(c, deps.displayTimeZone).zone,
      }),
    );
  });

  app.route('/', adminTenantRoutes(deps));
  app.route('/', displayZoneRoutes(deps));

  // ---- JSON API ----
  app.get('/api/tenants', async (c) => c.json(await tenantOverviews(deps.overview)));
  app.get('/api/failures', async (c) =>
    c.json(
      await failures(deps.repos, {
        now: deps.clock.now(),
        tenant: c.req.query('tenant') || undefined,
        kind: parseKind(c.req.query('kind')),
        search: c.req.query('q')?.trim().slice(0, 100) || undefined,
      }),
    ),
  );
  app.get('/api/events/:id', async (c) => {
    const id = normalizeEventId(c.req.param('id'));
    if (id === undefined)
      throw new BadInputError(salesforceIdProblem(c.req.param('id'), 'Event') ?? 'not an Event id');
    const stories = await eventStories(deps.repos, id);
    return stories.length === 0
      ? c.json({ error: { code: 'not_found', message: `nothing is known of Event ${id}` } }, 404)
      : c.json(stories);
  });
  app.post('/api/retry', async (c) => {
    const body = (await c.req.json().catch(() => undefined)) as
      { tenant?: unknown; eventId?: unknown; dead?: unknown } | undefined;
    if (body === undefined)
      throw new BadInputError('expected a JSON body: {"tenant","eventId"} or {"dead": true}');
    const queued = await retry(deps, {
      tenant: typeof body.tenant === 'string' ? body.tenant : undefined,
      eventId: typeof body.eventId === 'string' ? body.eventId : undefined,
      dead: body.dead === true,
    });
    return c.json({ queued });
  });
  // Mounted as any route group is: the signed-in session stays inside these routes.
  return new Hono().route('/', app);
}

function unauthorized(c: Context) {
  return c.json(
    {
      error: {
        code: 'unauthorized',
        message: 'sign in at /admin/login, or send Authorization: Bearer <admin token>',
      },
    },
    401,
  );
}

/** A button that posts to /admin/retry with `fields` (and the CSRF token). */
function retryForm(csrf: string, fields: Record<string, string>, label: string, ariaLabel?: string) {
  return html`<form method="post" action="/admin/retry">
    <input type="hidden" name="csrf" value="${csrf}" />
    ${Object.entries(fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`)}
    <button
      class="slds-button slds-button_neutral"
      type="submit"
      ${ariaLabel === undefined ? '' : html`aria-label="${ariaLabel}"`}
    >
      ${label}
    </button>
  </form>`;
}

function parseKind(kind: string | undefined): 'dead' | 'skipped' | undefined {
  return kind === 'dead' || kind === 'skipped' ? kind : undefined;
}

async function retry(
  deps: AdminDeps,
  request: { tenant: string | undefined; eventId: string | undefined; dead: boolean },
): Promise<number> {
  const tenant =
    request.tenant === undefined ? undefined : await deps.repos.tenants.findTenantBySlug(request.tenant);
  if (request.tenant !== undefined && tenant === undefined)
    throw new BadInputError(`no tenant named ${JSON.stringify(request.tenant)}`);
  let events: EventKey[];
  if (request.dead) events = await deadEvents(deps.repos, tenant?.id);
  else {
    if (request.eventId === undefined || tenant === undefined)
      throw new BadInputError('retry needs a tenant and a Salesforce Event id, or dead: all');
    const eventId = normalizeEventId(request.eventId);
    if (eventId === undefined)
      throw new BadInputError(salesforceIdProblem(request.eventId, 'Event') ?? 'not an Event id');
    // Only an Event this tenant has seen: another org's Event id means nothing in this one.
    const known = await tenantsKnowingEvent(deps.repos, eventId);
    if (!known.some((k) => k.tenantId === tenant.id))
      throw new NotFoundError(
        `nothing is known of Event ${eventId} in tenant ${tenant.slug}; to sync Events the service has not seen, run backfill`,
      );
    events = [{ tenantId: tenant.id, eventId }];
  }
  return retryEvents({ repos: deps.repos, clock: deps.clock }, events);
}

// ---- views ----

function loginPage(csrf: string, configured: boolean, error: string | undefined) {
  const message =
    error === 'wrong'
      ? 'That password or token is not right.'
      : error === 'locked'
        ? 'Too many failed attempts from this address: wait a quarter of an hour.'
        : error === 'expired'
          ? 'The form expired. Try again.'
          : undefined;
  return htmlPage(
    'Sign in',
    html`<h1 class="slds-text-heading_large slds-m-bottom_small">Instant Sync admin</h1>
      ${message === undefined ? '' : html`<p class="slds-notify slds-notify_alert slds-theme_error slds-m-vertical_medium" role="alert">${message}</p>`}
      ${
        configured
          ? html`<form method="post" action="/admin/login">
              <input type="hidden" name="csrf" value="${csrf}" />
              <p>
                <label for="secret">Admin password or token</label><br />
                <input
                  class="slds-input"
                  id="secret"
                  name="secret"
                  type="password"
                  autocomplete="current-password"
                  required
                  autofocus
                />
              </p>
              <button class="slds-button slds-button_brand" type="submit">Sign in</button>
            </form>`
          : html`<p>
              No admin password or token is set. On the server, run
              <code>npx instant-sync admin set-password</code> or set <code>INSTANT_SYNC_ADMIN_TOKEN</code>.
            </p>`
      }`,
  );
}

function stateClass(state: string): string {
  return state === 'connected' ? 'ok' : state === 'expiring' ? 'warn' : 'bad';
}

/** Tenants shown per page of the overview. */
const overviewPageSize = 50;

/** The overview's search, order and page, from its query string (anything unreadable: the defaults). */
function tenantQuery(c: Context): TenantQuery {
  const sort = c.req.query('sort');
  const page = Number(c.req.query('page'));
  return {
    search: c.req.query('q')?.trim().slice(0, 100) || undefined,
    sort: tenantSorts.find((s) => s === sort) ?? 'name',
    page: Number.isInteger(page) && page >= 1 && page <= 1_000_000 ? page : 1,
    pageSize: overviewPageSize,
  };
}

/** The overview's address for `query` changed by `change`. */
function overviewHref(query: TenantQuery, change: Partial<TenantQuery>): string {
  const next = { ...query, ...change };
  const params = new URLSearchParams();
  if (next.search !== undefined) params.set('q', next.search);
  if (next.sort !== 'name') params.set('sort', next.sort);
  if (next.page !== 1) params.set('page', String(next.page));
  const text = params.toString();
  return text === '' ? '/admin/' : `/admin/?${text}`;
}

const sortLabels: Record<TenantSort, string> = {
  name: 'by name',
  slug: 'by slug',
  newest: 'newest first',
  synced: 'most synced (24 h) first',
  queued: 'most queued first',
  dead: 'most dead letters first',
};

function overviewPage(
  query: TenantQuery,
  { tenants, total }: { tenants: TenantOverview[]; total: number },
  activity: SyncPoint[],
  queue: QueuePoint[],
  csrf: string,
  now: number,
  timeZone: string,
) {
  return htmlPage(
    'Overview',
    html`${adminNav(csrf)}
      <h1 class="slds-text-heading_large slds-m-bottom_small">Tenants</h1>
      <p class="slds-text-color_weak slds-m-bottom_medium">
        As of ${pageTime(now, timeZone, { exact: true })}. Latency: from the save in Salesforce to the item in
        the calendar, last 24 hours.
      </p>
      <form method="get" action="/admin/" role="search">
        <label class="slds-form-element__label" for="tenant-search">Search tenants</label>
        <input
          class="slds-input"
          id="tenant-search"
          type="search"
          name="q"
          value="${query.search ?? ''}"
          placeholder="slug or name"
        />
        <label class="slds-form-element__label" for="tenant-sort">Order</label>
        <select class="slds-select" id="tenant-sort" name="sort">
          ${tenantSorts.map(
            (sort) =>
              html`<option value="${sort}" ${sort === query.sort ? 'selected' : ''}>
                ${sortLabels[sort]}
              </option>`,
          )}
        </select>
        <button class="slds-button slds-button_neutral" type="submit">Show</button>
      </form>
      ${
        tenants.length === 0
          ? query.search === undefined && query.page === 1
            ? html`<p>No tenants yet: <code>npx instant-sync tenants add &lt;slug&gt;</code>.</p>`
            : html`<p class="slds-m-vertical_medium">
                No tenant ${query.search === undefined ? 'on this page' : html`matches “${query.search}”`}.
                <a href="${overviewHref(query, { search: undefined, page: 1 })}">Show all tenants</a>
              </p>`
          : html`${pagination(query, total, tenants.length)}
              <div class="table-wrap">
                <table class="slds-table slds-table_bordered slds-table_cell-buffer">
                  <thead>
                    <tr>
                      <th>Tenant</th>
                      <th>Salesforce</th>
                      <th>Calendar</th>
                      <th class="num">Synced 1 h</th>
                      <th class="num">Synced 24 h</th>
                      <th class="num">p50</th>
                      <th class="num">p95</th>
                      <th class="num">Queued</th>
                      <th class="num">Dead</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${tenants.map(
                      (t) =>
                        html`<tr>
                          <td>
                            <a href="/admin/tenants/${t.slug}">${t.name}</a><br /><span
                              class="slds-text-body_small slds-text-color_weak"
                              >${t.slug}</span
                            >
                          </td>
                          <td class="${stateClass(t.connection.state)}">
                            ${t.connection.status}
                            ${
                              t.intake.fallback === undefined
                                ? ''
                                : html`<br /><span class="warn" title="${t.intake.fallback.detail}"
                                      >CDC paused: ${t.intake.fallback.label}</span
                                    >`
                            }
                          </td>
                          <td>
                            ${
                              t.providers.length === 0
                                ? html`<span class="bad">not set</span>`
                                : t.providers
                                    .map((kind) => findProviderPlugin(kind)?.label ?? kind)
                                    .join(' + ')
                            }
                          </td>
                          <td class="num">${t.synced.lastHour}</td>
                          <td class="num">${t.synced.lastDay}</td>
                          <td class="num">
                            ${t.latencyMs.p50 === null ? '–' : `${(t.latencyMs.p50 / 1000).toFixed(1)} s`}
                          </td>
                          <td class="num">
                            ${t.latencyMs.p95 === null ? '–' : `${(t.latencyMs.p95 / 1000).toFixed(1)} s`}
                          </td>
                          <td class="num">
                            ${t.jobs.ready + t.jobs.scheduled + t.jobs.running + t.jobs.paused}
                          </td>
                          <td class="num">
                            ${t.jobs.dead === 0 ? '0' : html`<a class="bad" href="/admin/failures?tenant=${t.slug}&kind=dead">${t.jobs.dead}</a>`}
                          </td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
              </div>
              ${total > query.pageSize ? pagination(query, total, tenants.length) : ''}`
      }
      <h2 class="slds-text-heading_medium slds-m-vertical_medium">Syncs</h2>
      ${syncsChart(activity, timeZone)}
      <h2 class="slds-text-heading_medium slds-m-vertical_medium">Latency</h2>
      ${latencyChart(activity, timeZone)}
      <h2 class="slds-text-heading_medium slds-m-vertical_medium">Queue</h2>
      ${
        queue.length === 0
          ? html`<p class="slds-text-body_small slds-text-color_weak">
              No samples yet (one a minute while serve runs).
            </p>`
          : queueChart(queue, now, timeZone)
      }`,
    { wide: true, refreshSeconds: 10 },
  );
}

/** The overview's pages of tenants. */
function pagination(query: TenantQuery, total: number, shown: number) {
  return pageNav({
    of: 'tenants',
    noun: 'Tenants',
    page: query.page,
    pageSize: query.pageSize,
    shown,
    total,
    href: (page) => overviewHref(query, { page }),
  });
}

/** Failures shown per page. */
const failuresPageSize = 50;

function failuresPage(
  list: Failure[],
  view: {
    tenant: string | undefined;
    kind: 'dead' | 'skipped' | undefined;
    search: string | undefined;
    page: number;
    csrf: string;
    retried: string | undefined;
    timeZone: string;
  },
) {
  const filter = `tenant=${encodeURIComponent(view.tenant ?? '')}&kind=${view.kind ?? ''}&q=${encodeURIComponent(view.search ?? '')}`;
  const back = `/admin/failures?${filter}&page=${view.page}`;
  const shown = list.slice((view.page - 1) * failuresPageSize, view.page * failuresPageSize);
  return htmlPage(
    'Failures',
    html`${adminNav(view.csrf)}
      <h1 class="slds-text-heading_large slds-m-bottom_small">Failures</h1>
      ${view.retried === undefined ? '' : html`<p class="slds-notify slds-notify_alert slds-theme_success slds-m-vertical_medium" role="status">Queued ${view.retried} Event(s) to sync again.</p>`}
      <form method="get" action="/admin/failures">
        <label
          >Tenant <input class="slds-input" type="search" name="tenant" value="${view.tenant ?? ''}"
        /></label>
        <label
          >Event id, subject or mailbox
          <input class="slds-input" type="search" name="q" value="${view.search ?? ''}"
        /></label>
        <label
          >Show
          <select class="slds-select" name="kind">
            <option value="" ${view.kind === undefined ? 'selected' : ''}>dead letters and skips</option>
            <option value="dead" ${view.kind === 'dead' ? 'selected' : ''}>dead letters</option>
            <option value="skipped" ${view.kind === 'skipped' ? 'selected' : ''}>skips (last 7 days)</option>
          </select>
        </label>
        <button class="slds-button slds-button_neutral" type="submit">Filter</button>
      </form>
      ${retryForm(view.csrf, { dead: 'all', tenant: view.tenant ?? '', back }, `Retry all dead letters${view.tenant === undefined ? '' : ` of ${view.tenant}`}`)}
      ${
        shown.length === 0
          ? html`<p>Nothing here.</p>`
          : html`${pageNav({
                of: 'failures',
                page: view.page,
                pageSize: failuresPageSize,
                shown: shown.length,
                total: list.length,
                href: (page) => `/admin/failures?${filter}&page=${page}`,
              })}
              <div class="table-wrap">
                <table class="slds-table slds-table_bordered slds-table_cell-buffer">
                  <thead>
                    <tr>
                      <th>When</th>
                      <th>Tenant</th>
                      <th>Event</th>
                      <th>Mailbox</th>
                      <th>What</th>
                      <th>Why</th>
                      <th></th>
                    </tr>
                  </thead>
                  <tbody>
                    ${shown.map(
                      (f) =>
                        html`<tr>
                          <td>${pageTime(f.at, view.timeZone)}</td>
                          <td>${f.tenant}</td>
                          ${eventCells(f)}
                          <td class="${f.kind === 'dead' ? 'bad' : 'warn'}">
                            ${f.kind === 'dead' ? `dead after ${f.attempts ?? '?'} attempt(s)` : 'skipped'}
                          </td>
                          <td>${f.reason}</td>
                          <td>
                            ${retryForm(view.csrf, { tenant: f.tenant, eventId: f.eventId, back }, 'Retry', `Retry ${f.eventId}`)}
                          </td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
              </div>`
      }`,
    { wide: true },
  );
}

function eventPage(
  id: string,
  stories: EventStory[],
  view: { csrf: string; retried: string | undefined; problem: string | undefined; timeZone: string },
) {
  return htmlPage(
    id === '' ? 'Trace an Event' : `Event ${id}`,
    html`${adminNav(view.csrf)}
      <h1 class="slds-text-heading_large slds-m-bottom_small">Trace an Event</h1>
      <form method="get" action="/admin/events">
        <label for="id">Salesforce Event id</label>
        <input class="slds-input" id="id" type="search" name="id" value="${id}" placeholder="00U…" required />
        <button class="slds-button slds-button_neutral" type="submit">Show</button>
      </form>
      ${view.problem === undefined ? '' : html`<p class="slds-notify slds-notify_alert slds-theme_error slds-m-vertical_medium" role="alert">${view.problem}.</p>`}
      ${view.retried === undefined ? '' : html`<p class="slds-notify slds-notify_alert slds-theme_success slds-m-vertical_medium" role="status">Queued to sync again.</p>`}
      ${id !== '' && view.problem === undefined && stories.length === 0 ? html`<p>Nothing is known of Event ${id}.</p>` : ''}
      ${stories.map(
        (story) =>
          html`<h2 class="slds-text-heading_medium slds-m-vertical_medium">
              ${story.eventId}
              <span class="slds-text-body_small slds-text-color_weak">tenant ${story.tenant}</span>
            </h2>
            <div class="table-wrap">
              <table class="slds-table slds-table_bordered slds-table_cell-buffer">
                <thead>
                  <tr>
                    <th>When</th>
                    <th>Step</th>
                    <th>What happened</th>
                  </tr>
                </thead>
                <tbody>
                  ${story.entries.map(
                    (e) =>
                      html`<tr>
                        <td>${pageTime(e.at, view.timeZone)}</td>
                        <td
                          class="${e.step === 'error' ? 'bad' : e.step === 'skip' ? 'warn' : e.step === 'apply' ? 'ok' : ''}"
                        >
                          ${e.step}
                        </td>
                        <td>
                          ${e.message}${
                            e.data === undefined
                              ? ''
                              : html`<br /><span class="slds-text-body_small slds-text-color_weak"
                                    >${Object.entries(e.data)
                                      .map(
                                        ([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`,
                                      )
                                      .join(' · ')}</span
                                  >`
                          }
                        </td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>
            <p>
              Job:
              ${story.job === null ? 'finished' : `${story.job.state}, ${story.job.attempts} attempt(s)${story.job.lastError === null ? '' : ` — ${story.job.lastError}`}`}<br />
              Item: ${describeLinkedItem(story.link)}
            </p>
            ${retryForm(view.csrf, { tenant: story.tenant, eventId: story.eventId, back: `/admin/events?id=${story.eventId}` }, 'Sync again')}`,
      )}`,
    { wide: true },
  );
}
