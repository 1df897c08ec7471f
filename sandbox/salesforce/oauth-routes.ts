// Salesforce's OAuth endpoints on the wire: /services/oauth2/authorize with a login page and a
// consent page (plain HTML forms, no JavaScript), /token, /revoke, /userinfo and the identity URL
// /id/<org>/<user>. The decisions live in oauth-grants.ts.
import { randomBytes } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import type { OAuthGrants, OAuthFailure, TokenGrant } from './oauth-grants.ts';
import type { OrgData } from './org-data.ts';
import type { SObjectRecord } from './sobject-schema.ts';

export interface OAuthRouteOptions {
  grants: OAuthGrants;
  data: OrgData;
  baseUrl: () => string;
  /** Whether /authorize answers with a code at once (asked on every request: it can change). */
  autoApprove: () => boolean;
  delay: () => Promise<void>;
}

const authorizeParams = [
  'response_type',
  'client_id',
  'redirect_uri',
  'state',
  'scope',
  'prompt',
  'login_hint',
  'code_challenge',
  'code_challenge_method',
];

export function oauthRoutes(options: OAuthRouteOptions): Hono {
  const { grants, data } = options;
  const app = new Hono();
  /** Browser sessions of the login page: sid → user id. */
  const sessions = new Map<string, string>();
  /** Apps each user has allowed: consent is asked once. */
  const approvals = new Set<string>();

  const userOfSession = (c: Context) => {
    const sid = getCookie(c, 'sid');
    const userId = sid === undefined ? undefined : sessions.get(sid);
    return userId === undefined ? undefined : data.users.get(userId);
  };

  /** Checks client and redirect URI; only then may errors travel back to the redirect URI. */
  const checkRequest = (params: Record<string, string>) => {
    const client = grants.apps.get(params['client_id'] ?? '');
    if (client === undefined)
      return { page: 'OAuth Error: invalid client_id. The client identifier is invalid.' };
    if (!client.callbackUrls.includes(params['redirect_uri'] ?? '')) {
      return {
        page: 'OAuth Error: redirect_uri_mismatch. The redirect_uri must match the callback URL of the app.',
      };
    }
    return { client };
  };

  const redirectBack = (c: Context, params: Record<string, string>, query: Record<string, string>) => {
    const target = new URL(params['redirect_uri'] ?? '');
    for (const [key, value] of Object.entries(query)) target.searchParams.set(key, value);
    if (params['state'] !== undefined) target.searchParams.set('state', params['state']);
    return c.redirect(target.toString(), 302);
  };

  const approve = (c: Context, params: Record<string, string>, user: SObjectRecord) => {
    approvals.add(`${user.Id}:${params['client_id'] ?? ''}`);
    const code = grants.issueCode({
      clientId: params['client_id'] ?? '',
      redirectUri: params['redirect_uri'] ?? '',
      userId: user.Id,
      scope: params['scope'] ?? 'api',
      codeChallenge: params['code_challenge'],
    });
    return redirectBack(c, params, { code });
  };

  const consentOrApprove = (c: Context, params: Record<string, string>, user: SObjectRecord) => {
    if (
      approvals.has(`${user.Id}:${params['client_id'] ?? ''}`) &&
      !(params['prompt'] ?? '').split(' ').includes('consent')
    ) {
      return approve(c, params, user);
    }
    return c.html(consentPage(params, user));
  };

  app.get('/services/oauth2/authorize', (c) => {
    const params = pick(c.req.query(), authorizeParams);
    const checked = checkRequest(params);
    if ('page' in checked) return c.html(errorPage(checked.page ?? ''), 400);
    if (params['response_type'] !== 'code')
      return redirectBack(c, params, {
        error: 'unsupported_response_type',
        error_description: 'response type not supported',
      });
    if (params['code_challenge'] !== undefined && params['code_challenge_method'] !== 'S256') {
      return redirectBack(c, params, {
        error: 'invalid_request',
        error_description: 'code_challenge_method must be S256',
      });
    }
    const active = [...data.users.values()].filter((u) => u['IsActive'] === true);
    if (options.autoApprove()) {
      const user = active.find((u) => u['Username'] === params['login_hint']) ?? active[0];
      if (user === undefined)
        return c.html(errorPage('OAuth Error: the sandbox org has no active user to approve as.'), 400);
      return approve(c, params, user);
    }
    const user = userOfSession(c);
    if (user === undefined || (params['prompt'] ?? '').split(' ').includes('login'))
      return c.html(loginPage(params, undefined));
    return consentOrApprove(c, params, user);
  });

  app.post('/services/oauth2/authorize/login', async (c) => {
    const form = await formOf(c);
    const params = pick(form, authorizeParams);
    const checked = checkRequest(params);
    if ('page' in checked) return c.html(errorPage(checked.page ?? ''), 400);
    const user = [...data.users.values()].find(
      (u) => u['Username'] === form['username'] && u['IsActive'] === true,
    );
    if (user === undefined || data.passwords.get(user.Id) !== form['password']) {
      return c.html(loginPage(params, 'Please check your username and password.'), 200);
    }
    const sid = randomBytes(24).toString('base64url');
    sessions.set(sid, user.Id);
    setCookie(c, 'sid', sid, { path: '/', httpOnly: true, sameSite: 'Lax' });
    return consentOrApprove(c, params, user);
  });

  app.post('/services/oauth2/authorize/decide', async (c) => {
    const form = await formOf(c);
    const params = pick(form, authorizeParams);
    const checked = checkRequest(params);
    if ('page' in checked) return c.html(errorPage(checked.page ?? ''), 400);
    const user = userOfSession(c);
    if (user === undefined)
      return c.html(loginPage(params, 'Your session has expired. Please log in again.'));
    if (form['decision'] !== 'allow') {
      return redirectBack(c, params, {
        error: 'access_denied',
        error_description: 'end-user denied authorization',
      });
    }
    return approve(c, params, user);
  });

  app.post('/services/oauth2/token', async (c) => {
    await options.delay();
    const form = await formOf(c);
    const grantType = form['grant_type'] ?? '';
    grants.countRequest(grantType);
    let result: TokenGrant | OAuthFailure;
    if (grantType === 'authorization_code') result = grants.exchangeCode(form);
    else if (grantType === 'refresh_token') result = grants.refresh(form);
    else if (grantType === 'urn:ietf:params:oauth:grant-type:jwt-bearer') result = grants.jwtBearer(form);
    else result = { status: 400, error: 'unsupported_grant_type', description: 'grant type not supported' };
    if ('error' in result) return c.json({ error: result.error, error_description: result.description }, 400);
    return c.json(result);
  });

  const revoke = async (c: Context) => {
    const token = c.req.method === 'GET' ? (c.req.query('token') ?? '') : ((await formOf(c))['token'] ?? '');
    if (!grants.revoke(token)) {
      return c.json(
        { error: 'unsupported_token_type', error_description: 'this token type is not supported' },
        400,
      );
    }
    return c.body(null, 200);
  };
  app.post('/services/oauth2/revoke', revoke);
  app.get('/services/oauth2/revoke', revoke);

  const bearerUser = (c: Context) => {
    const token = /^Bearer (.+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    return token === undefined ? undefined : grants.authenticate(token);
  };
  const identity = (user: SObjectRecord) => ({
    id: `${options.baseUrl()}/id/${data.orgId}/${user.Id}`,
    asserted_user: true,
    user_id: user.Id,
    organization_id: data.orgId,
    username: user['Username'],
    nick_name: user['Alias'],
    display_name: user['Name'],
    email: user['Email'],
    first_name: user['FirstName'],
    last_name: user['LastName'],
    timezone: user['TimeZoneSidKey'],
    active: user['IsActive'],
    user_type: 'STANDARD',
    language: 'en_US',
    locale: 'en_US',
    urls: {
      rest: `${options.baseUrl()}/services/data/v{version}/`,
      sobjects: `${options.baseUrl()}/services/data/v{version}/sobjects/`,
      query: `${options.baseUrl()}/services/data/v{version}/query/`,
    },
  });

  app.get('/services/oauth2/userinfo', (c) => {
    const user = bearerUser(c);
    if (user === undefined) return c.text('Bad_OAuth_Token', 403);
    return c.json({
      sub: `${options.baseUrl()}/id/${data.orgId}/${user.Id}`,
      user_id: user.Id,
      organization_id: data.orgId,
      preferred_username: user['Username'],
      nickname: user['Alias'],
      name: user['Name'],
      email: user['Email'],
      email_verified: true,
      given_name: user['FirstName'],
      family_name: user['LastName'],
      zoneinfo: user['TimeZoneSidKey'],
      active: user['IsActive'],
    });
  });

  app.get('/id/:orgId/:userId', (c) => {
    const user = bearerUser(c);
    if (user === undefined) return c.text('Bad_OAuth_Token', 403);
    if (c.req.param('orgId') !== data.orgId || c.req.param('userId') !== user.Id)
      return c.text('Bad_Id', 403);
    return c.json(identity(user));
  });

  return app;
}

async function formOf(c: Context): Promise<Record<string, string>> {
  const body = await c.req.parseBody().catch(() => ({}));
  return Object.fromEntries(
    Object.entries(body).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

function pick(source: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.filter((k) => source[k] !== undefined).map((k) => [k, source[k] ?? '']));
}

function hidden(params: Record<string, string>) {
  return Object.entries(params).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`,
  );
}

function frame(title: string, body: unknown) {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>${title}</title>
      </head>
      <body style="font-family: sans-serif; max-width: 28rem; margin: 3rem auto">
        ${body}
      </body>
    </html>`;
}

function loginPage(params: Record<string, string>, problem: string | undefined) {
  return frame(
    'Login | Salesforce sandbox',
    html`<h1>Salesforce sandbox</h1>
      ${problem === undefined ? '' : html`<p role="alert">${problem}</p>`}
      <form method="post" action="/services/oauth2/authorize/login">
        ${hidden(params)}
        <p>
          <label>Username <input name="username" type="email" value="${params['login_hint'] ?? ''}" /></label>
        </p>
        <p>
          <label>Password <input name="password" type="password" /></label>
        </p>
        <button type="submit">Log In</button>
      </form>`,
  );
}

function consentPage(params: Record<string, string>, user: SObjectRecord) {
  return frame(
    'Allow Access? | Salesforce sandbox',
    html`<h1>Allow Access?</h1>
      <p>
        ${params['client_id'] ?? ''} is asking to: access and manage your data (${params['scope'] ?? 'api'}).
      </p>
      <p>You are logged in as ${String(user['Username'])}.</p>
      <form method="post" action="/services/oauth2/authorize/decide">
        ${hidden(params)}
        <button type="submit" name="decision" value="deny">Deny</button>
        <button type="submit" name="decision" value="allow">Allow</button>
      </form>`,
  );
}

function errorPage(message: string) {
  return frame(
    'OAuth Error | Salesforce sandbox',
    html`<h1>OAuth Error</h1>
      <p>${message}</p>`,
  );
}
