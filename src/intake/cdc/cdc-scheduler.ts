// Keeps one CDC subscription per connected tenant running across all nodes: a node subscribes
// only while it holds the tenant's `cdc:<tenant>` lease, renews it every few seconds, and a node
// that dies stops renewing, so another takes over within the lease time plus one tick (25 s).
// A broken stream reconnects with backoff; a tenant that is no longer connected is let go. A
// Connect completed in this process starts (or wakes) the tenant's subscription at once, even
// one that had fallen back to polling.
//
// The subscriptions are spread over the nodes that run CDC: each says so with a `cdc-node:<id>`
// lease of its own, renewed every tick, and holds at most its share (the tenants ÷ those nodes,
// rounded up). It takes the tenants it ranks highest (rendezvous hashing: a score of the node's
// and the tenant's ids, so each node prefers different tenants and a node coming or going moves
// few of them), skips those another node holds, and gives up those past its share for a node
// with room to take at its next tick (each subscription resumes where the last one stopped).
//
// When CDC cannot be used for a tenant (cdc-fallback.ts: the org's delivery allocation spent,
// Event not selected, or three refusals in a row), the node saves the tenant's CDC state as
// `polling` with the reason — the polling scheduler then polls the tenant faster — and tries CDC
// again by itself: after a spent allocation once the `limits` resource shows a tenth of it free
// again (checked every 5 minutes), resuming from the latest event with a poll to cover the gap
// (a replay from the stored position would spend the allocation again on changes polling already
// found); otherwise from the stored position, every 2 minutes while Event is not selected and
// every minute after refusals. The node also reads each of its tenants' limits every 15 minutes,
// so pages, `status`, `doctor` and /metrics show the org's API and delivery usage.
import { createHash } from 'node:crypto';
import { connectionCanSync } from '../../domain/salesforce-connection.ts';
import type { Clock } from '../../lib/clock.ts';
import { describeError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { startPeriodicTask, type PeriodicTask } from '../../lib/periodic-task.ts';
import { CdcSubscription, type CdcSubscriptionDeps, type SubscriptionEnd } from './cdc-subscription.ts';
import { cdcFallbackWords, type CdcFallbackReason, type CdcRefusal } from './cdc-fallback.ts';
import { pollOverlapMs } from '../polling/poller.ts';
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
  /** The org's `limits` resource (one API call); absent: limits are not read. */
  readLimits?: (tenantId: string) => Promise<Record<string, { Max: number; Remaining: number }>>;
  /** How long a subscription must stay open to count as working (default 15 s). */
  liveAfterMs?: number;
  /** Waits between tries of CDC while polling instead, by reason (defaults in `fallbackRetryMs`). */
  fallbackRetryMs?: Partial<Record<CdcFallbackReason, number>>;
  /** How often each held tenant's limits are read while CDC streams (default 15 min). */
  limitsEveryMs?: number;
}

/** A tenant's stream as the scheduler drives it. */
export interface Subscription {
  run(): Promise<SubscriptionEnd>;
  stop(): Promise<void>;
  /** Set after `failed` when Salesforce refused the stream for a reason that will not pass soon. */
  refusal?: CdcRefusal | undefined;
  /** Salesforce's words for the last end. */
  lastError?: string | undefined;
}

/** Refusals in a row (none of them a known reason) after which the tenant is polled faster. */
const refusalsBeforeFallback = 3;
/** CDC resumes after a spent allocation once this share of it is free again. */
const resumeShare = 0.1;
/**
 * While polling instead: the allocation is looked at every 5 min, Setup every 2; a stream that keeps
 * breaking is tried again as the reconnect backoff goes, at most every minute.
 */
const fallbackRetryMs: Record<CdcFallbackReason, number> = {
  'delivery-allocation': 300_000,
  'not-selected': 120_000,
  refused: 60_000,
};

interface Runner {
  subscription: Subscription | undefined;
  stopped: boolean;
  done: Promise<void>;
  /** Cuts a reconnect backoff short (on stop). */
  wake: (() => void) | undefined;
  /** While CDC cannot be used: why, since when, and when it is tried again. */
  fallback: { reason: CdcFallbackReason; detail: string; since: number; retryAt: number } | undefined;
  /** Whether the tenant's saved state is streaming. */
  streaming: boolean;
  /** Whether the current subscription has worked (failures before it then no longer count). */
  liveThisRun: boolean;
}

