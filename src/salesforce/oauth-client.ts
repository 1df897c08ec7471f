// Salesforce's OAuth 2.0 endpoints, spoken with plain fetch: the web server flow (with PKCE),
// refresh, the JWT bearer flow, revocation and the identity URL. It returns what Salesforce
// said, read and classified once (token-response.ts); deciding what that means for a tenant's
// connection is the connection manager's job.
import { RetryableError, describeError } from '../lib/errors.ts';
import { createJwtAssertion } from './jwt-assertion.ts';
import {
  classifyTokenFailure,
  signatureIsValid,
  tokenResponseSchema,
  type TokenFailure,
  type TokenResponse,
} from './token-response.ts';

export interface OAuthApp {
  loginUrl: string;
  clientId: string;
  /** Absent for the JWT bearer flow, which signs with a private key instead. */
  clientSecret?: string | undefined;
}

export type TokenResult = { ok: true; token: TokenResponse } | { ok: false; failure: TokenFailure };

export interface Identity {
  username: string | undefined;
  email: string | undefined;
  displayName: string | undefined;
}

const requestTimeoutMs = 30_000;

export class SalesforceOAuthClient {
  readonly #app: OAuthApp;
  readonly #fetch: typeof fetch;

  constructor(app: OAuthApp, fetchImpl: typeof fetch = fetch) {
    this.#app = { ...app, loginUrl: app.loginUrl.replace(/\/+$/, '') };
    this.#fetch = fetchImpl;
  }

  authorizeUrl(request: {
    redirectUri: string;
    state: string;
    codeChallenge: string;
    scope: string;
  }): string {
    const url = new URL(`${this.#app.loginUrl}/services/oauth2/authorize`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: this.#app.clientId,
      redirect_uri: request.redirectUri,
      state: request.state,
      scope: request.scope,
      code_challenge: request.codeChallenge,
      code_challenge_method: 'S256',
    }).toString();
    return url.toString();
  }

  exchangeCode(grant: { code: string; redirectUri: string; codeVerifier: string }): Promise<TokenResult> {
    return this.#token({
      grant_type: 'authorization_code',
      code: grant.code,
      redirect_uri: grant.redirectUri,
      code_verifier: grant.codeVerifier,
      client_id: this.#app.clientId,
      client_secret: this.#app.clientSecret ?? '',
    });
  }

  refresh(refreshToken: string): Promise<TokenResult> {
    return this.#token({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: this.#app.clientId,
      client_secret: this.#app.clientSecret ?? '',
    });
  }

  jwtBearer(grant: { username: string; privateKeyPem: string; now: number }): Promise<TokenResult> {
    const assertion = createJwtAssertion({
      clientId: this.#app.clientId,
      username: grant.username,
      audience: this.#app.loginUrl,
      privateKeyPem: grant.privateKeyPem,
      now: grant.now,
    });
    return this.#token({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion });
  }

  /** Revokes a token (a refresh token takes its access tokens with it). True if Salesforce confirmed. */
  async revoke(token: string): Promise<boolean> {
    const response = await this.#post('/services/oauth2/revoke', { token });
    return response.ok;
  }

  /** Who the token belongs to (the identity URL from the token response). */
  async identity(idUrl: string, accessToken: string): Promise<Identity> {
    const response = await this.#fetch(idUrl, {
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
      signal: AbortSignal.timeout(requestTimeoutMs),
    });
    if (!response.ok) throw new RetryableError(`Salesforce identity URL answered ${response.status}`);
    const body = (await response.json()) as Record<string, unknown>;
    const text = (key: string) => (typeof body[key] === 'string' ? body[key] : undefined);
    return { username: text('username'), email: text('email'), displayName: text('display_name') };
  }

  async #token(form: Record<string, string>): Promise<TokenResult> {
    let response: Response;
    try {
      response = await this.#post('/services/oauth2/token', form);
    } catch (error) {
      return {
        ok: false,
        failure: {
          kind: 'inconclusive',
          error: 'network',
          message: `cannot reach Salesforce: ${describeError(error)}`,
        },
      };
    }
    const body: unknown = await response.json().catch(() => undefined);
    if (!response.ok) return { ok: false, failure: classifyTokenFailure(response.status, body) };
    const parsed = tokenResponseSchema.safeParse(body);
    if (!parsed.success) {
      return {
        ok: false,
        failure: {
          kind: 'inconclusive',
          error: 'malformed_response',
          message: 'Salesforce sent a token response we cannot read',
        },
      };
    }
    const secret = this.#app.clientSecret;
    if (
      secret !== undefined &&
      form['grant_type'] !== 'urn:ietf:params:oauth:grant-type:jwt-bearer' &&
      !signatureIsValid(parsed.data, secret)
    ) {
      return {
        ok: false,
        failure: {
          kind: 'inconclusive',
          error: 'bad_signature',
          message: 'the token response signature does not match the client secret',
        },
      };
    }
    return { ok: true, token: parsed.data };
  }

  #post(path: string, form: Record<string, string>): Promise<Response> {
    return this.#fetch(`${this.#app.loginUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(requestTimeoutMs),
    });
  }
}
