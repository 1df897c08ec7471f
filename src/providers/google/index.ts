// Google Workspace (Google Calendar), described for the registry: a service account with
// domain-wide delegation of the calendar.events scope, given as the JSON key Google makes for it.
// The key's identity (email, client id, token URL) is stored in the clear as settings and, with the
// private key, sealed as credentials, so a later settings change without the key file keeps
// working; the Calendar API's host is a setting too (the sandbox).
import { createPrivateKey } from 'node:crypto';
import { z } from 'zod';
import { PermanentError } from '../../lib/errors.ts';
import type {
  ProviderFinding,
  ProviderInput,
  ProviderPlugin,
  ReadProviderInput,
} from '../provider-plugin.ts';
import { calendarScope } from './google-errors.ts';
import { googleCapabilities } from './google-capabilities.ts';
import type { GoogleProvider } from './google-provider.ts';
import { packageFile } from '../../lib/package-files.ts';

export { googleEventIdFor } from './google-event-id.ts';

const defaultCalendarBaseUrl = 'https://www.googleapis.com';

const httpsUrl = z.url().refine((url) => URL.canParse(url) && new URL(url).protocol === 'https:');

/** Identity fields, in the settings (display) and, from this version on, in the credentials too. */
const identity = {
  serviceAccountEmail: z.string().includes('@'),
  clientId: z.string().min(1),
  tokenUrl: httpsUrl,
};

const settingsSchema = z.object({
  serviceAccountEmail: identity.serviceAccountEmail.optional(),
  clientId: identity.clientId.optional(),
  projectId: z.string().optional(),
  tokenUrl: identity.tokenUrl.optional(),
  calendarBaseUrl: httpsUrl.optional(),
});

const credentialsSchema = z.object({
  privateKeyPem: z.string().includes('PRIVATE KEY'),
  privateKeyId: z.string().min(1),
  serviceAccountEmail: identity.serviceAccountEmail.optional(),
  clientId: identity.clientId.optional(),
  tokenUrl: identity.tokenUrl.optional(),
});

const fixKey =
  'give the service account JSON key again with instant-sync provider set <slug> google --service-account-file <file>';

/** The service account's JSON key, checked: what the settings and credentials are made of. */
interface ServiceAccountKey {
  serviceAccountEmail: string;
  clientId: string;
  projectId: string | undefined;
  tokenUrl: string;
  privateKeyPem: string;
  privateKeyId: string;
}

/** Reads the JSON key Google gives for a service account, naming each problem (never the key itself). */
export function readServiceAccountKey(json: string): ServiceAccountKey | { problems: string[] } {
  let key: unknown;
  try {
    key = JSON.parse(json.replace(/^\uFEFF/, ''));
  } catch {
    return {
      problems: [
        'the service account file is not JSON: give the JSON key Google made for the service account',
      ],
    };
  }
  if (typeof key !== 'object' || key === null || Array.isArray(key))
    return {
      problems: [
        'the service account file must hold one JSON object, the key Google made for the service account',
      ],
    };
  const field = (name: string) => {
    const value = (key as Record<string, unknown>)[name];
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  };
  const type = field('type');
  if (type !== 'service_account')
    return {
      problems: [
        `the file is ${type === undefined ? 'not a Google credential' : `a ${JSON.stringify(type)} credential`}, not a service account key ("type": "service_account")`,
      ],
    };
  const problems: string[] = [];
  const serviceAccountEmail = field('client_email');
  if (serviceAccountEmail === undefined || !serviceAccountEmail.includes('@'))
    problems.push("the key has no client_email (the service account's email address)");
  const clientId = field('client_id');
  if (clientId === undefined)
    problems.push(
      "the key has no client_id (the service account's numeric client id, which domain-wide delegation names)",
    );
  const privateKeyId = field('private_key_id');
  if (privateKeyId === undefined) problems.push('the key has no private_key_id');
  // The PEM as given (its final newline too): only checked, never reshaped.
  const privateKeyPem =
    field('private_key') === undefined ? undefined : String((key as Record<string, unknown>)['private_key']);
  if (privateKeyPem === undefined) problems.push('the key has no private_key');
  else {
    try {
      if (createPrivateKey(privateKeyPem).asymmetricKeyType !== 'rsa') throw new Error('not RSA');
    } catch {
      problems.push("the key's private_key is not a PEM RSA private key");
    }
  }
  const tokenUrl = field('token_uri')?.replace(/\/+$/, '');
  if (tokenUrl === undefined)
    problems.push("the key has no token_uri (Google's is https://oauth2.googleapis.com/token)");
  else if (!httpsUrl.safeParse(tokenUrl).success)
    problems.push(`the key's token_uri must be an https URL, got ${JSON.stringify(tokenUrl)}`);
  if (problems.length > 0) return { problems };
  return {
    serviceAccountEmail: serviceAccountEmail ?? '',
    clientId: clientId ?? '',
    projectId: field('project_id'),
    tokenUrl: tokenUrl ?? '',
    privateKeyPem: privateKeyPem ?? '',
    privateKeyId: privateKeyId ?? '',
  };
}

