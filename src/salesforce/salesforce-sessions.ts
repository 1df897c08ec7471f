// Access tokens for the REST API, one per tenant, refreshed single-flight: however many callers
// ask at once, one refresh goes to Salesforce and they all get its result. A token the API
// rejected is refreshed once; a dead grant moves the tenant to "reconnect required" (its jobs
// pause) and the callers get ReconnectRequiredError; a Salesforce outage is RetryableError.
import {
  connectionCanSync,
  refreshTokenExpiresAt,
  parseRefreshTokenPolicy,
} from '../domain/salesforce-connection.ts';
import { decideSessionRefresh } from '../domain/salesforce-session.ts';
import { ReconnectRequiredError, RetryableError } from '../lib/errors.ts';
import type { ConnectionRow } from '../store/schema.ts';
import { markReconnectRequired } from './connection-transitions.ts';
import { oauthAppFor } from './oauth-app.ts';
import { SalesforceOAuthClient, type TokenResult } from './oauth-client.ts';
import type { SalesforceDeps } from './salesforce-deps.ts';
import { sealContext } from '../store/seal-contexts.ts';

export interface SalesforceSession {
  accessToken: string;
  instanceUrl: string;
}

/** A tenant's view of its sessions, as the REST client uses it. */
export interface SessionSource {
  session(): Promise<SalesforceSession>;
  /** The API answered INVALID_SESSION_ID for `session`: get a fresh one (refreshing at most once). */
  rejected(session: SalesforceSession): Promise<SalesforceSession>;
}

interface CachedSession extends SalesforceSession {
  lastUsedAt: number;
}

export class SalesforceSessions {
  readonly #deps: SalesforceDeps;
  readonly #cache = new Map<string, CachedSession>();
  readonly #refreshing = new Map<string, Promise<SalesforceSession>>();

  constructor(deps: SalesforceDeps) {
    this.#deps = deps;
  }

  forTenant(tenantId: string): SessionSource {
    return {
      session: () => this.session(tenantId),
      rejected: (session) => this.rejected(tenantId, session),
    };
  }

  async session(tenantId: string): Promise<SalesforceSession> {
    const now = this.#deps.clock.now();
    const cached = this.#cache.get(tenantId) ?? (await this.#loadStored(tenantId));
    const decision = decideSessionRefresh({
      hasToken: cached !== undefined,
      lastUsedAt: cached?.lastUsedAt ?? null,
      now,
      rejected: false,
    });
    if (decision.action === 'use' && cached !== undefined) {
      cached.lastUsedAt = now;
      this.#cache.set(tenantId, cached);
      return { accessToken: cached.accessToken, instanceUrl: cached.instanceUrl };
    }
    return this.#refreshOnce(tenantId);
  }

  async rejected(tenantId: string, session: SalesforceSession): Promise<SalesforceSession> {
    const current = this.#cache.get(tenantId);
    if (current !== undefined && current.accessToken !== session.accessToken) {
      return { accessToken: current.accessToken, instanceUrl: current.instanceUrl };
    }
    this.#cache.delete(tenantId);
    return this.#refreshOnce(tenantId, session.accessToken);
  }

  /** Forces a refresh now (the expiry monitor's keep-alive and post-expiry check). */
  refreshNow(tenantId: string): Promise<SalesforceSession> {
    this.#cache.delete(tenantId);
    return this.#refreshOnce(tenantId);
  }

  /** Drops what this process remembers of the tenant's tokens (after Connect or Disconnect). */
  forget(tenantId: string): void {
    this.#cache.delete(tenantId);
  }

