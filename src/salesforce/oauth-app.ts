// Which External Client App a tenant connects through: its own (client id and sealed secret on
// its connection row) or the server's default from the configuration.
import { BadInputError } from '../lib/errors.ts';
import type { ConnectionRow } from '../store/schema.ts';
import type { OAuthApp } from './oauth-client.ts';
import { type SalesforceDeps } from './salesforce-deps.ts';
import { sealContext } from '../store/seal-contexts.ts';

export function oauthAppFor(
  row: ConnectionRow,
  deps: Pick<SalesforceDeps, 'secretBox' | 'settings'>,
): OAuthApp {
  if (row.client_id !== null) {
    const clientSecret =
      row.client_secret_sealed === null
        ? undefined
        : deps.secretBox.open(row.client_secret_sealed, sealContext.clientSecret(row.tenant_id));
    return { loginUrl: row.login_url, clientId: row.client_id, clientSecret };
  }
  const { clientId, clientSecret } = deps.settings;
  if (clientId === undefined) {
    throw new BadInputError(
      'no Salesforce app is configured for this tenant: set INSTANT_SYNC_SALESFORCE_CLIENT_ID and ' +
        'INSTANT_SYNC_SALESFORCE_CLIENT_SECRET, or give the tenant its own with ' +
        '`instant-sync tenants set <slug> --client-id <key> --client-secret-file <file>`',
    );
  }
  return { loginUrl: row.login_url, clientId, clientSecret };
}

/** The web server flow needs the consumer secret; say so plainly when it is missing. */
export function requireClientSecret(app: OAuthApp): OAuthApp & { clientSecret: string } {
  if (app.clientSecret === undefined) {
    throw new BadInputError(
      `the Salesforce app ${app.clientId} has no consumer secret configured: set INSTANT_SYNC_SALESFORCE_CLIENT_SECRET ` +
        'or `instant-sync tenants set <slug> --client-secret-file <file>`',
    );
  }
  return { ...app, clientSecret: app.clientSecret };
}
