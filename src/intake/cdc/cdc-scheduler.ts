// Keeps one CDC subscription per connected tenant running across all nodes: a node subscribes
// only while it holds the tenant's `cdc:<tenant>` lease, renews it every few seconds, and a node
// that dies stops renewing, so another takes over within the lease time plus one tick (25 s).
// A broken stream reconnects with backoff; a tenant that is no longer connected is let go. A
// Connect completed in this process starts (or wakes) the tenant's subscription at once.
//
// The subscriptions are spread over the nodes that run CDC: each says so with a `cdc-node:<id>`
// lease of its own, renewed every tick, and holds at most its share (the tenants ÷ those nodes,
// rounded up). It takes the tenants it ranks highest (rendezvous hashing: a score of the node's
// and the tenant's ids, so each node prefers different tenants and a node coming or going moves
// few of them), skips those another node holds, and gives up those past its share for a node
// with room to take at its next tick (each subscription resumes where the last one stopped).
import { createHash } from 'node:crypto';
import { connectionCanSync } from '../../domain/salesforce-connection.ts';
import type { Clock } from '../../lib/clock.ts';
import { describeError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { startPeriodicTask, type PeriodicTask } from '../../lib/periodic-task.ts';
import { CdcSubscription, type CdcSubscriptionDeps, type SubscriptionEnd } from './cdc-subscription.ts';
import type { SessionSource } from '../../salesforce/salesforce-sessions.ts';
import type { TenantRow } from '../../store/schema.ts';
import type { Repositories } from '../../store/repositories.ts';

export interface CdcSchedulerDeps {
  repos: Repositories;
  clock: Clock;
  logger: Logger;
  nodeId: string;
  sessionsFor: (tenantId: string) => SessionSource;
  pubSubEndpoint: string;
  extraCaPem: string | undefined;
  reconcile: (tenant: TenantRow, since: number, reason: string) => Promise<void>;
  /** Where Connects complete: each one starts its tenant's subscription without waiting for a tick. */
  connections?: { onConnected(listener: (tenantId: string) => void): () => void };
  leaseMs?: number;
  tickMs?: number;
  /** How a tenant's stream is run (tests stand in for the Pub/Sub API here); default CdcSubscription. */
  subscribe?: (deps: CdcSubscriptionDeps, tenant: TenantRow) => Subscription;
}

/** A tenant's stream as the scheduler drives it. */
export interface Subscription {
  run(): Promise<SubscriptionEnd>;
  stop(): Promise<void>;
}

interface Runner {
  subscription: Subscription | undefined;
  stopped: boolean;
  done: Promise<void>;
  /** Cuts a reconnect backoff short (on stop). */
  wake: (() => void) | undefined;
}

export class CdcScheduler {
  readonly #deps: CdcSchedulerDeps;
  readonly #runners = new Map<string, Runner>();
  #task: PeriodicTask | undefined;
  /** Ticks run one after another (the periodic one and those a Connect asks for). */
  #ticks: Promise<void> = Promise.resolve();
  #stopListening: (() => void) | undefined;

  constructor(deps: CdcSchedulerDeps) {
    this.#deps = deps;
  }

  start(): void {
    this.#task ??= startPeriodicTask('cdc', this.#deps.tickMs ?? 5000, () => this.tick(), this.#deps.logger);
    this.#stopListening ??= this.#deps.connections?.onConnected((tenantId) => this.nudge(tenantId));
  }

  async stop(): Promise<void> {
    this.#stopListening?.();
    this.#stopListening = undefined;
    await this.#task?.stop();
    this.#task = undefined;
    await this.#ticks;
    await Promise.all([...this.#runners.keys()].map((tenantId) => this.#stopAndReleaseLease(tenantId)));
    // No longer one of the nodes the subscriptions are spread over: the others take a bigger share.
    await this.#deps.repos.leases.releaseLease(`cdc-node:${this.#deps.nodeId}`, this.#deps.nodeId);
  }

  /** Tenants whose subscription this node runs now. */
  get running(): string[] {
    return [...this.#runners.keys()];
  }

  /**
   * A tenant was just connected: look now rather than at the next tick, and cut short a reconnect
   * backoff its subscription may be waiting out (it failed while the grant was revoked, say).
   */
  nudge(tenantId: string): void {
    if (this.#task === undefined) return;
    this.#runners.get(tenantId)?.wake?.();
    this.tick().catch((error: unknown) =>
      this.#deps.logger.error({ err: error, tenantId }, 'CDC subscription check after a Connect failed'),
    );
  }

  /** Takes or renews each connected tenant's lease, starting or stopping subscriptions to match. */
  tick(): Promise<void> {
    const next = this.#ticks.then(() => this.#tick());
    this.#ticks = next.catch(() => undefined);
    return next;
  }

  async #tick(): Promise<void> {
    const { repos, clock, nodeId } = this.#deps;
    const ttlMs = this.#deps.leaseMs ?? 20_000;
    const now = clock.now();
    await repos.leases.acquireLease({ name: `cdc-node:${nodeId}`, holder: nodeId, ttlMs, now });
    const nodes = await repos.leases.liveLeaseHolders('cdc-node:', now);
    const tenants = (await repos.tenants.listTenantsWithConnection()).filter(
      (tenant) => connectionCanSync(tenant.state) && tenant.org_id !== null,
    );
    const share = Math.ceil(tenants.length / Math.max(1, nodes.length));
    const rank = (tenantId: string) => createHash('sha256').update(`${nodeId}\n${tenantId}`).digest('hex');
    const ranked = tenants
      .map((tenant) => ({ tenant, score: rank(tenant.id) }))
      .sort((a, b) => (a.score < b.score ? 1 : a.score > b.score ? -1 : 0));
    const wanted = new Set<string>();
    for (const { tenant } of ranked) {
      if (wanted.size >= share) break;
      const held = await repos.leases.acquireLease({
        name: `cdc:${tenant.id}`,
        holder: nodeId,
        ttlMs,
        now: clock.now(),
      });
      if (!held) continue;
      wanted.add(tenant.id);
      if (!this.#runners.has(tenant.id)) this.#run(tenant, tenant.org_id ?? '');
    }
    for (const tenantId of this.#runners.keys())
      if (!wanted.has(tenantId)) await this.#stopAndReleaseLease(tenantId);
  }

  #run(tenant: TenantRow, orgId: string): void {
    const runner: Runner = {
      subscription: undefined,
      stopped: false,
      done: Promise.resolve(),
      wake: undefined,
    };
    const deps: CdcSubscriptionDeps = {
      repos: this.#deps.repos,
      clock: this.#deps.clock,
      logger: this.#deps.logger,
      sessions: this.#deps.sessionsFor(tenant.id),
      orgId,
      pubSubEndpoint: this.#deps.pubSubEndpoint,
      extraCaPem: this.#deps.extraCaPem,
      reconcile: (since, reason) => this.#deps.reconcile(tenant, since, reason),
    };
    runner.done = (async () => {
      let failures = 0;
      while (!runner.stopped) {
        const subscription = (this.#deps.subscribe ?? ((d, t) => new CdcSubscription(d, t)))(deps, tenant);
        runner.subscription = subscription;
        const started = Date.now();
        const end = await subscription.run().catch((error: unknown) => {
          this.#deps.logger.warn(
            { tenant: tenant.slug, error: describeError(error) },
            'CDC subscription failed',
          );
          return 'failed' as const;
        });
        if (end === 'stopped' || runner.stopped) break;
        // Salesforce's failures back off; the database's do not (the stream itself is fine, and
        // every second counts once the database answers again).
        if (end !== 'store-failed') failures = Date.now() - started > 60_000 ? 1 : failures + 1;
        const delay =
          end === 'store-failed'
            ? 1000
            : Math.min(60_000, 1000 * 2 ** (failures - 1)) * (0.5 + Math.random() / 2);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          runner.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    })();
    this.#runners.set(tenant.id, runner);
  }

  /** Stops the tenant's subscription on this node and gives up its lease, so another node may take it. */
  async #stopAndReleaseLease(tenantId: string): Promise<void> {
    const runner = this.#runners.get(tenantId);
    if (runner === undefined) return;
    runner.stopped = true;
    runner.wake?.();
    await runner.subscription?.stop();
    await runner.done;
    this.#runners.delete(tenantId);
    await this.#deps.repos.leases.releaseLease(`cdc:${tenantId}`, this.#deps.nodeId);
  }
}
