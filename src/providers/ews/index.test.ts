import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../lib/errors.ts';
import { ewsPlugin } from './index.ts';

const read = (input: Record<string, string | undefined>, stored = false) =>
  ewsPlugin.readInput(input, stored);
const problemsOf = (input: Record<string, string | undefined>, stored = false) => {
  const result = read(input, stored);
  return 'problems' in result ? result.problems : [];
};
const given = {
  url: 'https://mail.contoso.com/EWS/Exchange.asmx',
  username: 'CONTOSO\\svc-instant-sync',
  password: 'S3cret! with spaces\n',
};

describe('ewsPlugin.readInput', () => {
  it('keeps the URL, user and sign-in method in the clear and the password sealed', () => {
    const result = read(given);
    expect(result).toEqual({
      settings: { url: given.url, username: 'CONTOSO\\svc-instant-sync', auth: 'ntlm' },
      credentials: { password: 'S3cret! with spaces' },
    });
    expect(JSON.stringify('settings' in result ? result.settings : {})).not.toContain('S3cret');
    expect(ewsPlugin.summary('settings' in result ? result.settings : {})).toBe(
      'service account CONTOSO\\svc-instant-sync at https://mail.contoso.com/EWS/Exchange.asmx (NTLM)',
    );
  });

  it('takes a UPN and Basic sign-in', () => {
    const result = read({ ...given, username: 'svc-sync@contoso.com', auth: 'Basic' });
    expect('settings' in result && result.settings).toEqual({
      url: given.url,
      username: 'svc-sync@contoso.com',
      auth: 'basic',
    });
  });

  it('names every problem at once', () => {
    expect(
      problemsOf({ url: 'http://mail.contoso.com/EWS/Exchange.asmx', username: 'svc', auth: 'kerberos' }),
    ).toEqual([
      'the EWS URL must be an https URL such as https://mail.contoso.com/EWS/Exchange.asmx, got "http://mail.contoso.com/EWS/Exchange.asmx"',
      'the user name must be DOMAIN\\user or a UPN such as svc-instant-sync@contoso.com, got "svc"',
      'the sign-in method must be ntlm or basic, got "kerberos"',
      "the service account's password is needed (--password-file)",
    ]);
    expect(problemsOf({ ...given, url: 'https://mail.contoso.com/' })).toEqual([
      'the EWS URL must name the EWS endpoint, such as https://mail.contoso.com/EWS/Exchange.asmx',
    ]);
    expect(problemsOf({ ...given, url: undefined })[0]).toMatch(/must be an https URL/);
    expect(problemsOf({ ...given, password: '\n' })).toEqual(['the password file is empty']);
  });

  it('keeps the stored password when none is given', () => {
    expect(read({ url: given.url, username: given.username }, true)).toEqual({
      settings: { url: given.url, username: given.username, auth: 'ntlm' },
      credentials: undefined,
    });
  });
});

describe('ewsPlugin.create', () => {
  const stored = read(given);
  if (!('settings' in stored)) throw new Error('the input should be read');

  it('builds the provider from what readInput stored', async () => {
    const provider = await ewsPlugin.create(stored.settings, stored.credentials, fetch);
    expect(provider.kind).toBe('ews');
    expect(provider.capabilities).toBe(ewsPlugin.capabilities);
    expect(provider.capabilities.idempotentCreate).toBeNull();
    expect(provider.instances).toBeDefined();
  });

  it('refuses malformed stored settings or credentials with a clear sentence, never a cast', async () => {
    for (const [settings, credentials] of [
      [{ ...stored.settings, url: 'http://mail.contoso.com/EWS/Exchange.asmx' }, stored.credentials],
      [{ ...stored.settings, auth: 'kerberos' }, stored.credentials],
      [{ url: given.url }, stored.credentials],
      [stored.settings, {}],
      [stored.settings, { password: 7 }],
      [null, stored.credentials],
    ] as const) {
      await expect(ewsPlugin.create(settings, credentials, fetch)).rejects.toThrow(PermanentError);
      await expect(ewsPlugin.create(settings, credentials, fetch)).rejects.toThrow(
        /needs an https EWS URL, a service account.*password.*provider set <slug> ews/,
      );
    }
  });
});

describe('ewsPlugin.checks', () => {
  it('warns that Basic sends the password with every request, never showing it', () => {
    const basic = read({ ...given, auth: 'basic' });
    const findings = ewsPlugin.checks('settings' in basic ? basic.settings : {}, basic, Date.now());
    expect(findings).toEqual([
      expect.objectContaining({
        result: 'warn',
        detail: expect.stringMatching(/with every request/) as unknown,
      }),
    ]);
    expect(JSON.stringify(findings)).not.toContain('S3cret');
    const ntlm = read(given);
    expect(ewsPlugin.checks('settings' in ntlm ? ntlm.settings : {}, ntlm, Date.now())).toEqual([
      expect.objectContaining({ result: 'ok' }),
    ]);
  });
});
