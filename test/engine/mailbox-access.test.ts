// A mailbox the provider refuses the service (here: Google, the service account not delegated
// the scope) is a state of the mailbox, not of each Event: the owner's Events wait without being
// set aside, the mailbox and doctor show the refusal, and once access is granted the waiting
// Events sync at the next check.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startGoogleSandbox, type GoogleSandbox } from '../../sandbox/google/index.ts';
import type { SyncWorker } from '../../src/engine/sync-worker.ts';
import { createSyncWorker, doctorDeps } from '../../src/main.ts';
import { runDoctor } from '../../src/reports/doctor.ts';
import { listMailboxes } from '../../src/store/mailboxes-repository.ts';
import { describeMailboxState, toMailboxView } from '../../src/tenants/mailbox-view.ts';
import { setMailboxProvider } from '../../src/tenants/set-mailbox-provider.ts';
import { startSyncedService, type SyncedService } from '../support/synced-service.ts';
import { describeOnBackends } from '../support/test-databases.ts';

describeOnBackends(['sqlite'], 'a mailbox the provider refuses', (database) => {
  let synced: SyncedService;
  let google: GoogleSandbox;
  let worker: SyncWorker;
  let clientId: string;
  beforeAll(async () => {
    synced = await startSyncedService({ databaseUrl: database.url });
    // Both sandboxes' certificates come from the same local CA, which the service trusts.
    google = await startGoogleSandbox();
    google.addUser('rep@acme.example');
    const key = google.addServiceAccount({ clientEmail: 'sync@acme-sync.iam.gserviceaccount.com' });
    clientId = key.client_id;
    const { runtime } = synced.env.service;
    await setMailboxProvider(
      { repos: runtime.store.repos, secretBox: runtime.secretBox, clock: synced.env.clock },
      'acme',
      'google',
      { serviceAccountJson: JSON.stringify(key), calendarUrl: google.url },
    );
    worker = createSyncWorker(runtime);
  });
  afterAll(async () => {
    await google.close();
    await synced.close();
  });

  it('keeps the Events waiting with the refusal on the mailbox, and syncs them once access is granted', async () => {
    const { env, tenantId } = synced;
    const { runtime } = env.service;
    const event = env.sandbox.createEvent(env.ownerId, {
      Subject: 'Waits for delegation',
      StartDateTime: '2026-12-16T10:00:00Z',
      DurationInMinutes: 30,
    }).Id;
    await runtime.queue.enqueue({ tenantId, eventId: event }, { delayMs: 0 });
    expect(await worker.runOnce()).toMatchObject({ outcomes: { park: 1 } });

    const view = (await listMailboxes(runtime.store.db, tenantId))
      .map(toMailboxView)
      .find((m) => m.mailbox === 'rep@acme.example');
    expect(view?.problem).toMatch(
      new RegExp(
        `not delegated the scope https://www.googleapis.com/auth/calendar.events.*client id ${clientId}`,
      ),
    );
    expect(describeMailboxState(view!)).toBe('not found (1 Event waiting)');
    expect((await runtime.queue.counts(tenantId)).dead).toBe(0);
    const doctor = await runDoctor(doctorDeps(runtime), 'acme');
    expect(doctor.find((c) => c.name === 'Mailboxes')).toMatchObject({
      result: 'fail',
      detail: expect.stringContaining('not delegated') as unknown,
    });
    expect(doctor.find((c) => c.name === 'Mailbox provider')).toMatchObject({
      result: 'fail',
      fix: expect.stringContaining('Domain-wide delegation') as unknown,
    });

    // Still refused: still waiting. Delegated in the Admin console: the Event syncs.
    expect(await worker.checkMissingMailboxes()).toBe(0);
    google.delegate(clientId, ['https://www.googleapis.com/auth/calendar.events']);
    env.advance(60_000);
    expect(await worker.checkMissingMailboxes()).toBe(1);
    expect(await worker.runOnce()).toMatchObject({ outcomes: { done: 1 } });
    expect(google.events('rep@acme.example').map((e) => e['summary'])).toEqual(['Waits for delegation']);
  });
});
