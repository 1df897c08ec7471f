// One tenant's live jobs alone (a server with one Salesforce org): on SQLite the claim takes them
// without the walk through tenants' turns (PostgreSQL always walks: store/backend.ts), and must take
// exactly the jobs the walk would have, whatever their due times, the claim's size and room for
// other lanes, and whether the tenant's connection syncs.
import fc from 'fast-check';
import { beforeEach, expect, it } from 'vitest';
import { claimInTurn, claimJobs, type ClaimJobs } from '../../src/store/jobs/claim-jobs.ts';
import { jobLanes } from '../../src/store/schema.ts';
import { seedTenant } from '../support/seed-tenant.ts';
import { describeOnBackends } from '../support/test-databases.ts';

const now = Date.UTC(2026, 11, 7, 9);

class Rollback extends Error {}

describeOnBackends(['sqlite'], 'a claim of one tenant’s live jobs', (database) => {
  let tenantId: string;

  beforeEach(async () => {
    await database.store.db.deleteFrom('jobs').execute();
    tenantId = await seedTenant(database.store.db);
  });

  /** The ids `claim` takes from the queue as it stands, the queue left as it was. */
  const idsTaken = async (claim: (db: typeof database.store.db) => Promise<{ id: number }[]>) => {
    let ids: number[] = [];
    await database.store.db
      .transaction()
      .execute(async (tx) => {
        ids = (await claim(tx)).map((job) => job.id);
        throw new Rollback();
      })
      .catch((error: unknown) => {
        if (!(error instanceof Rollback)) throw error;
      });
    return ids;
  };

  it('takes what tenants’ turns would take', async () => {
    await fc.assert(
      fc.asyncProperty(
        // Mostly more due jobs than the claim takes, and a connection that syncs: where the choice is made.
        fc.array(fc.integer({ min: -120_000, max: 60_000 }), { minLength: 0, maxLength: 40, size: 'large' }),
        fc.integer({ min: 1, max: 16 }),
        fc.option(fc.integer({ min: 0, max: 16 }), { nil: undefined }),
        fc.constantFrom(true, true, true, false),
        async (dueIn, limit, beyondLive, syncing) => {
          await database.store.db.deleteFrom('jobs').where('tenant_id', '=', tenantId).execute();
          await database.store.db
            .updateTable('salesforce_connections')
            .set({ state: syncing ? 'connected' : 'reconnect_required' })
            .where('tenant_id', '=', tenantId)
            .execute();
          if (dueIn.length > 0)
            await database.store.repos.jobs.enqueueJobs(
              dueIn.map((ms, n) => ({
                tenantId,
                eventId: `00U${String(n).padStart(12, '0')}AAA`,
                runAt: now + ms,
                changeAt: now + ms,
                now,
              })),
            );
          const claim: ClaimJobs = {
            workerId: 'worker-1',
            limit,
            leaseMs: 60_000,
            now,
            ...(beyondLive === undefined ? {} : { beyondLive }),
          };
          const inTurn = await idsTaken((db) =>
            claimInTurn(db, database.store.backend, claim, Math.min(limit, beyondLive ?? limit)),
          );
          const taken = await idsTaken((db) => claimJobs(db, database.store.backend, claim));
          expect(taken).toEqual(inTurn);
          const due = dueIn.filter((ms) => ms <= 0).length;
          expect(taken).toHaveLength(syncing ? Math.min(limit, due) : 0);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('takes the oldest due jobs first, whatever order they were queued in', async () => {
    const dueIn = [-5, -50, 30, -20, -40, -10, -30, 10];
    await database.store.repos.jobs.enqueueJobs(
      dueIn.map((s, n) => ({
        tenantId,
        eventId: `00U${String(n).padStart(12, '0')}AAA`,
        runAt: now + s * 1000,
        changeAt: now,
        now,
      })),
    );
    const claim = { workerId: 'worker-1', limit: 4, leaseMs: 60_000, now };
    const claimed = await claimJobs(database.store.db, database.store.backend, claim);
    expect(claimed.map((job) => (job.runAt - now) / 1000)).toEqual([-50, -40, -30, -20]);
    expect(
      (await claimJobs(database.store.db, database.store.backend, claim)).map(
        (job) => (job.runAt - now) / 1000,
      ),
    ).toEqual([-10, -5]);
  });

  it('leaves the claim to the lanes’ shares when another lane has work waiting', async () => {
    const other = await seedTenant(database.store.db);
    const enqueue = (tenant: string, prefix: string, count: number) =>
      database.store.repos.jobs.enqueueJobs(
        Array.from({ length: count }, (_, n) => ({
          tenantId: tenant,
          eventId: `00U${prefix}${String(n).padStart(11, '0')}AAA`,
          runAt: now - 1000 + n,
          changeAt: now,
          now,
        })),
      );
    await enqueue(tenantId, '1', 10);
    await enqueue(other, '2', 2);
    await database.store.db
      .updateTable('jobs')
      .set({ lane: jobLanes.bulk })
      .where('tenant_id', '=', other)
      .execute();
    // A claim of 10 keeps one job's room for bulk work: nine of the live tenant's and the other's oldest bulk job.
    const claimed = await claimJobs(database.store.db, database.store.backend, {
      workerId: 'worker-1',
      limit: 10,
      leaseMs: 60_000,
      now,
    });
    expect(claimed.filter((job) => job.tenantId === tenantId)).toHaveLength(9);
    expect(claimed.filter((job) => job.tenantId === other)).toHaveLength(1);
  });
});