  #refreshOnce(tenantId: string, rejectedToken?: string): Promise<SalesforceSession> {
    const inFlight = this.#refreshing.get(tenantId);
    if (inFlight !== undefined) return inFlight;
    const refresh = this.#refresh(tenantId, rejectedToken).finally(() => this.#refreshing.delete(tenantId));
    this.#refreshing.set(tenantId, refresh);
    return refresh;
  }

  async #loadStored(tenantId: string): Promise<CachedSession | undefined> {
    const row = await this.#deps.repos.salesforceConnections.findConnection(tenantId);
    if (
      row === undefined ||
      !connectionCanSync(row.state) ||
      row.access_token_sealed === null ||
      row.instance_url === null
    ) {
      return undefined;
    }
    return {
      accessToken: this.#deps.secretBox.open(row.access_token_sealed, sealContext.accessToken(tenantId)),
      instanceUrl: row.instance_url,
      lastUsedAt: row.access_token_issued_at ?? 0,
    };
  }

  async #refresh(tenantId: string, rejectedToken: string | undefined): Promise<SalesforceSession> {
    const { repos, secretBox, clock, fetch } = this.#deps;
    const row = await repos.salesforceConnections.findConnection(tenantId);
    if (row === undefined || !connectionCanSync(row.state)) {
      throw new ReconnectRequiredError(
        `the Salesforce connection is ${row?.state ?? 'missing'}: connect the tenant first`,
      );
    }
    // Another process may have refreshed since our token was rejected: use its token.
    const stored = await this.#loadStored(tenantId);
    if (stored !== undefined && rejectedToken !== undefined && stored.accessToken !== rejectedToken) {
      const fresh = decideSessionRefresh({
        hasToken: true,
        lastUsedAt: stored.lastUsedAt,
        now: clock.now(),
        rejected: false,
      });
      if (fresh.action === 'use') return this.#remember(tenantId, stored);
    }
    const oauth = new SalesforceOAuthClient(oauthAppFor(row, this.#deps), fetch);
    let result: TokenResult;
    if (row.auth_flow === 'jwt_bearer') {
      if (row.jwt_username === null || row.jwt_private_key_sealed === null) {
        throw new ReconnectRequiredError('the JWT bearer settings of this tenant are incomplete');
      }
      result = await oauth.jwtBearer({
        username: row.jwt_username,
        privateKeyPem: secretBox.open(row.jwt_private_key_sealed, sealContext.jwtPrivateKey(tenantId)),
        now: clock.now(),
      });
    } else {
      if (row.refresh_token_sealed === null) {
        await markReconnectRequired(this.#deps, row, 'no refresh token is stored (the app granted none)');
        throw new ReconnectRequiredError(
          'the Salesforce connection has no refresh token: reconnect the tenant',
        );
      }
      result = await oauth.refresh(
        secretBox.open(row.refresh_token_sealed, sealContext.refreshToken(tenantId)),
      );
    }
    if (!result.ok) {
      if (result.failure.kind === 'grant-dead') {
        await markReconnectRequired(this.#deps, row, result.failure.message);
        throw new ReconnectRequiredError(
          `Salesforce refused the refresh (${result.failure.message}): reconnect the tenant`,
        );
      }
      this.#deps.logger.warn(
        { tenantId, error: result.failure.error },
        'Salesforce token refresh failed; will retry',
      );
      throw new RetryableError(`could not refresh the Salesforce session: ${result.failure.message}`);
    }
    await this.#store(
      row,
      result.token.access_token,
      result.token.instance_url,
      Number(result.token.issued_at),
    );
    return this.#remember(tenantId, {
      accessToken: result.token.access_token,
      instanceUrl: result.token.instance_url,
      lastUsedAt: clock.now(),
    });
  }

  async #store(
    row: ConnectionRow,
    accessToken: string,
    instanceUrl: string,
    issuedAt: number,
  ): Promise<void> {
    const now = this.#deps.clock.now();
    const usesRefreshToken = row.auth_flow === 'web_server';
    const policy = parseRefreshTokenPolicy(row.refresh_token_policy);
    const changes = {
      access_token_sealed: this.#deps.secretBox.seal(accessToken, sealContext.accessToken(row.tenant_id)),
      access_token_issued_at: Number.isFinite(issuedAt) ? issuedAt : now,
      instance_url: instanceUrl,
      last_error: null,
      updated_at: now,
      ...(usesRefreshToken ? { refresh_token_last_used_at: now } : {}),
      ...(usesRefreshToken &&
      !('problem' in policy) &&
      policy.kind === 'expire_if_unused' &&
      row.connected_at !== null
        ? {
            expires_at: refreshTokenExpiresAt(policy, {
              connectedAt: row.connected_at,
              refreshTokenLastUsedAt: now,
            }),
            last_expiry_warning_days: null,
          }
        : {}),
    };
    // Only while still connected: a Disconnect that raced with this refresh wins.
    await this.#deps.repos.salesforceConnections.updateConnection(row.tenant_id, row.state, changes);
  }

  #remember(tenantId: string, session: CachedSession): SalesforceSession {
    this.#cache.set(tenantId, session);
    return { accessToken: session.accessToken, instanceUrl: session.instanceUrl };
  }
}
