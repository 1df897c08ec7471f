// Intake's write: changes and their jobs land together or not at all, and a change delivered
// twice is recorded once.
import { sql } from 'kysely';
import { beforeEach, expect, it } from 'vitest';
import { recordChanges, type IncomingChange } from '../../src/store/changes/record-changes.ts';
import { claimJobs } from '../../src/store/jobs/claim-jobs.ts';
import { seedTenant } from '../support/seed-tenant.ts';
import { describeEachBackend } from '../support/test-databases.ts';

const now = Date.UTC(2026, 10, 24, 9, 0, 0);

function change(eventId: string, n: number, committedAt: number | null = null): IncomingChange {
  return { eventId, changeType: 'update', source: 'cdc', dedupeKey: `cdc:${n}:${eventId}`, committedAt };
}

describeEachBackend('recording changes', (database) => {
  let tenantId: string;
  beforeEach(async () => {
    tenantId = await seedTenant(database.store.db, { settleWindowMs: 2000 });
  });

  const rows = async (table: 'changes' | 'jobs') =>
    database.store.db.selectFrom(table).selectAll().where('tenant_id', '=', tenantId).execute();

  it('writes each change and one job per Event, due at once', async () => {
    const result = await recordChanges(database.store.db, {
      tenantId,
      settleWindowMs: 2000,
      now,
      changes: [change('A', 1, now - 300), change('A', 2, now - 100), change('B', 3)],
    });
    expect(result).toEqual({ recorded: 3, duplicates: 0, eventIds: ['A', 'B'] });
    expect(await rows('changes')).toHaveLength(3);
    const jobs = await rows('jobs');
    expect(jobs.map((j) => [j.event_id, j.run_at, j.first_change_at]).sort()).toEqual([
      ['A', now, now - 300],
      ['B', now, now],
    ]);
  });

  it('makes a change that arrives while its Event is being synced wait for the settle window', async () => {
    await recordChanges(database.store.db, {
      tenantId,
      settleWindowMs: 2000,
      now,
      changes: [change('G', 11)],
    });
    const claimed = await claimJobs(database.store.db, database.store.backend, {
      workerId: 'w1',
      limit: 10,
      leaseMs: 60_000,
      now,
    });
    expect(claimed.filter((j) => j.tenantId === tenantId).map((j) => j.eventId)).toEqual(['G']);
    for (const [offset, replayId] of [
      [100, 12],
      [400, 13],
    ] as const)
      await recordChanges(database.store.db, {
        tenantId,
        settleWindowMs: 2000,
        now: now + offset,
        changes: [change('G', replayId, now + offset)],
      });
    // Both later changes join one run, a settle window after the first of them.
    expect((await rows('jobs')).map((j) => [j.state, j.rerun_at, j.rerun_first_change_at])).toEqual([
      ['running', now + 2100, now + 100],
    ]);
  });

  it('records a redelivered change once', async () => {
    const batch = [change('C', 7), change('C', 7), change('D', 8)];
    await recordChanges(database.store.db, { tenantId, settleWindowMs: 0, now, changes: batch });
    const again = await recordChanges(database.store.db, {
      tenantId,
      settleWindowMs: 0,
      now,
      changes: batch,
    });
    expect(again).toEqual({ recorded: 0, duplicates: 3, eventIds: [] });
    expect((await rows('changes')).map((c) => c.dedupe_key).sort()).toEqual(['cdc:7:C', 'cdc:8:D']);
    expect(await rows('jobs')).toHaveLength(2);
  });

  it('leaves no change behind when its job cannot be written', async () => {
    // Every INSERT INTO jobs fails, as a crash or a constraint would, after the changes were written.
    const db = database.store.db;
    const fail = 'simulated failure while writing the job';
    if (database.backend === 'sqlite')
      await sql`create trigger fail_job_inserts before insert on jobs begin select raise(abort, ${sql.lit(fail)}); end`.execute(
        db,
      );
    else {
      await sql`create function fail_job_insert() returns trigger language plpgsql as $$ begin raise exception ${sql.lit(fail)}; end $$`.execute(
        db,
      );
      await sql`create trigger fail_job_inserts before insert on jobs for each statement execute function fail_job_insert()`.execute(
        db,
      );
    }
    try {
      await expect(
        recordChanges(db, {
          tenantId,
          settleWindowMs: 0,
          now,
          changes: [change('E', 9), change('F', 10)],
        }),
      ).rejects.toThrow(fail);
      expect(await rows('changes')).toEqual([]);
      expect(await rows('jobs')).toEqual([]);
    } finally {
      if (database.backend === 'sqlite') await sql`drop trigger fail_job_inserts`.execute(db);
      else {
        await sql`drop trigger fail_job_inserts on jobs`.execute(db);
        await sql`drop function fail_job_insert()`.execute(db);
      }
    }
  });
});
