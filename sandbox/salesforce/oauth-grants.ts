// The sandbox org's OAuth state: connected apps with their refresh-token policy, authorization
// codes, refresh tokens and access tokens, on the sandbox clock. It decides; the routes in
// oauth-routes.ts speak the wire protocol around it.
import { createHash, createHmac, createPublicKey, randomBytes, verify, X509Certificate } from 'node:crypto';
import type { OrgData } from './org-data.ts';
import type { SandboxClock } from './sandbox-clock.ts';
import type { SObjectRecord } from './sobject-schema.ts';

export type RefreshTokenPolicy =
  | { kind: 'until_revoked' }
  | { kind: 'immediately' }
  | { kind: 'expire_after'; days: number }
  | { kind: 'expire_if_unused'; days: number };

export interface ConnectedApp {
  clientId: string;
  clientSecret: string;
  callbackUrls: string[];
  refreshTokenPolicy?: RefreshTokenPolicy;
  certificatePem?: string;
  preAuthorizedUsernames?: string[];
}

interface AuthorizationCode {
  clientId: string;
  redirectUri: string;
  userId: string;
  scope: string;
  codeChallenge: string | undefined;
  expiresAt: number;
}

interface RefreshGrant {
  clientId: string;
  userId: string;
  scope: string;
  issuedAt: number;
  lastUsedAt: number;
  revoked: boolean;
}

interface AccessGrant {
  clientId: string;
  userId: string;
  scope: string;
  lastUsedAt: number;
  revoked: boolean;
  refreshToken: string | undefined;
}

export interface OAuthFailure {
  status: number;
  error: string;
  description: string;
}

export type TokenGrant = {
  access_token: string;
  refresh_token?: string;
  signature?: string;
  scope: string;
  instance_url: string;
  id: string;
  token_type: 'Bearer';
  issued_at: string;
};

const day = 86_400_000;
const codeLifetimeMs = 15 * 60_000;
const maxRefreshTokensPerUserAndApp = 5;

export class OAuthGrants {
  readonly apps = new Map<string, ConnectedApp>();
  readonly #codes = new Map<string, AuthorizationCode>();
  readonly #refresh = new Map<string, RefreshGrant>();
  readonly #access = new Map<string, AccessGrant>();
  readonly #clock: SandboxClock;
  readonly #data: OrgData;
  readonly #baseUrl: () => string;
  readonly #sessionTimeoutMs: number;
  readonly stats = { tokenRequests: {} as Record<string, number>, refreshes: 0, revocations: 0 };

  constructor(deps: { clock: SandboxClock; data: OrgData; baseUrl: () => string; sessionTimeoutMs: number }) {
    this.#clock = deps.clock;
    this.#data = deps.data;
    this.#baseUrl = deps.baseUrl;
    this.#sessionTimeoutMs = deps.sessionTimeoutMs;
  }

  issueCode(grant: Omit<AuthorizationCode, 'expiresAt'>): string {
    const code = `aPrx${randomBytes(24).toString('base64url')}`;
    this.#codes.set(code, { ...grant, expiresAt: this.#clock.now() + codeLifetimeMs });
    return code;
  }

  exchangeCode(form: Record<string, string>): TokenGrant | OAuthFailure {
    const app = this.#authenticateClient(form);
    if ('error' in app) return app;
    const code = this.#codes.get(form['code'] ?? '');
    this.#codes.delete(form['code'] ?? '');
    if (code === undefined || code.expiresAt <= this.#clock.now() || code.clientId !== app.clientId) {
      return invalidGrant('expired authorization code');
    }
    if (code.redirectUri !== form['redirect_uri'])
      return invalidGrant('redirect_uri must match configuration');
    if (code.codeChallenge !== undefined) {
      const verifier = form['code_verifier'] ?? '';
      if (createHash('sha256').update(verifier).digest('base64url') !== code.codeChallenge) {
        return invalidGrant('invalid code verifier');
      }
    }
    return this.#grant(app, code.userId, code.scope, true);
  }

