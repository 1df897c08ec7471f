// A backup restored after the calendars moved on: the Events made, changed and deleted since the
// backup are brought back in line by a backfill, and no item is made twice (the Events of the
// time between are found in the mailboxes by their Salesforce id, as the restore tells the engine).
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createSyncWorker } from '../../src/main.ts';
import { SecretBox } from '../../src/lib/secret-box.ts';
import { restoreDatabase } from '../../src/maintenance/backup.ts';
import { runCliInProcess } from '../support/cli-in-process.ts';
import { startServiceUnderTest, type ServiceUnderTest } from '../support/service-under-test.ts';
import { startSyncedService } from '../support/synced-service.ts';
import { tempFolders } from '../support/temp-folders.ts';

const temp = tempFolders();

it('restores an older backup and syncs again: every mailbox equals the org, with no duplicate', async () => {
  const dir = temp.make('instant-sync-restore-');
  const databaseUrl = `sqlite:${join(dir, 'sync.db')}`;
  const synced = await startSyncedService({ databaseUrl });
  const { sandbox, ownerId, clock } = synced.env;
  let service: ServiceUnderTest = synced.env.service;
  try {
    const cli = (args: string[]) => runCliInProcess(args, service.env);
    const syncAll = async () => {
      expect(
        (await cli(['backfill', 'acme', '--from', '2026-01-01', '--to', '2026-12-31', '--no-wait'])).code,
      ).toBe(0);
      const worker = createSyncWorker(service.runtime);
      synced.env.advance(1000);
      while ((await worker.runOnce()).claimed > 0) synced.env.advance(1000);
    };
    const create = (subject: string, day: number) =>
      String(
        sandbox.createEvent(ownerId, {
          Subject: subject,
          StartDateTime: `2026-12-${String(day).padStart(2, '0')}T09:00:00Z`,
          DurationInMinutes: 30,
        }).Id,
      );
    const calendar = () =>
      synced.graph
        .events('rep@acme.example')
        .map((item) => String(item['subject']))
        .sort();

    create('Kick-off', 1);
    const review = create('Review', 2);
    const demo = create('Demo', 3);
    await syncAll();
    expect(calendar()).toEqual(['Demo', 'Kick-off', 'Review']);
    const backup = join(dir, 'backup.db');
    expect((await cli(['backup', backup])).code).toBe(0);

    // Since the backup: two Events made, one renamed, one deleted, all synced.
    create('Pipeline', 4);
    create('Offsite', 5);
    sandbox.updateEvent(review, { Subject: 'Review (moved)' });
    sandbox.deleteEvent(demo);
    await syncAll();
    expect((await cli(['retry', demo])).code).toBe(0);
    await syncAll();
    const now = ['Kick-off', 'Offsite', 'Pipeline', 'Review (moved)'];
    expect(calendar()).toEqual(now);

    // The older copy put back (the service stopped), then the service started on it again.
    const { env } = service;
    await service.close();
    const restoredAt = clock.now();
    const restored = await restoreDatabase({
      databaseUrl,
      source: backup,
      secretKeyId: new SecretBox(Buffer.from(env['INSTANT_SYNC_SECRET_KEY'] ?? '', 'base64')).keyId,
      now: restoredAt,
    });
    expect(restored.keptAt).not.toBeNull();
    service = await startServiceUnderTest({
      databaseUrl,
      clock,
      secretKey: env['INSTANT_SYNC_SECRET_KEY'] ?? '',
      env,
    });
    // The Events made between the backup and now count as older than the database: their first
    // sync looks for an item before making one (Graph would also refuse a second create of the
    // same transactionId; Exchange would not).
    expect(await service.runtime.store.repos.meta.readMeta('installed_at')).toBe(String(restoredAt));
    await syncAll();
    expect(calendar()).toEqual(now);
  } finally {
    await service.close();
    await synced.graph.close();
    await sandbox.close();
  }
}, 60_000);
