import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../lib/errors.ts';
import { googleEventIdFor, googlePlugin } from './index.ts';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const pemBody = pem.split('\n')[1] ?? '';

/** A key as the Google Cloud console makes it. */
const keyJson = (changes: Record<string, unknown> = {}) =>
  JSON.stringify({
    type: 'service_account',
    project_id: 'acme-sync',
    private_key_id: 'b7e1c0d2a3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8',
    private_key: pem,
    client_email: 'instant-sync@acme-sync.iam.gserviceaccount.com',
    client_id: '104392838383838383838',
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: 'https://oauth2.googleapis.com/token',
    universe_domain: 'googleapis.com',
    ...changes,
  });

const read = (input: Record<string, string | undefined>, stored = false) =>
  googlePlugin.readInput(input, stored);
const problemsOf = (input: Record<string, string | undefined>, stored = false) => {
  const result = read(input, stored);
  return 'problems' in result ? result.problems : [];
};

describe('googlePlugin.readInput', () => {
  it('reads the JSON key into settings in the clear and the private key sealed', () => {
    const result = read({ serviceAccountJson: keyJson() });
    expect(result).toEqual({
      settings: {
        serviceAccountEmail: 'instant-sync@acme-sync.iam.gserviceaccount.com',
        clientId: '104392838383838383838',
        projectId: 'acme-sync',
        tokenUrl: 'https://oauth2.googleapis.com/token',
      },
      credentials: {
        privateKeyPem: pem,
        privateKeyId: 'b7e1c0d2a3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8',
        serviceAccountEmail: 'instant-sync@acme-sync.iam.gserviceaccount.com',
        clientId: '104392838383838383838',
        tokenUrl: 'https://oauth2.googleapis.com/token',
      },
    });
    expect(JSON.stringify('settings' in result ? result.settings : {})).not.toContain('PRIVATE KEY');
    expect(googlePlugin.summary('settings' in result ? result.settings : {})).toBe(
      'service account instant-sync@acme-sync.iam.gserviceaccount.com (client id 104392838383838383838)',
    );
  });

  it('takes a calendar URL, without its trailing slash', () => {
    const result = read({ serviceAccountJson: keyJson(), calendarUrl: 'https://localhost:8443/' });
    expect('settings' in result && result.settings['calendarBaseUrl']).toBe('https://localhost:8443');
  });

  it('names every missing field, never echoing the private key', () => {
    const problems = problemsOf({
      serviceAccountJson: keyJson({
        client_email: undefined,
        client_id: '',
        private_key_id: undefined,
        token_uri: undefined,
      }),
    });
    expect(problems).toEqual([
      "the key has no client_email (the service account's email address)",
      "the key has no client_id (the service account's numeric client id, which domain-wide delegation names)",
      'the key has no private_key_id',
      "the key has no token_uri (Google's is https://oauth2.googleapis.com/token)",
    ]);
    expect(problemsOf({ serviceAccountJson: keyJson({ private_key: undefined }) })).toEqual([
      'the key has no private_key',
    ]);
  });

  it('refuses a private key that is not PEM RSA, without quoting it', () => {
    const broken = pem.replace(pemBody, pemBody.split('').reverse().join(''));
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    for (const privateKeyPem of [broken, ec, 'not a key']) {
      const problems = problemsOf({ serviceAccountJson: keyJson({ private_key: privateKeyPem }) });
      expect(problems).toEqual(["the key's private_key is not a PEM RSA private key"]);
      expect(problems.join(' ')).not.toContain(pemBody.slice(0, 20));
    }
  });

  it('refuses what is not a service account key', () => {
    expect(problemsOf({ serviceAccountJson: keyJson({ type: 'authorized_user' }) })).toEqual([
      'the file is a "authorized_user" credential, not a service account key ("type": "service_account")',
    ]);
    expect(problemsOf({ serviceAccountJson: '{"web": {}}' })[0]).toMatch(/not a Google credential/);
    expect(problemsOf({ serviceAccountJson: 'client_email=x' })[0]).toMatch(/not JSON/);
    expect(problemsOf({ serviceAccountJson: '[]' })[0]).toMatch(/one JSON object/);
  });

  it('takes https URLs only', () => {
    expect(
      problemsOf({ serviceAccountJson: keyJson({ token_uri: 'http://oauth2.googleapis.com/token' }) }),
    ).toEqual([`the key's token_uri must be an https URL, got "http://oauth2.googleapis.com/token"`]);
    expect(problemsOf({ serviceAccountJson: keyJson(), calendarUrl: 'http://www.googleapis.com' })).toEqual([
      'the calendar URL must be an https URL, got "http://www.googleapis.com"',
    ]);
    expect(problemsOf({ serviceAccountJson: keyJson(), calendarUrl: 'googleapis' })).toHaveLength(1);
  });

  it('needs the key the first time, and keeps the stored one when it is left out', () => {
    expect(problemsOf({})[0]).toMatch(/JSON key is needed \(--service-account-file\)/);
    expect(read({ calendarUrl: 'https://calendar.example' }, true)).toEqual({
      settings: { calendarBaseUrl: 'https://calendar.example' },
      credentials: undefined,
    });
    expect(googlePlugin.summary({ calendarBaseUrl: 'https://calendar.example' })).toBe(
      'the service account of the key given earlier',
    );
  });
});

