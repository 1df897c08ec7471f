// Exchange Server (on-premises) over EWS, described for the registry: the EWS URL, a service
// account's name and the sign-in method in the settings, its password sealed as credentials. The
// account acts as each owner through the ApplicationImpersonation role. EWS needs connections of
// its own (NTLM signs in a connection), so the provider does not use the shared fetch; a CA to
// trust beyond the public roots comes in through createEwsProvider's options.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { PermanentError } from '../../lib/errors.ts';
import type {
  ProviderFinding,
  ProviderInput,
  ProviderPlugin,
  ReadProviderInput,
} from '../provider-plugin.ts';
import { ewsCapabilities } from './ews-capabilities.ts';
import type { EwsProvider } from './ews-provider.ts';
import { packageFile } from '../../lib/package-files.ts';

const exampleUrl = 'https://mail.contoso.com/EWS/Exchange.asmx';

/** DOMAIN\user, or a UPN (user@corp.example). */
const usernamePattern = /^([^\\@\s/]+\\[^\\@\s/]+|[^\\@\s/]+@[^\\@\s/]+\.[^\\@\s/]+)$/;

const httpsUrl = z.url().refine((url) => URL.canParse(url) && new URL(url).protocol === 'https:');

const settingsSchema = z.object({
  url: httpsUrl,
  username: z.string().regex(usernamePattern),
  auth: z.enum(['ntlm', 'basic']),
});
const credentialsSchema = z.object({ password: z.string().min(1) });

const fixSetUp = `give them again with instant-sync provider set <slug> ews --url <url> --username <user> --password-file <file>`;

/** Input names: url, username, password (the file's text), auth. */
function readInput(input: ProviderInput, hasStoredCredentials: boolean): ReadProviderInput {
  const problems: string[] = [];
  const givenUrl = (input['url'] ?? '').trim();
  let url = givenUrl;
  if (!httpsUrl.safeParse(givenUrl).success)
    problems.push(
      `the EWS URL must be an https URL such as ${exampleUrl}, got ${JSON.stringify(input['url'] ?? '')}`,
    );
  else {
    const parsed = new URL(givenUrl);
    if (parsed.pathname === '' || parsed.pathname === '/')
      problems.push(`the EWS URL must name the EWS endpoint, such as ${parsed.origin}/EWS/Exchange.asmx`);
    url = parsed.href;
  }
  const username = (input['username'] ?? '').trim();
  if (!usernamePattern.test(username))
    problems.push(
      `the user name must be DOMAIN\\user or a UPN such as svc-instant-sync@contoso.com, got ${JSON.stringify(input['username'] ?? '')}`,
    );
  const auth = (input['auth'] ?? 'ntlm').trim().toLowerCase();
  if (auth !== 'ntlm' && auth !== 'basic')
    problems.push(`the sign-in method must be ntlm or basic, got ${JSON.stringify(input['auth'])}`);
  // A password file ends with a line break more often than a password does.
  const password = input['password']?.replace(/(\r?\n)+$/, '');
  if (password === '') problems.push('the password file is empty');
  if (password === undefined && !hasStoredCredentials)
    problems.push("the service account's password is needed (--password-file)");
  if (problems.length > 0) return { problems };
  return {
    settings: { url, username, auth },
    credentials: password === undefined ? undefined : { password },
  };
}

/** The provider's code and the XML and NTLM libraries, loaded with the first Exchange Server provider. */
const load = () => Promise.all([import('./ews-provider.ts'), import('./ews-transport.ts')]);

/**
 * Builds the provider from stored settings and unsealed credentials; `extraCaPem` is a CA the
 * Exchange server's certificate may chain to beyond the public roots (an internal PKI, the sandbox).
 */
