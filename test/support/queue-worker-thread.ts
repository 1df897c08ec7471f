// One queue worker in its own thread with its own database connection, as a separate worker
// process would be. It claims batches until the queue is empty and reports what it ran.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { JobQueue } from '../../src/engine/job-queue.ts';
import { defaultRetryPolicy } from '../../src/engine/retry-policy.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { openStore } from '../../src/store/open-store.ts';

export interface QueueWorkerInput {
  url: string;
  workerId: string;
  batch: number;
  leaseMs: number;
}

export interface QueueWorkerReport {
  workerId: string;
  ran: string[];
  problems: string[];
}

const input = workerData as QueueWorkerInput;
const store = openStore(input.url, { poolSize: 1 });
const queue = new JobQueue({
  store,
  clock: systemClock,
  retryPolicy: defaultRetryPolicy,
  random: Math.random,
});
const report: QueueWorkerReport = { workerId: input.workerId, ran: [], problems: [] };
try {
  for (;;) {
    const { jobs } = await queue.claim(input.workerId, input.batch, input.leaseMs);
    if (jobs.length === 0) {
      const counts = await queue.counts();
      if (counts.ready + counts.running + counts.scheduled + counts.paused === 0) break;
      await yieldToLoop();
      continue;
    }
    for (const job of jobs) {
      report.ran.push(job.eventId);
      await yieldToLoop(); // the "work": let other threads' claims interleave with ours
      const outcome = await queue.complete(job, input.workerId);
      if (outcome !== 'completed') report.problems.push(`${job.eventId}: ${outcome}`);
    }
  }
} catch (error) {
  report.problems.push(`worker failed: ${(error as Error).stack ?? String(error)}`);
} finally {
  await store.close();
}
parentPort?.postMessage(report);
