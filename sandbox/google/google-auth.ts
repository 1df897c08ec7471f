// Google's OAuth 2.0 token endpoint for service accounts ("Using OAuth 2.0 for Server to Server
// Applications"): the JWT bearer grant with an RS256 assertion signed by the service account's
// key, domain-wide delegation (a `sub` the account's client id was delegated every requested
// scope for, in the Admin console), access tokens that die after an hour of sandbox time. The
// assertion's own iat and exp are checked against the real clock, which is the one the client
// signs with. google-auth-library 10.5 (through gtoken 8) sends the header {"alg":"RS256"} with
// no kid, and aud "https://oauth2.googleapis.com/token" whatever the key file's token_uri says.
// Like any Google endpoint it can also fail when told (503, a reset connection, no answer).
import { generateKeyPairSync, randomBytes, randomInt, verify, type KeyObject } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Hono, type Context } from 'hono';

export interface GoogleServiceAccountKey {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  auth_uri: string;
  token_uri: string;
  auth_provider_x509_cert_url: string;
  client_x509_cert_url: string;
  universe_domain: 'googleapis.com';
}

interface ServiceAccount {
  email: string;
  clientId: string;
  projectId: string;
  /** Public keys by private_key_id. */
  keys: Map<string, KeyObject>;
}

export interface AccessToken {
  /** Whose calendar the token acts on: the delegated user, or the service account itself. */
  subject: string;
  serviceAccount: string;
  projectId: string;
  delegated: boolean;
  scopes: Set<string>;
  expiresAt: number;
}

export const googleTokenAudience = 'https://oauth2.googleapis.com/token';
const jwtBearer = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** How far in the future an assertion's iat may be (clock skew Google tolerates). */
const maxSkewSeconds = 5 * 60;