export async function createEwsProvider(
  settings: unknown,
  credentials: unknown,
  options: { extraCaPem?: string | undefined } = {},
): Promise<EwsProvider> {
  const stored = settingsSchema.safeParse(settings);
  const secret = credentialsSchema.safeParse(credentials);
  if (!stored.success || !secret.success)
    throw new PermanentError(
      `the Exchange Server provider needs an https EWS URL, a service account (DOMAIN\\user or a UPN), its password and a sign-in method (ntlm or basic), and the stored ones do not fit: ${fixSetUp}`,
    );
  const [{ EwsProvider }, { EwsTransport }] = await load();
  const transport = new EwsTransport({
    ...stored.data,
    password: secret.data.password,
    extraCaPem: options.extraCaPem,
  });
  return new EwsProvider({ transport, url: stored.data.url });
}

/** Basic sends the password with every request; NTLM never sends it at all. */
function checks(settings: unknown): ProviderFinding[] {
  const stored = settingsSchema.safeParse(settings);
  if (!stored.success) return [];
  if (stored.data.auth === 'basic')
    return [
      {
        name: 'Exchange sign-in',
        result: 'warn',
        detail: `Basic sign-in as ${stored.data.username}: the password travels (base64, not encrypted) with every request, protected by TLS alone`,
        fix: 'enable Windows (NTLM) authentication on the EWS virtual directory and set --auth ntlm',
      },
    ];
  return [
    {
      name: 'Exchange sign-in',
      result: 'ok',
      detail: `NTLM sign-in as ${stored.data.username}: the password never leaves this server`,
    },
  ];
}

export const ewsPlugin: ProviderPlugin = {
  kind: 'ews',
  label: 'Exchange Server (EWS)',
  capabilities: ewsCapabilities,
  setupGuide: 'docs/setup-exchange-server.md',
  accessFix:
    'check the service account: its user name and password (--username, --password-file), its ApplicationImpersonation role ' +
    '(New-ManagementRoleAssignment -Name "Instant Sync impersonation" -Role ApplicationImpersonation -User <account> [-CustomRecipientWriteScope <scope>]), ' +
    'and that the EWS URL is reachable from this server with a certificate it trusts (docs/setup-exchange-server.md)',
  sandbox: {
    launcher: packageFile('sandbox/ews/main.ts'),
    label: 'a sandbox Exchange Server',
    viewPath: '/__sandbox/view',
    // As an Exchange admin does: a service account, the impersonation role for it, and the mailboxes.
    async prepare(url, call, mailboxes) {
      const username = 'SANDBOX\\svc-instant-sync';
      const password = randomBytes(18).toString('base64url');
      await call('POST', '/__sandbox/accounts', { username, password });
      await call('POST', '/__sandbox/impersonation', { username });
      for (const mailbox of mailboxes)
        await call('POST', '/__sandbox/mailboxes', {
          address: mailbox.address,
          displayName: mailbox.displayName,
        });
      return { url: `${url.replace(/\/+$/, '')}/EWS/Exchange.asmx`, username, password, auth: 'ntlm' };
    },
  },
  checks,
  options: [
    {
      flag: '--url <url>',
      input: 'url',
      inHint: true,
      help: `the EWS endpoint, https only (${exampleUrl})`,
    },
    {
      flag: '--username <user>',
      input: 'username',
      inHint: true,
      help: 'the service account that impersonates the owners: DOMAIN\\user or a UPN (svc-instant-sync@contoso.com)',
    },
    {
      flag: '--password-file <file>',
      input: 'password',
      file: true,
      inHint: true,
      help: "file holding the service account's password (- reads standard input); required the first time",
    },
    {
      flag: '--auth <ntlm|basic>',
      input: 'auth',
      help: 'how the service account signs in (default ntlm; basic sends the password with every request)',
    },
  ],
  summary: (settings) =>
    `service account ${String(settings['username'])} at ${String(settings['url'])} (${settings['auth'] === 'basic' ? 'Basic' : 'NTLM'})`,
  readInput,
  load,
  create: (settings, credentials, _fetch, connection) =>
    createEwsProvider(settings, credentials, { extraCaPem: connection?.extraCaPem }),
};
