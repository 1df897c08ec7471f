// One mailbox's call hangs (Graph holds the request and never answers): the worker keeps claiming
// and syncing every other mailbox's Events meanwhile, and when it stops it hands the hung job back
// to the queue (no attempt spent) instead of waiting for the call.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSyncWorker } from '../../src/main.ts';
import { startSyncedService, type SyncedService } from '../support/synced-service.ts';
import { describeEachBackend } from '../support/test-databases.ts';
import { waitFor } from '../support/wait-for.ts';

const others = ['ann', 'bob', 'cy', 'di', 'ed'].map((name) => `${name}@acme.example`);

describeEachBackend('a hung provider call', (database) => {
  let synced: SyncedService;
  beforeAll(async () => {
    synced = await startSyncedService({
      databaseUrl: database.url,
      mailboxes: ['rep@acme.example', 'slow@acme.example', ...others],
    });
  });
  afterAll(() => synced.close());

  const stamped = (mailbox: string) => synced.eventIdsIn(mailbox);

  it('slows only its own mailbox, and is handed back when the worker stops', async () => {
    const { env, graph, tenantId } = synced;
    const { runtime } = env.service;
    const userOf = (email: string) => env.sandbox.addUser({ username: email, email }).Id;
    const event = (owner: string, subject: string) =>
      env.sandbox.createEvent(owner, {
        Subject: subject,
        StartDateTime: '2026-12-14T09:00:00Z',
        DurationInMinutes: 30,
      }).Id;
    const enqueue = (eventId: string) => runtime.queue.enqueue({ tenantId, eventId }, { delayMs: 0 });

    const worker = createSyncWorker(runtime, { stopGraceMs: 500 });
    graph.failNext('timeout', { afterCommit: false, mailbox: 'slow@acme.example', hangMs: 600_000 });
    const hung = event(userOf('slow@acme.example'), 'Stuck in a hung call');
    await enqueue(hung);
    worker.start();
    try {
      await waitFor(() => graph.stats().faults === 1, { what: 'the hung call to reach Graph' });

      const owners = others.map(userOf);
      const flowing: string[] = [];
      for (let round = 0; round < 3; round++) {
        for (const [i, owner] of owners.entries()) {
          const id = event(owner, `Flowing ${round}-${i}`);
          flowing.push(id);
          await enqueue(id);
        }
        // Each round is claimed while the hung call still holds its job: well within the 30 s
        // after which the provider would give up on the call.
        await waitFor(() => flowing.every((id) => others.some((m) => stamped(m).includes(id))), {
          timeoutMs: 20_000,
          what: `round ${round} in the other mailboxes`,
        });
      }
      // Everything else is settled; only the hung job is still held.
      await waitFor(() => worker.held === 1, { what: 'the other jobs settled' });
      expect(stamped('slow@acme.example')).toEqual([]);
    } finally {
      await worker.stop();
    }
    const job = await runtime.store.db
      .selectFrom('jobs')
      .selectAll()
      .where('event_id', '=', hung)
      .executeTakeFirstOrThrow();
    expect(job).toMatchObject({
      state: 'waiting',
      attempts: 0,
      lease_owner: null,
      last_error: 'the worker stopped before the job finished; handed back',
    });
    expect(job.run_at).toBeLessThanOrEqual(env.clock.now());
  }, 120_000);
});
