// The sandbox org's OAuth endpoints as a client sees them over HTTP.
import { createHash, createHmac, randomBytes, sign, createPrivateKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestCertificate } from '../../test/support/test-certificate.ts';
import { startSalesforceSandbox, type SalesforceSandbox } from './index.ts';

const callback = 'https://sync.example.com/t/acme/oauth/callback';
const day = 86_400_000;

describe('sandbox OAuth', () => {
  let org: SalesforceSandbox;

  beforeAll(async () => {
    org = await startSalesforceSandbox({ autoApprove: true });
    org.addConnectedApp({ clientId: 'app', clientSecret: 'secret', callbackUrls: [callback] });
    org.addUser({ username: 'admin@acme.example', email: 'admin@acme.example' });
  });
  afterAll(() => org.close());

  const form = (path: string, fields: Record<string, string>) =>
    fetch(`${org.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });

  async function code(params: Record<string, string> = {}): Promise<{ code: string; verifier: string }> {
    const verifier = randomBytes(32).toString('base64url');
    const url = new URL(`${org.url}/services/oauth2/authorize`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: 'app',
      redirect_uri: callback,
      state: 'st',
      scope: 'api refresh_token',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      ...params,
    }).toString();
    const response = await fetch(url, { redirect: 'manual' });
    const location = new URL(response.headers.get('location') ?? '');
    expect(location.searchParams.get('state')).toBe('st');
    return { code: location.searchParams.get('code') ?? '', verifier };
  }

  const exchange = (grant: { code: string; verifier: string }, overrides: Record<string, string> = {}) =>
    form('/services/oauth2/token', {
      grant_type: 'authorization_code',
      code: grant.code,
      client_id: 'app',
      client_secret: 'secret',
      redirect_uri: callback,
      code_verifier: grant.verifier,
      ...overrides,
    });

  it('answers a code exchange as Salesforce does', async () => {
    const response = await exchange(await code());
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, string>;
    expect(Object.keys(body).sort()).toEqual(
      [
        'access_token',
        'id',
        'instance_url',
        'issued_at',
        'refresh_token',
        'scope',
        'signature',
        'token_type',
      ].sort(),
    );
    expect(body['issued_at']).toMatch(/^\d{13}$/);
    expect(body['id']).toMatch(new RegExp(`/id/${org.orgId}/005[a-zA-Z0-9]{15}$`));
    expect(body['signature']).toBe(
      createHmac('sha256', 'secret').update(`${body['id']}${body['issued_at']}`).digest('base64'),
    );
  });

  it('refuses a wrong verifier, a reused code and a wrong secret', async () => {
    const grant = await code();
    expect(await (await exchange(grant, { code_verifier: 'wrong' })).json()).toEqual({
      error: 'invalid_grant',
      error_description: 'invalid code verifier',
    });
    expect(await (await exchange(grant)).json()).toEqual({
      error: 'invalid_grant',
      error_description: 'expired authorization code',
    });
    expect(await (await exchange(await code(), { client_secret: 'nope' })).json()).toEqual({
      error: 'invalid_client',
      error_description: 'invalid client credentials',
    });
  });

  it('expires codes after 15 minutes', async () => {
    const grant = await code();
    org.clock.advance(15 * 60_000);
    expect((await exchange(grant)).status).toBe(400);
  });

  it('shows an error page, not a redirect, for an unknown app or callback', async () => {
    for (const params of [{ client_id: 'other' }, { redirect_uri: 'https://evil.example/cb' }]) {
      const url = new URL(`${org.url}/services/oauth2/authorize`);
      url.search = new URLSearchParams({
        response_type: 'code',
        client_id: 'app',
        redirect_uri: callback,
        ...params,
      }).toString();
      const response = await fetch(url, { redirect: 'manual' });
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('OAuth Error');
    }
  });

  it('enforces each refresh-token policy on the sandbox clock', async () => {
    const refresh = (token: string) =>
      form('/services/oauth2/token', {
        grant_type: 'refresh_token',
        refresh_token: token,
        client_id: 'app',
        client_secret: 'secret',
      });
    const tokenNow = async () =>
      ((await (await exchange(await code())).json()) as { refresh_token: string }).refresh_token;

    org.setRefreshTokenPolicy('app', { kind: 'expire_after', days: 30 });
    const fixed = await tokenNow();
    org.clock.advance(29 * day);
    const ok = (await (await refresh(fixed)).json()) as Record<string, unknown>;
    expect(ok['access_token']).toBeDefined();
    expect(ok['refresh_token']).toBeUndefined();
    org.clock.advance(day);
    expect(await (await refresh(fixed)).json()).toEqual({
      error: 'invalid_grant',
      error_description: 'expired access/refresh token',
    });

    org.setRefreshTokenPolicy('app', { kind: 'expire_if_unused', days: 7 });
    const idle = await tokenNow();
    for (let i = 0; i < 3; i++) {
      org.clock.advance(6 * day);
      expect((await refresh(idle)).status).toBe(200);
    }
    org.clock.advance(7 * day);
    expect((await refresh(idle)).status).toBe(400);

    org.setRefreshTokenPolicy('app', { kind: 'until_revoked' });
    const forever = await tokenNow();
    org.clock.advance(3650 * day);
    expect((await refresh(forever)).status).toBe(200);
    expect(await (await refresh('unknown')).json()).toEqual({
      error: 'invalid_grant',
      error_description: 'authentication failure',
    });
  });

  it('revokes a refresh token with its access tokens, and keeps five grants per user and app', async () => {
    const tokens: { access_token: string; refresh_token: string }[] = [];
    for (let i = 0; i < 6; i++) {
      tokens.push(
        (await (await exchange(await code())).json()) as { access_token: string; refresh_token: string },
      );
    }
    const first = tokens[0]!;
    expect(org.isTokenActive(first.refresh_token)).toBe(false); // the sixth grant revoked the oldest live one
    const last = tokens[5]!;
    expect(org.isTokenActive(last.access_token)).toBe(true);
    expect((await form('/services/oauth2/revoke', { token: last.refresh_token })).status).toBe(200);
    expect(org.isTokenActive(last.refresh_token)).toBe(false);
    expect(org.isTokenActive(last.access_token)).toBe(false);
    expect((await form('/services/oauth2/revoke', { token: 'unknown' })).status).toBe(400);
  });

  it('answers userinfo and the identity URL for a live token only', async () => {
    const token = (await (await exchange(await code())).json()) as { access_token: string; id: string };
    const headers = { authorization: `Bearer ${token.access_token}` };
    const identity = (await (await fetch(token.id, { headers })).json()) as Record<string, unknown>;
    expect(identity).toMatchObject({ username: 'admin@acme.example', organization_id: org.orgId });
    const userinfo = (await (
      await fetch(`${org.url}/services/oauth2/userinfo`, { headers })
    ).json()) as Record<string, unknown>;
    expect(userinfo).toMatchObject({ preferred_username: 'admin@acme.example', sub: token.id });
    expect((await fetch(token.id, { headers: { authorization: 'Bearer nope' } })).status).toBe(403);
  });

  it('grants the JWT bearer flow only to a signed assertion for a pre-authorized user', async () => {
    const { keyPem, certificatePem } = makeTestCertificate();
    const { keyPem: otherKeyPem } = makeTestCertificate();
    org.addConnectedApp({
      clientId: 'jwt',
      clientSecret: 'x',
      callbackUrls: [],
      certificatePem,
      preAuthorizedUsernames: ['admin@acme.example'],
    });
    const assertion = (claims: Record<string, unknown>, key = keyPem) => {
      const encode = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const body = `${encode({ alg: 'RS256' })}.${encode({ iss: 'jwt', sub: 'admin@acme.example', aud: org.url, exp: Math.floor(org.clock.now() / 1000) + 120, ...claims })}`;
      return `${body}.${sign('sha256', Buffer.from(body), createPrivateKey(key)).toString('base64url')}`;
    };
    const jwt = (a: string) =>
      form('/services/oauth2/token', {
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion: a,
      });
    const ok = (await (await jwt(assertion({}))).json()) as Record<string, unknown>;
    expect(ok['access_token']).toBeDefined();
    expect(ok['refresh_token']).toBeUndefined();
    expect(await (await jwt(assertion({}, otherKeyPem))).json()).toEqual({
      error: 'invalid_grant',
      error_description: 'invalid assertion',
    });
    expect(
      await (await jwt(assertion({ exp: Math.floor(org.clock.now() / 1000) - 1 }))).json(),
    ).toMatchObject({ error: 'invalid_grant' });
    org.addUser({ username: 'other@acme.example', email: 'other@acme.example' });
    expect(await (await jwt(assertion({ sub: 'other@acme.example' }))).json()).toEqual({
      error: 'invalid_grant',
      error_description: "user hasn't approved this consumer",
    });
  });
});

describe('sandbox login and consent pages', () => {
  let org: SalesforceSandbox;
  beforeAll(async () => {
    org = await startSalesforceSandbox();
    org.addConnectedApp({ clientId: 'app', clientSecret: 'secret', callbackUrls: [callback] });
    org.addUser({ username: 'admin@acme.example', email: 'admin@acme.example', password: 'pw' });
  });
  afterAll(() => org.close());

  it('logs in, asks for consent, and redirects with a code or access_denied', async () => {
    const params = {
      response_type: 'code',
      client_id: 'app',
      redirect_uri: callback,
      state: 's1',
      scope: 'api',
    };
    const login = await fetch(
      `${org.url}/services/oauth2/authorize?${new URLSearchParams(params).toString()}`,
    );
    expect(await login.text()).toContain('name="password"');
    const post = (path: string, fields: Record<string, string>, cookie = '') =>
      fetch(`${org.url}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        body: new URLSearchParams(fields).toString(),
      });
    const wrong = await post('/services/oauth2/authorize/login', {
      ...params,
      username: 'admin@acme.example',
      password: 'no',
    });
    expect(await wrong.text()).toContain('check your username and password');
    const consent = await post('/services/oauth2/authorize/login', {
      ...params,
      username: 'admin@acme.example',
      password: 'pw',
    });
    const cookie = (consent.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
    expect(await consent.text()).toContain('Allow Access?');
    const denied = await post('/services/oauth2/authorize/decide', { ...params, decision: 'deny' }, cookie);
    expect(denied.headers.get('location')).toBe(
      `${callback}?error=access_denied&error_description=end-user+denied+authorization&state=s1`,
    );
    const allowed = await post('/services/oauth2/authorize/decide', { ...params, decision: 'allow' }, cookie);
    expect(new URL(allowed.headers.get('location') ?? '').searchParams.get('code')).toMatch(/^aPrx/);
    // Consent is asked once per user and app; the login session is remembered.
    const again = await fetch(
      `${org.url}/services/oauth2/authorize?${new URLSearchParams(params).toString()}`,
      { redirect: 'manual', headers: { cookie } },
    );
    expect(again.status).toBe(302);
  });
});
