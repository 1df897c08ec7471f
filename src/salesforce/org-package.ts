// Our Salesforce package (salesforce-package/, docs/salesforce-package.md), configured by the
// server through the API so the admin does nothing beyond the admin guide's steps: after Connect, the
// org-default records of its custom settings get the tenant URL, the connection's status and
// expiry (what the Connect page shows) and the webhook secret (what the Event trigger signs with),
// and a Remote Site Setting lets the trigger call the server; Disconnect clears them. An org
// without the package (most use CDC alone) answers that the objects do not exist: nothing to do.
import { SalesforceRefusal, type SalesforceRestClient } from './rest-client.ts';

export const packageObjects = {
  /** The "ClientId Config" hierarchy setting: the admin's Client ID, what the server writes. */
  config: 'InstantSync_Config__c',
  /** The protected setting holding the webhook secret. */
  secret: 'InstantSync_Secret__c',
} as const;

/** The Remote Site Setting's name (its SiteName / FullName). */
export const remoteSiteName = 'InstantSync';

export type PackageOutcome =
  | { installed: false }
  | { installed: true; remoteSite: 'created' | 'updated' | 'unchanged' | 'deleted' | 'none' };

/** What the Connect page and the trigger need, as the server knows it after a Connect. */
export interface PackageSettings {
  orgId: string;
  /** The tenant URL, ending in `/`. */
  tenantUrl: string;
  /** "Connected", as the package's Connect page says it. */
  status: string;
  /** When the refresh token expires; null: it does not. */
  expiresAt: number | null;
  webhookSecret: string;
  now: number;
}

/** Writes the package's settings and the Remote Site Setting; `{ installed: false }` when the org has no package. */
export async function configurePackage(
  rest: SalesforceRestClient,
  settings: PackageSettings,
): Promise<PackageOutcome> {
  const written = await writeOrgDefault(rest, packageObjects.config, settings.orgId, {
    TenantUrl__c: settings.tenantUrl,
    Status__c: settings.status,
    ExpiresAt__c: settings.expiresAt === null ? null : new Date(settings.expiresAt).toISOString(),
    StatusUpdatedAt__c: new Date(settings.now).toISOString(),
    LastError__c: null,
  });
  if (!written) return { installed: false };
  await writeOrgDefault(rest, packageObjects.secret, settings.orgId, {
    WebhookSecret__c: settings.webhookSecret,
  });
  const origin = new URL(settings.tenantUrl).origin;
  const metadata = {
    url: origin,
    isActive: true,
    disableProtocolSecurity: false,
    description: 'Instant Sync: the Event trigger tells the server of changed Events',
  };
  const site = await findRemoteSite(rest);
  if (site === undefined) {
    await rest.create('RemoteProxy', { FullName: remoteSiteName, Metadata: metadata }, 'tooling');
    return { installed: true, remoteSite: 'created' };
  }
  if (site.EndpointUrl === origin && site.IsActive === true)
    return { installed: true, remoteSite: 'unchanged' };
  await rest.update('RemoteProxy', site.Id, { Metadata: metadata }, 'tooling');
  return { installed: true, remoteSite: 'updated' };
}

/** Disconnect: the settings say so, the secret and the tenant URL are cleared, the Remote Site Setting removed. */
export async function clearPackage(
  rest: SalesforceRestClient,
  settings: { orgId: string; now: number },
): Promise<PackageOutcome> {
  const written = await writeOrgDefault(rest, packageObjects.config, settings.orgId, {
    TenantUrl__c: null,
    Status__c: 'Disconnected',
    ExpiresAt__c: null,
    StatusUpdatedAt__c: new Date(settings.now).toISOString(),
    LastError__c: null,
  });
  if (!written) return { installed: false };
  await writeOrgDefault(rest, packageObjects.secret, settings.orgId, { WebhookSecret__c: null });
  const site = await findRemoteSite(rest);
  if (site === undefined) return { installed: true, remoteSite: 'none' };
  await rest.remove('RemoteProxy', site.Id, 'tooling');
  return { installed: true, remoteSite: 'deleted' };
}

/**
 * Creates or updates the org-default record (SetupOwnerId = the org) of a hierarchy setting.
 * False when the org does not have the setting (the package is not installed).
 */
async function writeOrgDefault(
  rest: SalesforceRestClient,
  objectName: string,
  orgId: string,
  fields: Record<string, unknown>,
): Promise<boolean> {
  let found: { Id?: string }[];
  try {
    found = await rest.query(
      `SELECT Id FROM ${objectName} WHERE SetupOwnerId = '${orgId.replaceAll("'", '')}'`,
    );
  } catch (error) {
    if (error instanceof SalesforceRefusal && error.code === 'INVALID_TYPE') return false;
    throw error;
  }
  const id = found[0]?.Id;
  if (id === undefined) await rest.create(objectName, { SetupOwnerId: orgId, ...fields });
  else await rest.update(objectName, id, fields);
  return true;
}

async function findRemoteSite(
  rest: SalesforceRestClient,
): Promise<{ Id: string; EndpointUrl?: string; IsActive?: boolean } | undefined> {
  const sites = await rest.toolingQuery<{ Id: string; EndpointUrl?: string; IsActive?: boolean }>(
    `SELECT Id, EndpointUrl, IsActive FROM RemoteProxy WHERE SiteName = '${remoteSiteName}'`,
  );
  return sites[0];
}
