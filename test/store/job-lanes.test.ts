// Lanes, on both backends: live changes are claimed before reconciliation and bulk work however
// long the bulk has waited, bulk work still gets a share of every claim, and a job keeps the best
// lane of the changes it carries.
import { beforeEach, expect, it } from 'vitest';
import { jobLanes, type JobLane } from '../../src/store/schema.ts';
import { seedTenant } from '../support/seed-tenant.ts';
import { describeEachBackend } from '../support/test-databases.ts';

const t0 = Date.UTC(2026, 11, 4, 9);
const id = (prefix: string, n: number) => `00U${prefix}${String(n).padStart(12, '0')}AAA`.slice(0, 18);

describeEachBackend('job lanes', (database) => {
  let tenantId: string;

  beforeEach(async () => {
    await database.store.db.deleteFrom('jobs').execute();
    tenantId = await seedTenant(database.store.db);
  });

  const enqueue = (prefix: string, count: number, lane: JobLane, at: number) =>
    database.store.repos.jobs.enqueueJobs(
      Array.from({ length: count }, (_, n) => ({
        tenantId,
        eventId: id(prefix, n),
        runAt: at,
        changeAt: at,
        now: at,
        lane,
      })),
    );
  const claim = async (limit: number) =>
    (
      await database.store.repos.jobs.claimJobs(database.store.backend, {
        workerId: 'worker-1',
        limit,
        leaseMs: 60_000,
        now: t0 + 60_000,
      })
    )
      .map((job) => job.eventId.slice(3, 4))
      .sort()
      .join('');

  it('claims live changes before a backfill that waited longer, and keeps a tenth of each claim for the backfill', async () => {
    // A backfill of 500 due ten minutes ago; then 30 live changes and 5 polled ones due now.
    await enqueue('B', 500, jobLanes.bulk, t0 - 600_000);
    await enqueue('L', 30, jobLanes.live, t0 + 60_000);
    await enqueue('R', 5, jobLanes.reconcile, t0 + 60_000);
    // 20 at a time: 18 live and the 2 kept for bulk; then the last 12 live, 5 polled, 3 bulk.
    expect(await claim(20)).toBe(`${'B'.repeat(2)}${'L'.repeat(18)}`);
    expect(await claim(20)).toBe(`${'B'.repeat(3)}${'L'.repeat(12)}${'R'.repeat(5)}`);
    // Nothing live left: the whole claim is bulk.
    expect(await claim(20)).toBe('B'.repeat(20));
    // A claim of one takes the best lane.
    await enqueue('N', 1, jobLanes.live, t0 + 60_000);
    expect(await claim(1)).toBe('N');
  });

  it('keeps the best lane of the changes a job carries, and a dead job starts afresh in its reviver’s', async () => {
    const lanes = async () =>
      (
        await database.store.db.selectFrom('jobs').select(['event_id', 'lane']).orderBy('event_id').execute()
      ).map((row) => row.lane);
    await enqueue('X', 1, jobLanes.bulk, t0);
    await enqueue('X', 1, jobLanes.live, t0);
    await enqueue('X', 1, jobLanes.reconcile, t0);
    expect(await lanes()).toEqual([jobLanes.live]);
    await database.store.db.updateTable('jobs').set({ state: 'dead', attempts: 20 }).execute();
    await enqueue('X', 1, jobLanes.bulk, t0);
    expect(await lanes()).toEqual([jobLanes.bulk]);
  });

  it('gives each source of change its lane, and an admin’s retry of one Event the live lane', async () => {
    const record = (
      source: 'cdc' | 'webhook' | 'poll' | 'backfill' | 'manual',
      n: number,
      manualLane?: JobLane,
    ) =>
      database.store.repos.changes.recordChanges({
        tenantId,
        settleWindowMs: 0,
        now: t0,
        manualLane,
        changes: [
          { eventId: id('S', n), changeType: 'update', source, dedupeKey: `${source}:${n}`, committedAt: t0 },
        ],
      });
    await record('cdc', 1);
    await record('webhook', 2);
    await record('poll', 3);
    await record('backfill', 4);
    await record('manual', 5);
    await record('manual', 6, jobLanes.bulk);
    const rows = await database.store.db
      .selectFrom('jobs')
      .select(['event_id', 'lane'])
      .orderBy('event_id')
      .execute();
    expect(rows.map((row) => row.lane)).toEqual([0, 0, 1, 2, 0, 2]);
  });
});
