// A busy worker claims in steps of a quarter of its room, live changes too: with its room full and
// its jobs finishing a few at a time (one mailbox, four calls at once), it waits for a quarter of
// the room to be free before it claims again, instead of paying a claim, its reads and its writes
// for every few jobs. It waits only while its jobs keep finishing: with hung calls holding most of
// its room (none finishing for 3 s), a live change goes into what room there is.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSyncWorker } from '../../src/main.ts';
import { startSyncedService, type SyncedService } from '../support/synced-service.ts';
import { describeEachBackend } from '../support/test-databases.ts';
import { waitFor } from '../support/wait-for.ts';

const room = 40;
const events = 100;

describeEachBackend('claims of a busy worker', (database) => {
  let synced: SyncedService;
  beforeAll(async () => {
    synced = await startSyncedService({
      databaseUrl: database.url,
      env: { INSTANT_SYNC_WORKER_BATCH_SIZE: String(room) },
    });
  });
  afterAll(() => synced.close());

  it('claims live changes in steps of a quarter of its room while its jobs finish a few at a time', async () => {
    const { env, graph, tenantId } = synced;
    const { runtime } = env.service;
    graph.setLatency(30);
    const now = env.clock.now();
    await runtime.store.repos.jobs.enqueueJobs(
      Array.from({ length: events }, (_, n) => ({
        tenantId,
        eventId: env.sandbox.createEvent(env.ownerId, {
          Subject: `Call ${n}`,
          StartDateTime: '2026-12-15T09:00:00Z',
          DurationInMinutes: 30,
        }).Id,
        runAt: now,
        changeAt: now,
        now,
      })),
    );
    const claims: number[] = [];
    const claim = runtime.queue.claim.bind(runtime.queue);
    runtime.queue.claim = async (...args) => {
      const claimed = await claim(...args);
      if (claimed.jobs.length > 0) claims.push(claimed.jobs.length);
      return claimed;
    };
    const worker = createSyncWorker(runtime);
    worker.start();
    try {
      await waitFor(() => graph.events('rep@acme.example').length === events, {
        timeoutMs: 60_000,
        what: 'every Event in the mailbox',
      });
    } finally {
      await worker.stop();
    }
    // The first claim fills the room; each one after it but the last (what was left) takes at
    // least a quarter of it (here 12 at a time, in 5 claims). Claiming into whatever room there
    // was, the other 60 jobs took 15 claims of 4: one for each round of four calls.
    expect(claims[0]).toBe(room);
    expect(claims.reduce((sum, n) => sum + n, 0)).toBe(events);
    expect(claims.slice(1, -1).filter((n) => n < room / 4)).toEqual([]);
  });
});

describeEachBackend('a worker whose room hung calls hold', (database) => {
  const hung = Array.from({ length: 7 }, (_, n) => `hung${n}@acme.example`);
  let synced: SyncedService;
  beforeAll(async () => {
    synced = await startSyncedService({
      databaseUrl: database.url,
      mailboxes: ['rep@acme.example', 'live@acme.example', ...hung],
      // Room for 8: a quarter is 2.
      env: { INSTANT_SYNC_WORKER_BATCH_SIZE: '8' },
    });
  });
  afterAll(() => synced.close());

  it('claims a live change into the one slot left, rather than waiting for a quarter of the room', async () => {
    const { env, graph } = synced;
    const { runtime } = env.service;
    const event = synced.eventOwnedBy;
    // Seven live changes whose calls hang (longer than this test may take), in their batch and
    // when sent again alone: one slot stays free.
    for (const mailbox of hung) {
      for (const _ of [1, 2]) graph.failNext('timeout', { afterCommit: false, mailbox, hangMs: 600_000 });
      await runtime.queue.enqueue(
        { tenantId: synced.tenantId, eventId: event(mailbox, 'Stuck') },
        { delayMs: 0 },
      );
    }
    const worker = createSyncWorker(runtime, { stopGraceMs: 500 });
    worker.start();
    try {
      await waitFor(() => graph.stats().faults >= 7, { what: 'seven calls hanging' });
      const live = event('live@acme.example', 'Booked just now');
      await runtime.queue.enqueue({ tenantId: synced.tenantId, eventId: live }, { delayMs: 0 });
      // In its mailbox long before the hung calls end (their timeout is 30 s).
      await waitFor(() => synced.eventIdsIn('live@acme.example').includes(live), {
        timeoutMs: 20_000,
        what: 'the live change in its mailbox',
      });
    } finally {
      await worker.stop();
    }
  });
});
