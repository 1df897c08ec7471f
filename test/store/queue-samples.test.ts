// The queue's depth sampled once a minute per tenant: a minute is one row however often it is
// sampled, the samples sum over tenants, and those older than the window are forgotten.
import { expect, it } from 'vitest';
import { queueHistory, recordQueueDepth } from '../../src/reports/queue-history.ts';
import { seedTenant } from '../support/seed-tenant.ts';
import { describeEachBackend } from '../support/test-databases.ts';

describeEachBackend('queue samples', (database) => {
  const t0 = Date.UTC(2026, 11, 4, 9, 0, 0);

  it('keeps one sample per tenant and minute, sums them over tenants, and forgets the day-old ones', async () => {
    const { db, repos } = database.store;
    const a = await seedTenant(db);
    const b = await seedTenant(db);
    const job = (tenantId: string, eventId: string, state: 'waiting' | 'running' | 'dead') => ({
      tenant_id: tenantId,
      event_id: eventId,
      state,
      run_at: t0,
      attempts: 0,
      first_change_at: t0,
      last_error: null,
      created_at: t0,
      updated_at: t0,
      lease_owner: state === 'running' ? 'worker-1' : null,
      lease_expires_at: state === 'running' ? t0 + 60_000 : null,
    });
    await db
      .insertInto('jobs')
      .values([
        job(a, 'E1', 'waiting'),
        job(a, 'E2', 'waiting'),
        job(a, 'E3', 'dead'),
        job(b, 'E4', 'running'),
      ])
      .execute();
    await recordQueueDepth(repos, t0 + 5_000);
    await db.updateTable('jobs').set({ state: 'dead' }).where('event_id', '=', 'E1').execute();
    // The same minute again: the later count replaces the earlier.
    await recordQueueDepth(repos, t0 + 50_000);
    await recordQueueDepth(repos, t0 + 60_000);
    expect(await queueHistory(repos, t0 + 120_000)).toEqual([
      { at: t0, queued: 2, dead: 2 },
      { at: t0 + 60_000, queued: 2, dead: 2 },
    ]);
    expect(await queueHistory(repos, t0 + 120_000, a)).toEqual([
      { at: t0, queued: 1, dead: 2 },
      { at: t0 + 60_000, queued: 1, dead: 2 },
    ]);
    // A day and more later: the old samples are gone from the table, not only from the chart.
    await recordQueueDepth(repos, t0 + 26 * 3_600_000);
    const left = await db.selectFrom('queue_samples').select('at').where('tenant_id', 'in', [a, b]).execute();
    expect(new Set(left.map((r) => Number(r.at)))).toEqual(new Set([t0 + 26 * 3_600_000]));
  });
});
