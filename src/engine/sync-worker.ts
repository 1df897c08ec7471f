// The engine's loop. A worker holds up to `batchSize` jobs at once and claims continuously: due
// jobs are claimed into the room that finished jobs leave (in steps of a quarter of it when the
// worker is busy), so one slow mailbox (a hung call) slows only its own Events, never the claims
// of others. A quarter of the room is kept for live changes: reconciliation and bulk work never
// fill it, so a live change starts at once however much of either is running. Each claim's jobs
// are grouped by tenant and synced side by side (tenant-sync.ts); each job is settled the moment
// it is done (job-settler.ts): done, retried later, dead-lettered with its reason, or postponed
// without spending an attempt when the tenant cannot sync now (no mailbox provider, Salesforce API
// budget spent, reconnect needed).
//
// Leases: every held job's lease is renewed while the worker works on it. A job whose lease
// could not be renewed (the database is away) — or whose node could not renew its heartbeat — is
// given up before the lease can run out: its calls are cut short and it is handed back when the
// database answers again, so another worker never runs it while this one still does. A job whose
// lease was taken (the worker stalled past it) is dropped at once.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../lib/clock.ts';
import { describeError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { WakeSignal } from '../lib/wake-signal.ts';
import type { ApiUsage, SalesforceRestClient } from '../salesforce/rest-client.ts';
import type { ClaimedJob } from '../store/jobs/job.ts';
import { jobLanes } from '../store/schema.ts';
import { MailboxNotFoundError } from '../providers/calendar-provider.ts';
import type { EngineMetrics } from './engine-metrics.ts';
import type { JobOutcome, JobQueue } from './job-queue.ts';
import { withCoalescedLinkWrites } from './coalesced-link-writes.ts';
import { JobSettler } from './job-settler.ts';
import { MailboxLimiter } from './mailbox-limiter.ts';
import type { NodePresence } from './node-presence.ts';
import { UserDirectory } from './user-directory.ts';
import type { ProviderSource } from './provider-source.ts';
import { syncTenantJobs, type JobResult, type SkippedEvent, type SyncedEvent } from './tenant-sync.ts';
import type { Repositories } from '../store/repositories.ts';

export interface SyncWorkerDeps {
  repos: Repositories;
  queue: JobQueue;
  clock: Clock;
  logger: Logger;
  /** This worker's name as a lease holder. */
  workerId: string;
  restClient: (tenantId: string, onApiUsage: (usage: ApiUsage) => void) => SalesforceRestClient;
  providers: ProviderSource;
  /** The most jobs the worker holds at once (claimed into the room finished jobs leave). */
  batchSize: number;
  /** Percentage of the org's daily API requests above which its reads wait. */
  apiBudgetPercent: number;
  leaseMs?: number;
  /** Pause between claims when nothing was due. */
  idleMs?: number;
  /** Rung by this process's intake when it records changes: ends the pause at once. */
  wake?: WakeSignal | undefined;
  /** This process as a node: its jobs stop before its heartbeat could expire. */
  presence?: NodePresence | undefined;
  /** On stop, how long jobs in hand may take to finish before they are handed back (default 10 s). */
  stopGraceMs?: number;
  /** How often mailboxes the provider said do not exist are looked at again (default 1 minute). */
  mailboxCheckMs?: number;
  /** Told of every applied change (the demo's lines, metrics). */
  onSynced?: (tenantSlug: string, synced: SyncedEvent) => void;
  /** Told of every Event skipped with its reason. */
  onSkipped?: (tenantSlug: string, skipped: SkippedEvent) => void;
  metrics?: EngineMetrics | undefined;
}

export interface BatchReport {
  claimed: number;
  salesforceCalls: number;
  providerCalls: number;
  outcomes: Record<JobOutcome['kind'], number>;
}

/** How long a tenant that cannot sync waits before its jobs are looked at again. */
const postponeMs = { noProvider: 60_000, apiBudget: 15 * 60_000 };
/** A job is given up this long before its lease would run out unrenewed. */
const leaseMarginMs = 15_000;

interface HeldJob {
  job: ClaimedJob;
  /** When the lease runs out unless renewed (clock time). */
  leaseExpiresAt: number;
  abort: AbortController;
  /** Why the work was cut short, if it was: handed back to the queue with a reason, or lost to another worker. */
  given: { handBack: string } | 'lost' | undefined;
}

export class SyncWorker {
  readonly #deps: SyncWorkerDeps;
  readonly #leaseMs: number;
  readonly #limiter: MailboxLimiter;
  readonly #settler: JobSettler;
  readonly #usage = new Map<string, ApiUsage>();
  readonly #rest = new Map<string, SalesforceRestClient>();
  readonly #warnedAt = new Map<string, number>();
  readonly #users: UserDirectory;
  readonly #held = new Map<number, HeldJob>();
  #installedAt: number | undefined;
  #stopping = new AbortController();
  #loop: Promise<void> | undefined;
  #roomFreed: (() => void) | undefined;
  /** When a held job last finished and left its room (performance.now()). */
  #lastFreedAt = -Infinity;
  #timers: NodeJS.Timeout[] = [];
  #renewing = false;
  #claimFailing = false;

  constructor(deps: SyncWorkerDeps) {
    // The links of the Events synced side by side are written together (one statement per moment).
    this.#deps = { ...deps, repos: withCoalescedLinkWrites(deps.repos, () => deps.queue.sharers) };
    this.#leaseMs = deps.leaseMs ?? 60_000;
    // Real time, not the business clock: the limits are the provider's, measured as it measures them.
    this.#limiter = new MailboxLimiter(Date.now, (ms) => deps.metrics?.mailboxWait(ms));
    this.#users = new UserDirectory(() => deps.clock.now());
    this.#settler = new JobSettler({
      queue: deps.queue,
      workerId: deps.workerId,
      logger: deps.logger,
      now: () => deps.clock.now(),
      mayStillWrite: (job) => (this.#runOf(job)?.leaseExpiresAt ?? 0) > deps.clock.now(),
      sharers: () => deps.queue.sharers,
    });
    deps.presence?.onLost(() => {
      for (const held of this.#held.values()) this.#giveUp(held, 'lost');
    });
  }

  /** Jobs held now (claimed and not yet settled). */
  get held(): number {
    return this.#held.size;
  }

  start(): void {
    if (this.#loop !== undefined) return;
    this.#stopping = new AbortController();
    this.#loop = this.#run(this.#stopping.signal);
  }

  /** Stops claiming, finishes the jobs in hand and records them. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    this.#roomFreed?.();
    await this.#loop;
    this.#loop = undefined;
  }

  async #run(signal: AbortSignal): Promise<void> {
    const idleMs = this.#deps.idleMs ?? 200;
    const wake = this.#deps.wake ?? new WakeSignal();
    const { batchSize } = this.#deps;
    // Under load, claim once half the room is free: claims stay large batches (one read, one
    // lookup of links and changes for many Events) while a slow job holds only its own slot.
    const minClaim = Math.max(1, Math.floor(batchSize / 2));
    // A quarter of the room is live changes' alone: reconciliation and bulk work (a backfill, a
    // first poll of a busy org) never hold it, so a live change starts at once, without waiting
    // for half of a bulk batch to finish.
    const liveRoom = Math.floor(batchSize / 4);
    // A busy worker claims live changes too in steps of that quarter, not a few jobs at a time as
    // its jobs finish: each claim costs about a dozen statements (the claim, the batch's reads, the
    // settle and link writes that follow it) and its calls fill `$batch`es together, so a worker
    // with a small share of the load (one of several) does not pay that for every few jobs. A live
    // change waits for a quarter of the jobs ahead of it, with three quarters of the room still at
    // work — while they keep finishing: when none has for 3 s (hung calls hold the room), the worker
    // claims into what room there is. (With 1 s, four workers on two cores, each short of CPU,
    // paused that long often enough to send 0.11 HTTP requests per change to Graph, not 0.075.)
    const minLiveClaim = Math.max(1, liveRoom);
    this.#startTimers();
    const mailboxChecks = setInterval(
      () =>
        void this.checkMissingMailboxes().catch((error: unknown) =>
          this.#deps.logger.warn({ error: describeError(error) }, 'could not check missing mailboxes'),
        ),
      this.#deps.mailboxCheckMs ?? 60_000,
    );
    try {
      while (!signal.aborted) {
        const room = batchSize - this.#held.size;
        if (room < minLiveClaim) {
          const patience = this.#lastFreedAt + 3000 - performance.now();
          if (room === 0 || patience > 0) {
            await new Promise<void>((resolve) => {
              const timer = room === 0 ? undefined : setTimeout(resolve, patience);
              this.#roomFreed = () => {
                clearTimeout(timer);
                resolve();
              };
            });
            continue;
          }
        }
        const heldBeyondLive = [...this.#held.values()].filter(
          (held) => held.job.lane !== jobLanes.live,
        ).length;
        // Too little room for a batch: live changes only, into what room there is, and then
        // (none due) a wait for a batch's room, a new change, or the next look.
        const liveOnly = room < minClaim;
        const beyondLive = liveOnly ? 0 : Math.max(0, batchSize - liveRoom - heldBeyondLive);
        let claimed: number;
        try {
          claimed = (await this.#claimAndStart(room, beyondLive)).claimed;
          if (this.#claimFailing) this.#deps.logger.info('the database answers again: claiming jobs');
          this.#claimFailing = false;
        } catch (error) {
          if (!this.#claimFailing)
            this.#deps.logger.warn(
              { error: describeError(error) },
              'cannot claim jobs from the database; trying again every second',
            );
          this.#claimFailing = true;
          await sleep(1000, undefined, { signal }).catch(() => undefined);
          continue;
        }
        // Fewer than asked: nothing more is due now. Otherwise claim again once there is room.
        if (liveOnly && claimed === 0)
          await Promise.race([
            new Promise<void>((resolve) => (this.#roomFreed = resolve)),
            wake.wait(idleMs, signal),
          ]);
        else if (claimed < room) await wake.wait(idleMs, signal);
      }
      // Jobs in hand may finish; one that takes longer (a hung call) is handed back instead.
      const grace = setTimeout(() => {
        for (const held of this.#held.values())
          this.#giveUp(held, { handBack: 'the worker stopped before the job finished; handed back' });
      }, this.#deps.stopGraceMs ?? 10_000);
      while (this.#held.size > 0) await new Promise<void>((resolve) => (this.#roomFreed = resolve));
      clearTimeout(grace);
      await this.#settler.idle();
    } finally {
      clearInterval(mailboxChecks);
      this.#stopTimers();
    }
  }

  /** Claims one batch and syncs it; resolves when every job in it is settled (for tests and tools). */
  async runOnce(): Promise<BatchReport> {
    const ownTimers = this.#timers.length === 0;
    if (ownTimers) this.#startTimers();
    try {
      const { report, finished } = await this.#claimAndStart(this.#deps.batchSize);
      await finished;
      await this.#settler.idle();
      return report;
    } finally {
      if (ownTimers) this.#stopTimers();
    }
  }

  async #claimAndStart(
    limit: number,
    beyondLive?: number,
  ): Promise<{ claimed: number; report: BatchReport; finished: Promise<void> }> {
    const { queue, workerId, logger, clock } = this.#deps;
    this.#installedAt ??= Number(await this.#deps.repos.meta.claimMeta('installed_at', String(clock.now())));
    const { jobs, expired } = await queue.claim(workerId, limit, this.#leaseMs, beyondLive);
    for (const lease of expired)
      logger.warn(
        { tenantId: lease.tenantId, eventId: lease.eventId },
        'a worker lost its job (lease expired or its node stopped); it runs again',
      );
    const report: BatchReport = {
      claimed: jobs.length,
      salesforceCalls: 0,
      providerCalls: 0,
      outcomes: { done: 0, retry: 0, dead: 0, postpone: 0, park: 0 },
    };
    const byTenant = new Map<string, ClaimedJob[]>();
    for (const job of jobs) {
      // A run of this job still in hand here outlived its lease (the job was claimed again): drop it.
      const outlived = this.#held.get(job.id);
      if (outlived !== undefined) this.#giveUp(outlived, 'lost');
      this.#held.set(job.id, {
        job,
        leaseExpiresAt: job.leaseExpiresAt,
        abort: new AbortController(),
        given: undefined,
      });
      const group = byTenant.get(job.tenantId);
      if (group === undefined) byTenant.set(job.tenantId, [job]);
      else group.push(job);
    }
    const finished = Promise.all(
      [...byTenant].map(([tenantId, group]) => this.#runGroup(tenantId, group, report)),
    ).then(() => undefined);
    return { claimed: jobs.length, report, finished };
  }

  /** Syncs one tenant's claimed jobs; resolves when each is settled. */
  async #runGroup(tenantId: string, group: ClaimedJob[], report: BatchReport): Promise<void> {
    const settling: Promise<void>[] = [];
    const reported = new Set<number>();
    const onJobDone = (job: ClaimedJob, result: JobResult) => {
      if (reported.has(job.id)) return;
      reported.add(job.id);
      settling.push(this.#finish(job, result, report));
    };
    await this.#syncTenant(tenantId, group, report, onJobDone).catch((error: unknown) => {
      this.#deps.logger.error({ err: error, tenantId }, 'tenant sync failed');
      for (const job of group)
        onJobDone(job, {
          outcome: { kind: 'retry', message: `sync failed: ${describeError(error)}` },
          traces: [],
        });
    });
    for (const job of group)
      if (!reported.has(job.id))
        onJobDone(job, { outcome: { kind: 'retry', message: 'no outcome recorded' }, traces: [] });
    await Promise.all(settling);
  }

  /** One job is done: tell who listens, record it, and free its room. */
  async #finish(job: ClaimedJob, result: JobResult, report: BatchReport): Promise<void> {
    const held = this.#runOf(job);
    const { logger } = this.#deps;
    try {
      // Another worker (or a later run here) has the job now: nothing of this run is written.
      if (held === undefined || held.given === 'lost') return;
      const outcome: JobOutcome =
        held.given === undefined
          ? result.outcome
          : { kind: 'postpone', reason: held.given.handBack, delayMs: 0 };
      report.outcomes[outcome.kind]++;
      const settled = await this.#settler.settle({
        job,
        outcome,
        traces: result.traces,
        linkRecord: result.linkRecord,
        forwardTo: result.forwardTo,
      });
      if (settled === 'dead')
        logger.warn(
          {
            tenantId: job.tenantId,
            eventId: job.eventId,
            reason: outcome.kind === 'dead' ? outcome.reason : outcome.kind,
          },
          'dead-lettered',
        );
    } catch (error) {
      // The lease runs out and the job runs again: nothing is lost.
      logger.error({ err: error, jobId: job.id }, 'could not record a job outcome');
    } finally {
      if (held !== undefined && this.#held.get(job.id) === held) this.#held.delete(job.id);
      this.#lastFreedAt = performance.now();
      this.#roomFreed?.();
      this.#roomFreed = undefined;
    }
  }

  async #syncTenant(
    tenantId: string,
    jobs: ClaimedJob[],
    report: BatchReport,
    onJobDone: (job: ClaimedJob, result: JobResult) => void,
  ): Promise<void> {
    const { repos, logger, clock } = this.#deps;
    const all = (outcome: JobOutcome) => {
      for (const job of jobs) onJobDone(job, { outcome, traces: [] });
    };
    const tenant = await repos.tenants.findTenantById(tenantId);
    if (tenant === undefined) return all({ kind: 'done' }); // removed meanwhile: nothing to do

    const usage = this.#usage.get(tenantId);
    if (
      usage !== undefined &&
      usage.max > 0 &&
      (usage.used * 100) / usage.max >= this.#deps.apiBudgetPercent
    ) {
      const reason = `the org has used ${usage.used} of its ${usage.max} daily API requests (budget ${this.#deps.apiBudgetPercent} %): waiting`;
      this.#warnOnce(tenantId, 'api-budget', () => logger.warn({ tenant: tenant.slug, ...usage }, reason));
      this.#usage.delete(tenantId); // the next batch after the pause reads afresh and learns the new usage
      return all({ kind: 'postpone', reason, delayMs: postponeMs.apiBudget });
    }
    const providers = await this.#deps.providers.forTenant(tenantId);
    const problem = providers.problem;
    if (problem !== undefined) {
      this.#warnOnce(tenantId, 'provider', () =>
        logger.warn({ tenant: tenant.slug, problem }, 'the tenant cannot sync yet'),
      );
      return all({ kind: 'postpone', reason: problem, delayMs: postponeMs.noProvider });
    }
    // A provider without a token in hand starts getting one now, while the batch reads Salesforce.
    for (const usable of providers.all) if ('provider' in usable) usable.provider.prepare?.();
    for (const unusable of providers.all)
      if ('problem' in unusable)
        this.#warnOnce(tenantId, `provider:${unusable.id}`, () =>
          logger.warn(
            { tenant: tenant.slug, provider: unusable.name, problem: unusable.problem },
            'the mailboxes of this provider cannot sync until its settings are fixed',
          ),
        );
    const result = await syncTenantJobs(
      {
        repos,
        clock,
        logger,
        rest: this.#restFor(tenantId),
        providers,
        limiter: this.#limiter,
        tenant,
        installedAt: this.#installedAt ?? 0,
        metrics: this.#deps.metrics,
        users: this.#users,
        signalOf: (job) => this.#runOf(job)?.abort.signal,
      },
      jobs,
      (job, jobResult) => {
        if (jobResult.synced !== undefined) {
          logger.debug({ tenant: tenant.slug, ...jobResult.synced }, 'synced');
          this.#deps.metrics?.synced(
            jobResult.synced.providerKind,
            jobResult.synced.action,
            jobResult.synced.latencyMs,
          );
          this.#deps.onSynced?.(tenant.slug, jobResult.synced);
        }
        if (jobResult.skipped !== undefined) {
          logger.debug({ tenant: tenant.slug, ...jobResult.skipped }, 'skipped');
          this.#deps.metrics?.skipped();
          this.#deps.onSkipped?.(tenant.slug, jobResult.skipped);
        }
        onJobDone(job, jobResult);
      },
    );
    report.salesforceCalls += result.salesforceCalls;
    report.providerCalls += result.providerCalls;
  }

  /** Renews the held jobs' leases every third of a lease; gives up jobs whose lease is at risk. */
  #startTimers(): void {
    this.#timers.push(
      setInterval(() => void this.#renew(), this.#leaseMs / 3),
      setInterval(() => this.#guardLeases(), 1000),
    );
  }

  /**
   * Looks again at each mailbox the provider said does not exist and that Events wait for (one
   * node at a time): once it exists, its Events sync at once. Returns the Events released.
   */
  async checkMissingMailboxes(): Promise<number> {
    const { repos, clock, logger, workerId, providers } = this.#deps;
    const held = await repos.leases.acquireLease({
      name: 'missing-mailboxes',
      holder: workerId,
      ttlMs: (this.#deps.mailboxCheckMs ?? 60_000) / 2,
      now: clock.now(),
    });
    if (!held) return 0;
    let released = 0;
    for (const mailbox of await repos.mailboxes.missingMailboxesAwaited()) {
      const lookup = (await providers.forTenant(mailbox.tenantId)).route(mailbox);
      if (lookup === undefined || 'problem' in lookup) continue;
      try {
        await lookup.provider.checkAccess(mailbox.address);
      } catch (error) {
        if (!(error instanceof MailboxNotFoundError))
          logger.debug({ mailbox: mailbox.address, error: describeError(error) }, 'mailbox check failed');
        continue;
      }
      const waiting = await repos.mailboxes.mailboxFound({
        tenantId: mailbox.tenantId,
        id: mailbox.id,
        now: clock.now(),
      });
      released += waiting;
      logger.info(
        { tenantId: mailbox.tenantId, mailbox: mailbox.address, events: waiting },
        'a mailbox that did not exist does now: the Events waiting for it sync',
      );
    }
    return released;
  }

  #stopTimers(): void {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
  }

  async #renew(): Promise<void> {
    if (this.#renewing || this.#held.size === 0) return;
    this.#renewing = true;
    const { queue, workerId, logger, clock } = this.#deps;
    // The runs held now: one that ends meanwhile (and its job claimed again, a new run) is not this one.
    const runs = [...this.#held.values()];
    const now = clock.now();
    try {
      const still = new Set(
        await queue.renew(
          workerId,
          runs.map((run) => run.job),
          this.#leaseMs,
        ),
      );
      for (const run of runs) {
        if (this.#held.get(run.job.id) !== run) continue;
        if (still.has(run.job.id)) run.leaseExpiresAt = now + this.#leaseMs;
        else this.#giveUp(run, 'lost');
      }
    } catch (error) {
      logger.warn({ error: describeError(error) }, 'could not renew job leases');
    } finally {
      this.#renewing = false;
    }
  }

  /** Cuts short the work of every job whose lease (or node) could run out before it is renewed. */
  #guardLeases(): void {
    const now = this.#deps.clock.now();
    const nodeUntil = this.#deps.presence?.workableUntil ?? Number.POSITIVE_INFINITY;
    for (const held of this.#held.values())
      if (now >= held.leaseExpiresAt - leaseMarginMs || now >= nodeUntil)
        this.#giveUp(held, {
          handBack: 'the worker could not renew its lease (the database was away); handed back',
        });
  }

  /** Cuts a job's work short: handed back to the queue when the database lets us, or dropped if lost. */
  #giveUp(held: HeldJob, why: { handBack: string } | 'lost'): void {
    if (held.given === 'lost' || (held.given !== undefined && why !== 'lost')) return;
    this.#deps.logger.warn(
      { tenantId: held.job.tenantId, eventId: held.job.eventId },
      why === 'lost'
        ? 'another worker took this job (its lease had run out): stopping work on it'
        : `stopping work on this job: ${why.handBack}`,
    );
    held.given = why;
    held.abort.abort(new Error(why === 'lost' ? 'the job was taken by another worker' : why.handBack));
  }

  /** The run of `job` held here, if it is still this very run (not an earlier or later one). */
  #runOf(job: ClaimedJob): HeldJob | undefined {
    const run = this.#held.get(job.id);
    return run?.job === job ? run : undefined;
  }

  #restFor(tenantId: string): SalesforceRestClient {
    let client = this.#rest.get(tenantId);
    if (client === undefined) {
      client = this.#deps.restClient(tenantId, (usage) => {
        this.#usage.set(tenantId, usage);
        this.#deps.metrics?.apiUsage(tenantId, usage);
      });
      this.#rest.set(tenantId, client);
    }
    return client;
  }

  /** Logs a tenant's standing condition at most every 5 minutes. */
  #warnOnce(tenantId: string, what: string, log: () => void): void {
    const key = `${tenantId}:${what}`;
    const now = this.#deps.clock.now();
    if ((this.#warnedAt.get(key) ?? -Infinity) > now - 300_000) return;
    this.#warnedAt.set(key, now);
    log();
  }
}
