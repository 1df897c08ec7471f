// Connect and Disconnect, the admin guide's user journey: Connect sends the admin through Salesforce
// OAuth (web server flow with PKCE and a single-use state bound to the tenant and the browser)
// or signs a JWT bearer assertion; Disconnect revokes the grant at Salesforce. Tokens are sealed
// before they touch the database. A tenant connected to one org cannot be switched to another
// by a Connect: Disconnect first, so a stranger's Connect cannot redirect a tenant's sync.
import {
  parseRefreshTokenPolicy,
  refreshTokenExpiresAt,
  expiryPhase,
} from '../domain/salesforce-connection.ts';
import { tenantUrl } from '../domain/tenant.ts';
import { describeError, NotFoundError, TooManyRequestsError } from '../lib/errors.ts';
import type { ConnectionRow, TenantRow } from '../store/schema.ts';
import { ConnectError } from './connect-error.ts';
import { clearPackage, configurePackage, type PackageOutcome } from './org-package.ts';
import { SalesforceRestClient } from './rest-client.ts';
import { moveConnection } from './connection-transitions.ts';
import { toConnectionView, type ConnectionView } from './connection-view.ts';
import { oauthAppFor, requireClientSecret } from './oauth-app.ts';
import { SalesforceOAuthClient } from './oauth-client.ts';
import { createPkcePair, hashToken, randomToken } from './pkce.ts';
import { oauthScope, type SalesforceDeps } from './salesforce-deps.ts';
import type { SalesforceSessions } from './salesforce-sessions.ts';
import { parseIdentityUrl, type TokenResponse } from './token-response.ts';
import { sealContext } from '../store/seal-contexts.ts';

const stateLifetimeMs = 10 * 60_000;
/** Connects a tenant may have under way at once (each is a row until it ends or expires). */
export const maxPendingConnects = 50;

export interface TenantConnection {
  tenant: TenantRow;
  connection: ConnectionView;
  /** What a Connect or Disconnect did to our package's settings in the org (when it tried). */
  orgPackage?: PackageOutcome | { error: string } | undefined;
}

export class ConnectionManager {
  readonly #deps: SalesforceDeps;
  readonly #sessions: SalesforceSessions;
  readonly #connectedListeners = new Set<(tenantId: string) => void>();

  constructor(deps: SalesforceDeps, sessions: SalesforceSessions) {
    this.#deps = deps;
    this.#sessions = sessions;
  }

  /**
   * Calls `listener` with the tenant's id each time a Connect (or reconnect) of this process has
   * saved its grant, so what waits for a connection (the CDC subscription) can start at once.
   * Returns a function that removes the listener.
   */
  onConnected(listener: (tenantId: string) => void): () => void {
    this.#connectedListeners.add(listener);
    return () => this.#connectedListeners.delete(listener);
  }

  /** The OAuth callback URL of a tenant: register it on the External Client App. */
  callbackUrl(slug: string): string {
    return `${tenantUrl(this.#deps.settings.publicUrl, slug)}oauth/callback`;
  }

