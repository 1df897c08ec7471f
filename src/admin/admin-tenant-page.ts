// The admin page of one tenant (/admin/tenants/<slug>): its Salesforce connection with the expiry
// countdown and policy (Connect / Reconnect go through the tenant page; Disconnect from here), its
// sync settings with validation, the mailbox of each Event owner with its state (and a form to map
// one elsewhere), where each intake source has read up to, and the latest syncs.
import { Hono, type Context } from 'hono';
import { html } from 'hono/html';
import { sessionCsrf, sessionCsrfValid, type AdminDeps, type AdminEnv } from './admin-context.ts';
import { adminNav, disconnectable, eventCells, pageNav } from './admin-views.ts';
import { exactTime, pageTime } from '../http/page-time.ts';
import { readForm } from '../http/read-form.ts';
import { htmlPage } from '../http/html-page.ts';
import { parseDuration } from '../config/duration.ts';
import { BadInputError, NotFoundError } from '../lib/errors.ts';
import type { ConnectionView } from '../salesforce/connection-view.ts';
import { findProviderPlugin } from '../providers/registry.ts';
import { mapOwnerToMailbox } from '../tenants/map-mailbox.ts';
import type { TenantRow } from '../store/schema.ts';
import type { RecentApply } from '../store/traces-repository.ts';
import { latencyChart, queueChart, syncsChart } from './latency-chart.ts';
import { queueHistory, type QueuePoint } from '../reports/queue-history.ts';
import { syncHistory, type SyncPoint } from '../reports/sync-history.ts';
import { displayZone } from './display-zone.ts';
import { exclusionRulesEditor, submittedRulesJson } from './exclusion-rules-editor.ts';
import { describeMailboxState, toMailboxView, type MailboxView } from '../tenants/mailbox-view.ts';
import { toTenantSummary } from '../tenants/tenant-summary.ts';
import { intakeStatus, type IntakeStatus } from '../intake/intake-status.ts';
import { intakeStatusList } from '../http/intake-view.ts';
import { updateTenantSettings } from '../tenants/update-tenant-settings.ts';

interface SettingsForm {
  settleWindow: string;
  pollInterval: string;
  invitationPolicy: string;
  deletePolicy: string;
  internalDomains: string;
  exclusionRules: string;
}

