// The engine's loop: claim a batch of due jobs under a lease (renewed while the batch runs), group
// them by tenant, sync each tenant's group (tenant-sync.ts) side by side, and settle every job
// with its outcome: done, retried later, dead-lettered with its reason, or postponed without
// spending an attempt when the tenant cannot sync now (no mailbox provider, Salesforce API budget
// spent, reconnect needed). Several workers, in one process or many, share the queue safely.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { Clock } from '../lib/clock.ts';
import { describeError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import type { ApiUsage, SalesforceRestClient } from '../salesforce/rest-client.ts';
import type { ClaimedJob } from '../store/jobs/job.ts';
import { claimMeta } from '../store/meta-repository.ts';
import type { Database } from '../store/schema.ts';
import type { EngineMetrics } from './engine-metrics.ts';
import type { JobQueue } from './job-queue.ts';
import { MailboxLimiter } from './mailbox-limiter.ts';
import { UserDirectory } from './user-directory.ts';
import type { ProviderSource } from './provider-source.ts';
import { syncTenantJobs, type JobOutcome, type SkippedEvent, type SyncedEvent } from './tenant-sync.ts';

export interface SyncWorkerDeps {
  db: Kysely<Database>;
  queue: JobQueue;
  clock: Clock;
  logger: Logger;
  /** This worker's name as a lease holder. */
  workerId: string;
  restClient: (tenantId: string, onApiUsage: (usage: ApiUsage) => void) => SalesforceRestClient;
  providers: ProviderSource;
  batchSize: number;
  /** Percentage of the org's daily API requests above which its reads wait. */
  apiBudgetPercent: number;
  leaseMs?: number;
  /** Pause between claims when nothing was due. */
  idleMs?: number;
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
const postponeMs = { noProvider: 60_000, apiBudget: 15 * 60_000, reconnect: 60_000 };

export class SyncWorker {
  readonly #deps: SyncWorkerDeps;
  readonly #limiter: MailboxLimiter;
  readonly #usage = new Map<string, ApiUsage>();
  readonly #rest = new Map<string, SalesforceRestClient>();
  readonly #warnedAt = new Map<string, number>();
  readonly #users: UserDirectory;
  #installedAt: number | undefined;
  #stopping = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(deps: SyncWorkerDeps) {
    this.#deps = deps;
    // Real time, not the business clock: the limits are the provider's, measured as it measures them.
    this.#limiter = new MailboxLimiter(Date.now, (ms) => deps.metrics?.mailboxWait(ms));
    this.#users = new UserDirectory(() => deps.clock.now());
  }

  start(): void {
    if (this.#loop !== undefined) return;
    this.#stopping = new AbortController();
    this.#loop = this.#run(this.#stopping.signal);
  }

  /** Finishes the batch in hand, then stops claiming. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.#loop;
    this.#loop = undefined;
  }

  async #run(signal: AbortSignal): Promise<void> {
    const idleMs = this.#deps.idleMs ?? 200;
    while (!signal.aborted) {
      const claimed = await this.runOnce().then(
        (report) => report.claimed,
        (error: unknown) => {
          this.#deps.logger.error({ err: error }, 'sync batch failed; trying again shortly');
          return -1;
        },
      );
      if (claimed === -1) await sleep(1000, undefined, { signal }).catch(() => undefined);
      else if (claimed === 0) await sleep(idleMs, undefined, { signal }).catch(() => undefined);
    }
  }

  /** Claims one batch and syncs it; resolves when every job in it is settled. */
  async runOnce(): Promise<BatchReport> {
    const { queue, workerId, batchSize, logger } = this.#deps;
    const leaseMs = this.#deps.leaseMs ?? 60_000;
    this.#installedAt ??= Number(
      await claimMeta(this.#deps.db, 'installed_at', String(this.#deps.clock.now())),
    );
    const { jobs, expired } = await queue.claim(workerId, batchSize, leaseMs);
    for (const lease of expired)
      logger.warn(
        { tenantId: lease.tenantId, eventId: lease.eventId },
        'a worker lost its job (lease expired); it runs again',
      );
    const report: BatchReport = {
      claimed: jobs.length,
      salesforceCalls: 0,
      providerCalls: 0,
      outcomes: { done: 0, retry: 0, dead: 0, postpone: 0 },
    };
    if (jobs.length === 0) return report;
    const held = jobs.map((j) => j.id);
    const renewal = setInterval(() => {
      queue.renew(workerId, held, leaseMs).catch((error: unknown) => {
        logger.warn({ error: describeError(error) }, 'could not renew job leases');
      });
    }, leaseMs / 3);
    try {
      const byTenant = new Map<string, ClaimedJob[]>();
      for (const job of jobs) byTenant.set(job.tenantId, [...(byTenant.get(job.tenantId) ?? []), job]);
      await Promise.all(
        [...byTenant].map(async ([tenantId, group]) => {
          const outcomes = await this.#syncTenant(tenantId, group, report).catch(
            (error: unknown): Map<number, JobOutcome> => {
              const message = `sync failed: ${describeError(error)}`;
              logger.error({ err: error, tenantId }, 'tenant sync failed');
              return new Map(group.map((job) => [job.id, { kind: 'retry', message }]));
            },
          );
          const done: ClaimedJob[] = [];
          for (const job of group) {
            const outcome = outcomes.get(job.id) ?? { kind: 'retry', message: 'no outcome recorded' };
            report.outcomes[outcome.kind]++;
            if (outcome.kind === 'done') done.push(job);
            else await this.#settle(job, outcome);
          }
          // The finished jobs in one write (the usual case: most of a batch).
          await this.#deps.queue.completeAll(done, this.#deps.workerId).catch((error: unknown) => {
            // The leases run out and the jobs run again: nothing is lost.
            logger.error({ err: error, jobs: done.length }, 'could not record finished jobs');
          });
        }),
      );
    } finally {
      clearInterval(renewal);
    }
    logger.debug(report, 'sync batch done');
    return report;
  }

  async #syncTenant(
    tenantId: string,
    jobs: ClaimedJob[],
    report: BatchReport,
  ): Promise<Map<number, JobOutcome>> {
    const { db, logger, clock } = this.#deps;
    const all = (outcome: JobOutcome) => new Map(jobs.map((job) => [job.id, outcome]));
    const tenant = await db.selectFrom('tenants').selectAll().where('id', '=', tenantId).executeTakeFirst();
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
    const lookup = await this.#deps.providers.forTenant(tenantId);
    if ('problem' in lookup) {
      this.#warnOnce(tenantId, 'provider', () =>
        logger.warn({ tenant: tenant.slug, problem: lookup.problem }, 'the tenant cannot sync yet'),
      );
      return all({ kind: 'postpone', reason: lookup.problem, delayMs: postponeMs.noProvider });
    }
    const result = await syncTenantJobs(
      {
        db,
        clock,
        logger,
        rest: this.#restFor(tenantId),
        provider: lookup.provider,
        limiter: this.#limiter,
        tenant,
        installedAt: this.#installedAt ?? 0,
        metrics: this.#deps.metrics,
        users: this.#users,
      },
      jobs,
    );
    report.salesforceCalls += result.salesforceCalls;
    report.providerCalls += result.providerCalls;
    for (const synced of result.synced) {
      logger.debug({ tenant: tenant.slug, ...synced }, 'synced');
      this.#deps.metrics?.synced(lookup.provider.kind, synced.action, synced.latencyMs);
      this.#deps.onSynced?.(tenant.slug, synced);
    }
    for (const skipped of result.skipped) {
      logger.debug({ tenant: tenant.slug, ...skipped }, 'skipped');
      this.#deps.metrics?.skipped();
      this.#deps.onSkipped?.(tenant.slug, skipped);
    }
    return result.outcomes;
  }

  /** Records one unfinished job's outcome (finished jobs are completed together, in runOnce). */
  async #settle(job: ClaimedJob, outcome: Exclude<JobOutcome, { kind: 'done' }>): Promise<void> {
    const { queue, workerId, logger } = this.#deps;
    try {
      switch (outcome.kind) {
        case 'retry': {
          const failed = await queue.fail(job, workerId, outcome);
          if (failed.outcome === 'dead')
            logger.warn(
              { tenantId: job.tenantId, eventId: job.eventId, reason: failed.reason },
              'dead-lettered',
            );
          return;
        }
        case 'dead':
          await queue.deadLetter(job, workerId, outcome.reason);
          logger.warn(
            { tenantId: job.tenantId, eventId: job.eventId, reason: outcome.reason },
            'dead-lettered',
          );
          return;
        case 'postpone':
          await queue.postpone(job, workerId, {
            reason: outcome.reason,
            delayMs: outcome.delayMs ?? postponeMs.reconnect,
          });
          return;
      }
    } catch (error) {
      // The lease runs out and the job runs again: nothing is lost.
      logger.error({ err: error, jobId: job.id }, 'could not record a job outcome');
    }
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