describe('googlePlugin.create', () => {
  const given = read({ serviceAccountJson: keyJson() });
  if (!('settings' in given)) throw new Error('the key should be read');

  it('builds the provider from what readInput stored', async () => {
    const provider = await googlePlugin.create(given.settings, given.credentials, fetch);
    expect(provider.kind).toBe('google');
    expect(provider.capabilities).toBe(googlePlugin.capabilities);
  });

  it('keeps working after a settings change that left the key out', async () => {
    expect(
      (await googlePlugin.create({ calendarBaseUrl: 'https://calendar.example' }, given.credentials, fetch))
        .kind,
    ).toBe('google');
  });

  it('takes the identity from the settings when the credentials hold the private key only', async () => {
    const { privateKeyPem, privateKeyId } = given.credentials as Record<string, string>;
    expect((await googlePlugin.create(given.settings, { privateKeyPem, privateKeyId }, fetch)).kind).toBe(
      'google',
    );
  });

  it('refuses malformed stored settings or credentials with a clear sentence', async () => {
    const { privateKeyPem, privateKeyId } = given.credentials as Record<string, string>;
    for (const [settings, credentials] of [
      [{ calendarBaseUrl: 'https://x.example' }, { privateKeyPem, privateKeyId }],
      [{ ...given.settings, calendarBaseUrl: 'ftp://x.example' }, given.credentials],
      [given.settings, {}],
      [null, given.credentials],
      [given.settings, { ...given.credentials, privateKeyId: 7 }],
    ] as const) {
      await expect(googlePlugin.create(settings, credentials, fetch)).rejects.toThrow(PermanentError);
      await expect(googlePlugin.create(settings, credentials, fetch)).rejects.toThrow(
        /service account's email, client id, token URL and private key.*--service-account-file/,
      );
    }
    await expect(
      googlePlugin.create(
        given.settings,
        { ...given.credentials, privateKeyPem: '-----BEGIN PRIVATE KEY-----\nxx' },
        fetch,
      ),
    ).rejects.toThrow(/private key cannot be read/);
  });

  it('tells doctor which key is used, never the key itself', () => {
    const findings = googlePlugin.checks(given.settings, given.credentials, Date.now());
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ result: 'ok', name: 'Google service account' });
    expect(findings[0]?.detail).toContain('b7e1c0d2a3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8');
    expect(JSON.stringify(findings)).not.toContain(pemBody.slice(0, 20));
  });
});

describe('googleEventIdFor', () => {
  it('is base32hex of the UTF-8 bytes (RFC 4648 test vectors, lower case, no padding)', () => {
    expect(googleEventIdFor('fooba')).toBe('cpnmuoj1');
    expect(googleEventIdFor('foobar')).toBe('cpnmuoj1e8');
  });

  it("is 5 to 1024 characters of Google's alphabet, stable, and tells ids apart by letter case", () => {
    for (const id of ['00U5g0000000001EAA', '00U5g0000000001', 'a1b', 'x'.repeat(640)]) {
      const google = googleEventIdFor(id);
      expect(google).toMatch(/^[0-9a-v]{5,1024}$/);
      expect(googleEventIdFor(id)).toBe(google);
    }
    expect(googleEventIdFor('00U5g0000000001EAA')).toBe('60o5adb760o30c1g60o30c1h8l0k2');
    expect(googleEventIdFor('00U5g0000000001eaa')).not.toBe(googleEventIdFor('00U5g0000000001EAA'));
    expect(googleEventIdFor('00U5G0000000001')).not.toBe(googleEventIdFor('00U5g0000000001'));
  });

  it('refuses ids that make no Google id', () => {
    expect(() => googleEventIdFor('ab')).toThrow(RangeError);
    expect(() => googleEventIdFor('x'.repeat(641))).toThrow(RangeError);
  });
});