/** Input names: serviceAccountJson (the key file's text), calendarUrl. */
function readInput(input: ProviderInput, hasStoredCredentials: boolean): ReadProviderInput {
  const problems: string[] = [];
  let calendarBaseUrl: string | undefined;
  const givenUrl = input['calendarUrl'];
  if (givenUrl !== undefined) {
    const url = givenUrl.trim().replace(/\/+$/, '');
    if (httpsUrl.safeParse(url).success) calendarBaseUrl = url;
    else problems.push(`the calendar URL must be an https URL, got ${JSON.stringify(givenUrl)}`);
  }
  const json = input['serviceAccountJson'];
  let key: ServiceAccountKey | undefined;
  if (json !== undefined) {
    const read = readServiceAccountKey(json);
    if ('problems' in read) problems.push(...read.problems);
    else key = read;
  } else if (!hasStoredCredentials)
    problems.push(
      "the service account's JSON key is needed (--service-account-file): Google Cloud console → IAM & Admin → Service accounts → Keys → Add key → JSON",
    );
  if (problems.length > 0) return { problems };
  const url = calendarBaseUrl === undefined ? {} : { calendarBaseUrl };
  // No key given: the stored credentials, which carry the key's identity, stay.
  if (key === undefined) return { settings: url, credentials: undefined };
  const { privateKeyPem, privateKeyId, projectId, ...id } = key;
  return {
    settings: { ...id, ...(projectId === undefined ? {} : { projectId }), ...url },
    credentials: { privateKeyPem, privateKeyId, ...id },
  };
}

/** Stored settings and credentials, validated: the identity from the credentials, else the settings. */
function readStored(settings: unknown, credentials: unknown) {
  const stored = settingsSchema.safeParse(settings);
  const secret = credentialsSchema.safeParse(credentials);
  if (!stored.success || !secret.success) return undefined;
  const serviceAccountEmail = secret.data.serviceAccountEmail ?? stored.data.serviceAccountEmail;
  const clientId = secret.data.clientId ?? stored.data.clientId;
  const tokenUrl = secret.data.tokenUrl ?? stored.data.tokenUrl;
  if (serviceAccountEmail === undefined || clientId === undefined || tokenUrl === undefined) return undefined;
  return {
    serviceAccountEmail,
    clientId,
    tokenUrl,
    privateKeyPem: secret.data.privateKeyPem,
    privateKeyId: secret.data.privateKeyId,
    calendarBaseUrl: stored.data.calendarBaseUrl ?? defaultCalendarBaseUrl,
  };
}

/** The provider's code and Google's client libraries, loaded with the first Google provider. */
const load = () => Promise.all([import('./google-provider.ts'), import('./google-token-source.ts')]);

async function create(
  settings: unknown,
  credentials: unknown,
  fetchImpl: typeof fetch,
): Promise<GoogleProvider> {
  const read = readStored(settings, credentials);
  if (read === undefined)
    throw new PermanentError(
      `the Google provider needs a service account's email, client id, token URL and private key, and the stored ones do not fit: ${fixKey}`,
    );
  try {
    createPrivateKey(read.privateKeyPem);
  } catch {
    throw new PermanentError(`the stored service account private key cannot be read: ${fixKey}`);
  }
  const [{ GoogleProvider }, { GoogleTokenSource }] = await load();
  const tokens = new GoogleTokenSource(read, fetchImpl);
  return new GoogleProvider({ tokens, calendarBaseUrl: read.calendarBaseUrl, fetch: fetchImpl });
}

/**
 * A service account key does not say when it expires (Google's keys do not, unless an
 * organisation policy sets an expiry), so doctor can only name the key and where to look.
 */
function checks(settings: unknown, credentials: unknown): ProviderFinding[] {
  const read = readStored(settings, credentials);
  if (read === undefined) return [];
  return [
    {
      name: 'Google service account',
      result: 'ok',
      detail:
        `key ${read.privateKeyId} of ${read.serviceAccountEmail} (client id ${read.clientId}): keys do not expire unless an ` +
        'organisation policy sets an expiry (Google Cloud console → IAM & Admin → Service accounts → Keys shows it)',
    },
  ];
}

export const googlePlugin: ProviderPlugin = {
  kind: 'google',
  label: 'Google Workspace (Google Calendar)',
  capabilities: googleCapabilities,
  setupGuide: 'docs/setup-google-workspace.md',
  accessFix:
    `check the service account: its JSON key (not deleted in the Google Cloud console), the Google Calendar API enabled in its project, ` +
    `and domain-wide delegation of ${calendarScope} to its client id in the Admin console (Security → API controls → Domain-wide delegation)`,
  sandbox: {
    launcher: packageFile('sandbox/google/main.ts'),
    label: 'a sandbox Google Workspace',
    viewPath: '/__sandbox/view',
    // As an admin does at Google: a service account and its JSON key (token_uri naming the
    // sandbox), its client id delegated the scope, and the domain's users.
    async prepare(url, call, mailboxes) {
      const key = (await call('POST', '/__sandbox/service-accounts', {
        clientEmail: 'instant-sync-demo@instant-sync-demo.iam.gserviceaccount.com',
        projectId: 'instant-sync-demo',
      })) as { client_id?: unknown };
      await call('POST', '/__sandbox/delegations', {
        clientId: String(key.client_id),
        scopes: [calendarScope],
      });
      for (const mailbox of mailboxes) await call('POST', '/__sandbox/users', { email: mailbox.address });
      return { serviceAccountJson: JSON.stringify(key), calendarUrl: url };
    },
  },
  checks,
  options: [
    {
      flag: '--service-account-file <file>',
      input: 'serviceAccountJson',
      file: true,
      inHint: true,
      help:
        `the JSON key Google gives for the service account (- reads standard input); its client id must be delegated ` +
        `${calendarScope} in the Admin console (Security → API controls → Domain-wide delegation); required the first time`,
    },
    {
      flag: '--calendar-url <url>',
      input: 'calendarUrl',
      help: `Calendar API endpoint (default ${defaultCalendarBaseUrl})`,
    },
  ],
  summary: (settings) =>
    typeof settings['serviceAccountEmail'] === 'string'
      ? `service account ${settings['serviceAccountEmail']} (client id ${String(settings['clientId'])})`
      : 'the service account of the key given earlier',
  readInput,
  load,
  create,
};
