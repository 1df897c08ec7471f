// A worker keeps a quarter of its room for live changes: with its room full of bulk work whose
// calls hang (a backfill stuck on slow mailboxes), a live change is claimed and synced at once,
// and the bulk jobs beyond three quarters of the room stay waiting instead of taking that room.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSyncWorker } from '../../src/main.ts';
import { jobLanes } from '../../src/store/schema.ts';
import { startSyncedService, type SyncedService } from '../support/synced-service.ts';
import { describeEachBackend } from '../support/test-databases.ts';
import { waitFor } from '../support/wait-for.ts';

const bulkMailboxes = Array.from({ length: 8 }, (_, n) => `bulk${n}@acme.example`);

describeEachBackend('room kept for live changes', (database) => {
  let synced: SyncedService;
  beforeAll(async () => {
    synced = await startSyncedService({
      databaseUrl: database.url,
      mailboxes: ['rep@acme.example', 'live@acme.example', ...bulkMailboxes],
      // Room for 8 jobs: 2 kept for live changes.
      env: { INSTANT_SYNC_WORKER_BATCH_SIZE: '8' },
    });
  });
  afterAll(() => synced.close());

  it('syncs a live change while bulk work fills the rest of the room with hung calls', async () => {
    const { env, graph, tenantId } = synced;
    const { runtime } = env.service;
    const event = synced.eventOwnedBy;
    const now = env.clock.now();
    // Eight bulk jobs (a backfill's), each for a mailbox whose next call hangs.
    for (const mailbox of bulkMailboxes)
      graph.failNext('timeout', { afterCommit: false, mailbox, hangMs: 600_000 });
    await runtime.store.repos.jobs.enqueueJobs(
      bulkMailboxes.map((mailbox, n) => ({
        tenantId,
        eventId: event(mailbox, `Backfilled ${n}`),
        runAt: now,
        changeAt: now,
        now,
        lane: jobLanes.bulk,
      })),
    );
    const worker = createSyncWorker(runtime, { stopGraceMs: 500 });
    worker.start();
    try {
      // Six of them take three quarters of the room and hang; two stay waiting.
      await waitFor(() => graph.stats().faults === 6, { what: 'six bulk calls hanging' });
      const waiting = async () =>
        (
          await runtime.store.db
            .selectFrom('jobs')
            .select('id')
            .where('state', '=', 'waiting')
            .where('lane', '=', jobLanes.bulk)
            .execute()
        ).length;
      expect(await waiting()).toBe(2);

      // A live change now: claimed into the room kept for it, synced while the bulk calls hang.
      const live = event('live@acme.example', 'Booked just now');
      await runtime.queue.enqueue({ tenantId, eventId: live }, { delayMs: 0 });
      await waitFor(() => synced.eventIdsIn('live@acme.example').includes(live), {
        timeoutMs: 20_000,
        what: 'the live change in its mailbox',
      });
      // Settled, it leaves the six hung bulk jobs held.
      await waitFor(() => worker.held === 6, { what: 'the live job settled' });
      expect(await waiting()).toBe(2);
    } finally {
      await worker.stop();
    }
  });
});
