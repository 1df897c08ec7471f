// /metrics parses as Prometheus' text format, and its figures move when Events sync: syncs by
// action, the latency histogram, provider calls, changes by source, jobs and connections by state.
// It needs the admin token; the database counts are reused for 5 seconds, whoever scrapes.
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSyncWorker } from '../../src/main.ts';
import { databaseCountsMaxAgeMs } from '../../src/reports/metrics.ts';
import { startSyncedService, type SyncedService } from '../support/synced-service.ts';
import { describeEachBackend } from '../support/test-databases.ts';

const adminToken = 'metrics-scraper-token-0123456789';

describeEachBackend('/metrics', (database) => {
  let synced: SyncedService;

  beforeAll(async () => {
    synced = await startSyncedService({
      databaseUrl: database.url,
      env: { INSTANT_SYNC_ADMIN_TOKEN: adminToken },
    });
  });
  afterAll(() => synced.close());

  const scrape = async () => {
    const response = await fetch(`${synced.env.service.url}/metrics`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    const families = parsePrometheusTextFormat(text);
    const value = (name: string, labels: Record<string, string> = {}) => {
      const family = families.find((f) => f.name === name);
      const sample = family?.metrics.find((m) =>
        Object.entries(labels).every(([k, v]) => m.labels?.[k] === v),
      );
      return Number(sample?.value ?? sample?.count ?? 0);
    };
    return { families, value, text };
  };

  it('counts syncs, latency, provider calls, changes, jobs and connections', async () => {
    const before = await scrape();
    expect(before.value('instant_sync_salesforce_connections', { state: 'connected' })).toBe(1);
    expect(before.value('instant_sync_syncs_total', { action: 'create', provider: 'graph' })).toBe(0);

    const { sandbox, ownerId } = synced.env;
    const { runtime } = synced.env.service;
    const ids = [1, 2, 3].map((n) =>
      String(
        sandbox.createEvent(ownerId, {
          Subject: `Counted ${n}`,
          StartDateTime: '2026-12-01T09:00:00Z',
          DurationInMinutes: 30,
        }).Id,
      ),
    );
    await runtime.queue.enqueue({ tenantId: synced.tenantId, eventId: ids[0]! }, { delayMs: 0 });
    // The counts of the scrape before are reused until they are 5 seconds old.
    expect((await scrape()).value('instant_sync_jobs', { state: 'waiting' })).toBe(0);
    synced.env.advance(databaseCountsMaxAgeMs);
    const queued = await scrape();
    expect(queued.value('instant_sync_jobs', { state: 'waiting' })).toBe(1);
    for (const eventId of ids.slice(1))
      await runtime.queue.enqueue({ tenantId: synced.tenantId, eventId }, { delayMs: 0 });
    expect(await createSyncWorker(runtime).runOnce()).toMatchObject({ claimed: 3, outcomes: { done: 3 } });

    synced.env.advance(databaseCountsMaxAgeMs);
    const after = await scrape();
    expect(after.value('instant_sync_syncs_total', { action: 'create', provider: 'graph' })).toBe(3);
    expect(after.value('instant_sync_end_to_end_latency_seconds')).toBe(3);
    // (The parser drops the labels of histogram samples: this one is read from the text itself.)
    expect(after.text).toMatch(
      /^instant_sync_provider_call_duration_seconds_count\{provider="graph",operation="create",outcome="ok"\} 3$/m,
    );
    expect(after.value('instant_sync_jobs', { state: 'waiting' })).toBe(0);
    // Syncing three Events took statements of its own (claims, links, traces, completions).
    expect(after.value('instant_sync_database_statements_total')).toBeGreaterThan(
      queued.value('instant_sync_database_statements_total') + 3,
    );
    expect(after.families.map((f) => f.name)).toEqual(
      expect.arrayContaining([
        'instant_sync_changes_received_total',
        'instant_sync_mailbox_limit_wait_seconds_total',
        'instant_sync_skips_total',
      ]),
    );
  });
});

describeEachBackend('/metrics without the admin token', (database) => {
  let synced: SyncedService;
  beforeAll(async () => {
    synced = await startSyncedService({
      databaseUrl: database.url,
      env: { INSTANT_SYNC_ADMIN_TOKEN: adminToken },
    });
  });
  afterAll(() => synced.close());

  it('is refused, tenant ids and all, and wrong tokens are limited like sign-ins', async () => {
    const url = `${synced.env.service.url}/metrics`;
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain(synced.tenantId);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i += 1)
      statuses.push((await fetch(url, { headers: { authorization: `Bearer wrong-token-${i}` } })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    // Locked out, even the right token waits.
    const locked = await fetch(url, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