export class GoogleAuth {
  readonly #accounts = new Map<string, ServiceAccount>();
  readonly #delegations = new Map<string, Set<string>>();
  readonly #tokens = new Map<string, AccessToken>();
  readonly #now: () => number;
  tokenRequests = 0;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** A new service account (or a new key for a known one), with the JSON key file Google gives. */
  addServiceAccount(
    input: { clientEmail: string; projectId?: string },
    tokenUri: string,
  ): GoogleServiceAccountKey {
    const email = input.clientEmail.toLowerCase();
    const projectId =
      input.projectId ??
      /^[^@]+@([a-z][a-z0-9-]*)\.iam\.gserviceaccount\.com$/.exec(email)?.[1] ??
      'sandbox-project';
    let account = this.#accounts.get(email);
    if (account === undefined) {
      const clientId = `1${Array.from({ length: 20 }, () => randomInt(10)).join('')}`;
      account = { email, clientId, projectId, keys: new Map() };
      this.#accounts.set(email, account);
    }
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyId = randomBytes(20).toString('hex');
    account.keys.set(keyId, publicKey);
    return {
      type: 'service_account',
      project_id: account.projectId,
      private_key_id: keyId,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: email,
      client_id: account.clientId,
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: tokenUri,
      auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
      client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(email)}`,
      universe_domain: 'googleapis.com',
    };
  }

  /** Domain-wide delegation: the client id may use these scopes for every user of the domain (replacing earlier ones). */
  delegate(clientId: string, scopes: string[]): void {
    this.#delegations.set(clientId, new Set(scopes));
  }

  /** The token a Bearer header carries, or why it cannot be used. */
  check(token: string | undefined): AccessToken | 'missing' | 'invalid' {
    if (token === undefined || token === '') return 'missing';
    const found = this.#tokens.get(token);
    if (found === undefined || found.expiresAt <= this.#now()) return 'invalid';
    return found;
  }

  /** The token endpoint's answer to a grant: [status, body]. */
  grant(
    form: Record<string, string | undefined>,
    audiences: string[],
    isUser: (email: string) => boolean,
  ): [number, object] {
    this.tokenRequests++;
    const oauthError = (status: number, error: string, description: string): [number, object] => [
      status,
      { error, error_description: description },
    ];
    const invalidGrant = (description: string) => oauthError(400, 'invalid_grant', description);
    if (form['grant_type'] !== jwtBearer)
      return oauthError(400, 'unsupported_grant_type', `Invalid grant_type: ${form['grant_type'] ?? ''}`);
    const assertion = form['assertion'];
    if (assertion === undefined || assertion === '')
      return oauthError(400, 'invalid_request', 'Missing required parameter: assertion');
    const [headerPart = '', payloadPart = '', signaturePart = '', ...rest] = assertion.split('.');
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(headerPart, 'base64url').toString()) as Record<string, unknown>;
      claims = JSON.parse(Buffer.from(payloadPart, 'base64url').toString()) as Record<string, unknown>;
    } catch {
      return invalidGrant('Invalid JWT Signature.');
    }
    if (rest.length > 0 || typeof claims !== 'object' || claims === null)
      return invalidGrant('Invalid JWT Signature.');
    const account =
      typeof claims['iss'] === 'string' ? this.#accounts.get(claims['iss'].toLowerCase()) : undefined;
    if (account === undefined) return invalidGrant('Invalid grant: account not found');
    // A kid names the key; without one (google-auth-library sends none) any key of the account may have signed.
    const keys =
      typeof header['kid'] === 'string'
        ? [account.keys.get(header['kid'])].filter((k): k is KeyObject => k !== undefined)
        : [...account.keys.values()];
    const signed = Buffer.from(`${headerPart}.${payloadPart}`);
    const signature = Buffer.from(signaturePart, 'base64url');
    if (header['alg'] !== 'RS256' || !keys.some((key) => verify('sha256', signed, key, signature)))
      return invalidGrant('Invalid JWT Signature.');
    if (typeof claims['aud'] !== 'string' || !audiences.includes(claims['aud']))
      return invalidGrant(`Invalid JWT: Failed audience check. The right audience is ${googleTokenAudience}`);
    const { iat, exp } = claims;
    const nowSeconds = Date.now() / 1000;
    if (
      typeof iat !== 'number' ||
      typeof exp !== 'number' ||
      exp <= nowSeconds ||
      exp <= iat ||
      exp - iat > 3600 ||
      iat > nowSeconds + maxSkewSeconds
    )
      return invalidGrant(
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
      );
    const scopes =
      typeof claims['scope'] === 'string' ? claims['scope'].split(' ').filter((s) => s !== '') : [];
    if (scopes.length === 0) return oauthError(400, 'invalid_scope', 'Empty or missing scope not allowed.');
    if (
      scopes.some(
        (scope) => !/^(https:\/\/www\.googleapis\.com\/auth\/[a-z0-9._-]+|openid|email|profile)$/.test(scope),
      )
    )
      return oauthError(400, 'invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
    const sub = typeof claims['sub'] === 'string' ? claims['sub'].toLowerCase() : undefined;
    if (sub !== undefined && sub !== account.email) {
      const delegated = this.#delegations.get(account.clientId);
      if (delegated === undefined || scopes.some((scope) => !delegated.has(scope)))
        return oauthError(
          401,
          'unauthorized_client',
          'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
        );
      if (!isUser(sub)) return invalidGrant('Invalid email or User ID');
    }
    const token = `ya29.c.${randomBytes(48).toString('base64url')}`;
    this.#tokens.set(token, {
      subject: sub ?? account.email,
      serviceAccount: account.email,
      projectId: account.projectId,
      delegated: sub !== undefined && sub !== account.email,
      scopes: new Set(scopes),
      expiresAt: this.#now() + 3_600_000,
    });
    return [200, { access_token: token, expires_in: 3599, token_type: 'Bearer' }];
  }
}

/**
 * A failure of the token endpoint itself rather than a refusal: 503 with the answer Google's front
 * end gives when a service is down, a reset connection, or a request held `hangMs` (30 s unless
 * given) and dropped unanswered.
 */
export interface TokenFault {
  kind: '503' | 'reset' | 'timeout';
  hangMs?: number;
}

/** POST /token, form-encoded as Google's endpoint takes it; `takeFault` gives the next request's fault, if any. */
export function googleTokenRoutes(
  auth: GoogleAuth,
  baseUrl: () => string,
  isUser: (email: string) => boolean,
  takeFault: () => TokenFault | undefined = () => undefined,
): Hono {
  const app = new Hono();
  app.post('/token', async (c) => {
    const fault = takeFault();
    if (fault !== undefined) {
      auth.tokenRequests++;
      return failTokenRequest(c, fault);
    }
    const parsed = await c.req.parseBody().catch(() => ({}));
    const form = Object.fromEntries(
      Object.entries(parsed).map(([key, value]) => [key, typeof value === 'string' ? value : undefined]),
    );
    const [status, body] = auth.grant(form, [googleTokenAudience, `${baseUrl()}/token`], isUser);
    c.header('Cache-Control', 'no-cache, no-store, max-age=0, must-revalidate');
    return c.json(body, status as 200);
  });
  return app;
}

async function failTokenRequest(c: Context, fault: TokenFault): Promise<Response> {
  const socket = (c.env as { incoming?: { socket?: { destroy(): void } } } | undefined)?.incoming?.socket;
  switch (fault.kind) {
    case '503':
      return c.json(
        { error: { code: 503, message: 'The service is currently unavailable.', status: 'UNAVAILABLE' } },
        503,
      );
    case 'timeout':
      await sleep(fault.hangMs ?? 30_000, undefined, { ref: false });
      socket?.destroy();
      return new Response(null, { status: 499 });
    case 'reset':
      socket?.destroy();
      return new Response(null, { status: 499 });
  }
}
