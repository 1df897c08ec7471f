// For the sandbox org's own tests: an access token got the way a connected app gets one (the
// authorization code flow, approved at once, then the token exchange), and what a jsforce call
// was refused with. Test support only: the sandbox itself never imports it.
import type { SalesforceSandbox } from './index.ts';

type Get = (url: string, init: RequestInit) => Promise<{ headers: Headers; json(): Promise<unknown> }>;

/**
 * Signs `username` in (the org's default user when not given) through the connected app `app`
 * (added with the secret `s` when the org has none), and returns the access token.
 */
export async function testAccessToken(
  org: SalesforceSandbox,
  options: { username?: string; clientSecret?: string; fetch?: Get } = {},
): Promise<string> {
  const clientSecret = options.clientSecret ?? 's';
  if (!org.apps().some((a) => a.clientId === 'app'))
    org.addConnectedApp({ clientId: 'app', clientSecret, callbackUrls: ['http://cb'] });
  const get: Get = options.fetch ?? fetch;
  const hint = options.username === undefined ? '' : `&login_hint=${encodeURIComponent(options.username)}`;
  const authorize = await get(
    `${org.url}/services/oauth2/authorize?response_type=code&client_id=app&redirect_uri=${encodeURIComponent('http://cb')}&scope=api${hint}`,
    { redirect: 'manual' },
  );
  const code = new URL(authorize.headers.get('location') ?? '').searchParams.get('code') ?? '';
  const response = await get(`${org.url}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      client_id: 'app',
      client_secret: clientSecret,
      redirect_uri: 'http://cb',
    }).toString(),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

/** What a jsforce call rejected with: its errorCode and the error Salesforce sent. */
export async function jsforceFailure(
  call: PromiseLike<unknown>,
): Promise<{ errorCode: string; data: unknown }> {
  const error = (await Promise.resolve(call).then(
    () => undefined,
    (e: unknown) => e,
  )) as { errorCode?: string; data?: unknown } | undefined;
  if (error === undefined) throw new Error('the call succeeded');
  return { errorCode: String(error.errorCode), data: error.data };
}
