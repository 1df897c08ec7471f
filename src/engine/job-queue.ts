// The job queue as the engine uses it: the store's queue operations plus the clock, the retry
// policy and the random source. Every method takes the worker's id so that only the holder of
// a lease can finish, fail or renew a job.
import type { Clock } from '../lib/clock.ts';
import type { BackendCapabilities } from '../store/backend.ts';
import { nextTurns } from '../store/jobs/claim-jobs.ts';
import type { CompleteOutcome } from '../store/jobs/complete-job.ts';
import type { JobCounts } from '../store/jobs/count-jobs.ts';
import type { DeadLetterOutcome } from '../store/jobs/dead-letter-job.ts';
import type { EnqueueResult } from '../store/jobs/enqueue-job.ts';
import type { ClaimedJob, JobKey } from '../store/jobs/job.ts';
import type { ExpiredLease } from '../store/jobs/release-expired-leases.ts';
import type { Store } from '../store/open-store.ts';
import { decideRetry, type RetryPolicy } from './retry-policy.ts';
import type { Repositories } from '../store/repositories.ts';

/** How one run of a job ended, as the engine reports it to the queue. */
export type JobOutcome =
  | { kind: 'done' }
  | { kind: 'retry'; message: string; retryAfterMs?: number }
  | { kind: 'dead'; reason: string }
  /** The job did not fail: it goes back to wait `delayMs` (default 60 s) without spending an attempt. */
  | { kind: 'postpone'; reason: string; delayMs?: number }
  /**
   * The owner's mailbox does not exist at the provider: the job waits for it without spending an
   * attempt, until the mailbox is found or mapped (or `delayMs` passes: one more look).
   */
  | { kind: 'park'; reason: string; mailboxId: string; delayMs: number };

/** What recording an outcome did: the job finished, runs again (rerun, retry, postponed), was parked, or was no longer ours. */
export type SettledAs =
  'completed' | 'rerun' | 'retry' | 'postponed' | 'parked' | 'dead' | 'superseded' | 'lost-lease';

export interface JobQueueDeps {
  store: Store;
  clock: Clock;
  retryPolicy: RetryPolicy;
  /** A number in [0, 1) for jitter. */
  random: () => number;
  /**
   * How often the nodes together release expired leases and the jobs of dead nodes, each with
   * one of its claims (default 1 s): a claim in between is one statement, so idle polling costs
   * little, and many nodes share the sweeping (shareSweeps) instead of each sweeping as often.
   */
  sweepEveryMs?: number;
}

export interface ClaimResult {
  jobs: ClaimedJob[];
  /** Leases found expired and released by this claim (for the log). */
  expired: ExpiredLease[];
}

export type FailOutcome =
  | { outcome: 'retry'; runAt: number }
  | { outcome: 'dead'; reason: string }
  | { outcome: 'superseded'; reason: string }
  | { outcome: 'lost-lease' };

export class JobQueue {
  readonly #repos: Repositories;
  readonly #backend: BackendCapabilities;
  readonly #deps: JobQueueDeps;
  #sweptAt = Number.NEGATIVE_INFINITY;
  /** Until the next sweep of this node (sweepEveryMs × the nodes sharing, spread). */
  #sweepGapMs: number;
  #sharers = 1;
  /** Per lane, the tenant this queue served last (claim-jobs.ts: tenants take turns). */
  #turns: (string | undefined)[] = [];

  constructor(deps: JobQueueDeps) {
    this.#repos = deps.store.repos;
    this.#backend = deps.store.backend;
    this.#deps = deps;
    this.#sweepGapMs = deps.sweepEveryMs ?? 1000;
  }

  /**
   * `nodes` nodes are alive and sweep: each sweeps that many times less often, at a spread
   * interval (so they do not all sweep in the same second), and together about once per
   * sweepEveryMs. (Told by the node's heartbeat.)
   */
  shareSweeps(nodes: number): void {
    this.#sharers = Math.max(1, Math.floor(nodes));
  }

  /** The nodes alive and sharing the work, as last told (1 until then). */
  get sharers(): number {
    return this.#sharers;
  }

