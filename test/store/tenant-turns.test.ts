// Tenants take turns, on both backends: a tenant with a flood of due jobs does not hold back
// another tenant's one job, tenants are served in rotation when a claim cannot serve them all,
// and a tenant that cannot sync or has nothing due yet takes no turn.
import { beforeEach, expect, it } from 'vitest';
import { nextTurns } from '../../src/store/jobs/claim-jobs.ts';
import type { ClaimedJob } from '../../src/store/jobs/job.ts';
import { jobLanes, type JobLane } from '../../src/store/schema.ts';
import { seedTenant } from '../support/seed-tenant.ts';
import { describeEachBackend } from '../support/test-databases.ts';

const t0 = Date.UTC(2026, 11, 5, 9);
const now = t0 + 60_000;
const eventId = (tenant: number, n: number) =>
  `00U${String(tenant).padStart(3, '0')}${String(n).padStart(9, '0')}AAA`;

describeEachBackend('tenants take turns', (database) => {
  const repos = () => database.store.repos;
  let tenants: string[];
  let turns: (string | undefined)[];

  beforeEach(async () => {
    await database.store.db.deleteFrom('jobs').execute();
    turns = [];
    tenants = [];
    for (let n = 0; n < 6; n += 1) tenants.push(await seedTenant(database.store.db));
    // Tenant ids are random: number the tenants in id order, as the turns go.
    tenants.sort();
  });

  const enqueue = (tenant: number, count: number, at: number, lane: JobLane = jobLanes.live) =>
    repos().jobs.enqueueJobs(
      Array.from({ length: count }, (_, n) => ({
        tenantId: tenants[tenant]!,
        eventId: eventId(tenant, n),
        runAt: at,
        changeAt: at,
        now: t0,
        lane,
      })),
    );
  /** Claims as the engine's queue does, keeping the turns; the tenants served, by number, sorted. */
  const claim = async (limit: number): Promise<string> => {
    const jobs = await repos().jobs.claimJobs(database.store.backend, {
      workerId: 'worker-1',
      limit,
      leaseMs: 60_000,
      now,
      after: turns,
    });
    turns = nextTurns(turns, jobs);
    return jobs
      .map((job) => String(tenants.indexOf(job.tenantId)))
      .sort()
      .join('');
  };

  it('serves a tenant’s one new job in the first claim although another has 500 older ones', async () => {
    await enqueue(0, 500, t0 - 600_000);
    await enqueue(1, 1, now);
    await enqueue(2, 2, now);
    // A share of 4 each: tenant 0 four, 1 its one, 2 its two; the 3 left over go to the oldest (0).
    expect(await claim(10)).toBe('0000000122');
    // Nothing of 1 and 2 is left: tenant 0 has the whole claim.
    expect(await claim(10)).toBe('0'.repeat(10));
  });

  it('serves the tenants in turn when a claim cannot serve each of them', async () => {
    for (let tenant = 0; tenant < 6; tenant += 1) await enqueue(tenant, 20, t0 - tenant * 1000);
    // One at a time: 0, 1, 2, …, 5, then round again — however old each one's jobs.
    const served: string[] = [];
    for (let n = 0; n < 8; n += 1) served.push(await claim(1));
    expect(served.join('')).toBe('01234501');
    // Four at a time (the fourth kept for bulk work, which has none): 2, 3, 4, 5, then 0, 1, 2, 3.
    expect(await claim(4)).toBe('2345');
    expect(await claim(4)).toBe('0123');
  });

  it('takes no turn from a tenant that cannot sync or has nothing due yet', async () => {
    await enqueue(0, 5, now);
    await enqueue(1, 5, now + 60_000); // due in a minute
    await enqueue(2, 5, now);
    await database.store.db
      .updateTable('salesforce_connections')
      .set({ state: 'reconnect_required' })
      .where('tenant_id', '=', tenants[2]!)
      .execute();
    await enqueue(3, 5, now);
    expect(await claim(2)).toBe('03');
    expect(await claim(2)).toBe('03');
  });

  it('keeps a turn in each lane: bulk work’s tenants do not skip live work’s', async () => {
    for (let tenant = 0; tenant < 6; tenant += 1) await enqueue(tenant, 3, now);
    await database.store.db
      .updateTable('jobs')
      .set({ lane: jobLanes.bulk })
      .where('tenant_id', '=', tenants[5]!)
      .execute();
    // Live: 0, 1 (then bulk's 5 in the slot kept for it); live again from 2.
    expect(await claim(3)).toBe('015');
    expect(await claim(3)).toBe('235');
  });
});

it('moves each lane’s turn to the last tenant served there, wrapping round', () => {
  const job = (tenantId: string, lane: JobLane) => ({ tenantId, lane }) as ClaimedJob;
  expect(nextTurns([], [job('b', 0), job('a', 0), job('c', 2)])).toEqual(['b', undefined, 'c']);
  // After 'c': 'd' then wrap to 'a' — 'a' is last in turn.
  expect(nextTurns(['c'], [job('a', 0), job('d', 0)])).toEqual(['a']);
  expect(nextTurns(['c'], [])).toEqual(['c']);
});
