// The job queue's promises, on both backends: coalescing, settle windows, leases, retries and
// dead letters, under a clock the test moves by hand.
import { beforeEach, describe, expect, it } from 'vitest';
import { JobQueue } from '../../src/engine/job-queue.ts';
import { decideRetry, type RetryPolicy } from '../../src/engine/retry-policy.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { seedTenant } from '../support/seed-tenant.ts';
import { describeEachBackend } from '../support/test-databases.ts';

const policy: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  maxRetryAfterMs: 3_600_000,
};
const lease = 30_000;
const random = 0.5;

describeEachBackend('job queue', (database) => {
  let clock: ManualClock;
  let queue: JobQueue;
  let tenantId: string;

  beforeEach(async () => {
    // Claims are not per tenant: start every test with an empty queue.
    await database.store.db.deleteFrom('jobs').execute();
    clock = new ManualClock();
    queue = new JobQueue({ store: database.store, clock, retryPolicy: policy, random: () => random });
    tenantId = await seedTenant(database.store.db);
  });

  const jobsOf = (id: string) =>
    database.store.db.selectFrom('jobs').selectAll().where('tenant_id', '=', id).orderBy('id').execute();

  describe('enqueue', () => {
    it('merges 100 enqueues of one key while it waits into one job with the earliest due time', async () => {
      const key = { tenantId, eventId: '00U000000000001AAA' };
      await queue.enqueue(key, { delayMs: 5000 });
      clock.advance(10);
      for (let i = 0; i < 99; i++) {
        await queue.enqueue(key, { delayMs: i === 50 ? 1000 : 5000 });
      }
      const jobs = await jobsOf(tenantId);
      expect(jobs).toHaveLength(1);
      expect(jobs[0]).toMatchObject({ state: 'waiting', run_at: clock.now() + 1000 });
      expect(jobs[0]?.first_change_at).toBe(clock.now() - 10);
    });

    it('keeps a job back until its settle window has passed', async () => {
      await queue.enqueue({ tenantId, eventId: 'E1' }, { delayMs: 2000 });
      expect((await queue.claim('w1', 10, lease)).jobs).toEqual([]);
      clock.advance(1999);
      expect((await queue.claim('w1', 10, lease)).jobs).toEqual([]);
      clock.advance(1);
      const { jobs } = await queue.claim('w1', 10, lease);
      expect(jobs.map((j) => j.eventId)).toEqual(['E1']);
      expect(jobs[0]?.attempts).toBe(1);
    });

    it('runs a job again when a change arrives while it runs', async () => {
      const key = { tenantId, eventId: 'E2' };
      await queue.enqueue(key, { delayMs: 0 });
      const [job] = (await queue.claim('w1', 1, lease)).jobs;
      await queue.enqueue(key, { delayMs: 2000 });
      expect(await queue.claim('w2', 10, lease)).toMatchObject({ jobs: [] });
      expect(await queue.complete(job!, 'w1')).toBe('rerun');
      clock.advance(2000);
      const again = (await queue.claim('w2', 10, lease)).jobs;
      expect(again.map((j) => [j.eventId, j.attempts])).toEqual([['E2', 1]]);
      expect(await queue.complete(again[0]!, 'w2')).toBe('completed');
      expect(await jobsOf(tenantId)).toEqual([]);
    });
  });

  it('completes a batch of finished jobs at once: done ones removed, a changed one rerun, a lost one left', async () => {
    for (const eventId of ['B1', 'B2', 'B3', 'B4'])
      await queue.enqueue({ tenantId, eventId }, { delayMs: 0 });
    const { jobs } = await queue.claim('w1', 4, lease);
    expect(jobs).toHaveLength(4);
    // B2 changes while it runs; B4's lease passes to another worker.
    await queue.enqueue({ tenantId, eventId: 'B2' }, { delayMs: 1000 });
    await database.store.db
      .updateTable('jobs')
      .set({ lease_owner: 'w2' })
      .where('event_id', '=', 'B4')
      .execute();
    const outcomes = await queue.completeAll(jobs, 'w1');
    expect(jobs.map((j) => [j.eventId, outcomes.get(j.id)])).toEqual([
      ['B1', 'completed'],
      ['B2', 'rerun'],
      ['B3', 'completed'],
      ['B4', 'lost-lease'],
    ]);
    expect((await jobsOf(tenantId)).map((j) => [j.event_id, j.state, j.lease_owner])).toEqual([
      ['B2', 'waiting', null],
      ['B4', 'running', 'w2'],
    ]);
    expect(await queue.completeAll([], 'w1')).toEqual(new Map());
  });

  describe('leases', () => {
    it('gives the job of a worker that stops renewing to another worker (within a second of the expiry), which finishes it', async () => {
      await queue.enqueue({ tenantId, eventId: 'E3' }, { delayMs: 0 });
      const [held] = (await queue.claim('stalled', 1, lease)).jobs;
      clock.advance(lease - 1);
      expect((await queue.claim('rescuer', 1, lease)).jobs).toEqual([]);
      clock.advance(1);
      // Expired now, but leases were looked at a millisecond ago: a claim looks again a second after.
      expect((await queue.claim('rescuer', 1, lease)).jobs).toEqual([]);
      clock.advance(999);
      const { jobs, expired } = await queue.claim('rescuer', 1, lease);
      expect(expired.map((e) => [e.eventId, e.state])).toEqual([['E3', 'waiting']]);
      expect(jobs.map((j) => [j.eventId, j.attempts])).toEqual([['E3', 2]]);
      expect(await queue.complete(held!, 'stalled')).toBe('lost-lease');
      expect(await queue.renew('stalled', [held!], lease)).toEqual([]);
      expect(await queue.complete(jobs[0]!, 'rescuer')).toBe('completed');
      expect(await jobsOf(tenantId)).toEqual([]);
    });

    it('claims in one statement between the looks at expired leases (idle polling and many workers cost little)', async () => {
      await queue.enqueue({ tenantId, eventId: 'E3a' }, { delayMs: 0 });
      const { statements } = database.store;
      let before = statements.sent;
      expect((await queue.claim('w', 1, lease)).jobs).toHaveLength(1);
      // The first claim looks for expired leases and dead nodes too, in one transaction.
      expect(statements.sent - before).toBeGreaterThan(3);
      before = statements.sent;
      expect((await queue.claim('w', 1, lease)).jobs).toEqual([]);
      expect(statements.sent - before).toBe(1);
    });

    it('shares the sweeping among the live nodes: with four, each sweeps every four seconds or so', async () => {
      queue.shareSweeps(4);
      await queue.enqueue({ tenantId, eventId: 'E3s' }, { delayMs: 0 });
      const [held] = (await queue.claim('stalled', 1, lease)).jobs;
      // A sweep a millisecond before the lease expires; the next one 4 s later (1 s × 4 nodes,
      // spread by the random draw: 0.5 here, so exactly 4 s), not 1 s.
      clock.advance(lease - 1);
      expect((await queue.claim('rescuer', 1, lease)).jobs).toEqual([]);
      const { statements } = database.store;
      for (const step of [1, 1000, 1999]) {
        clock.advance(step);
        const before = statements.sent;
        expect((await queue.claim('rescuer', 1, lease)).jobs).toEqual([]);
        expect(statements.sent - before).toBe(1);
      }
      clock.advance(1000);
      const { jobs, expired } = await queue.claim('rescuer', 1, lease);
      expect(expired.map((e) => e.eventId)).toEqual(['E3s']);
      expect(jobs.map((j) => j.eventId)).toEqual(['E3s']);
      expect(await queue.complete(held!, 'stalled')).toBe('lost-lease');
    });

    it('never lets a run that outlived its lease write over the next run, even by the same worker', async () => {
      await queue.enqueue({ tenantId, eventId: 'E3b' }, { delayMs: 0 });
      const [first] = (await queue.claim('w', 1, lease)).jobs;
      clock.advance(lease);
      const [second] = (await queue.claim('w', 1, lease)).jobs;
      expect(second?.attempts).toBe(2);
      expect(await queue.renew('w', [first!], lease)).toEqual([]);
      expect(await queue.complete(first!, 'w')).toBe('lost-lease');
      expect(await queue.fail(first!, 'w', { message: 'late' })).toEqual({ outcome: 'lost-lease' });
      expect(await queue.complete(second!, 'w')).toBe('completed');
    });

    it('keeps the job of a worker that renews in time', async () => {
      await queue.enqueue({ tenantId, eventId: 'E4' }, { delayMs: 0 });
      const [held] = (await queue.claim('steady', 1, lease)).jobs;
      for (let i = 0; i < 5; i++) {
        clock.advance(lease / 2);
        expect(await queue.renew('steady', [held!], lease)).toEqual([held!.id]);
        expect((await queue.claim('other', 1, lease)).jobs).toEqual([]);
      }
      expect(await queue.complete(held!, 'steady')).toBe('completed');
    });

    it('dead-letters a job whose lease expired on its last attempt', async () => {
      await queue.enqueue({ tenantId, eventId: 'E5' }, { delayMs: 0 });
      for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
        const { jobs } = await queue.claim(`crashing-${attempt}`, 1, lease);
        expect(jobs.map((j) => j.attempts)).toEqual([attempt]);
        clock.advance(lease);
      }
      const { jobs, expired } = await queue.claim('next', 1, lease);
      expect(jobs).toEqual([]);
      expect(expired.map((e) => e.state)).toEqual(['dead']);
      const [row] = await jobsOf(tenantId);
      expect(row).toMatchObject({ state: 'dead', attempts: policy.maxAttempts });
      expect(row?.last_error).toMatch(/gave up after 4 attempts.*lease expired/);
    });
  });

  describe('retries', () => {
    it('retries at the times the policy sets, then dead-letters with the reason', async () => {
      await queue.enqueue({ tenantId, eventId: 'E6' }, { delayMs: 0 });
      for (let attempt = 1; attempt < policy.maxAttempts; attempt++) {
        const [job] = (await queue.claim('w', 1, lease)).jobs;
        expect(job?.attempts).toBe(attempt);
        const decision = decideRetry(policy, attempt, { message: 'Graph answered 503' }, random);
        if (decision.kind !== 'retry') throw new Error('expected a retry');
        const outcome = await queue.fail(job!, 'w', { message: 'Graph answered 503' });
        expect(outcome).toEqual({ outcome: 'retry', runAt: clock.now() + decision.delayMs });
        clock.advance(decision.delayMs - 1);
        expect((await queue.claim('w', 1, lease)).jobs).toEqual([]);
        clock.advance(1);
      }
      const [last] = (await queue.claim('w', 1, lease)).jobs;
      expect(await queue.fail(last!, 'w', { message: 'Graph answered 503' })).toEqual({
        outcome: 'dead',
        reason: 'gave up after 4 attempts: Graph answered 503',
      });
      expect(await jobsOf(tenantId)).toMatchObject([
        { state: 'dead', last_error: 'gave up after 4 attempts: Graph answered 503' },
      ]);
      expect(await queue.counts(tenantId)).toEqual({
        ready: 0,
        scheduled: 0,
        paused: 0,
        running: 0,
        dead: 1,
      });
    });

    it("waits as long as the server's Retry-After asks", async () => {
      await queue.enqueue({ tenantId, eventId: 'E7' }, { delayMs: 0 });
      const [job] = (await queue.claim('w', 1, lease)).jobs;
      const outcome = await queue.fail(job!, 'w', {
        message: '429 ApplicationThrottled',
        retryAfterMs: 7000,
      });
      expect(outcome).toEqual({ outcome: 'retry', runAt: clock.now() + 7000 + 350 }); // + 10% jitter × random 0.5
      clock.advance(7000);
      expect((await queue.claim('w', 1, lease)).jobs).toEqual([]);
      clock.advance(350);
      expect((await queue.claim('w', 1, lease)).jobs).toHaveLength(1);
    });

    it('parks a permanent failure at once, and a new change to the Event revives it', async () => {
      const key = { tenantId, eventId: 'E8' };
      await queue.enqueue(key, { delayMs: 0 });
      const [job] = (await queue.claim('w', 1, lease)).jobs;
      expect(await queue.deadLetter(job!, 'w', 'End is before Start')).toEqual({
        outcome: 'dead',
        reason: 'End is before Start',
      });
      expect((await queue.claim('w', 1, lease)).jobs).toEqual([]);
      const changedAt = job!.firstChangeAt;
      clock.advance(58_000);
      await queue.enqueue(key, { delayMs: 0 });
      const revived = (await queue.claim('w', 1, lease)).jobs;
      expect(revived.map((j) => [j.eventId, j.attempts, j.lastError])).toEqual([
        ['E8', 1, 'End is before Start'],
      ]);
      // Its first change was never synced: latency still counts from it, not from the revival.
      expect(revived[0]?.firstChangeAt).toBe(changedAt);
    });

    it('does not park a failure when a newer change is already waiting to run', async () => {
      const key = { tenantId, eventId: 'E9' };
      await queue.enqueue(key, { delayMs: 0 });
      const [job] = (await queue.claim('w', 1, lease)).jobs;
      await queue.enqueue(key, { delayMs: 0 });
      expect((await queue.deadLetter(job!, 'w', 'End is before Start')).outcome).toBe('superseded');
      expect((await queue.claim('w', 1, lease)).jobs.map((j) => j.eventId)).toEqual(['E9']);
    });
  });

  it('pauses the jobs of a tenant that cannot reach Salesforce, and resumes them on reconnect', async () => {
    const paused = await seedTenant(database.store.db, { connection: 'reconnect_required' });
    await queue.enqueue({ tenantId: paused, eventId: 'P1' }, { delayMs: 0 });
    await queue.enqueue({ tenantId, eventId: 'A1' }, { delayMs: 0 });
    const { jobs } = await queue.claim('w', 10, lease);
    expect(jobs.map((j) => j.eventId)).toEqual(['A1']);
    await queue.complete(jobs[0]!, 'w');
    clock.advance(3_600_000);
    expect((await queue.claim('w', 10, lease)).jobs).toEqual([]);
    expect(await queue.counts(paused)).toEqual({ ready: 0, scheduled: 0, paused: 1, running: 0, dead: 0 });

    await database.store.db
      .updateTable('salesforce_connections')
      .set({ state: 'connected' })
      .where('tenant_id', '=', paused)
      .execute();
    expect((await queue.claim('w', 10, lease)).jobs.map((j) => [j.eventId, j.attempts])).toEqual([['P1', 1]]);
  });

  it('counts jobs by state', async () => {
    await queue.enqueue({ tenantId, eventId: 'ready-1' }, { delayMs: 0 });
    await queue.enqueue({ tenantId, eventId: 'ready-2' }, { delayMs: 0 });
    await queue.enqueue({ tenantId, eventId: 'later' }, { delayMs: 60_000 });
    await queue.enqueue({ tenantId, eventId: 'running' }, { delayMs: -1 });
    const [first] = (await queue.claim('w', 1, lease)).jobs;
    expect(first?.eventId).toBe('running');
    expect(await queue.counts(tenantId)).toEqual({ ready: 2, scheduled: 1, paused: 0, running: 1, dead: 0 });
  });
});
