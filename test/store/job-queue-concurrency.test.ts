// Several workers, each on its own connection in its own thread, drain one queue: every job
// must run exactly once (no job lost, none run twice), on both backends.
import { repositories } from '../../src/store/repositories.ts';
import { expect, it } from 'vitest';
import { JobQueue } from '../../src/engine/job-queue.ts';
import { defaultRetryPolicy } from '../../src/engine/retry-policy.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { seedTenant } from '../support/seed-tenant.ts';
import type { QueueWorkerInput, QueueWorkerReport } from '../support/queue-worker-thread.ts';
import { runThread } from '../support/run-thread.ts';
import { describeEachBackend } from '../support/test-databases.ts';

const jobCount = 2000;
const workerCount = 4;

function runWorker(input: QueueWorkerInput): Promise<QueueWorkerReport> {
  return runThread(new URL('../support/queue-worker-thread.ts', import.meta.url), input);
}

describeEachBackend('job queue under concurrent workers', (database) => {
  it(`${workerCount} workers on separate connections run each of ${jobCount} jobs exactly once`, async () => {
    const tenantId = await seedTenant(database.store.db);
    const queue = new JobQueue({
      store: database.store,
      clock: systemClock,
      retryPolicy: defaultRetryPolicy,
      random: Math.random,
    });
    const eventIds = Array.from({ length: jobCount }, (_, i) => `00U${String(i).padStart(15, '0')}`);
    await database.store.db.transaction().execute(async (tx) => {
      for (const eventId of eventIds)
        await queue.enqueue({ tenantId, eventId }, { delayMs: 0 }, repositories(tx));
    });

    const reports = await Promise.all(
      Array.from({ length: workerCount }, (_, i) =>
        runWorker({ url: database.url, workerId: `worker-${i}`, batch: 10, leaseMs: 60_000 }),
      ),
    );

    expect(reports.flatMap((r) => r.problems)).toEqual([]);
    const ran = reports.flatMap((r) => r.ran);
    expect(ran).toHaveLength(jobCount);
    expect(new Set(ran)).toEqual(new Set(eventIds));
    expect(reports.filter((r) => r.ran.length > 0).length).toBeGreaterThan(1);
    expect(await queue.counts()).toEqual({ ready: 0, scheduled: 0, paused: 0, running: 0, dead: 0 });
  }, 120_000);
});