  async get(slug: string): Promise<TenantConnection> {
    const { tenant, row } = await this.#load(slug);
    return { tenant, connection: toConnectionView(row, this.#deps.clock.now()) };
  }

  /**
   * Starts a Connect: returns the Salesforce authorization URL to send the browser to.
   * `browserBinding` is a random value the caller also keeps in a cookie of that browser.
   */
  async startConnect(slug: string, browserBinding: string): Promise<{ authorizeUrl: string }> {
    const { tenant, row } = await this.#load(slug);
    const app = requireClientSecret(oauthAppFor(row, this.#deps));
    const state = randomToken();
    const stateHash = hashToken(state);
    const pkce = createPkcePair();
    const now = this.#deps.clock.now();
    const stored = await this.#deps.repos.oauthStates.insertOAuthState(
      {
        state_hash: stateHash,
        tenant_id: tenant.id,
        code_verifier_sealed: this.#deps.secretBox.seal(pkce.verifier, sealContext.codeVerifier(stateHash)),
        browser_binding_hash: hashToken(browserBinding),
        created_at: now,
        expires_at: now + stateLifetimeMs,
      },
      { now, maxLive: maxPendingConnects },
    );
    if (!stored) {
      throw new TooManyRequestsError(
        `${maxPendingConnects} sign-ins to Salesforce are already under way for this tenant; try again in a few minutes`,
        stateLifetimeMs / 1000,
      );
    }
    const oauth = new SalesforceOAuthClient(app, this.#deps.fetch);
    return {
      authorizeUrl: oauth.authorizeUrl({
        redirectUri: this.callbackUrl(slug),
        state,
        codeChallenge: pkce.challenge,
        scope: oauthScope,
      }),
    };
  }

  /**
   * Completes a Connect from the OAuth callback's query. Throws ConnectError, changing nothing, when
   * it cannot. Only the connected Salesforce user may reconnect a connected tenant, unless
   * `mayReplaceUser` (an admin is signed in): the user is whose visibility the sync reads with.
   */
  async finishConnect(
    slug: string,
    callback: {
      state?: string | undefined;
      code?: string | undefined;
      error?: string | undefined;
      errorDescription?: string | undefined;
    },
    browserBinding: string | undefined,
    options: { mayReplaceUser: boolean } = { mayReplaceUser: false },
  ): Promise<TenantConnection> {
    const { tenant } = await this.#load(slug);
    const now = this.#deps.clock.now();
    const stateHash =
      callback.state === undefined || callback.state === '' ? undefined : hashToken(callback.state);
    const pending =
      stateHash === undefined ? undefined : await this.#deps.repos.oauthStates.takeOAuthState(stateHash);
    if (stateHash === undefined || pending === undefined || pending.expires_at <= now) {
      throw new ConnectError(
        'unknown-state',
        'This sign-in is unknown, has expired (after 10 minutes) or was already used. Nothing was changed: start again with Connect.',
      );
    }
    if (pending.tenant_id !== tenant.id) {
      throw new ConnectError(
        'wrong-tenant',
        'This sign-in was started for another tenant, so it cannot connect this one. Nothing was changed.',
      );
    }
    if (browserBinding === undefined || hashToken(browserBinding) !== pending.browser_binding_hash) {
      throw new ConnectError(
        'wrong-browser',
        'This sign-in was started in another browser (or its cookie was lost). Nothing was changed: click Connect again in this browser.',
      );
    }
    if (callback.error !== undefined && callback.error !== '') {
      const detail =
        callback.errorDescription === undefined
          ? callback.error
          : `${callback.error}: ${callback.errorDescription}`;
      throw new ConnectError('denied', `Salesforce did not grant access (${detail}). Nothing was changed.`);
    }
    if (callback.code === undefined || callback.code === '') {
      throw new ConnectError(
        'exchange-failed',
        'Salesforce sent no authorization code. Nothing was changed: try Connect again.',
      );
    }

    const row = await this.#connection(tenant);
    const app = requireClientSecret(oauthAppFor(row, this.#deps));
    const oauth = new SalesforceOAuthClient(app, this.#deps.fetch);
    const result = await oauth.exchangeCode({
      code: callback.code,
      redirectUri: this.callbackUrl(slug),
      codeVerifier: this.#deps.secretBox.open(
        pending.code_verifier_sealed,
        sealContext.codeVerifier(stateHash),
      ),
    });
    if (!result.ok) {
      throw new ConnectError(
        'exchange-failed',
        `Salesforce refused the sign-in (${result.failure.message}). Nothing was changed: try Connect again.`,
      );
    }
    await this.#saveGrant(tenant, row, oauth, result.token, 'web_server', options.mayReplaceUser);
    const connected = await this.get(slug);
    return { ...connected, orgPackage: await this.#configurePackage(connected) };
  }

  /** Connects with the JWT bearer flow (tenant settings hold the user and the private key): no browser, nothing expires. */
  async connectWithJwt(slug: string): Promise<TenantConnection> {
    const { tenant, row } = await this.#load(slug);
    if (row.jwt_username === null || row.jwt_private_key_sealed === null) {
      throw new ConnectError(
        'not-configured',
        `tenant ${slug} has no JWT bearer settings: set them with \`instant-sync tenants set ${slug} --jwt-username <user> --jwt-key-file <pem>\``,
      );
    }
    const app = oauthAppFor(row, this.#deps);
    const oauth = new SalesforceOAuthClient(app, this.#deps.fetch);
    const result = await oauth.jwtBearer({
      username: row.jwt_username,
      privateKeyPem: this.#deps.secretBox.open(
        row.jwt_private_key_sealed,
        sealContext.jwtPrivateKey(tenant.id),
      ),
      now: this.#deps.clock.now(),
    });
    if (!result.ok && result.failure.error === 'network') {
      // Not a refusal: Salesforce was never asked (a command-line mistake is not the reason either).
      throw new Error(
        `${result.failure.message.replace(/^cannot reach Salesforce/, `cannot reach Salesforce at ${app.loginUrl}`)}. Nothing was changed.`,
      );
    }
    if (!result.ok) {
      throw new ConnectError(
        'exchange-failed',
        `Salesforce refused the JWT bearer sign-in (${result.failure.message}). Nothing was changed.`,
      );
    }
    await this.#saveGrant(tenant, row, oauth, result.token, 'jwt_bearer', true);
    const connected = await this.get(slug);
    return { ...connected, orgPackage: await this.#configurePackage(connected) };
  }

  /** Revokes the grant at Salesforce (best effort) and marks the tenant Disconnected. */
  async disconnect(slug: string): Promise<TenantConnection & { revoked: boolean }> {
    const { tenant, row } = await this.#load(slug);
    if (row.state === 'disconnected') return { ...(await this.get(slug)), revoked: false };
    // While the grant still works: the package's settings say Disconnected, its secret is gone.
    const orgPackage = await this.#orgPackageStep(tenant, 'clearing', (rest, orgId) =>
      clearPackage(rest, { orgId, now: this.#deps.clock.now() }),
    );
    const token = row.refresh_token_sealed ?? row.access_token_sealed;
    let revoked = false;
    if (token !== null) {
      const context =
        row.refresh_token_sealed !== null
          ? sealContext.refreshToken(tenant.id)
          : sealContext.accessToken(tenant.id);
      try {
        const oauth = new SalesforceOAuthClient(oauthAppFor(row, this.#deps), this.#deps.fetch);
        revoked = await oauth.revoke(this.#deps.secretBox.open(token, context));
      } catch (error) {
        this.#deps.logger.warn(
          { err: error, tenant: slug },
          'could not revoke the Salesforce grant; disconnecting anyway',
        );
      }
    }
    await moveConnection(this.#deps, row, 'disconnected', {
      access_token_sealed: null,
      refresh_token_sealed: null,
      access_token_issued_at: null,
      connected_at: null,
      expires_at: null,
      last_expiry_warning_days: null,
      last_error: null,
    });
    this.#sessions.forget(tenant.id);
    this.#deps.logger.info({ tenant: slug, revoked }, 'Salesforce connection disconnected');
    return { ...(await this.get(slug)), revoked, orgPackage };
  }

  /**
   * Writes our package's settings in the org again (a new webhook secret, say): what a Connect
   * writes, when the tenant is connected; undefined when it is not.
   */
  async updatePackage(slug: string): Promise<PackageOutcome | { error: string } | undefined> {
    return this.#configurePackage(await this.get(slug));
  }

  /** After a Connect: our package's settings and Remote Site Setting in the org (docs/salesforce-package.md). */
  async #configurePackage(
    connected: TenantConnection,
  ): Promise<PackageOutcome | { error: string } | undefined> {
    const { tenant, connection } = connected;
    return this.#orgPackageStep(tenant, 'configuring', (rest, orgId) =>
      configurePackage(rest, {
        orgId,
        tenantUrl: tenantUrl(this.#deps.settings.publicUrl, tenant.slug),
        status: 'Connected',
        expiresAt: connection.expiresAt === null ? null : Date.parse(connection.expiresAt),
        webhookSecret: this.#deps.secretBox.open(
          tenant.webhook_secret_sealed,
          sealContext.webhookSecret(tenant.id),
        ),
        now: this.#deps.clock.now(),
      }),
    );
  }

  /**
   * Runs one step on the org's package settings with the tenant's grant. Best effort: a failure is
   * logged and returned (Connect and Disconnect stand; the Connect page also asks the server).
   */
  async #orgPackageStep(
    tenant: TenantRow,
    what: string,
    step: (rest: SalesforceRestClient, orgId: string) => Promise<PackageOutcome>,
  ): Promise<PackageOutcome | { error: string } | undefined> {
    const row = await this.#connection(tenant);
    if (row.org_id === null || (row.state !== 'connected' && row.state !== 'expiring')) return undefined;
    const rest = new SalesforceRestClient({
      sessions: this.#sessions.forTenant(tenant.id),
      apiVersion: this.#deps.settings.apiVersion,
      fetch: this.#deps.fetch,
    });
    try {
      const outcome = await step(rest, row.org_id);
      this.#deps.logger.info(
        { tenant: tenant.slug, ...outcome },
        `${what} the Salesforce package's settings`,
      );
      return outcome;
    } catch (error) {
      const message = `${what} the Salesforce package's settings failed: ${describeError(error)}`;
      this.#deps.logger.warn({ tenant: tenant.slug }, message);
      return { error: message };
    }
  }

  async #saveGrant(
    tenant: TenantRow,
    row: ConnectionRow,
    oauth: SalesforceOAuthClient,
    token: TokenResponse,
    authFlow: 'web_server' | 'jwt_bearer',
    mayReplaceUser: boolean,
  ): Promise<void> {
    const ids = parseIdentityUrl(token.id);
    if (ids === undefined) {
      throw new ConnectError(
        'exchange-failed',
        `Salesforce sent an identity URL we cannot read (${token.id}). Nothing was changed.`,
      );
    }
    if (row.state !== 'disconnected' && row.org_id !== null && row.org_id !== ids.orgId) {
      await oauth.revoke(token.refresh_token ?? token.access_token).catch(() => false);
      throw new ConnectError(
        'other-org',
        `This tenant is connected to Salesforce org ${row.org_id}, but the sign-in was for org ${ids.orgId}. ` +
          'Nothing was changed: Disconnect first to connect the tenant to another org.',
      );
    }
    if (
      !mayReplaceUser &&
      row.state !== 'disconnected' &&
      row.user_id !== null &&
      row.user_id !== ids.userId
    ) {
      await oauth.revoke(token.refresh_token ?? token.access_token).catch(() => false);
      throw new ConnectError(
        'other-user',
        `This tenant is connected as ${row.username ?? row.user_id}, and the sign-in was as another Salesforce user. ` +
          'Nothing was changed: reconnect as that user, or sign in to the Instant Sync admin pages first ' +
          '(an admin may connect the tenant as another user).',
      );
    }
    const identity = await oauth.identity(token.id, token.access_token).catch((error: unknown) => {
      this.#deps.logger.warn(
        { err: error, tenant: tenant.slug },
        'could not read the Salesforce identity; connecting anyway',
      );
      return undefined;
    });
    const now = this.#deps.clock.now();
    const policy = parseRefreshTokenPolicy(row.refresh_token_policy);
    const expiresAt =
      authFlow === 'jwt_bearer' || 'problem' in policy
        ? null
        : refreshTokenExpiresAt(policy, { connectedAt: now, refreshTokenLastUsedAt: null });
    const { secretBox } = this.#deps;
    // A reconnect replaces the grant: revoke the old one so the user's grants for the app do not pile up.
    if (row.refresh_token_sealed !== null && token.refresh_token !== undefined) {
      const old = secretBox.open(row.refresh_token_sealed, sealContext.refreshToken(tenant.id));
      if (old !== token.refresh_token) await oauth.revoke(old).catch(() => false);
    }
    const moved = await moveConnection(
      this.#deps,
      row,
      expiryPhase(expiresAt, now) === 'expiring' ? 'expiring' : 'connected',
      {
        auth_flow: authFlow,
        instance_url: token.instance_url,
        org_id: ids.orgId,
        user_id: ids.userId,
        username: identity?.username ?? null,
        access_token_sealed: secretBox.seal(token.access_token, sealContext.accessToken(tenant.id)),
        access_token_issued_at: Number(token.issued_at),
        refresh_token_sealed:
          authFlow === 'web_server' && token.refresh_token !== undefined
            ? secretBox.seal(token.refresh_token, sealContext.refreshToken(tenant.id))
            : null,
        refresh_token_last_used_at: null,
        connected_at: now,
        expires_at: expiresAt,
        last_expiry_warning_days: null,
        last_error: null,
      },
    );
    if (!moved) {
      throw new ConnectError(
        'exchange-failed',
        'The connection changed while this sign-in was completing. Nothing was changed: try Connect again.',
      );
    }
    this.#sessions.forget(tenant.id);
    this.#deps.logger.info(
      {
        tenant: tenant.slug,
        orgId: ids.orgId,
        userId: ids.userId,
        authFlow,
        expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString(),
      },
      'Salesforce connection connected',
    );
    for (const listener of this.#connectedListeners) listener(tenant.id);
  }

  async #load(slug: string): Promise<{ tenant: TenantRow; row: ConnectionRow }> {
    const tenant = await this.#deps.repos.tenants.findTenantBySlug(slug);
    if (tenant === undefined) throw new NotFoundError(`no tenant named ${JSON.stringify(slug)}`);
    return { tenant, row: await this.#connection(tenant) };
  }

  async #connection(tenant: TenantRow): Promise<ConnectionRow> {
    const row = await this.#deps.repos.salesforceConnections.findConnection(tenant.id);
    if (row === undefined)
      throw new NotFoundError(`tenant ${tenant.slug} has no Salesforce connection record`);
    return row;
  }
}
