// Runs every connected tenant's poll at its interval, on one node at a time: a tenant is polled
// only by the node holding its `poll:<tenant>` lease, so several `serve` processes on PostgreSQL
// share the tenants instead of polling each one several times. One tenant's failure is logged
// and never stops the others. A tenant whose change data capture cannot be used for now (its CDC
// state is `polling`: cdc-fallback.ts) is polled at the faster fallback interval, unless its org
// has used more of its daily API requests than the API budget allows (then at its usual one).
import { connectionCanSync } from '../../domain/salesforce-connection.ts';
import type { Clock } from '../../lib/clock.ts';
import { describeError, ReconnectRequiredError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { startPeriodicTask, type PeriodicTask } from '../../lib/periodic-task.ts';
import { pollTenant, type PollerDeps } from './poller.ts';
import { pollIntervalMs } from '../cdc/cdc-fallback.ts';

export interface PollingSchedulerDeps extends PollerDeps {
  clock: Clock;
  logger: Logger;
  /** This process, as lease holder. */
  nodeId: string;
  intervalMs: number;
  /** The interval while CDC cannot be used for a tenant (at most its usual interval). */
  fallbackIntervalMs: number;
  /** Percentage of the org's daily API requests above which the fallback interval is not used. */
  apiBudgetPercent: number;
}

const tickMs = 5000;

export class PollingScheduler {
  readonly #deps: PollingSchedulerDeps;
  readonly #held = new Set<string>();
  /** After a failed poll, the tenant waits a whole interval rather than being retried every tick. */
  readonly #retryAt = new Map<string, number>();
  #task: PeriodicTask | undefined;

  constructor(deps: PollingSchedulerDeps) {
    this.#deps = deps;
  }

  start(): void {
    this.#task ??= startPeriodicTask(
      'polling',
      Math.min(tickMs, this.#deps.intervalMs),
      () => this.runDue(),
      this.#deps.logger,
    );
  }

  async stop(): Promise<void> {
    await this.#task?.stop();
    this.#task = undefined;
    for (const name of this.#held) await this.#deps.repos.leases.releaseLease(name, this.#deps.nodeId);
    this.#held.clear();
  }

  /** Polls every connected tenant whose last poll is at least one interval old and whose lease we hold. */
  async runDue(): Promise<void> {
    const { repos, clock, nodeId, intervalMs, logger } = this.#deps;
    for (const tenant of await repos.tenants.listTenantsToPoll()) {
      if (!connectionCanSync(tenant.state)) continue;
      const now = clock.now();
      const every = pollIntervalMs({
        usualMs: tenant.poll_interval_ms === null ? intervalMs : Number(tenant.poll_interval_ms),
        fallbackMs: this.#deps.fallbackIntervalMs,
        cdcState: tenant.cdc_state,
        api:
          tenant.api_max === null || tenant.api_remaining === null
            ? undefined
            : { max: Number(tenant.api_max), remaining: Number(tenant.api_remaining) },
        apiBudgetPercent: this.#deps.apiBudgetPercent,
      });
      if (tenant.polled_at !== null && now - tenant.polled_at < every) continue;
      if ((this.#retryAt.get(tenant.id) ?? 0) > now) continue;
      const lease = `poll:${tenant.id}`;
      if (!(await repos.leases.acquireLease({ name: lease, holder: nodeId, ttlMs: every * 3, now }))) {
        this.#held.delete(lease);
        continue;
      }
      this.#held.add(lease);
      try {
        await pollTenant(this.#deps, tenant, tenant.connected_at ?? now);
        this.#retryAt.delete(tenant.id);
      } catch (error) {
        this.#retryAt.set(tenant.id, now + every);
        if (error instanceof ReconnectRequiredError) continue; // the tenant is paused and the admin told
        logger.warn(
          { tenant: tenant.slug, error: describeError(error) },
          'polling failed; will retry at the next interval',
        );
      }
    }
  }
}
