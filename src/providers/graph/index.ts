// Microsoft 365 through Microsoft Graph, described for the registry: an app registration's
// directory (tenant) id and client id in the settings; a client secret or a certificate (PEM
// private key and certificate) as credentials; national clouds and the sandbox by their URLs.
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { PermanentError } from '../../lib/errors.ts';
import { requestThroughFetch } from '../../lib/outbound-fetch.ts';
import type {
  ProviderConnection,
  ProviderFinding,
  ProviderInput,
  ProviderPlugin,
  ReadProviderInput,
} from '../provider-plugin.ts';
import { graphCapabilities, GraphProvider } from './graph-provider.ts';
import { packageFile } from '../../lib/package-files.ts';

const settingsSchema = z.object({
  directoryTenantId: z.string().min(1),
  clientId: z.string().min(1),
  graphBaseUrl: z.url().optional(),
  loginBaseUrl: z.url().optional(),
});

const credentialsSchema = z.union([
  z.object({ clientSecret: z.string().min(1) }),
  z.object({ certificatePem: z.string().min(1), certificatePrivateKeyPem: z.string().min(1) }),
]);

const guidOrDomain =
  /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9-]+(\.[a-z0-9-]+)+|[a-z0-9-]+)$/i;

/**
 * Input names: directoryTenantId, clientId, clientSecret, clientCertificatePem (PEM text holding
 * the private key and the certificate), graphUrl, loginUrl.
 */
function readInput(input: ProviderInput, hasStoredCredentials: boolean): ReadProviderInput {
  const problems: string[] = [];
  const directoryTenantId = (input['directoryTenantId'] ?? '').trim();
  const clientId = (input['clientId'] ?? '').trim();
  if (!guidOrDomain.test(directoryTenantId))
    problems.push('the directory tenant id must be a GUID or a domain such as contoso.onmicrosoft.com');
  if (clientId === '') problems.push('the client id must not be empty');
  const urls: Record<string, string> = {};
  for (const [name, given, label] of [
    ['graphBaseUrl', input['graphUrl'], 'the Graph URL'],
    ['loginBaseUrl', input['loginUrl'], 'the login URL'],
  ] as const) {
    if (given === undefined) continue;
    const url = given.trim().replace(/\/+$/, '');
    if (!URL.canParse(url) || new URL(url).protocol !== 'https:')
      problems.push(`${label} must be an https URL, got ${JSON.stringify(given)}`);
    else urls[name] = url;
  }
  const secret = input['clientSecret']?.trim();
  if (secret === '') problems.push('the client secret must not be empty');
  let credentials: Record<string, string> | undefined =
    secret === undefined ? undefined : { clientSecret: secret };
  const pem = input['clientCertificatePem'];
  if (pem !== undefined) {
    if (secret !== undefined) problems.push('give a client secret or a certificate, not both');
    const certificatePem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
    const keyPem = /-----BEGIN (RSA )?PRIVATE KEY-----[\s\S]+?-----END (RSA )?PRIVATE KEY-----/.exec(
      pem,
    )?.[0];
    try {
      if (certificatePem === undefined || keyPem === undefined) throw new Error('missing');
      const certificate = new X509Certificate(certificatePem);
      if (!certificate.checkPrivateKey(createPrivateKey(keyPem))) throw new Error('mismatch');
      credentials = { certificatePem, certificatePrivateKeyPem: keyPem };
    } catch (error) {
      problems.push(
        (error as Error).message === 'mismatch'
          ? 'the private key in the certificate file does not belong to its certificate'
          : 'the certificate file must hold the PEM private key and the PEM certificate',
      );
    }
  }
  if (credentials === undefined && !hasStoredCredentials)
    problems.push(
      'a client secret (--client-secret-file) or a certificate (--client-certificate-file) is needed',
    );
  if (problems.length > 0) return { problems };
  return { settings: { directoryTenantId, clientId, ...urls }, credentials };
}

/** The token source and MSAL (a certificate's sign-in), loaded with the first Graph provider. */
const load = () => import('./graph-token-source.ts');

async function create(
  settings: unknown,
  credentials: unknown,
  fetchImpl: typeof fetch,
  connection?: ProviderConnection,
): Promise<GraphProvider> {
  const read = settingsSchema.safeParse(settings);
  const secret = credentialsSchema.safeParse(credentials);
  if (!read.success || !secret.success)
    throw new PermanentError(
      'the Graph provider needs a directory tenant id, a client id, and a client secret or certificate',
    );
  const graphBaseUrl = read.data.graphBaseUrl ?? 'https://graph.microsoft.com';
  const { GraphTokenSource } = await load();
  const tokens = new GraphTokenSource(
    {
      directoryTenantId: read.data.directoryTenantId,
      clientId: read.data.clientId,
      clientSecret: 'clientSecret' in secret.data ? secret.data.clientSecret : undefined,
      certificate:
        'certificatePem' in secret.data
          ? {
              certificatePem: secret.data.certificatePem,
              privateKeyPem: secret.data.certificatePrivateKeyPem,
            }
          : undefined,
      loginBaseUrl: read.data.loginBaseUrl ?? 'https://login.microsoftonline.com',
      graphBaseUrl,
    },
    fetchImpl,
  );
  return new GraphProvider({
    tokens,
    graphBaseUrl,
    request: connection?.request ?? requestThroughFetch(fetchImpl),
  });
}

