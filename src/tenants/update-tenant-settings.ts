// Changing a tenant's settings: its name, settle window, how it reaches Salesforce (login URL,
// its own External Client App, the refresh-token policy, the JWT bearer user and key) and how it
// syncs (invitation and delete policies, internal domains, exclusion rules).
// Every value is checked before anything is written; all problems are reported together.
import { createPrivateKey } from 'node:crypto';
import {
  expiryPhase,
  formatRefreshTokenPolicy,
  parseRefreshTokenPolicy,
  refreshTokenExpiresAt,
} from '../domain/salesforce-connection.ts';
import { parseExclusionRules } from '../domain/exclusion-rules.ts';
import type { Clock } from '../lib/clock.ts';
import { BadInputError, NotFoundError } from '../lib/errors.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import { sealContext } from '../store/seal-contexts.ts';
import type { ConnectionChanges, TenantChanges } from '../store/db.ts';
import type { Repositories } from '../store/repositories.ts';

export interface TenantSettingsChange {
  name?: string | undefined;
  settleWindowMs?: number | undefined;
  loginUrl?: string | undefined;
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  refreshTokenPolicy?: string | undefined;
  jwtUsername?: string | undefined;
  jwtPrivateKeyPem?: string | undefined;
  invitationPolicy?: string | undefined;
  deletePolicy?: string | undefined;
  /** Comma- or space-separated email domains. */
  internalDomains?: string | undefined;
  /** JSON text of the exclusion rules. */
  exclusionRulesJson?: string | undefined;
  /** Milliseconds between polls; null: the server's default. */
  pollIntervalMs?: number | null | undefined;
}

