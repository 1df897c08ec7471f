// Syncs per minute for the admin charts: each finished minute counted once from the `apply` traces
// (per tenant and for all), the minutes not yet counted read live, and day-old minutes forgotten.
import { expect, it } from 'vitest';
import { countSyncMinutes, syncHistory } from '../../src/reports/sync-history.ts';
import { seedTenant } from '../support/seed-tenant.ts';
import { describeEachBackend } from '../support/test-databases.ts';

describeEachBackend('sync minutes', (database) => {
  const minute = 60_000;
  const t0 = Date.UTC(2026, 11, 4, 9, 0, 0);

  it('counts each tenant’s syncs and their latency per minute, shows the minute not yet counted at once, and forgets the day-old', async () => {
    const { db, repos } = database.store;
    const a = await seedTenant(db);
    const b = await seedTenant(db);
    const apply = (tenantId: string, at: number, latencyMs?: number) => ({
      tenant_id: tenantId,
      event_id: `E${at}`,
      job_id: null,
      at,
      step: 'apply',
      message: 'create done',
      data_json: latencyMs === undefined ? null : JSON.stringify({ latencyMs }),
    });
    await db
      .insertInto('traces')
      .values([
        apply(a, t0 + 1_000, 500),
        apply(a, t0 + 2_000, 700),
        apply(a, t0 + 3_000, 900.4),
        apply(b, t0 + 4_000, 2_000),
        apply(b, t0 + minute + 5_000),
        // Not a sync: a trace of another step.
        { ...apply(a, t0 + 6_000, 99_999), step: 'fetch' },
      ])
      .execute();

    // 09:00 is not counted yet at 09:01:10 (it is let settle), yet the chart has it from the traces.
    await countSyncMinutes(repos, t0 + minute + 10_000);
    expect(await repos.syncMinutes.lastCountedMinute()).toBe(t0 - minute);
    const live = await syncHistory(repos, t0 + minute + 10_000);
    expect(live).toHaveLength(1440);
    expect(live.at(-2)).toEqual({ at: t0, syncs: 4, p50: 700, p95: 2_000 });
    expect(live.at(-1)).toEqual({ at: t0 + minute, syncs: 1, p50: null, p95: null });

    // At 09:02:20 both minutes are counted; a trace added to 09:00 afterwards does not count twice.
    await countSyncMinutes(repos, t0 + 2 * minute + 20_000);
    expect(await repos.syncMinutes.lastCountedMinute()).toBe(t0 + minute);
    await countSyncMinutes(repos, t0 + 2 * minute + 30_000);
    const counted = await syncHistory(repos, t0 + 2 * minute + 30_000);
    expect(counted.slice(-3)).toEqual([
      { at: t0, syncs: 4, p50: 700, p95: 2_000 },
      { at: t0 + minute, syncs: 1, p50: null, p95: null },
      { at: t0 + 2 * minute, syncs: 0, p50: null, p95: null },
    ]);
    expect((await syncHistory(repos, t0 + 2 * minute + 30_000, a)).slice(-3, -1)).toEqual([
      { at: t0, syncs: 3, p50: 700, p95: 900 },
      { at: t0 + minute, syncs: 0, p50: null, p95: null },
    ]);
    expect((await syncHistory(repos, t0 + 2 * minute + 30_000, b)).slice(-3, -1)).toEqual([
      { at: t0, syncs: 1, p50: 2_000, p95: 2_000 },
      { at: t0 + minute, syncs: 1, p50: null, p95: null },
    ]);

    // A day and more later: the old minutes are gone from the table, not only from the chart, and
    // every finished minute of the last day is counted (a quiet minute too: it is marked counted).
    const later = t0 + 26 * 3_600_000;
    await countSyncMinutes(repos, later);
    const left = await db.selectFrom('sync_minutes').select(['tenant_id', 'at']).execute();
    expect(left.every((row) => Number(row.at) >= later - 25 * 3_600_000)).toBe(true);
    expect(left.filter((row) => row.tenant_id === '*')).toHaveLength(1439);
    expect((await syncHistory(repos, later)).every((p) => p.syncs === 0)).toBe(true);
  });
});