export function adminTenantRoutes(deps: AdminDeps): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();

  const render = async (
    c: Context<AdminEnv>,
    slug: string,
    view: { form?: SettingsForm; error?: string; notice?: string },
    status: 200 | 400 = 200,
  ) => {
    const { tenant, connection } = await deps.overview.connections.get(slug);
    const summary = toTenantSummary(tenant, deps.publicUrl);
    const form: SettingsForm = view.form ?? {
      settleWindow: `${summary.settleWindowMs}ms`,
      pollInterval: summary.pollIntervalMs === null ? '' : `${summary.pollIntervalMs / 1000}s`,
      invitationPolicy: summary.invitationPolicy,
      deletePolicy: summary.deletePolicy,
      internalDomains: summary.internalDomains.join(', '),
      exclusionRules: JSON.stringify(summary.exclusionRules, null, 2),
    };
    // The page searches and pages the latest 1,000 syncs (the API gives the latest 20).
    const detail = await tenantDetail(deps, tenant, 1000);
    const syncs = latestSyncs(detail.recent, {
      search: c.req.query('q')?.trim().slice(0, 100) || undefined,
      action: syncActions.find((action) => action === c.req.query('action')),
      page: Number(c.req.query('syncPage')),
    });
    return c.html(
      tenantAdminPage({
        tenant,
        connection,
        form,
        csrf: sessionCsrf(c),
        ...detail,
        recent: syncs.page,
        syncs,
        activity: await syncHistory(deps.repos, deps.clock.now(), tenant.id),
        queue: await queueHistory(deps.repos, deps.clock.now(), tenant.id),
        ruleRecords: await deps.repos.eventRecords.recentEventRecords(
          tenant.id,
          deps.clock.now() - 7 * 86_400_000,
          5000,
        ),
        now: deps.clock.now(),
        publicUrl: deps.publicUrl,
        timeZone: displayZone(c, deps.displayTimeZone).zone,
        ...(view.error === undefined ? {} : { error: view.error }),
        ...(view.notice === undefined ? {} : { notice: view.notice }),
      }),
      status,
    );
  };

  app.get('/admin/tenants/:slug', (c) =>
    render(c, c.req.param('slug'), {
      ...(c.req.query('saved') === undefined ? {} : { notice: 'Settings saved.' }),
      ...(c.req.query('disconnected') === undefined ? {} : { notice: 'Disconnected.' }),
      ...(c.req.query('mapped') === undefined
        ? {}
        : { notice: "Mapped. Items already synced move with their Event's next change." }),
    }),
  );

  app.post('/admin/tenants/:slug/settings', async (c) => {
    const slug = c.req.param('slug');
    const body = await readForm(c);
    if (!sessionCsrfValid(c, deps, body['csrf']))
      return c.text('The form expired. Open the page again and retry.', 403);
    const text = (name: string) => (typeof body[name] === 'string' ? body[name] : '');
    const form: SettingsForm = {
      settleWindow: text('settleWindow').trim(),
      pollInterval: text('pollInterval').trim(),
      invitationPolicy: text('invitationPolicy'),
      deletePolicy: text('deletePolicy'),
      internalDomains: text('internalDomains'),
      exclusionRules: submittedRulesJson(body),
    };
    try {
      const settleWindowMs = parseDuration(form.settleWindow);
      if (settleWindowMs === undefined)
        throw new BadInputError(
          `the settle window must be a duration such as 500ms or 2s, got ${JSON.stringify(form.settleWindow)}`,
        );
      const pollIntervalMs = form.pollInterval === '' ? null : parseDuration(form.pollInterval);
      if (pollIntervalMs === undefined)
        throw new BadInputError(
          `the polling interval must be a duration such as 60s or 5m (empty: the server's default), got ${JSON.stringify(form.pollInterval)}`,
        );
      await updateTenantSettings({ repos: deps.repos, secretBox: deps.secretBox, clock: deps.clock }, slug, {
        settleWindowMs,
        pollIntervalMs,
        invitationPolicy: form.invitationPolicy,
        deletePolicy: form.deletePolicy,
        internalDomains: form.internalDomains,
        exclusionRulesJson: form.exclusionRules,
      });
    } catch (error) {
      if (!(error instanceof BadInputError)) throw error;
      return render(c, slug, { form, error: error.message }, 400);
    }
    return c.redirect(`/admin/tenants/${slug}?saved=1`, 303);
  });

  app.post('/admin/tenants/:slug/mailboxes', async (c) => {
    const slug = c.req.param('slug');
    const body = await readForm(c);
    if (!sessionCsrfValid(c, deps, body['csrf']))
      return c.text('The form expired. Open the page again and retry.', 403);
    try {
      await mapMailbox(
        deps,
        slug,
        typeof body['user'] === 'string' ? body['user'] : '',
        typeof body['mailbox'] === 'string' ? body['mailbox'] : '',
        typeof body['provider'] === 'string' && body['provider'] !== '' ? body['provider'] : undefined,
      );
    } catch (error) {
      if (!(error instanceof BadInputError || error instanceof NotFoundError)) throw error;
      return render(c, slug, { error: error.message }, 400);
    }
    return c.redirect(`/admin/tenants/${slug}?mapped=1`, 303);
  });

  // ---- the same as JSON (the /api/* guard of admin-routes.ts applies) ----
  app.post('/api/tenants/:slug/mailboxes', async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as {
      user?: unknown;
      mailbox?: unknown;
      provider?: unknown;
    };
    if (body.provider !== undefined && typeof body.provider !== 'string')
      throw new BadInputError("provider must be the name of one of the tenant's providers");
    await mapMailbox(
      deps,
      c.req.param('slug'),
      typeof body.user === 'string' ? body.user : '',
      typeof body.mailbox === 'string' ? body.mailbox : '',
      body.provider,
    );
    const { tenant } = await deps.overview.connections.get(c.req.param('slug'));
    return c.json((await deps.repos.mailboxes.listMailboxes(tenant.id)).map(toMailboxView));
  });
  app.get('/api/tenants/:slug', async (c) => {
    const { tenant, connection } = await deps.overview.connections.get(c.req.param('slug'));
    const detail = await tenantDetail(deps, tenant);
    return c.json({
      ...toTenantSummary(tenant, deps.publicUrl),
      connection,
      mailboxes: detail.mailboxes,
      providers: detail.providers,
      intake: detail.positions,
      intakeStatus: detail.intakeStatus,
      recentSyncs: detail.recent,
    });
  });
  app.patch('/api/tenants/:slug/settings', async (c) => {
    const slug = c.req.param('slug');
    const body = (await c.req.json().catch(() => undefined)) as Record<string, unknown> | undefined;
    if (body === undefined || typeof body !== 'object')
      throw new BadInputError('expected a JSON object of settings');
    const text = (name: string) => (typeof body[name] === 'string' ? body[name] : undefined);
    const duration = (name: string) => {
      const value = text(name);
      if (value === undefined) return undefined;
      const ms = parseDuration(value);
      if (ms === undefined) throw new BadInputError(`${name} must be a duration such as 500ms or 60s`);
      return ms;
    };
    const unknown = Object.keys(body).filter(
      (k) =>
        ![
          'settleWindow',
          'pollInterval',
          'invitationPolicy',
          'deletePolicy',
          'internalDomains',
          'exclusionRules',
        ].includes(k),
    );
    if (unknown.length > 0) throw new BadInputError(`unknown settings: ${unknown.join(', ')}`);
    await updateTenantSettings({ repos: deps.repos, secretBox: deps.secretBox, clock: deps.clock }, slug, {
      settleWindowMs: duration('settleWindow'),
      pollIntervalMs: body['pollInterval'] === null ? null : duration('pollInterval'),
      invitationPolicy: text('invitationPolicy'),
      deletePolicy: text('deletePolicy'),
      internalDomains: Array.isArray(body['internalDomains'])
        ? body['internalDomains'].join(',')
        : text('internalDomains'),
      exclusionRulesJson:
        body['exclusionRules'] === undefined ? undefined : JSON.stringify(body['exclusionRules']),
    });
    const { tenant } = await deps.overview.connections.get(slug);
    return c.json(toTenantSummary(tenant, deps.publicUrl));
  });
  app.post('/api/tenants/:slug/disconnect', async (c) => {
    const result = await deps.overview.connections.disconnect(c.req.param('slug'));
    return c.json({ connection: result.connection, revoked: result.revoked });
  });

  app.post('/admin/tenants/:slug/disconnect', async (c) => {
    const slug = c.req.param('slug');
    const body = await readForm(c);
    if (!sessionCsrfValid(c, deps, body['csrf']))
      return c.text('The form expired. Open the page again and retry.', 403);
    await deps.overview.connections.disconnect(slug);
    return c.redirect(`/admin/tenants/${slug}?disconnected=1`, 303);
  });
  return app;
}

