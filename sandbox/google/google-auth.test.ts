// The Google sandbox's token endpoint and API authentication as Google's own libraries meet
// them: google-auth-library's JWT client with domain-wide delegation, and the refusals a
// misconfigured delegation, an unknown user or a wrong key get; then what a token may reach
// (its own calendar, within its scopes, for an hour).
import { createSign, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, googleClients, scopes, type GoogleClients } from './google-test-clients.ts';
import { startGoogleSandbox, type GoogleSandbox, type GoogleServiceAccountKey } from './index.ts';

const rep = 'rep@acme.example';
const event = {
  summary: 'Pipeline review',
  start: { dateTime: '2026-11-25T09:00:00+01:00' },
  end: { dateTime: '2026-11-25T10:00:00+01:00' },
};

describe('Google sandbox authentication', () => {
  let google: GoogleSandbox;
  let clients: GoogleClients;
  let key: GoogleServiceAccountKey;

  beforeAll(async () => {
    google = await startGoogleSandbox();
    google.addUser(rep);
    google.addUser('other@acme.example');
    key = google.addServiceAccount({ clientEmail: 'sync@acme-sync.iam.gserviceaccount.com' });
    google.delegate(key.client_id, [scopes.events, scopes.eventsReadonly]);
    clients = googleClients(google);
  });
  afterAll(async () => {
    await clients.close();
    await google.close();
  });

  it('gives a key file as Google does, its token_uri at the sandbox', () => {
    expect(key).toMatchObject({
      type: 'service_account',
      project_id: 'acme-sync',
      client_email: 'sync@acme-sync.iam.gserviceaccount.com',
      token_uri: `${google.url}/token`,
      universe_domain: 'googleapis.com',
    });
    expect(key.private_key).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(key.private_key_id).toMatch(/^[0-9a-f]{40}$/);
    expect(key.client_id).toMatch(/^\d{21}$/);
  });

  it('grants a delegated user an hour-long token that reaches their calendar', async () => {
    const jwt = clients.jwt(key, { subject: rep });
    const credentials = await jwt.authorize();
    expect(credentials.access_token).toMatch(/^ya29\./);
    expect(credentials.expiry_date! - Date.now()).toBeGreaterThan(3_500_000);
    const created = await clients.api(jwt).events.insert({ calendarId: rep, requestBody: event });
    expect(created.data.organizer).toEqual({ email: rep, self: true });
    expect(google.events(rep).map((e) => e['id'])).toContain(created.data.id);
    expect(google.stats().tokenRequests).toBeGreaterThanOrEqual(1);
  });

  it.each([
    [
      'a client id that was never delegated',
      () => google.addServiceAccount({ clientEmail: 'new@acme-sync.iam.gserviceaccount.com' }),
      [scopes.events],
    ],
    ['a scope that was not delegated', () => key, [scopes.calendar]],
  ])('refuses %s with unauthorized_client', async (_case, keyOf, wanted) => {
    const refused = await failure(clients.jwt(keyOf(), { subject: rep, scopes: wanted }).authorize());
    expect(refused).toEqual({
      status: 401,
      reason: 'unauthorized_client',
      message:
        'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
    });
  });

  it('refuses a user outside the domain with invalid_grant', async () => {
    expect(await failure(clients.jwt(key, { subject: 'stranger@elsewhere.example' }).authorize())).toEqual({
      status: 400,
      reason: 'invalid_grant',
      message: 'Invalid email or User ID',
    });
  });

  it('refuses an assertion signed with another key, and an account it does not know', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = { ...key, private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
    expect(await failure(clients.jwt(forged, { subject: rep }).authorize())).toMatchObject({
      status: 400,
      reason: 'invalid_grant',
      message: 'Invalid JWT Signature.',
    });
    const unknown = { ...key, client_email: 'ghost@acme-sync.iam.gserviceaccount.com' };
    expect(await failure(clients.jwt(unknown, { subject: rep }).authorize())).toMatchObject({
      reason: 'invalid_grant',
      message: 'Invalid grant: account not found',
    });
  });

  it('checks the assertion itself: lifetime, audience, scope, grant type', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: key.client_email,
      sub: rep,
      scope: scopes.events,
      aud: 'https://oauth2.googleapis.com/token',
      iat: now,
      exp: now + 3600,
    };
    const grant = async (
      overrides: Record<string, unknown>,
      grantType = 'urn:ietf:params:oauth:grant-type:jwt-bearer',
    ) => {
      const response = await clients.fetch('/token', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: grantType,
          assertion: sign({ ...claims, ...overrides }, key),
        }).toString(),
      });
      return { status: response.status, body: (await response.json()) as Record<string, string> };
    };
    expect((await grant({})).status).toBe(200);
    expect((await grant({ aud: `${google.url}/token` })).status).toBe(200);
    const shortLived = /^Invalid JWT: Token must be a short-lived token \(60 minutes\)/;
    expect((await grant({ exp: now + 7200 })).body['error_description']).toMatch(shortLived);
    expect((await grant({ iat: now - 7200, exp: now - 3600 })).body['error_description']).toMatch(shortLived);
    expect((await grant({ iat: now + 3600, exp: now + 4000 })).body['error_description']).toMatch(shortLived);
    expect((await grant({ aud: 'https://example.com/token' })).body['error']).toBe('invalid_grant');
    expect(await grant({ scope: undefined })).toEqual({
      status: 400,
      body: { error: 'invalid_scope', error_description: 'Empty or missing scope not allowed.' },
    });
    expect(await grant({}, 'client_credentials')).toEqual({
      status: 400,
      body: { error: 'unsupported_grant_type', error_description: 'Invalid grant_type: client_credentials' },
    });
  });

  it('fails the next token request when told: 503 UNAVAILABLE, a reset connection, a request held and dropped', async () => {
    const now = Math.floor(Date.now() / 1000);
    const request = () =>
      clients.fetch('/token', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
          assertion: sign(
            {
              iss: key.client_email,
              sub: rep,
              scope: scopes.events,
              aud: 'https://oauth2.googleapis.com/token',
              iat: now,
              exp: now + 3600,
            },
            key,
          ),
        }).toString(),
      });
    const before = google.stats();
    google.failNextTokenRequest('503');
    const unavailable = await request();
    expect(unavailable.status).toBe(503);
    expect(await unavailable.json()).toEqual({
      error: { code: 503, message: 'The service is currently unavailable.', status: 'UNAVAILABLE' },
    });
    google.failNextTokenRequest('reset');
    await expect(request()).rejects.toThrow();
    // Through the control API, as a sandbox in another process is told.
    const told = await clients.fetch('/__sandbox/faults/token-next', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'timeout', hangMs: 300 }),
    });
    expect(told.status).toBe(204);
    const held = Date.now();
    await expect(request()).rejects.toThrow();
    expect(Date.now() - held).toBeGreaterThanOrEqual(250);
    // The next one is answered.
    expect((await request()).status).toBe(200);
    expect(google.stats().tokenRequests - before.tokenRequests).toBe(4);
    expect(google.stats().faults - before.faults).toBe(3);
    // Calendar API faults are not taken by the token endpoint, nor the other way round.
    expect(google.stats().requests).toBe(before.requests);
  });

  it('lets a service account without delegation act as itself: its own empty calendar, and no attendees', async () => {
    const api = clients.api(clients.jwt(key));
    expect((await api.events.list({ calendarId: 'primary' })).data.items).toEqual([]);
    expect(await failure(api.events.list({ calendarId: rep }))).toMatchObject({
      status: 404,
      reason: 'notFound',
    });
    const invite = api.events.insert({
      calendarId: 'primary',
      requestBody: { ...event, attendees: [{ email: rep }] },
    });
    expect(await failure(invite)).toMatchObject({ status: 403, reason: 'forbiddenForServiceAccounts' });
    expect((await api.events.insert({ calendarId: key.client_email, requestBody: event })).status).toBe(200);
  });

  it('answers 404 for another user’s calendar and 403 for a write outside the token’s scopes', async () => {
    const api = clients.api(clients.jwt(key, { subject: rep }));
    expect(await failure(api.events.list({ calendarId: 'other@acme.example' }))).toEqual({
      status: 404,
      reason: 'notFound',
      message: 'Not Found',
    });
    const reader = clients.api(clients.jwt(key, { subject: rep, scopes: [scopes.eventsReadonly] }));
    expect((await reader.events.list({ calendarId: 'primary' })).status).toBe(200);
    expect(await failure(reader.events.insert({ calendarId: 'primary', requestBody: event }))).toEqual({
      status: 403,
      reason: 'insufficientPermissions',
      message: 'Insufficient Permission',
    });
  });

  it('answers 401 as Google does for a missing, unknown or expired token', async () => {
    const list = (authorization?: string) =>
      clients.fetch(
        '/calendar/v3/calendars/primary/events',
        authorization === undefined ? {} : { headers: { authorization } },
      );
    const missing = await list();
    expect(missing.status).toBe(401);
    expect(
      ((await missing.json()) as { error: { errors: { reason: string }[] } }).error.errors[0]?.reason,
    ).toBe('required');
    const unknown = await list('Bearer ya29.nope');
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await unknown.json()).toEqual({
      error: {
        errors: [
          {
            domain: 'global',
            reason: 'authError',
            message: 'Invalid Credentials',
            locationType: 'header',
            location: 'Authorization',
          },
        ],
        code: 401,
        message:
          'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
        status: 'UNAUTHENTICATED',
      },
    });
    const { access_token: token } = await clients.jwt(key, { subject: rep }).authorize();
    expect((await list(`Bearer ${token}`)).status).toBe(200);
    google.clock.advance(3_600_000);
    expect((await list(`Bearer ${token}`)).status).toBe(401);
  });
});

/** An RS256 assertion as a client library would make it (without a kid, as gtoken does). */
function sign(claims: Record<string, unknown>, key: GoogleServiceAccountKey): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}`;
  return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(key.private_key, 'base64url')}`;
}
