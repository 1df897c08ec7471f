// Finished jobs are written together: a node alone writes what finished in a moment; one that
// shares the work with others, finishing jobs a few at a time, waits a few moments more for them
// to share one transaction, and writes at once when enough have finished.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../lib/logger.ts';
import type { ClaimedJob } from '../store/jobs/job.ts';
import type { Repositories } from '../store/repositories.ts';
import type { JobQueue, SettledAs } from './job-queue.ts';
import { JobSettler } from './job-settler.ts';

function job(id: number): ClaimedJob {
  return {
    id,
    tenantId: 'tenant',
    eventId: `E${id}`,
    attempts: 1,
    runAt: 0,
    firstChangeAt: 0,
    leaseExpiresAt: Number.MAX_SAFE_INTEGER,
    lastError: null,
    lane: 0,
  };
}

/** A queue that records the jobs of each transaction it is asked to write. */
function recordingQueue(): { queue: JobQueue; transactions: number[][] } {
  const transactions: number[][] = [];
  const tx = {
    traces: { addTraces: () => Promise.resolve() },
    links: { saveLinkRecords: () => Promise.resolve() },
    jobs: { enqueueJobs: () => Promise.resolve([]) },
  } as unknown as Repositories;
  const queue = {
    async settle(
      _workerId: string,
      settlements: readonly { job: ClaimedJob }[],
      alongside?: (tx: Repositories) => Promise<void>,
    ): Promise<Map<number, SettledAs>> {
      await alongside?.(tx);
      transactions.push(settlements.map(({ job: { id } }) => id));
      return new Map(settlements.map(({ job: { id } }) => [id, 'completed']));
    },
  } as unknown as JobQueue;
  return { queue, transactions };
}

function settlerFor(queue: JobQueue, gather: { gatherJobs: number; sharers: () => number }): JobSettler {
  return new JobSettler({
    queue,
    workerId: 'worker',
    logger: createLogger({ level: 'silent' }),
    mayStillWrite: () => true,
    gatherMs: 5,
    ...gather,
  });
}

const done = { kind: 'done' } as const;

/** Settles nine jobs in three waves, each a few of the gather's moments after the last. */
async function nineInWaves(settler: JobSettler): Promise<(SettledAs | 'unwritten')[]> {
  const settled: Promise<SettledAs | 'unwritten'>[] = [];
  for (let wave = 0; wave < 3; wave++) {
    for (let n = 1; n <= 3; n++)
      settled.push(settler.settle({ job: job(wave * 3 + n), outcome: done, traces: [] }));
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
  return Promise.all(settled);
}

describe('JobSettler', () => {
  it('alone, writes what finished in a moment', async () => {
    const { queue, transactions } = recordingQueue();
    const settler = settlerFor(queue, { gatherJobs: 100, sharers: () => 1 });
    expect(await nineInWaves(settler)).toEqual(Array.from({ length: 9 }, () => 'completed'));
    expect(transactions).toEqual([
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ]);
  });

  it('sharing the work, waits for jobs finishing a few at a time to share one transaction', async () => {
    const { queue, transactions } = recordingQueue();
    // Enough sharers that only the count ends the wait, however slow the machine.
    const settler = settlerFor(queue, { gatherJobs: 9, sharers: () => 12_000 });
    expect(await nineInWaves(settler)).toEqual(Array.from({ length: 9 }, () => 'completed'));
    expect(transactions).toEqual([[1, 2, 3, 4, 5, 6, 7, 8, 9]]);
  });

  it('sharing the work, writes at once when enough jobs wait', async () => {
    const { queue, transactions } = recordingQueue();
    const settler = settlerFor(queue, { gatherJobs: 2, sharers: () => 12_000 });
    // Two are enough: written after the first moment, not after a minute (the test's timeout).
    await Promise.all([1, 2].map((id) => settler.settle({ job: job(id), outcome: done, traces: [] })));
    expect(transactions).toEqual([[1, 2]]);
  });
});
