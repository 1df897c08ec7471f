// The tenant's connect page, the vendor's admin guide's "Connect … to Salesforce Config" outside Salesforce:
// GET /t/<slug>/ shows the Client ID and the connection status in the admin guide's words with its
// expiry countdown; Connect / Reconnect start Salesforce OAuth; the callback completes it;
// Disconnect revokes. Every failure is a page that says what happened and that nothing changed.
// The page is public (anyone with the tenant URL): Connect is limited per address, a different
// Salesforce user may only replace the connected one with an admin signed in, and the page says
// who is connected.
import type { TenantRow } from '../store/schema.ts';
import type { IntakeStatus } from '../intake/intake-status.ts';
import { intakeStatusList } from './intake-view.ts';
import { Hono, type Context } from 'hono';
import { html } from 'hono/html';
import type { Clock } from '../lib/clock.ts';
import { slugProblem } from '../domain/tenant.ts';
import { BadInputError, NotFoundError, TooManyRequestsError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import { ConnectError } from '../salesforce/connect-error.ts';
import type { ConnectionManager, TenantConnection } from '../salesforce/connection-manager.ts';
import {
  csrfToken,
  csrfValid,
  hasTenantSession,
  startOAuthBinding,
  startTenantSession,
  takeOAuthBinding,
  type CookieSettings,
} from './browser-cookies.ts';
import { readForm } from './read-form.ts';
import { htmlPage, messagePage } from './html-page.ts';
import { pageTime } from './page-time.ts';
import { contentSecurityPolicy } from './security-headers.ts';

export interface TenantPagesDeps {
  connections: ConnectionManager;
  secretBox: SecretBox;
  publicUrl: string;
  /** The zone the page shows times in (INSTANT_SYNC_DISPLAY_TIME_ZONE). */
  displayTimeZone: string;
  clock: Clock;
  /** The address a request came from, for the Connect limit. */
  clientAddress: (c: Context) => string;
  /** Counts a Connect from `client`; refused when it started too many lately. */
  reserveConnect: (client: string, now: number) => Promise<{ allowed: boolean; retryAfterSeconds: number }>;
  /** Whether the browser holds an admin session (which may connect the tenant as another user). */
  isAdmin: (c: Context) => Promise<boolean>;
  /** How the tenant's changes come in (shown to whoever connected it). */
  intakeStatus: (tenant: TenantRow) => Promise<IntakeStatus>;
}

export function tenantPages(deps: TenantPagesDeps, logger: Logger): Hono {
  const app = new Hono();
  const cookies: CookieSettings = { secure: deps.publicUrl.startsWith('https:'), secretBox: deps.secretBox };
  const pathOf = (slug: string) => `/t/${slug}/`;

  // A slug that cannot name a tenant (a CR or LF in it, say) is simply not found, before it gets
  // near a header or a query.
  app.use('/t/:slug/*', async (c, next) => {
    if (slugProblem(c.req.param('slug')) !== undefined) throw new NotFoundError('no such tenant');
    await next();
  });
  app.use('/t/:slug', async (c, next) => {
    if (slugProblem(c.req.param('slug')) !== undefined) throw new NotFoundError('no such tenant');
    await next();
  });

  app.get('/t/:slug', (c) => c.redirect(pathOf(c.req.param('slug')), 308));

  app.get('/t/:slug/', async (c) => {
    const current = await deps.connections.get(c.req.param('slug'));
    const signedIn = hasTenantSession(c, cookies, {
      tenantId: current.tenant.id,
      orgId: current.connection.orgId,
      now: deps.clock.now(),
    });
    const intake = signedIn ? await deps.intakeStatus(current.tenant) : undefined;
    c.header('cache-control', 'no-store');
    // Connect's form leads, through a redirect, to the org's sign-in page.
    c.header('content-security-policy', contentSecurityPolicy([new URL(current.connection.loginUrl).origin]));
    return c.html(
      tenantPage(current, {
        csrf: csrfToken(c, cookies),
        signedIn,
        result: c.req.query('result'),
        inPackage: c.req.query('package') === '1',
        callbackUrl: deps.connections.callbackUrl(current.tenant.slug),
        tenantUrl: `${deps.publicUrl}${pathOf(current.tenant.slug)}`,
        timeZone: deps.displayTimeZone,
        intake,
      }),
    );
  });

  // The Connect page inside Salesforce (our package) opens this in a window with the Client ID the
  // admin entered in ClientId Config: one that is not this tenant's means the tenant URL and the
  // Client ID disagree, which is said here before anyone signs in. Connect itself stays a form
  // (POST with its CSRF token) on the tenant page.
  app.get('/t/:slug/connect', async (c) => {
    const slug = c.req.param('slug');
    const current = await deps.connections.get(slug);
    const clientId = c.req.query('clientId')?.trim();
    if (clientId !== undefined && clientId !== current.tenant.client_id) {
      return c.html(
        messagePage(
          'This tenant URL is not for that Client ID',
          `The Client ID entered in Salesforce (ClientId Config: ${clientId.slice(0, 40)}) is not the one of this tenant URL. ` +
            'Both come from the same `instant-sync tenants add`: check them, then click Connect again. Nothing was changed.',
          { href: pathOf(slug), label: 'Open the tenant page' },
        ),
        400,
      );
    }
    return c.redirect(`${pathOf(slug)}?from=salesforce`, 303);
  });

  app.post('/t/:slug/connect', async (c) => {
    const slug = c.req.param('slug');
    if (!(await csrfFromForm(c))) return refused(c, slug, 'The form expired. Open the page again and retry.');
    const limit = await deps.reserveConnect(deps.clientAddress(c), deps.clock.now());
    if (!limit.allowed) {
      throw new TooManyRequestsError(
        'Too many sign-ins were started from this address lately. Nothing was changed: try again in a few minutes.',
        limit.retryAfterSeconds,
      );
    }
    const binding = startOAuthBinding(c, cookies, pathOf(slug));
    const { authorizeUrl } = await deps.connections.startConnect(slug, binding);
    return c.redirect(authorizeUrl, 303);
  });

  app.get('/t/:slug/oauth/callback', async (c) => {
    const slug = c.req.param('slug');
    const binding = takeOAuthBinding(c, cookies, pathOf(slug));
    try {
      const connected = await deps.connections.finishConnect(
        slug,
        {
          state: c.req.query('state'),
          code: c.req.query('code'),
          error: c.req.query('error'),
          errorDescription: c.req.query('error_description'),
        },
        binding,
        { mayReplaceUser: await deps.isAdmin(c) },
      );
      if (connected.connection.orgId !== null) {
        startTenantSession(c, cookies, pathOf(slug), {
          tenantId: connected.tenant.id,
          orgId: connected.connection.orgId,
          now: deps.clock.now(),
        });
      }
      // Our package's Connect page (inside Salesforce) reads what was just written there.
      const inPackage =
        connected.orgPackage !== undefined &&
        'installed' in connected.orgPackage &&
        connected.orgPackage.installed;
      return c.redirect(`${pathOf(slug)}?result=connected${inPackage ? '&package=1' : ''}`, 303);
    } catch (error) {
      if (!(error instanceof ConnectError)) throw error;
      logger.warn({ tenant: slug, failure: error.failure }, `Connect did not complete: ${error.message}`);
      return c.html(
        messagePage('Could not connect to Salesforce', error.message, {
          href: pathOf(slug),
          label: 'Back to the tenant page',
        }),
        400,
      );
    }
  });

  app.post('/t/:slug/disconnect', async (c) => {
    const slug = c.req.param('slug');
    if (!(await csrfFromForm(c))) return refused(c, slug, 'The form expired. Open the page again and retry.');
    const current = await deps.connections.get(slug);
    const allowed = hasTenantSession(c, cookies, {
      tenantId: current.tenant.id,
      orgId: current.connection.orgId,
      now: deps.clock.now(),
    });
    if (!allowed) {
      return refused(
        c,
        slug,
        "Only someone signed in to this tenant's Salesforce org can disconnect it here: click Reconnect first " +
          '(it signs you in), or run `instant-sync disconnect ' +
          slug +
          '` on the server.',
        403,
      );
    }
    await deps.connections.disconnect(slug);
    return c.redirect(`${pathOf(slug)}?result=disconnected`, 303);
  });

  app.onError((error, c) => {
    if (error instanceof NotFoundError) {
      return c.html(
        messagePage('No such tenant', 'There is no tenant at this address. Check the tenant URL.'),
        404,
      );
    }
    if (error instanceof TooManyRequestsError) {
      c.header('retry-after', String(error.retryAfterSeconds));
      const back = { href: pathOf(c.req.param('slug') ?? ''), label: 'Back to the tenant page' };
      return c.html(messagePage('Nothing was changed', error.message, back), 429);
    }
    if (error instanceof BadInputError) {
      logger.warn({ path: c.req.path }, `tenant page refused a request: ${error.message}`);
      const back = { href: pathOf(c.req.param('slug') ?? ''), label: 'Back to the tenant page' };
      return c.html(messagePage('Nothing was changed', error.message, back), 400);
    }
    throw error;
  });

  return app;
}

async function csrfFromForm(c: Context): Promise<boolean> {
  const form: Record<string, unknown> = await readForm(c);
  return csrfValid(c, form['csrf']);
}

function refused(c: Context, slug: string, message: string, status: 400 | 403 = 400) {
  return c.html(
    messagePage('Nothing was changed', message, { href: `/t/${slug}/`, label: 'Back to the tenant page' }),
    status,
  );
}

const packageNote = ' — the Connect page in Salesforce shows it too: you may close this window';

function tenantPage(
  current: TenantConnection,
  view: {
    csrf: string;
    signedIn: boolean;
    result: string | undefined;
    /** The org has our package, and its Connect page was told. */
    inPackage: boolean;
    callbackUrl: string;
    tenantUrl: string;
    timeZone: string;
    /** Only for whoever connected the tenant (signed in). */
    intake: IntakeStatus | undefined;
  },
) {
  const { tenant, connection } = current;
  const banner =
    view.result === 'connected' && (connection.state === 'connected' || connection.state === 'expiring')
      ? html`<p class="slds-notify slds-notify_alert slds-theme_success slds-m-vertical_medium" role="status">
          Connected${view.inPackage ? packageNote : ''}
        </p>`
      : view.result === 'disconnected' && connection.state === 'disconnected'
        ? html`<p
            class="slds-notify slds-notify_alert slds-theme_success slds-m-vertical_medium"
            role="status"
          >
            Disconnected
          </p>`
        : '';
  const connectLabel = connection.state === 'disconnected' ? 'Connect' : 'Reconnect';
  const expiry =
    connection.expiresAt === null
      ? ''
      : html`<p>
          The connection's refresh token expires on
          ${pageTime(connection.expiresAt, view.timeZone, { exact: true })}. Reconnect before then to keep
          syncing; you will be warned 7, 3 and 1 days ahead.
        </p>`;
  const reconnectNote =
    connection.state === 'reconnect_required'
      ? html`<p>
          Salesforce no longer accepts this connection. Sync is paused and no change is lost: click Reconnect
          and it catches up.
        </p>`
      : '';
  const details = view.signedIn
    ? html`<dt>Salesforce org</dt>
        <dd>${connection.orgId ?? '—'}</dd>
        <dt>Connected since</dt>
        <dd>${connection.connectedAt === null ? '—' : pageTime(connection.connectedAt, view.timeZone)}</dd>
        <dt>Refresh token</dt>
        <dd>${connection.refreshTokenPolicyDescription}</dd>
        ${
          connection.lastError === null
            ? ''
            : html`<dt>Last problem</dt>
                <dd>${connection.lastError}</dd>`
        }`
    : '';
  return htmlPage(
    `${tenant.name}: Salesforce connection`,
    html`<h1 class="slds-text-heading_large slds-m-bottom_small">Connect Instant Sync to Salesforce</h1>
      <p class="slds-text-color_weak slds-m-bottom_medium">${tenant.name}</p>
      ${banner}
      <section class="status ${connection.state}" aria-live="polite">
        <h2 class="slds-text-heading_medium slds-m-vertical_medium">
          Status: <strong>${connection.status}</strong>
        </h2>
        ${expiry} ${reconnectNote}
      </section>
      <dl>
        <dt>Client ID</dt>
        <dd>${tenant.client_id}</dd>
        <dt>Tenant URL</dt>
        <dd>${view.tenantUrl}</dd>
        ${
          connection.state === 'disconnected'
            ? ''
            : html`<dt>Connected as</dt>
                <dd>${connection.username ?? connection.userId ?? '—'}</dd>`
        }
        ${details}
      </dl>
      ${
        view.intake === undefined || connection.state === 'disconnected'
          ? ''
          : html`<h2 class="slds-text-heading_medium slds-m-vertical_medium">Changes</h2>
              ${intakeStatusList(view.intake, view.timeZone)}`
      }
      <form method="post" action="connect">
        <input type="hidden" name="csrf" value="${view.csrf}" />
        <button class="slds-button slds-button_brand" type="submit">${connectLabel}</button>
      </form>
      ${
        connection.state === 'disconnected'
          ? ''
          : html`<form method="post" action="disconnect">
              <input type="hidden" name="csrf" value="${view.csrf}" />
              <button class="slds-button slds-button_neutral" type="submit">Disconnect</button>
            </form>`
      }
      ${
        connection.state === 'disconnected'
          ? ''
          : html`<p class="slds-text-body_small slds-text-color_weak slds-m-top_small">
              Reconnect signs in as the connected user; connecting as another Salesforce user needs an Instant
              Sync admin signed in.
            </p>`
      }
      <p class="slds-text-body_small slds-text-color_weak slds-m-top_small">
        Salesforce app callback URL for this tenant: ${view.callbackUrl}
      </p>`,
  );
}
