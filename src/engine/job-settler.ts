// Writes what finished jobs came to — their traces, the records kept with unchanged links, and
// their outcomes — in one transaction per flush. Jobs finish one by one; they are written
// together ("group commit"): a flush takes everything that finished in the 20 ms before it (up to
// 20 ms more for each other node sharing the work, while fewer than 100 have) and while the last
// one was written, so under load many jobs share a transaction. When the
// database is away, a flush is tried again every second, as long as the jobs' leases can still be
// ours (a write after that is refused by the lease check and changes nothing): an outage of a few
// seconds costs no job a rerun.
import { setTimeout as sleep } from 'node:timers/promises';
import { describeError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import type { ClaimedJob } from '../store/jobs/job.ts';
import type { LinkRecord } from '../store/links-repository.ts';
import type { NewTrace } from '../store/traces-repository.ts';
import type { JobOutcome, JobQueue, SettledAs } from './job-queue.ts';

export interface Settlement {
  job: ClaimedJob;
  outcome: JobOutcome;
  traces: readonly NewTrace[];
  linkRecord?: LinkRecord | undefined;
  /** An Event whose job is made due at once (the series an occurrence record belongs to). */
  forwardTo?: string | undefined;
}

interface Pending extends Settlement {
  settled: (as: SettledAs | 'unwritten') => void;
}

export class JobSettler {
  readonly #queue: JobQueue;
  readonly #workerId: string;
  readonly #logger: Logger;
  readonly #retryMs: number;
  readonly #gatherMs: number;
  readonly #gatherJobs: number;
  readonly #sharers: () => number;
  readonly #mayStillWrite: (job: ClaimedJob) => boolean;
  readonly #now: () => number;
  #pending: Pending[] = [];
  #flushing: Promise<void> | undefined;
  #failing = false;

  constructor(deps: {
    queue: JobQueue;
    workerId: string;
    logger: Logger;
    /** Whether the job's lease may still be ours (false: stop trying, it runs again elsewhere). */
    mayStillWrite: (job: ClaimedJob) => boolean;
    /** The clock, for jobs made due at once (default Date.now). */
    now?: () => number;
    retryMs?: number;
    /** How long a write waits for more finished jobs to join it (default 20 ms)… */
    gatherMs?: number;
    /** …and, while fewer than this many have (default 100)… */
    gatherJobs?: number;
    /** …waits again, up to this many times gatherMs in all: the nodes sharing the work (default 1). */
    sharers?: () => number;
  }) {
    this.#gatherMs = deps.gatherMs ?? 20;
    this.#gatherJobs = deps.gatherJobs ?? 100;
    this.#sharers = deps.sharers ?? (() => 1);
    this.#mayStillWrite = deps.mayStillWrite;
    this.#now = deps.now ?? Date.now;
    this.#queue = deps.queue;
    this.#workerId = deps.workerId;
    this.#logger = deps.logger;
    this.#retryMs = deps.retryMs ?? 1000;
  }

  /**
   * Queues a finished job's writes; resolves with what recording its outcome did, or `unwritten`
   * when the database stayed away until the job's lease was over (the job then runs again).
   */
  settle(settlement: Settlement): Promise<SettledAs | 'unwritten'> {
    return new Promise((settled) => {
      this.#pending.push({ ...settlement, settled });
      this.#flushing ??= this.#flushAll().finally(() => (this.#flushing = undefined));
    });
  }

  /** Resolves once everything queued so far is written (or given up). */
  async idle(): Promise<void> {
    while (this.#flushing !== undefined) await this.#flushing;
  }

  async #flushAll(): Promise<void> {
    while (this.#pending.length > 0) {
      // Jobs of a claim finish a few milliseconds apart: a moment's wait lets them share one
      // transaction (and its statements) instead of one each. A worker that shares the work with
      // n - 1 other nodes finishes about an n-th as many jobs a moment as it would alone: while
      // few have finished, it waits up to n moments, so that its transactions carry about as many
      // jobs, and the database sees about as many statements a change, as one node's would.
      if (this.#pending.length < 500) {
        const began = performance.now();
        const atMostMs = this.#gatherMs * Math.max(1, this.#sharers());
        do await sleep(this.#gatherMs);
        while (
          this.#pending.length < this.#gatherJobs &&
          performance.now() - began + this.#gatherMs <= atMostMs
        );
      }
      const batch = this.#pending;
      this.#pending = [];
      let written: Map<number, SettledAs> | undefined;
      while (written === undefined) {
        try {
          written = await this.#write(batch);
          if (this.#failing) this.#logger.info('the database answers again: finished jobs recorded');
          this.#failing = false;
        } catch (error) {
          if (!this.#failing)
            this.#logger.warn(
              { error: describeError(error), jobs: batch.length },
              'could not record finished jobs; trying again every second while their leases last',
            );
          this.#failing = true;
          // A lease that ran out is not ours to write any more: that job runs again elsewhere.
          const live = batch.filter((entry) => this.#mayStillWrite(entry.job));
          for (const entry of batch) if (!live.includes(entry)) entry.settled('unwritten');
          batch.splice(0, batch.length, ...live);
          if (batch.length === 0) break;
          await sleep(this.#retryMs);
        }
      }
      for (const entry of batch) entry.settled(written?.get(entry.job.id) ?? 'lost-lease');
    }
  }

  #write(batch: readonly Pending[]): Promise<Map<number, SettledAs>> {
    return this.#queue.settle(
      this.#workerId,
      batch.map(({ job, outcome }) => ({ job, outcome })),
      async (tx) => {
        await tx.traces.addTraces(batch.flatMap((entry) => entry.traces));
        const records = new Map<string, LinkRecord[]>();
        for (const { job, linkRecord } of batch)
          if (linkRecord !== undefined)
            records.set(job.tenantId, [...(records.get(job.tenantId) ?? []), linkRecord]);
        for (const [tenantId, links] of records) await tx.links.saveLinkRecords(tenantId, links);
        // A series is synced as one: its occurrence records' jobs hand the work to its job.
        const now = this.#now();
        const forwards = new Map<string, { tenantId: string; eventId: string; changeAt: number }>();
        for (const { job, forwardTo } of batch) {
          if (forwardTo === undefined) continue;
          const key = `${job.tenantId}\u0000${forwardTo}`;
          const known = forwards.get(key);
          if (known === undefined || job.firstChangeAt < known.changeAt)
            forwards.set(key, { tenantId: job.tenantId, eventId: forwardTo, changeAt: job.firstChangeAt });
        }
        if (forwards.size > 0)
          await tx.jobs.enqueueJobs([...forwards.values()].map((f) => ({ ...f, runAt: now, now })));
      },
    );
  }
}
