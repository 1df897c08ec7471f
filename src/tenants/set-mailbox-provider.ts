// Setting a tenant's mailbox provider: Microsoft Graph (Microsoft 365) with an app registration's
// directory (tenant) id, client id, and client secret or certificate (a PEM file holding the
// private key and the certificate uploaded to the app). Credentials are sealed, bound to the row.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { Kysely } from 'kysely';
import { providerCredentialsContext } from '../engine/provider-source.ts';
import type { Clock } from '../lib/clock.ts';
import { BadInputError, NotFoundError } from '../lib/errors.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import { findProvider, saveProvider } from '../store/mailbox-providers-repository.ts';
import type { Database } from '../store/schema.ts';
import { findTenantBySlug } from '../store/tenants-repository.ts';

export interface GraphProviderInput {
  directoryTenantId: string;
  clientId: string;
  /** Absent (and no certificate): keep the credentials already stored. */
  clientSecret?: string | undefined;
  /** PEM text holding the private key and the certificate, instead of a secret. */
  clientCertificatePem?: string | undefined;
  graphUrl?: string | undefined;
  loginUrl?: string | undefined;
}

const guidOrDomain =
  /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9-]+(\.[a-z0-9-]+)+|[a-z0-9-]+)$/i;

export async function setGraphProvider(
  deps: { db: Kysely<Database>; secretBox: SecretBox; clock: Clock },
  slug: string,
  input: GraphProviderInput,
): Promise<void> {
  const tenant = await findTenantBySlug(deps.db, slug);
  if (tenant === undefined) throw new NotFoundError(`no tenant named ${JSON.stringify(slug)}`);
  const problems: string[] = [];
  if (!guidOrDomain.test(input.directoryTenantId.trim()))
    problems.push('the directory tenant id must be a GUID or a domain such as contoso.onmicrosoft.com');
  if (input.clientId.trim() === '') problems.push('the client id must not be empty');
  const urls: Record<string, string> = {};
  for (const [name, value] of [
    ['graphBaseUrl', input.graphUrl],
    ['loginBaseUrl', input.loginUrl],
  ] as const) {
    if (value === undefined) continue;
    const url = value.trim().replace(/\/+$/, '');
    if (!URL.canParse(url) || new URL(url).protocol !== 'https:')
      problems.push(
        `${name === 'graphBaseUrl' ? 'the Graph URL' : 'the login URL'} must be an https URL, got ${JSON.stringify(value)}`,
      );
    else urls[name] = url;
  }
  const secret = input.clientSecret?.trim();
  if (secret === '') problems.push('the client secret must not be empty');
  let credentials: Record<string, string> | undefined =
    secret === undefined ? undefined : { clientSecret: secret };
  if (input.clientCertificatePem !== undefined) {
    if (secret !== undefined) problems.push('give a client secret or a certificate, not both');
    const pem = input.clientCertificatePem;
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
  const existing = await findProvider(deps.db, tenant.id);
  if (credentials === undefined && (existing?.credentials_sealed ?? null) === null)
    problems.push(
      'a client secret (--client-secret-file) or a certificate (--client-certificate-file) is needed',
    );
  if (problems.length > 0) throw new BadInputError(problems.join('; '));
  await saveProvider(deps.db, {
    tenantId: tenant.id,
    kind: 'graph',
    settingsJson: JSON.stringify({
      directoryTenantId: input.directoryTenantId.trim(),
      clientId: input.clientId.trim(),
      ...urls,
    }),
    credentialsSealed: (providerId) =>
      credentials === undefined
        ? null
        : deps.secretBox.seal(JSON.stringify(credentials), providerCredentialsContext(tenant.id, providerId)),
    now: deps.clock.now(),
  });
}
