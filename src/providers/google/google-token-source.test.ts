import { generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PermanentError, RetryableError } from '../../lib/errors.ts';
import { MailboxNotFoundError } from '../calendar-provider.ts';
import { GoogleTokenSource } from './google-token-source.ts';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

const account = {
  serviceAccountEmail: 'sync@acme.iam.gserviceaccount.com',
  privateKeyPem,
  privateKeyId: 'key-1',
  tokenUrl: 'https://sandbox.test/token',
  clientId: '1043928',
};

/** A token endpoint in a function: what it was sent, and what it answers. */
function tokenEndpoint(answer: (form: URLSearchParams) => Response | Promise<Response>) {
  const requests: { url: string; form: URLSearchParams }[] = [];
  const fetchImpl: typeof fetch = async (input, init) => {
    const body = init?.body;
    const form = new URLSearchParams(body instanceof URLSearchParams || typeof body === 'string' ? body : '');
    requests.push({ url: input instanceof Request ? input.url : String(input), form });
    return answer(form);
  };
  return { requests, fetchImpl };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const granted = (token: string, expiresIn = 3600) =>
  json({ access_token: token, expires_in: expiresIn, token_type: 'Bearer' });

/** The assertion's header and claims, after checking its RS256 signature with the service account's public key. */
function readAssertion(assertion: string): {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
} {
  const [header = '', claims = '', signature = ''] = assertion.split('.');
  const signed = verify(
    'RSA-SHA256',
    Buffer.from(`${header}.${claims}`),
    publicKey,
    Buffer.from(signature, 'base64url'),
  );
  expect(signed).toBe(true);
  const decode = (part: string) =>
    JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>;
  return { header: decode(header), claims: decode(claims) };
}

describe('GoogleTokenSource', () => {
  it("signs a JWT bearer assertion for the mailbox and sends it to the key's token URL", async () => {
    const endpoint = tokenEndpoint(() => granted('tok-1'));
    const tokens = new GoogleTokenSource(account, endpoint.fetchImpl);
    expect(await tokens.token('Jane@Acme.example')).toBe('tok-1');
    expect(endpoint.requests).toHaveLength(1);
    const [request] = endpoint.requests;
    expect(request?.url).toBe('https://sandbox.test/token');
    expect(request?.form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    const { header, claims } = readAssertion(request?.form.get('assertion') ?? '');
    expect(header).toMatchObject({ alg: 'RS256' });
    expect(claims).toMatchObject({
      iss: 'sync@acme.iam.gserviceaccount.com',
      sub: 'Jane@Acme.example',
      scope: 'https://www.googleapis.com/auth/calendar.events',
      aud: 'https://oauth2.googleapis.com/token',
    });
    expect(Number(claims['exp']) - Number(claims['iat'])).toBe(3600);
  });

  it('asks without a subject for the service account itself', async () => {
    const endpoint = tokenEndpoint(() => granted('own'));
    await new GoogleTokenSource(account, endpoint.fetchImpl).token();
    expect(readAssertion(endpoint.requests[0]?.form.get('assertion') ?? '').claims['sub']).toBeUndefined();
  });

  it('reuses a token until five minutes before it expires, one request at a time per mailbox', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let issued = 0;
    const endpoint = tokenEndpoint(async (form) => {
      await held;
      issued += 1;
      const sub = readAssertion(form.get('assertion') ?? '').claims['sub'];
      // jane's tokens are about to expire (200 s < 5 minutes): each use asks again.
      return granted(`tok-${issued}`, sub === 'jane@acme.example' ? 200 : 3600);
    });
    const tokens = new GoogleTokenSource(account, endpoint.fetchImpl);
    const together = Promise.all([1, 2, 3, 4, 5].map(() => tokens.token('joe@acme.example')));
    release();
    expect(new Set(await together).size).toBe(1);
    expect(await tokens.token('joe@acme.example')).toBe('tok-1');
    expect(endpoint.requests).toHaveLength(1);
    await tokens.token('jane@acme.example');
    await tokens.token('jane@acme.example');
    expect(endpoint.requests).toHaveLength(3);
  });

  it('keeps a bounded number of mailboxes, dropping the least recently used', () => {
    const endpoint = tokenEndpoint(() => granted('tok'));
    const tokens = new GoogleTokenSource(account, endpoint.fetchImpl, { maxMailboxes: 2 });
    const a = tokens.client('a@acme.example');
    tokens.client('b@acme.example');
    expect(tokens.client('A@acme.example')).toBe(a);
    tokens.client('c@acme.example'); // b goes: a was used since
    expect(tokens.client('a@acme.example')).toBe(a);
    const b = tokens.client('b@acme.example');
    tokens.forget('b@acme.example');
    expect(tokens.client('b@acme.example')).not.toBe(b);
  });

  it('says what Google refused, never the key or the assertion', async () => {
    const cases: [Response, typeof PermanentError | typeof RetryableError, RegExp][] = [
      [
        json(
          {
            error: 'unauthorized_client',
            error_description:
              'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
          },
          401,
        ),
        PermanentError,
        /not delegated the scope https:\/\/www\.googleapis\.com\/auth\/calendar\.events in the Admin console \(Security → API controls → Domain-wide delegation\) for client id 1043928/,
      ],
      [
        json({ error: 'invalid_grant', error_description: 'Invalid email or User ID' }, 400),
        MailboxNotFoundError,
        /no user ghost@acme\.example/,
      ],
      [
        json({ error: 'invalid_grant', error_description: 'Invalid JWT Signature.' }, 400),
        PermanentError,
        /Invalid JWT Signature.*deleted or replaced key/,
      ],
      [
        json({ error: 'admin_policy_enforced', error_description: 'blocked' }, 400),
        PermanentError,
        /admin_policy_enforced/,
      ],
      [json({ error: 'backend_error' }, 503), RetryableError, /cannot get a Google token.*backend_error/],
      [new Response('<html>oops</html>', { status: 502 }), RetryableError, /HTTP 502/],
    ];
    for (const [answer, kind, message] of cases) {
      const endpoint = tokenEndpoint(() => answer.clone());
      const failure = await new GoogleTokenSource(account, endpoint.fetchImpl)
        .token('ghost@acme.example')
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(kind);
      expect((failure as Error).message).toMatch(message);
      expect((failure as Error).message).not.toContain('PRIVATE KEY');
      expect((failure as Error).message).not.toContain(
        endpoint.requests[0]?.form.get('assertion')?.slice(0, 40),
      );
      // Once: the library's retries are off, the engine's policy decides.
      expect(endpoint.requests).toHaveLength(1);
    }
  });

  it('is retryable when the token endpoint cannot be reached or does not answer in time', async () => {
    const unreachable = new GoogleTokenSource(account, () => Promise.reject(new TypeError('fetch failed')));
    await expect(unreachable.token('a@acme.example')).rejects.toThrow(/cannot reach Google \(fetch failed\)/);
    const silent = new GoogleTokenSource(
      account,
      (_input, init) =>
        new Promise((_resolve, reject) =>
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason as Error)),
        ),
      { timeoutMs: 30 },
    );
    const failure = await silent.token('a@acme.example').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RetryableError);
    expect((failure as Error).message).toMatch(/did not answer in time/);
  });
});
