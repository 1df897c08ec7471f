// What the Salesforce connection code needs from the rest of the service, and the names under
// which its secrets are sealed (the context binds each ciphertext to its tenant and column).
import type { RefreshTokenPolicy } from '../domain/salesforce-connection.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import type { Notifier } from '../lib/notifier.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import type { Repositories } from '../store/repositories.ts';

export interface SalesforceSettings {
  publicUrl: string;
  apiVersion: string;
  loginUrl: string;
  refreshTokenPolicy: RefreshTokenPolicy;
  /** The server's default External Client App, for tenants without their own. */
  clientId: string | undefined;
  clientSecret: string | undefined;
}

export interface SalesforceDeps {
  repos: Repositories;
  secretBox: SecretBox;
  clock: Clock;
  logger: Logger;
  notifier: Notifier;
  fetch: typeof fetch;
  settings: SalesforceSettings;
}

/** OAuth scopes asked for: the REST API, and a refresh token to keep the connection alive. */
export const oauthScope = 'api refresh_token';