  refresh(form: Record<string, string>): TokenGrant | OAuthFailure {
    const app = this.#authenticateClient(form);
    if ('error' in app) return app;
    const token = form['refresh_token'] ?? '';
    const grant = this.#refresh.get(token);
    if (grant === undefined || grant.clientId !== app.clientId) return invalidGrant('authentication failure');
    if (grant.revoked || this.#refreshExpired(app, grant))
      return invalidGrant('expired access/refresh token');
    grant.lastUsedAt = this.#clock.now();
    this.stats.refreshes++;
    return this.#grant(app, grant.userId, grant.scope, false, token);
  }

  jwtBearer(form: Record<string, string>): TokenGrant | OAuthFailure {
    const parts = (form['assertion'] ?? '').split('.');
    if (parts.length !== 3) return invalidGrant('invalid assertion');
    const [header = '', payload = '', signature = ''] = parts;
    let claims: { iss?: string; sub?: string; aud?: string; exp?: number };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      return invalidGrant('invalid assertion');
    }
    const app = this.apps.get(claims.iss ?? '');
    if (app?.certificatePem === undefined) return invalidGrant('invalid assertion');
    const key = createPublicKey(
      new X509Certificate(app.certificatePem).publicKey.export({ type: 'spki', format: 'pem' }),
    );
    const signed = verify(
      'sha256',
      Buffer.from(`${header}.${payload}`),
      key,
      Buffer.from(signature, 'base64url'),
    );
    const audience = (claims.aud ?? '').replace(/\/+$/, '');
    const nowSeconds = this.#clock.now() / 1000;
    if (
      !signed ||
      audience !== this.#baseUrl() ||
      claims.exp === undefined ||
      claims.exp <= nowSeconds ||
      claims.exp > nowSeconds + 300
    ) {
      return invalidGrant('invalid assertion');
    }
    const user = [...this.#data.users.values()].find((u) => u['Username'] === claims.sub);
    if (
      user === undefined ||
      !(app.preAuthorizedUsernames ?? []).includes(String(user['Username'])) ||
      user['IsActive'] !== true
    ) {
      return invalidGrant("user hasn't approved this consumer");
    }
    return this.#grant(app, user.Id, 'api', false);
  }

  /**
   * Revokes every grant of a connected app, as an org admin does from Setup (Connected Apps OAuth
   * Usage → Revoke): its refresh tokens and access tokens stop working. Returns how many grants.
   */
  revokeApp(clientId: string): number {
    let revoked = 0;
    for (const [token, refresh] of this.#refresh) {
      if (refresh.clientId !== clientId || refresh.revoked) continue;
      this.revoke(token);
      revoked++;
    }
    return revoked;
  }

  /** Revokes a refresh token (with its access tokens) or an access token; false if unknown. */
  revoke(token: string): boolean {
    const refresh = this.#refresh.get(token);
    if (refresh !== undefined) {
      refresh.revoked = true;
      for (const access of this.#access.values()) if (access.refreshToken === token) access.revoked = true;
      this.stats.revocations++;
      return true;
    }
    const access = this.#access.get(token);
    if (access !== undefined) {
      access.revoked = true;
      this.stats.revocations++;
      return true;
    }
    return false;
  }

  /** The user behind a live access token (and marks it used), or undefined: INVALID_SESSION_ID. */
  authenticate(accessToken: string): SObjectRecord | undefined {
    const grant = this.#access.get(accessToken);
    const now = this.#clock.now();
    if (grant === undefined || grant.revoked || now - grant.lastUsedAt >= this.#sessionTimeoutMs)
      return undefined;
    grant.lastUsedAt = now;
    return this.#data.users.get(grant.userId);
  }

  isActive(token: string): boolean {
    const refresh = this.#refresh.get(token);
    if (refresh !== undefined) {
      const app = this.apps.get(refresh.clientId);
      return !refresh.revoked && app !== undefined && !this.#refreshExpired(app, refresh);
    }
    const access = this.#access.get(token);
    return (
      access !== undefined &&
      !access.revoked &&
      this.#clock.now() - access.lastUsedAt < this.#sessionTimeoutMs
    );
  }

  countRequest(grantType: string): void {
    this.stats.tokenRequests[grantType] = (this.stats.tokenRequests[grantType] ?? 0) + 1;
  }

  #authenticateClient(form: Record<string, string>): ConnectedApp | OAuthFailure {
    const app = this.apps.get(form['client_id'] ?? '');
    if (app === undefined || app.clientSecret !== form['client_secret']) {
      return { status: 400, error: 'invalid_client', description: 'invalid client credentials' };
    }
    return app;
  }

  #refreshExpired(app: ConnectedApp, grant: RefreshGrant): boolean {
    const policy = app.refreshTokenPolicy ?? { kind: 'until_revoked' };
    const now = this.#clock.now();
    switch (policy.kind) {
      case 'until_revoked':
        return false;
      case 'immediately':
        return true;
      case 'expire_after':
        return now >= grant.issuedAt + policy.days * day;
      case 'expire_if_unused':
        return now >= grant.lastUsedAt + policy.days * day;
    }
  }

  #grant(
    app: ConnectedApp,
    userId: string,
    scope: string,
    newRefreshToken: boolean,
    fromRefreshToken?: string,
  ): TokenGrant {
    const now = this.#clock.now();
    const accessToken = `${this.#data.orgId.slice(0, 15)}!${randomBytes(40).toString('base64url')}`;
    const scopes = scope.split(/\s+/);
    const wantsRefresh =
      newRefreshToken &&
      (scopes.includes('refresh_token') || scopes.includes('offline_access')) &&
      app.refreshTokenPolicy?.kind !== 'immediately';
    let refreshToken: string | undefined;
    if (wantsRefresh) {
      refreshToken = `5Aep${randomBytes(48).toString('base64url')}`;
      this.#refresh.set(refreshToken, {
        clientId: app.clientId,
        userId,
        scope,
        issuedAt: now,
        lastUsedAt: now,
        revoked: false,
      });
      this.#revokeBeyondLimit(app.clientId, userId);
    }
    this.#access.set(accessToken, {
      clientId: app.clientId,
      userId,
      scope,
      lastUsedAt: now,
      revoked: false,
      refreshToken: refreshToken ?? fromRefreshToken,
    });
    const id = `${this.#baseUrl()}/id/${this.#data.orgId}/${userId}`;
    const issuedAt = String(now);
    return {
      access_token: accessToken,
      ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
      signature: createHmac('sha256', app.clientSecret)
        .update(id + issuedAt)
        .digest('base64'),
      scope,
      instance_url: this.#baseUrl(),
      id,
      token_type: 'Bearer',
      issued_at: issuedAt,
    };
  }

  /** A user holds at most five refresh tokens per app: the oldest live one goes. */
  #revokeBeyondLimit(clientId: string, userId: string): void {
    const live = [...this.#refresh.entries()]
      .filter(([, g]) => g.clientId === clientId && g.userId === userId && !g.revoked)
      .sort(([, a], [, b]) => a.issuedAt - b.issuedAt);
    for (const [token] of live.slice(0, Math.max(0, live.length - maxRefreshTokensPerUserAndApp)))
      this.revoke(token);
  }
}

function invalidGrant(description: string): OAuthFailure {
  return { status: 400, error: 'invalid_grant', description };
}
