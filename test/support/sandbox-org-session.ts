// A session with the sandbox org for clients that are not the service (a test's second client,
// the bench's baseline): the web server flow with PKCE through the project's own OAuth client,
// against a sandbox org started with auto-approve, which answers /authorize with a code at once.
import { createPkcePair, randomToken } from '../../src/salesforce/pkce.ts';
import { SalesforceOAuthClient } from '../../src/salesforce/oauth-client.ts';

export interface SandboxOrgSession {
  accessToken: string;
  instanceUrl: string;
  orgId: string;
}

export async function sandboxOrgSession(
  app: { loginUrl: string; clientId: string; clientSecret: string; redirectUri: string },
  /** A fetch that trusts the sandbox's CA (createOutboundFetch with its CA file). */
  fetchImpl: typeof fetch,
): Promise<SandboxOrgSession> {
  const client = new SalesforceOAuthClient(app, fetchImpl);
  const pkce = createPkcePair();
  const authorize = await fetchImpl(
    client.authorizeUrl({
      redirectUri: app.redirectUri,
      state: randomToken(),
      codeChallenge: pkce.challenge,
      scope: 'api refresh_token',
    }),
    { redirect: 'manual' },
  );
  const code = new URL(authorize.headers.get('location') ?? '', app.loginUrl).searchParams.get('code');
  if (code === null)
    throw new Error(`the sandbox org gave no authorization code (${authorize.status}): is auto-approve on?`);
  const result = await client.exchangeCode({
    code,
    redirectUri: app.redirectUri,
    codeVerifier: pkce.verifier,
  });
  if (!result.ok) throw new Error(`the sandbox org refused the code: ${result.failure.message}`);
  return {
    accessToken: result.token.access_token,
    instanceUrl: result.token.instance_url,
    orgId: new URL(result.token.id).pathname.split('/')[2] ?? '',
  };
}