export async function updateTenantSettings(
  deps: { repos: Repositories; secretBox: SecretBox; clock: Clock },
  slug: string,
  change: TenantSettingsChange,
): Promise<void> {
  const tenant = await deps.repos.tenants.findTenantBySlug(slug);
  if (tenant === undefined) throw new NotFoundError(`no tenant named ${JSON.stringify(slug)}`);
  const connection = await deps.repos.salesforceConnections.findConnection(tenant.id);
  if (connection === undefined) throw new NotFoundError(`tenant ${slug} has no Salesforce connection record`);
  const now = deps.clock.now();
  const problems: string[] = [];
  const tenantChanges: TenantChanges = {};
  const connectionChanges: ConnectionChanges = {};

  if (change.name !== undefined) {
    const name = change.name.trim();
    if (name === '' || name.length > 200) problems.push('the name must be 1 to 200 characters');
    else tenantChanges.name = name;
  }
  if (change.settleWindowMs !== undefined) {
    if (
      !Number.isInteger(change.settleWindowMs) ||
      change.settleWindowMs < 0 ||
      change.settleWindowMs > 3_600_000
    ) {
      problems.push('the settle window must be from 0s to 1h');
    } else tenantChanges.settle_window_ms = change.settleWindowMs;
  }
  if (change.loginUrl !== undefined) {
    const url = change.loginUrl.trim().replace(/\/+$/, '');
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
      problems.push(
        `the login URL must be an https URL such as https://login.salesforce.com, got ${JSON.stringify(change.loginUrl)}`,
      );
    } else connectionChanges.login_url = url;
  }
  if (change.clientId !== undefined) {
    const clientId = change.clientId.trim();
    if (clientId === '') problems.push('the client id must not be empty');
    else connectionChanges.client_id = clientId;
  }
  if (change.clientSecret !== undefined) {
    const secret = change.clientSecret.trim();
    if (secret === '') problems.push('the client secret must not be empty');
    else
      connectionChanges.client_secret_sealed = deps.secretBox.seal(
        secret,
        sealContext.clientSecret(tenant.id),
      );
  }
  if (change.clientSecret !== undefined && change.clientId === undefined && connection.client_id === null) {
    problems.push('a client secret needs its client id: pass --client-id too');
  }
  if (change.refreshTokenPolicy !== undefined) {
    const policy = parseRefreshTokenPolicy(change.refreshTokenPolicy);
    if ('problem' in policy) problems.push(policy.problem);
    else {
      connectionChanges.refresh_token_policy = formatRefreshTokenPolicy(policy);
      if (connection.connected_at !== null && connection.auth_flow === 'web_server') {
        const expiresAt = refreshTokenExpiresAt(policy, {
          connectedAt: connection.connected_at,
          refreshTokenLastUsedAt: connection.refresh_token_last_used_at,
        });
        connectionChanges.expires_at = expiresAt;
        connectionChanges.last_expiry_warning_days = null;
        if (connection.state === 'connected' || connection.state === 'expiring') {
          connectionChanges.state = expiryPhase(expiresAt, now) === 'expiring' ? 'expiring' : 'connected';
        }
      }
    }
  }
  if (change.jwtUsername !== undefined) {
    if (change.jwtUsername.trim() === '') problems.push('the JWT bearer username must not be empty');
    else connectionChanges.jwt_username = change.jwtUsername.trim();
  }
  if (change.jwtPrivateKeyPem !== undefined) {
    try {
      createPrivateKey(change.jwtPrivateKeyPem);
      connectionChanges.jwt_private_key_sealed = deps.secretBox.seal(
        change.jwtPrivateKeyPem,
        sealContext.jwtPrivateKey(tenant.id),
      );
    } catch {
      problems.push('the JWT bearer key file does not hold a PEM private key');
    }
  }
  if (change.invitationPolicy !== undefined) {
    const policy = change.invitationPolicy.trim();
    if (policy === 'none' || policy === 'internal' || policy === 'all')
      tenantChanges.invitation_policy = policy;
    else problems.push(`the invitation policy must be none, internal or all, got ${JSON.stringify(policy)}`);
  }
  if (change.deletePolicy !== undefined) {
    const policy = change.deletePolicy.trim();
    if (policy === 'delete' || policy === 'keep') tenantChanges.delete_policy = policy;
    else problems.push(`the delete policy must be delete or keep, got ${JSON.stringify(policy)}`);
  }
  if (change.internalDomains !== undefined) {
    const domains = change.internalDomains
      .split(/[\s,]+/)
      .map((d) => d.trim().toLowerCase().replace(/^@/, ''))
      .filter((d) => d !== '');
    const bad = domains.filter((d) => !/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(d));
    if (bad.length > 0) problems.push(`not email domains: ${bad.join(', ')}`);
    else tenantChanges.internal_domains_json = JSON.stringify([...new Set(domains)]);
  }
  if (change.pollIntervalMs !== undefined) {
    if (
      change.pollIntervalMs !== null &&
      (!Number.isInteger(change.pollIntervalMs) ||
        change.pollIntervalMs < 10_000 ||
        change.pollIntervalMs > 86_400_000)
    )
      problems.push('the polling interval must be from 10s to 1d');
    else tenantChanges.poll_interval_ms = change.pollIntervalMs;
  }
  if (change.exclusionRulesJson !== undefined) {
    let input: unknown;
    try {
      input = JSON.parse(change.exclusionRulesJson);
    } catch (error) {
      problems.push(`the exclusion rules are not JSON: ${(error as Error).message}`);
    }
    if (input !== undefined) {
      const rules = parseExclusionRules(input);
      if ('problem' in rules) problems.push(rules.problem);
      else tenantChanges.exclusion_rules_json = JSON.stringify(rules);
    }
  }
  if (
    tenantChanges.invitation_policy === 'internal' &&
    change.internalDomains === undefined &&
    tenant.internal_domains_json === '[]'
  )
    problems.push('the internal invitation policy needs the internal domains: pass --internal-domains too');
  if (problems.length > 0) throw new BadInputError(problems.join('; '));

  await deps.repos.tenants.saveTenantSettings({
    tenantId: tenant.id,
    tenant: tenantChanges,
    connection: connectionChanges,
    now,
  });
}
