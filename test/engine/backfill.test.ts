// backfill: 1,000 Events that existed before the tenant connected are synced once each; a second
// backfill over the same range makes no calendar call at all.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli-in-process.ts';
import { createSyncWorker } from '../../src/main.ts';
import { startSyncedService, type SyncedService } from '../support/synced-service.ts';
import { describeEachBackend } from '../support/test-databases.ts';

describeEachBackend('backfill', (database) => {
  let synced: SyncedService;

  beforeAll(async () => {
    synced = await startSyncedService({ databaseUrl: database.url });
  });
  afterAll(() => synced.close());

  const cli = (args: string[]) => runCliInProcess(args, synced.env.service.env);
  const drain = async () => {
    const worker = createSyncWorker(synced.env.service.runtime);
    synced.env.advance(60_000);
    while ((await worker.runOnce()).claimed > 0) synced.env.advance(1000);
  };

  it('syncs 1,000 existing Events once, and a second run makes no calendar call', async () => {
    const { sandbox, ownerId } = synced.env;
    for (let i = 0; i < 1000; i++)
      sandbox.createEvent(ownerId, {
        Subject: `Existing ${i}`,
        StartDateTime: `2026-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}T09:00:00Z`,
        DurationInMinutes: 30,
      });
    sandbox.createEvent(ownerId, {
      Subject: 'Out of range',
      StartDateTime: '2027-03-01T09:00:00Z',
      DurationInMinutes: 30,
    });

    const first = await cli([
      'backfill',
      'acme',
      '--from',
      '2026-01-01',
      '--to',
      '2026-12-31',
      '--no-wait',
      '--json',
    ]);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ found: 1000, queued: 1000 });
    await drain();
    const items = synced.graph.events('rep@acme.example');
    expect(items).toHaveLength(1000);
    expect(new Set(items.map((i) => i['subject'])).size).toBe(1000);

    const callsBefore = synced.graph.stats().requests;
    const second = await cli(['backfill', 'acme', '--from', '2026-01-01', '--to', '2026-12-31', '--no-wait']);
    expect(second.stdout).toContain(
      'Found 1000 Events from 2026-01-01 to 2026-12-31; 1000 queued for tenant acme.',
    );
    await drain();
    expect(synced.graph.stats().requests).toBe(callsBefore);
    expect(synced.graph.events('rep@acme.example')).toHaveLength(1000);
  }, 120_000);

  it('refuses a range that is not one', async () => {
    const bad = await cli(['backfill', 'acme', '--from', '2026-13-01', '--to', '2026-01-01']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--from must be a date like 2026-01-31, got "2026-13-01"');
  });
});