const dayMs = 86_400_000;

/**
 * A certificate says when it expires, so doctor warns a month ahead; a client secret's expiry is
 * known only to Entra, so doctor can only say where to look.
 */
function checks(_settings: unknown, credentials: unknown, now: number): ProviderFinding[] {
  const read = credentialsSchema.safeParse(credentials);
  if (!read.success) return [];
  if ('clientSecret' in read.data)
    return [
      {
        name: 'Graph credentials',
        result: 'ok',
        detail:
          'a client secret: Entra shows when it expires (at most 24 months); a certificate would let doctor warn ahead',
      },
    ];
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(read.data.certificatePem);
  } catch {
    return [{ name: 'Graph certificate', result: 'fail', detail: 'the stored certificate cannot be read' }];
  }
  const expires = Date.parse(certificate.validTo);
  const days = Math.floor((expires - now) / dayMs);
  const renew =
    'make a new certificate, upload it to the app registration, and give it with instant-sync provider set <slug> graph --client-certificate-file <file>';
  const detail = `the certificate (thumbprint ${certificate.fingerprint.replaceAll(':', '')}) expires ${new Date(expires).toISOString().slice(0, 10)}`;
  if (days < 0)
    return [{ name: 'Graph certificate', result: 'fail', detail: `${detail}: it has expired`, fix: renew }];
  if (days < 30)
    return [
      { name: 'Graph certificate', result: 'warn', detail: `${detail}, in ${days} day(s)`, fix: renew },
    ];
  return [{ name: 'Graph certificate', result: 'ok', detail }];
}

export const graphPlugin: ProviderPlugin = {
  kind: 'graph',
  label: 'Microsoft 365 (Graph)',
  capabilities: graphCapabilities,
  setupGuide: 'docs/setup-microsoft-365.md',
  accessFix:
    'check the app registration: tenant id, client id, secret or certificate, and the Calendars.ReadWrite application permission with admin consent (docs/setup-microsoft-365.md)',
  sandbox: {
    launcher: packageFile('sandbox/graph/main.ts'),
    label: 'a sandbox Microsoft 365',
    viewPath: '/__sandbox/view',
    async prepare(url, call, mailboxes) {
      const clientSecret = randomBytes(18).toString('base64url');
      await call('POST', '/__sandbox/apps', {
        tenantId: 'demo-directory',
        clientId: 'instant-sync-demo',
        clientSecret,
      });
      for (const mailbox of mailboxes)
        await call('POST', '/__sandbox/mailboxes', {
          address: mailbox.address,
          displayName: mailbox.displayName,
        });
      return {
        directoryTenantId: 'demo-directory',
        clientId: 'instant-sync-demo',
        clientSecret,
        graphUrl: url,
        loginUrl: url,
      };
    },
  },
  checks,
  options: [
    {
      flag: '--directory-tenant-id <id>',
      input: 'directoryTenantId',
      inHint: true,
      help: 'Microsoft Entra directory (tenant) id, a GUID or contoso.onmicrosoft.com',
    },
    {
      flag: '--client-id <id>',
      input: 'clientId',
      inHint: true,
      help: 'application (client) id of the app registration',
    },
    {
      flag: '--client-secret-file <file>',
      input: 'clientSecret',
      file: true,
      inHint: true,
      help: 'file holding the client secret (- reads standard input); a secret or a certificate is required the first time',
    },
    {
      flag: '--client-certificate-file <file>',
      input: 'clientCertificatePem',
      file: true,
      help: 'PEM file holding the private key and the certificate uploaded to the app registration (instead of a secret)',
    },
    {
      flag: '--graph-url <url>',
      input: 'graphUrl',
      help: 'Graph endpoint (default https://graph.microsoft.com; national clouds differ)',
    },
    {
      flag: '--login-url <url>',
      input: 'loginUrl',
      help: 'identity endpoint (default https://login.microsoftonline.com)',
    },
  ],
  summary: (settings) => `app ${String(settings['clientId'])} of ${String(settings['directoryTenantId'])}`,
  readInput,
  load,
  create,
};
