// The engine stays within the tenant's Salesforce API budget: once Sforce-Limit-Info shows the
// org above INSTANT_SYNC_API_BUDGET percent of its daily requests, the tenant's jobs wait (without
// spending attempts) instead of reading more, and the reason is on the job.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSyncWorker } from '../../src/main.ts';
import type { SandboxedService } from '../support/sandboxed-service.ts';
import { startSyncedService, type SyncedService } from '../support/synced-service.ts';
import { describeEachBackend } from '../support/test-databases.ts';

describeEachBackend('Salesforce API budget', (database) => {
  let env: SandboxedService;
  let tenantId: string;
  let synced: SyncedService;
  beforeAll(async () => {
    synced = await startSyncedService({
      databaseUrl: database.url,
      dailyApiLimit: 100,
      env: { INSTANT_SYNC_API_BUDGET: '80' },
    });
    ({ env, tenantId } = synced);
  });
  afterAll(() => synced.close());

  it('postpones the tenant once the org is above the budget, without spending attempts', async () => {
    const { runtime } = env.service;
    const worker = createSyncWorker(runtime);
    const event = () =>
      String(
        env.sandbox.createEvent(env.ownerId, {
          Subject: 'Budgeted',
          StartDateTime: '2026-12-01T09:00:00Z',
          DurationInMinutes: 30,
        }).Id,
      );
    const first = event();
    await runtime.queue.enqueue({ tenantId, eventId: first }, { delayMs: 0 });
    expect(await worker.runOnce()).toMatchObject({ outcomes: { done: 1 } });

    // Other integrations use up the org's requests: 85 of 100.
    const other = runtime.salesforce.restClient(tenantId);
    while (env.sandbox.stats().apiCalls < 84) await other.query('SELECT Id FROM User LIMIT 1');
    const second = event();
    await runtime.queue.enqueue({ tenantId, eventId: second }, { delayMs: 0 });
    // This batch reads, and learns the usage from the response.
    expect(await worker.runOnce()).toMatchObject({ outcomes: { done: 1 } });
    const callsBefore = env.sandbox.stats().apiCalls;

    const third = event();
    await runtime.queue.enqueue({ tenantId, eventId: third }, { delayMs: 0 });
    expect(await worker.runOnce()).toMatchObject({ outcomes: { postpone: 1 } });
    expect(env.sandbox.stats().apiCalls).toBe(callsBefore);
    const job = await runtime.store.db
      .selectFrom('jobs')
      .selectAll()
      .where('event_id', '=', third)
      .executeTakeFirstOrThrow();
    expect(job).toMatchObject({
      state: 'waiting',
      attempts: 0,
      last_error: expect.stringMatching(
        /the org has used \d+ of its 100 daily API requests \(budget 80 %\)/,
      ) as unknown,
    });
    expect(job.run_at).toBeGreaterThanOrEqual(env.clock.now() + 14 * 60_000);
  });
});
