// Intake's write: changes and their jobs land together or not at all, and a change delivered
// twice is recorded once.
import { type KyselyPlugin, type PluginTransformQueryArgs, InsertQueryNode } from 'kysely';
import { beforeEach, expect, it } from 'vitest';
import { recordChanges, type IncomingChange } from '../../src/store/changes/record-changes.ts';
import { claimJobs } from '../../src/store/jobs/claim-jobs.ts';
import { seedTenant } from '../support/seed-tenant.ts';
import { describeEachBackend } from '../support/test-databases.ts';

const now = Date.UTC(2026, 10, 24, 9, 0, 0);

function change(eventId: string, n: number, committedAt: number | null = null): IncomingChange {
  return { eventId, changeType: 'update', source: 'cdc', dedupeKey: `cdc:${n}:${eventId}`, committedAt };
}

/** Makes every INSERT INTO jobs fail, as a crash or a constraint would, after the changes were written. */
const failJobInserts: KyselyPlugin = {
  transformQuery(args: PluginTransformQueryArgs) {
    if (InsertQueryNode.is(args.node) && args.node.into?.table.identifier.name === 'jobs') {
      throw new Error('simulated failure while writing the job');
    }
    return args.node;
  },
  transformResult: (args) => Promise.resolve(args.result),
};

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
    const failing = database.store.db.withPlugin(failJobInserts);
    await expect(
      recordChanges(failing, {
        tenantId,
        settleWindowMs: 0,
        now,
        changes: [change('E', 9), change('F', 10)],
      }),
    ).rejects.toThrow('simulated failure while writing the job');
    expect(await rows('changes')).toEqual([]);
    expect(await rows('jobs')).toEqual([]);
  });
});