export class CdcScheduler {
  readonly #deps: CdcSchedulerDeps;
  readonly #runners = new Map<string, Runner>();
  /** When each tenant's limits were last read (or tried), and reads in flight. */
  readonly #limitsReadAt = new Map<string, number>();
  readonly #limitsReading = new Set<string>();
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
   * backoff or a fallback to polling its subscription may be waiting out (it failed while the
   * grant was revoked, say): with a new grant, CDC is tried again at once.
   */
  nudge(tenantId: string): void {
    if (this.#task === undefined) return;
    const { repos, clock, logger } = this.#deps;
    this.#runners.get(tenantId)?.wake?.();
    // Saved first: a subscription this tick starts reads when to try CDC from it.
    void repos.cdcStates
      .retryCdcNow(tenantId, clock.now())
      .catch((error: unknown) =>
        logger.warn({ tenantId, error: describeError(error) }, 'could not save the CDC state'),
      )
      .then(() => this.tick())
      .catch((error: unknown) =>
        logger.error({ err: error, tenantId }, 'CDC subscription check after a Connect failed'),
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
      else if (
        clock.now() - (this.#limitsReadAt.get(tenant.id) ?? 0) >=
        (this.#deps.limitsEveryMs ?? 900_000)
      )
        void this.#readLimits(tenant).catch(() => undefined);
    }
    for (const tenantId of this.#runners.keys())
      if (!wanted.has(tenantId)) await this.#stopAndReleaseLease(tenantId);
  }

  #run(tenant: TenantRow, orgId: string): void {
    const { clock, logger, repos } = this.#deps;
    const runner: Runner = {
      subscription: undefined,
      stopped: false,
      done: Promise.resolve(),
      wake: undefined,
      fallback: undefined,
      streaming: false,
      liveThisRun: false,
    };
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, ms));
        runner.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    let subscribedAt = 0;
    const deps: CdcSubscriptionDeps = {
      repos,
      clock,
      logger,
      sessions: this.#deps.sessionsFor(tenant.id),
      orgId,
      pubSubEndpoint: this.#deps.pubSubEndpoint,
      extraCaPem: this.#deps.extraCaPem,
      reconcile: (since, reason) => this.#deps.reconcile(tenant, since, reason),
      liveAfterMs: this.#deps.liveAfterMs ?? 15_000,
      onLive: () =>
        void this.#live(tenant, runner, subscribedAt).catch((error: unknown) =>
          logger.warn({ tenant: tenant.slug, error: describeError(error) }, 'could not save the CDC state'),
        ),
    };
    runner.done = (async () => {
      let failures = 0;
      // A fallback saved before (by this node or another) still holds: its retry time is kept.
      const saved = await repos.cdcStates.readCdcState(tenant.id).catch(() => undefined);
      if (saved?.state === 'polling')
        runner.fallback = {
          reason: (saved.reason ?? 'refused') as CdcFallbackReason,
          detail: saved.detail ?? '',
          since: saved.since,
          retryAt: saved.retry_at ?? clock.now(),
        };
      else runner.streaming = saved?.state === 'streaming';
      while (!runner.stopped) {
        const fallback = runner.fallback;
        if (fallback !== undefined) {
          await sleep(fallback.retryAt - clock.now());
          if (runner.stopped) break;
          if (fallback.reason === 'delivery-allocation') {
            const free = await this.#deliveriesFree(tenant);
            if (free === false) {
              await this.#fallBack(tenant, runner, fallback);
              continue;
            }
            // What polling found meanwhile need not be delivered again: start from the latest event.
            await repos.intakePositions.forgetPosition(tenant.id, 'cdc').catch(() => undefined);
          }
        }
        const subscription = (this.#deps.subscribe ?? ((d, t) => new CdcSubscription(d, t)))(deps, tenant);
        runner.subscription = subscription;
        const started = Date.now();
        subscribedAt = clock.now();
        runner.liveThisRun = false;
        const end: SubscriptionEnd = await subscription.run().catch((error: unknown) => {
          subscription.lastError ??= describeError(error);
          this.#deps.logger.warn(
            { tenant: tenant.slug, error: describeError(error) },
            'CDC subscription failed',
          );
          return 'failed' as const;
        });
        if (end === 'stopped' || runner.stopped) break;
        // Salesforce's failures back off; the database's do not (the stream itself is fine, and
        // every second counts once the database answers again).
        if (end !== 'store-failed')
          failures = runner.liveThisRun || Date.now() - started > 60_000 ? 1 : failures + 1;
        const refusal =
          subscription.refusal ??
          (end === 'failed' && failures >= refusalsBeforeFallback
            ? { reason: 'refused' as const, detail: subscription.lastError ?? 'the stream ended' }
            : undefined);
        const backoffMs = Math.min(60_000, 1000 * 2 ** (failures - 1)) * (0.5 + Math.random() / 2);
        if (refusal !== undefined) {
          // Breaks with no known reason (an outage, say) are tried again as the backoff goes, at
          // most a minute apart, so CDC is back within seconds of the outage's end; polling covers
          // the meantime.
          await this.#fallBack(
            tenant,
            runner,
            { ...refusal, since: runner.fallback?.since ?? clock.now() },
            subscription.refusal === undefined ? backoffMs : undefined,
          );
          continue;
        }
        await sleep(end === 'store-failed' ? 1000 : backoffMs);
      }
    })();
    this.#runners.set(tenant.id, runner);
  }

  /** Saves that the tenant is polled instead of streaming, and when CDC is tried again. */
  async #fallBack(
    tenant: TenantRow,
    runner: Runner,
    fallback: { reason: CdcFallbackReason; detail: string; since: number },
    /** Sooner than the reason's usual wait. */
    retryInMs = Infinity,
  ): Promise<void> {
    const { clock, logger } = this.#deps;
    const retryAt =
      clock.now() +
      Math.round(
        Math.min(
          retryInMs,
          this.#deps.fallbackRetryMs?.[fallback.reason] ?? fallbackRetryMs[fallback.reason],
        ),
      );
    const changed = runner.fallback?.reason !== fallback.reason || runner.streaming;
    runner.fallback = { ...fallback, retryAt };
    runner.streaming = false;
    if (changed)
      logger.warn(
        {
          tenant: tenant.slug,
          reason: fallback.reason,
          detail: fallback.detail,
          retryAt: new Date(retryAt).toISOString(),
        },
        `change data capture paused: ${cdcFallbackWords[fallback.reason].summary}; polling faster meanwhile (${cdcFallbackWords[fallback.reason].fix})`,
      );
    await this.#deps.repos.cdcStates
      .saveCdcState({
        tenant_id: tenant.id,
        state: 'polling',
        reason: fallback.reason,
        detail: fallback.detail,
        since: fallback.since,
        retry_at: retryAt,
        now: clock.now(),
      })
      .catch((error: unknown) =>
        logger.warn({ tenant: tenant.slug, error: describeError(error) }, 'could not save the CDC state'),
      );
  }

  /** The subscription works: save the tenant as streaming, and poll over the gap when it resumed from the latest event. */
  async #live(tenant: TenantRow, runner: Runner, subscribedAt: number): Promise<void> {
    const { clock, logger, repos } = this.#deps;
    runner.liveThisRun = true;
    const fallback = runner.fallback;
    if (runner.streaming && fallback === undefined) return;
    runner.fallback = undefined;
    runner.streaming = true;
    await repos.cdcStates.saveCdcState({
      tenant_id: tenant.id,
      state: 'streaming',
      reason: null,
      detail: null,
      since: clock.now(),
      retry_at: null,
      now: clock.now(),
    });
    if (fallback === undefined) return;
    logger.info(
      { tenant: tenant.slug, pausedSince: new Date(fallback.since).toISOString() },
      'change data capture resumed',
    );
    if (fallback.reason === 'delivery-allocation')
      await this.#deps.reconcile(tenant, subscribedAt - pollOverlapMs, 'CDC resumed from the latest event');
  }

  /**
   * Whether the org's delivery allocation has room again (a tenth of it free), from the `limits`
   * resource; undefined when the limits cannot be read (then CDC is simply tried).
   */
  async #deliveriesFree(tenant: TenantRow): Promise<boolean | undefined> {
    const limits = await this.#readLimits(tenant).catch(() => undefined);
    const deliveries = limits?.['DailyDeliveredPlatformEvents'];
    if (deliveries === undefined) return undefined;
    return deliveries.Remaining >= Math.max(1, deliveries.Max * resumeShare);
  }

  /** Reads and saves the org's limits (daily API requests, event deliveries). */
  async #readLimits(
    tenant: TenantRow,
  ): Promise<Record<string, { Max: number; Remaining: number }> | undefined> {
    const { readLimits, repos, clock, logger } = this.#deps;
    if (readLimits === undefined || this.#limitsReading.has(tenant.id)) return undefined;
    this.#limitsReading.add(tenant.id);
    this.#limitsReadAt.set(tenant.id, clock.now());
    try {
      const limits = await readLimits(tenant.id);
      const api = limits['DailyApiRequests'];
      const deliveries = limits['DailyDeliveredPlatformEvents'];
      await repos.cdcStates.saveOrgLimits({
        tenant_id: tenant.id,
        api_max: api?.Max ?? null,
        api_remaining: api?.Remaining ?? null,
        deliveries_max: deliveries?.Max ?? null,
        deliveries_remaining: deliveries?.Remaining ?? null,
        read_at: clock.now(),
      });
      return limits;
    } catch (error) {
      logger.debug({ tenant: tenant.slug, error: describeError(error) }, "could not read the org's limits");
      throw error;
    } finally {
      this.#limitsReading.delete(tenant.id);
    }
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