  /**
   * Upserts the job for `key`. Pass `tx` to enqueue inside the caller's transaction.
   * `delayMs` is the settle window; `changeAt` when the change happened (default now).
   */
  enqueue(
    key: JobKey,
    options: { delayMs: number; changeAt?: number },
    tx?: Repositories,
  ): Promise<EnqueueResult> {
    const now = this.#deps.clock.now();
    return (tx ?? this.#repos).jobs.enqueueJob({
      ...key,
      runAt: now + options.delayMs,
      changeAt: options.changeAt ?? now,
      now,
    });
  }

  /**
   * Claims up to `limit` due jobs for `workerId`, at most `beyondLive` of them reconciliation or
   * bulk work (default: all); first, now and then (sweepEveryMs, shared among the nodes), releases
   * expired leases and every job of a node whose heartbeat expired.
   */
  async claim(workerId: string, limit: number, leaseMs: number, beyondLive?: number): Promise<ClaimResult> {
    const now = this.#deps.clock.now();
    // (A clock that went back sweeps too.)
    const sweep = now - this.#sweptAt >= this.#sweepGapMs || now < this.#sweptAt;
    const claim = {
      workerId,
      limit,
      leaseMs,
      now,
      after: this.#turns,
      ...(beyondLive === undefined ? {} : { beyondLive }),
    };
    let result: ClaimResult;
    if (sweep) {
      this.#sweptAt = now;
      const every = this.#deps.sweepEveryMs ?? 1000;
      this.#sweepGapMs = this.#sharers === 1 ? every : every * this.#sharers * (0.5 + this.#deps.random());
      result = await this.#repos.transaction(async (tx) => {
        const expired = await tx.jobs.releaseExpiredLeases({
          now,
          maxAttempts: this.#deps.retryPolicy.maxAttempts,
        });
        await tx.nodes.removeExpiredNodes(now);
        return { jobs: await tx.jobs.claimJobs(this.#backend, claim), expired };
      });
    } else result = { jobs: await this.#repos.jobs.claimJobs(this.#backend, claim), expired: [] };
    this.#turns = nextTurns(this.#turns, result.jobs);
    return result;
  }

  /** Extends the leases `workerId` still holds for these runs; returns the ids of the jobs it still holds. */
  renew(workerId: string, runs: readonly ClaimedJob[], leaseMs: number): Promise<number[]> {
    return this.#repos.jobs.renewLeases({ workerId, runs, leaseMs, now: this.#deps.clock.now() });
  }

  complete(job: ClaimedJob, workerId: string): Promise<CompleteOutcome> {
    return this.#repos.jobs.completeJob({ run: job, workerId, now: this.#deps.clock.now() });
  }

  /** Completes many finished jobs at once (a batch's), each as `complete` would. */
  completeAll(jobs: readonly ClaimedJob[], workerId: string): Promise<Map<number, CompleteOutcome>> {
    return this.#repos.jobs.completeJobs({ runs: jobs, workerId, now: this.#deps.clock.now() });
  }

  /** Records a failed run: retried per the policy, or dead-lettered after the last attempt. */
  async fail(
    job: ClaimedJob,
    workerId: string,
    failure: { message: string; retryAfterMs?: number | undefined },
    tx: Repositories = this.#repos,
  ): Promise<FailOutcome> {
    const decision = decideRetry(this.#deps.retryPolicy, job.attempts, failure, this.#deps.random());
    if (decision.kind === 'give-up') return this.deadLetter(job, workerId, decision.reason, tx);
    const now = this.#deps.clock.now();
    const runAt = now + decision.delayMs;
    const held = await tx.jobs.rescheduleJob({
      run: job,
      workerId,
      retryAt: runAt,
      error: failure.message,
      now,
    });
    return held ? { outcome: 'retry', runAt } : { outcome: 'lost-lease' };
  }

  /**
   * Puts the job back to wait `delayMs` without spending an attempt: the job did not fail, its
   * tenant cannot sync right now (no mailbox provider, Salesforce API budget spent).
   */
  async postpone(
    job: ClaimedJob,
    workerId: string,
    postponement: { reason: string; delayMs: number },
    tx: Repositories = this.#repos,
  ): Promise<boolean> {
    const now = this.#deps.clock.now();
    return tx.jobs.rescheduleJob({
      run: job,
      workerId,
      retryAt: now + postponement.delayMs,
      error: postponement.reason,
      now,
      refundAttempt: true,
    });
  }

  /** Parks the job with `reason` (a permanent failure): no retry until an admin or a new change asks. */
  async deadLetter(
    job: ClaimedJob,
    workerId: string,
    reason: string,
    tx: Repositories = this.#repos,
  ): Promise<FailOutcome> {
    const outcome: DeadLetterOutcome = await tx.jobs.deadLetterJob({
      run: job,
      workerId,
      reason,
      now: this.#deps.clock.now(),
    });
    switch (outcome) {
      case 'dead':
        return { outcome: 'dead', reason };
      case 'superseded':
        return { outcome: 'superseded', reason };
      case 'lost-lease':
        return { outcome: 'lost-lease' };
    }
  }

  /**
   * Records the outcomes of many runs in one transaction, after `alongside` (what the runs found:
   * traces, records kept with links) in the same transaction: all of it is written, or none, so a
   * caller may simply try again when the database was away.
   */
  async settle(
    workerId: string,
    settlements: readonly { job: ClaimedJob; outcome: JobOutcome }[],
    alongside?: (tx: Repositories) => Promise<void>,
  ): Promise<Map<number, SettledAs>> {
    return this.#repos.transaction(async (tx) => {
      await alongside?.(tx);
      const settled = new Map<number, SettledAs>();
      const done = settlements.filter((s) => s.outcome.kind === 'done').map((s) => s.job);
      const now = this.#deps.clock.now();
      for (const [id, outcome] of await tx.jobs.completeJobs({ runs: done, workerId, now }))
        settled.set(id, outcome);
      for (const { job, outcome } of settlements) {
        switch (outcome.kind) {
          case 'done':
            break;
          case 'retry':
            settled.set(job.id, (await this.fail(job, workerId, outcome, tx)).outcome);
            break;
          case 'dead':
            settled.set(job.id, (await this.deadLetter(job, workerId, outcome.reason, tx)).outcome);
            break;
          case 'postpone':
            settled.set(
              job.id,
              (await this.postpone(
                job,
                workerId,
                { reason: outcome.reason, delayMs: outcome.delayMs ?? 60_000 },
                tx,
              ))
                ? 'postponed'
                : 'lost-lease',
            );
            break;
          case 'park':
            settled.set(
              job.id,
              (await tx.jobs.rescheduleJob({
                run: job,
                workerId,
                retryAt: now + outcome.delayMs,
                error: outcome.reason,
                now,
                refundAttempt: true,
                waitingForMailboxId: outcome.mailboxId,
              }))
                ? 'parked'
                : 'lost-lease',
            );
            break;
        }
      }
      return settled;
    });
  }

  counts(tenantId?: string): Promise<JobCounts> {
    return this.#repos.jobs.countJobs({ now: this.#deps.clock.now(), tenantId });
  }
}
