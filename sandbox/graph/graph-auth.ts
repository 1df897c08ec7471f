// The Microsoft identity platform as far as an app-only Graph client needs it: the tenant's
// OpenID configuration (MSAL reads it), the client credentials grant with a secret, and tokens
// that expire after an hour of sandbox time.
import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';

export interface GraphApp {
  tenantId: string;
  clientId: string;
  clientSecret: string;
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
    if (field('client_secret') !== app.clientSecret) {
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