function tenantAdminPage(view: {
  tenant: TenantRow;
  connection: ConnectionView;
  form: SettingsForm;
  csrf: string;
  mailboxes: MailboxView[];
  providers: { name: string; kind: string; isDefault: boolean }[];
  positions: { source: string; position: string; updatedAt: number }[];
  intakeStatus: IntakeStatus;
  recent: RecentApply[];
  /** The latest syncs shown: searched, a page of them. */
  syncs: LatestSyncs;
  /** Syncs per minute, last 24 hours, with their latency. */
  activity: SyncPoint[];
  /** The tenant's queue depth, a sample a minute over the last 24 hours. */
  queue: QueuePoint[];
  /** The Events of the last 7 days, for the exclusion rules' preview. */
  ruleRecords: Record<string, unknown>[];
  now: number;
  publicUrl: string;
  timeZone: string;
  error?: string;
  notice?: string;
}) {
  const { tenant, connection, form } = view;
  // A hybrid tenant's mailboxes each go through one of its providers: shown, and chosen when mapping.
  const hybrid = view.providers.length > 1;
  const defaultName = view.providers.find((p) => p.isDefault)?.name ?? 'default';
  const option = (value: string, current: string, label: string) =>
    html`<option value="${value}" ${value === current ? 'selected' : ''}>${label}</option>`;
  const tenantPage = `${view.publicUrl.replace(/\/+$/, '')}/t/${tenant.slug}/`;
  return htmlPage(
    tenant.name,
    html`${adminNav(view.csrf)}
      <h1 class="slds-text-heading_large slds-m-bottom_small">
        ${tenant.name} <span class="slds-text-body_small slds-text-color_weak">${tenant.slug}</span>
      </h1>
      ${view.notice === undefined ? '' : html`<p class="slds-notify slds-notify_alert slds-theme_success slds-m-vertical_medium" role="status">${view.notice}</p>`}
      ${view.error === undefined ? '' : html`<p class="slds-notify slds-notify_alert slds-theme_error slds-m-vertical_medium" role="alert">${view.error}</p>`}
      <section class="status ${connection.state}">
        <h2 class="slds-text-heading_medium slds-m-vertical_medium">Salesforce</h2>
        <p><strong>${connection.status}</strong></p>
        <dl>
          <dt>Org</dt>
          <dd>${connection.orgId ?? '–'}</dd>
          <dt>Signed in as</dt>
          <dd>${connection.username ?? '–'}</dd>
          <dt>Refresh-token policy</dt>
          <dd>${connection.refreshTokenPolicyDescription}</dd>
          <dt>Expires</dt>
          <dd>
            ${
              connection.expiresAt !== null
                ? pageTime(connection.expiresAt, view.timeZone, { exact: true })
                : connection.state === 'connected' || connection.state === 'expiring'
                  ? 'never'
                  : '– (not connected)'
            }
          </dd>
          ${
            connection.lastError === null
              ? ''
              : html`<dt>Last error</dt>
                  <dd class="bad">${connection.lastError}</dd>`
          }
        </dl>
        <a href="${tenantPage}"
          >${connection.state === 'connected' ? 'Tenant page' : 'Connect or Reconnect on the tenant page'}</a
        >
        ${
          disconnectable(connection.state)
            ? html`<form method="post" action="/admin/tenants/${tenant.slug}/disconnect">
                <input type="hidden" name="csrf" value="${view.csrf}" />
                <button class="slds-button slds-button_neutral" type="submit">Disconnect</button>
              </form>`
            : ''
        }
      </section>

      <h2 class="slds-text-heading_medium slds-m-vertical_medium">Settings</h2>
      <form method="post" action="/admin/tenants/${tenant.slug}/settings" class="settings">
        <input type="hidden" name="csrf" value="${view.csrf}" />
        <p>
          <label for="settleWindow">Settle window</label><br />
          <input
            class="slds-input"
            id="settleWindow"
            name="settleWindow"
            type="text"
            value="${form.settleWindow}"
            required
          />
          <span class="slds-text-body_small slds-text-color_weak"
            >how long a change waits for the ones right behind it, 0s to 1h</span
          >
        </p>
        <p>
          <label for="invitationPolicy">Invitations</label><br />
          <select class="slds-select" id="invitationPolicy" name="invitationPolicy">
            ${option('none', form.invitationPolicy, 'none: nobody is emailed; invitees listed in the body')}
            ${option('internal', form.invitationPolicy, 'internal: only the internal domains become attendees')}
            ${option('all', form.invitationPolicy, 'all: every invitee becomes an attendee')}
          </select>
        </p>
        <p>
          <label for="internalDomains">Internal domains</label><br />
          <input
            class="slds-input"
            id="internalDomains"
            name="internalDomains"
            type="text"
            value="${form.internalDomains}"
            placeholder="acme.com, acme.de"
          />
        </p>
        <p>
          <label for="deletePolicy">Deleted Events</label><br />
          <select class="slds-select" id="deletePolicy" name="deletePolicy">
            ${option('delete', form.deletePolicy, 'delete their calendar items')}
            ${option('keep', form.deletePolicy, 'keep their calendar items')}
          </select>
        </p>
        ${exclusionRulesEditor(form.exclusionRules, view.ruleRecords)}
        <button class="slds-button slds-button_brand" type="submit">Save settings</button>
      </form>

      <h2 class="slds-text-heading_medium slds-m-vertical_medium">Mailboxes</h2>
      ${
        view.mailboxes.length === 0
          ? html`<p class="slds-text-body_small slds-text-color_weak slds-m-top_small">
              None yet: owners appear as their Events sync.
            </p>`
          : html`<div class="table-wrap">
              <table class="slds-table slds-table_bordered slds-table_cell-buffer">
                <thead>
                  <tr>
                    <th>Salesforce user</th>
                    <th>Mailbox</th>
                    <th>From</th>
                    ${hybrid ? html`<th>Provider</th>` : ''}
                    <th>State</th>
                    <th>Time zone</th>
                    <th>Problem</th>
                  </tr>
                </thead>
                <tbody>
                  ${view.mailboxes.map(
                    (m) =>
                      html`<tr>
                        <td>${m.user}</td>
                        <td>${m.mailbox ?? '–'}</td>
                        <td>${m.source}</td>
                        ${hybrid ? html`<td>${m.provider ?? `${defaultName} (default)`}</td>` : ''}
                        <td class="${m.state === 'active' && m.problem === null ? 'ok' : 'bad'}">
                          ${describeMailboxState(m)}
                        </td>
                        <td>${m.timeZone ?? '–'}</td>
                        <td>${m.problem ?? ''}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
      }

      <form method="post" action="/admin/tenants/${tenant.slug}/mailboxes">
        <input type="hidden" name="csrf" value="${view.csrf}" />
        <label for="mapUser">Salesforce user id or email</label>
        <input
          class="slds-input"
          id="mapUser"
          name="user"
          type="text"
          required
          placeholder="005… or jane@acme.com"
        />
        <label for="mapMailbox">goes to mailbox</label>
        <input
          class="slds-input"
          id="mapMailbox"
          name="mailbox"
          type="text"
          required
          placeholder="jane.doe@contoso.com"
        />
        ${
          hybrid
            ? html`<label for="mapProvider">through</label>
                <select class="slds-select" id="mapProvider" name="provider">
                  <option value="">its provider as now</option>
                  ${view.providers.map((p) => {
                    const label = `${p.name} (${findProviderPlugin(p.kind)?.label ?? p.kind}${p.isDefault ? ', default' : ''})`;
                    return html`<option value="${p.name}">${label}</option>`;
                  })}
                </select>`
            : ''
        }
        <button class="slds-button slds-button_neutral" type="submit">Map</button>
      </form>

      <h2 class="slds-text-heading_medium slds-m-vertical_medium">Change intake</h2>
      ${intakeStatusList(view.intakeStatus, view.timeZone)}
      ${
        view.positions.length === 0
          ? html`<p class="slds-text-body_small slds-text-color_weak slds-m-top_small">Nothing read yet.</p>`
          : html`<dl>
              ${view.positions.map(
                (p) =>
                  html`<dt>${p.source === 'cdc' ? 'Change data capture' : 'Polling'}</dt>
                    <dd>${describePosition(p, view.now, view.timeZone)}</dd>`,
              )}
            </dl>`
      }

      <h2 class="slds-text-heading_medium slds-m-vertical_medium">Activity</h2>
      ${syncsChart(view.activity, view.timeZone)} ${latencyChart(view.activity, view.timeZone)}
      ${queueChart(view.queue, view.now, view.timeZone)}
      <h2 class="slds-text-heading_medium slds-m-vertical_medium" id="latest-syncs">Latest syncs</h2>
      <form method="get" action="/admin/tenants/${tenant.slug}#latest-syncs" role="search">
        <label for="sync-search">Event id, subject or mailbox</label>
        <input
          class="slds-input"
          id="sync-search"
          type="search"
          name="q"
          value="${view.syncs.search ?? ''}"
        />
        <label for="sync-action">Action</label>
        <select class="slds-select" id="sync-action" name="action">
          <option value="">any</option>
          ${syncActions.map(
            (action) =>
              html`<option value="${action}" ${action === view.syncs.action ? 'selected' : ''}>
                ${action}
              </option>`,
          )}
        </select>
        <button class="slds-button slds-button_neutral" type="submit">Search</button>
      </form>
      ${
        view.recent.length === 0
          ? html`<p class="slds-text-body_small slds-text-color_weak slds-m-top_small">
              ${
                view.syncs.search === undefined && view.syncs.action === undefined
                  ? 'None yet.'
                  : 'No sync of the latest 1,000 matches.'
              }
            </p>`
          : html`${pageNav({
                of: 'latest syncs',
                page: view.syncs.pageNumber,
                pageSize: syncsPageSize,
                shown: view.recent.length,
                total: view.syncs.total,
                href: (page) => syncsHref(tenant.slug, view.syncs, page),
              })}
              <div class="table-wrap">
                <table class="slds-table slds-table_bordered slds-table_cell-buffer">
                  <thead>
                    <tr>
                      <th>When</th>
                      <th>Event</th>
                      <th>Mailbox</th>
                      <th>What</th>
                      <th class="num">Latency</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${view.recent.map(
                      (r) =>
                        html`<tr>
                          <td>${pageTime(r.at, view.timeZone)}</td>
                          ${eventCells(r)}
                          <td>${r.message}</td>
                          <td class="num">
                            ${r.latencyMs === undefined ? '–' : `${(r.latencyMs / 1000).toFixed(1)} s`}
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

/** Sends a Salesforce user's Events to a chosen mailbox (user by id, or by an owner's email already seen). */
async function mapMailbox(
  deps: AdminDeps,
  slug: string,
  user: string,
  mailbox: string,
  provider: string | undefined,
): Promise<void> {
  const { tenant } = await deps.overview.connections.get(slug);
  await mapOwnerToMailbox({ repos: deps.repos, clock: deps.clock }, tenant, user, mailbox, provider);
}

/** Latest syncs shown per page. */
const syncsPageSize = 20;

/** What a sync did to the calendar item: the latest syncs can be narrowed to one. */
const syncActions = ['create', 'update', 'move', 'delete'] as const;
type SyncAction = (typeof syncActions)[number];

interface LatestSyncs {
  page: RecentApply[];
  search: string | undefined;
  action: SyncAction | undefined;
  total: number;
  pageNumber: number;
}

/**
 * The syncs among `latest` whose Event id, subject or mailbox contains `search` (any case) and
 * that did `action` (their trace says "<action> done"), a page of them.
 */
function latestSyncs(
  latest: readonly RecentApply[],
  asked: { search: string | undefined; action: SyncAction | undefined; page: number },
): LatestSyncs {
  const { search, action, page } = asked;
  const wanted = search?.toLowerCase();
  const found = latest.filter(
    (r) =>
      (action === undefined || r.message === `${action} done`) &&
      (wanted === undefined ||
        [r.eventId, r.subject, r.mailbox].some((text) => text?.toLowerCase().includes(wanted))),
  );
  const pages = Math.max(1, Math.ceil(found.length / syncsPageSize));
  const pageNumber = Number.isInteger(page) && page >= 1 ? Math.min(page, pages) : 1;
  const skipped = (pageNumber - 1) * syncsPageSize;
  return {
    page: found.slice(skipped, skipped + syncsPageSize),
    search,
    action,
    total: found.length,
    pageNumber,
  };
}

function syncsHref(slug: string, syncs: LatestSyncs, page: number): string {
  const params = new URLSearchParams();
  if (syncs.search !== undefined) params.set('q', syncs.search);
  if (syncs.action !== undefined) params.set('action', syncs.action);
  params.set('syncPage', String(page));
  return `/admin/tenants/${slug}?${params.toString()}#latest-syncs`;
}

/** What the tenant page and GET /api/tenants/<slug> show beyond the settings. */
async function tenantDetail(deps: AdminDeps, tenant: TenantRow, recentSyncs = 20) {
  const tenantId = tenant.id;
  const mailboxes = (await deps.repos.mailboxes.listMailboxes(tenantId)).map(toMailboxView);
  const positions = await deps.repos.intakePositions.listPositions(tenantId);
  const recent = await deps.repos.traces.recentApplies(tenantId, recentSyncs);
  const providers = (await deps.repos.mailboxProviders.listProviders(tenantId)).map((p) => ({
    name: p.name,
    kind: p.kind,
    isDefault: p.is_default === 1,
  }));
  const status = await intakeStatus(deps.repos, deps.overview.intake, tenant);
  return { mailboxes, providers, positions, recent, intakeStatus: status };
}

function describePosition(
  p: { source: string; position: string; updatedAt: number },
  now: number,
  timeZone: string,
): string {
  const age = Math.max(0, Math.round((now - p.updatedAt) / 1000));
  if (p.source === 'cdc') {
    try {
      const position = JSON.parse(p.position) as { replayId?: string; commitTimestamp?: number };
      const eventAge =
        position.commitTimestamp === undefined
          ? ''
          : `, last change committed ${Math.round((now - position.commitTimestamp) / 1000)} s ago`;
      return `replay id ${position.replayId ?? '?'}${eventAge} (saved ${age} s ago)`;
    } catch {
      return `saved ${age} s ago`;
    }
  }
  return `read up to ${exactTime(Number(p.position), timeZone)} (last poll ${age} s ago)`;
}
