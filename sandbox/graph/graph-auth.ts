// The Microsoft identity platform as far as an app-only Graph client needs it: the tenant's
// OpenID configuration (MSAL reads it), the client credentials grant with a secret or a
// certificate (a client assertion JWT signed with the certificate's key, RS256 or PS256, named by
// its x5t / x5t#S256 thumbprint), and tokens that expire after an hour of sandbox time.
import { constants, createHash, randomBytes, verify, X509Certificate } from 'node:crypto';
import { Hono } from 'hono';

export interface GraphApp {
  tenantId: string;
  clientId: string;
  /** The app's client secret, when it has one. */
  clientSecret?: string | undefined;
  /** The app's uploaded certificate (PEM), when it has one. */
  certificatePem?: string | undefined;
}

/** Why a client assertion is not acceptable for `app` at `audience`, or undefined when it is. */
export function assertionProblem(
  assertion: string,
  app: GraphApp,
  audience: string,
  nowMs: number,
): string | undefined {
  if (app.certificatePem === undefined) return 'the application has no certificate';
  const [headerPart, payloadPart, signaturePart] = assertion.split('.');
  if (headerPart === undefined || payloadPart === undefined || signaturePart === undefined)
    return 'the client assertion is not a JWT';
  let header: Record<string, unknown>;
  let payload: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(headerPart, 'base64url').toString()) as Record<string, unknown>;
    payload = JSON.parse(Buffer.from(payloadPart, 'base64url').toString()) as Record<string, unknown>;
  } catch {
    return 'the client assertion is not a JWT';
  }
  const certificate = new X509Certificate(app.certificatePem);
  const thumbprint =
    header['x5t#S256'] !== undefined
      ? createHash('sha256').update(certificate.raw).digest('base64url') === header['x5t#S256']
      : createHash('sha1').update(certificate.raw).digest('base64url') === header['x5t'];
  if (!thumbprint) return 'the certificate thumbprint does not match a certificate of the application';
  const signed = Buffer.from(`${headerPart}.${payloadPart}`);
  const signature = Buffer.from(signaturePart, 'base64url');
  const valid =
    header['alg'] === 'PS256'
      ? verify(
          'sha256',
          signed,
          {
            key: certificate.publicKey,
            padding: constants.RSA_PKCS1_PSS_PADDING,
            saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
          },
          signature,
        )
      : header['alg'] === 'RS256'
        ? verify('sha256', signed, certificate.publicKey, signature)
        : false;
  if (!valid) return 'the client assertion signature is invalid';
  if (payload['iss'] !== app.clientId || payload['sub'] !== app.clientId)
    return 'the client assertion is not issued by the application';
  if (payload['aud'] !== audience) return `the client assertion audience must be ${audience}`;
  if (typeof payload['exp'] !== 'number' || payload['exp'] * 1000 < nowMs)
    return 'the client assertion has expired';
  return undefined;
}

export class GraphTokens {
  readonly apps = new Map<string, GraphApp>();
  readonly #tokens = new Map<string, { clientId: string; expiresAt: number }>();
  readonly #now: () => number;
  tokenRequests = 0;

  constructor(now: () => number) {
    this.#now = now;
  }

  issue(clientId: string): { token: string; expiresIn: number } {
    const token = `eyJ0eXAiOiJKV1Qi.${randomBytes(32).toString('base64url')}`;
    this.#tokens.set(token, { clientId, expiresAt: this.#now() + 3_600_000 });
    return { token, expiresIn: 3599 };
  }

  /** `ok`, or why the token cannot be used. */
  check(token: string | undefined): 'ok' | 'missing' | 'expired' | 'invalid' {
    if (token === undefined || token === '') return 'missing';
    const known = this.#tokens.get(token);
    if (known === undefined) return 'invalid';
    return known.expiresAt <= this.#now() ? 'expired' : 'ok';
  }
}

export function graphAuthRoutes(tokens: GraphTokens, baseUrl: () => string): Hono {
  const app = new Hono();
  const aadError = (error: string, code: number, description: string) => ({
    error,
    error_description: `AADSTS${code}: ${description}`,
    error_codes: [code],
    timestamp: new Date().toISOString().replace('T', ' ').slice(0, 19) + 'Z',
  });

  app.get('/:tenant/v2.0/.well-known/openid-configuration', (c) => {
    const tenant = c.req.param('tenant');
    const base = `${baseUrl()}/${tenant}`;
    return c.json({
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${base}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${baseUrl()}/oidc/userinfo`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'tid'],
      kerberos_endpoint: `${base}/kerberos`,
      tenant_region_scope: 'EU',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: new URL(baseUrl()).host,
      rbac_url: 'https://pas.windows.net',
    });
  });

  app.post('/:tenant/oauth2/v2.0/token', async (c) => {
    tokens.tokenRequests++;
    const form = await c.req.parseBody();
    const field = (name: string) => (typeof form[name] === 'string' ? form[name] : undefined);
    const app = tokens.apps.get(field('client_id') ?? '');
    if (field('grant_type') !== 'client_credentials') {
      return c.json(
        aadError('unsupported_grant_type', 70003, 'The app requested an unsupported grant type.'),
        400,
      );
    }
    if (app === undefined || app.tenantId !== c.req.param('tenant')) {
      return c.json(
        aadError(
          'unauthorized_client',
          700016,
          `Application with identifier '${field('client_id') ?? ''}' was not found in the directory.`,
        ),
        400,
      );
    }
    const assertion = field('client_assertion');
    if (assertion !== undefined) {
      const problem =
        field('client_assertion_type') === 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
          ? assertionProblem(assertion, app, c.req.url.split('?')[0] ?? '', Date.now())
          : 'unsupported client_assertion_type';
      if (problem !== undefined)
        return c.json(
          aadError('invalid_client', 700027, `Client assertion failed signature validation: ${problem}.`),
          401,
        );
    } else if (app.clientSecret === undefined || field('client_secret') !== app.clientSecret) {
      return c.json(
        aadError(
          'invalid_client',
          7000215,
          'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.',
        ),
        401,
      );
    }
    if (!(field('scope') ?? '').endsWith('/.default')) {
      return c.json(
        aadError(
          'invalid_scope',
          1002012,
          'The provided value for scope is not valid. Client credential flows must have a scope value with /.default.',
        ),
        400,
      );
    }
    const issued = tokens.issue(app.clientId);
    return c.json({
      token_type: 'Bearer',
      expires_in: issued.expiresIn,
      ext_expires_in: issued.expiresIn,
      access_token: issued.token,
    });
  });
  return app;
}
