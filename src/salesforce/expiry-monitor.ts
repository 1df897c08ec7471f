// Watches every connection's refresh-token expiry: shows it as expiring in its last week, warns
// the admin 7, 3 and 1 days ahead (log + notification webhook, once each, even with several
// nodes), keeps an "expire if unused" grant alive by using it, and at expiry asks Salesforce
// with a refresh whether the grant really died (the policy is only what the admin told us):
// if it did, the tenant goes to "reconnect required" and its jobs wait.
import {
  describeCountdown,
  expiryPhase,
  expiryWarningDue,
  parseRefreshTokenPolicy,
} from '../domain/salesforce-connection.ts';
import { tenantUrl } from '../domain/tenant.ts';
import { describeError, ReconnectRequiredError } from '../lib/errors.ts';
import type { ConnectionRow } from '../store/schema.ts';
import { moveConnection } from './connection-transitions.ts';
import type { SalesforceDeps } from './salesforce-deps.ts';
import type { SalesforceSessions } from './salesforce-sessions.ts';

const day = 86_400_000;

export class ExpiryMonitor {
  readonly #deps: SalesforceDeps;
  readonly #sessions: SalesforceSessions;

  constructor(deps: SalesforceDeps, sessions: SalesforceSessions) {
    this.#deps = deps;
    this.#sessions = sessions;
  }

  /** One pass over every connection; never throws (one tenant's trouble must not stop the others). */
  async check(): Promise<void> {
    for (const row of await this.#deps.repos.salesforceConnections.listConnections()) {
      if (row.state !== 'connected' && row.state !== 'expiring') continue;
      try {
        await this.#checkOne(row);
      } catch (error) {
        this.#deps.logger.error(
          { err: error, tenantId: row.tenant_id },
          'expiry check failed for a connection',
        );
      }
    }
  }

  async #checkOne(row: ConnectionRow): Promise<void> {
    const now = this.#deps.clock.now();
    const policy = parseRefreshTokenPolicy(row.refresh_token_policy);
    if (row.auth_flow === 'web_server' && !('problem' in policy) && policy.kind === 'expire_if_unused') {
      const lastUse = Math.max(row.refresh_token_last_used_at ?? 0, row.connected_at ?? 0);
      if (now - lastUse >= (policy.days * day) / 2) {
        await this.#refresh(row, 'keeping the unused-refresh-token policy from expiring the grant');
        return;
      }
    }
    const phase = expiryPhase(row.expires_at, now);
    if (phase === 'expired') {
      await this.#refresh(row, 'the refresh token reached its expiry under the tenant policy');
      return;
    }
    const target = phase === 'expiring' ? 'expiring' : 'connected';
    if (target !== row.state) await moveConnection(this.#deps, row, target);
    if (row.expires_at !== null) await this.#warnIfDue(row, row.expires_at, now);
  }

  async #refresh(row: ConnectionRow, why: string): Promise<void> {
    try {
      await this.#sessions.refreshNow(row.tenant_id);
    } catch (error) {
      if (error instanceof ReconnectRequiredError) return; // already moved and announced
      this.#deps.logger.warn(
        { tenantId: row.tenant_id, why, error: describeError(error) },
        'refresh for the expiry check failed; will retry',
      );
      return;
    }
    if (expiryPhase(row.expires_at, this.#deps.clock.now()) === 'expired') {
      // The org kept the grant alive past the policy we were given: keep syncing, stop counting down.
      this.#deps.logger.warn(
        { tenantId: row.tenant_id, policy: row.refresh_token_policy },
        'the Salesforce refresh token still works after its expected expiry: check the tenant refresh-token policy',
      );
      await moveConnection(this.#deps, row, 'connected', {
        expires_at: null,
        last_expiry_warning_days: null,
      });
    }
  }

  async #warnIfDue(row: ConnectionRow, expiresAt: number, now: number): Promise<void> {
    const due = expiryWarningDue(expiresAt, now, row.last_expiry_warning_days);
    if (due === undefined) return;
    // Record first, conditionally, so that of several nodes exactly one sends this warning.
    if (
      !(await this.#deps.repos.salesforceConnections.claimExpiryWarning({
        tenantId: row.tenant_id,
        days: due.days,
        now,
      }))
    )
      return;
    const tenant = await this.#deps.repos.tenants.findTenantById(row.tenant_id);
    const slug = tenant?.slug ?? row.tenant_id;
    const countdown = describeCountdown(due.msLeft);
    await this.#deps.notifier.notify({
      type: 'salesforce.connection.expiring',
      tenant: slug,
      tenantUrl: tenantUrl(this.#deps.settings.publicUrl, slug),
      at: new Date(now).toISOString(),
      daysBefore: due.days,
      expiresAt: new Date(expiresAt).toISOString(),
      message: `Salesforce connection of tenant ${slug} ${countdown} (${new Date(expiresAt).toISOString()}): open the tenant URL and click Reconnect to renew it.`,
    });
  }
}
