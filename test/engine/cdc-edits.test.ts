// Edits of an Event cost no Salesforce read when CDC carried their changed fields and the Event's
// record is known (the last synced one, or the whole Event its CREATE carried): the mailbox item
// follows the edit while the sandbox org's API counter does not move. A change only polling found
// is read again, and a later CDC edit folds onto what was read; so is one whose kept record lacks
// a field an exclusion rule now needs. `trace` says which happened.
import { repositories } from '../../src/store/repositories.ts';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { cdcNode } from '../support/cdc-node.ts';
import type { GraphSandbox } from '../../sandbox/graph/index.ts';
import type { SyncWorker } from '../../src/engine/sync-worker.ts';
import { type CdcScheduler } from '../../src/intake/cdc/cdc-scheduler.ts';
import { createSyncWorker } from '../../src/main.ts';
import { eventStories } from '../../src/reports/event-story.ts';
import { salesforceIdProperty } from '../../src/providers/graph/to-graph-event.ts';
import { pollTenant } from '../../src/intake/polling/poller.ts';
import type { TenantRow } from '../../src/store/schema.ts';
import { findTenantBySlug } from '../../src/store/tenants-repository.ts';
import { tracesOf } from '../../src/store/traces-repository.ts';
import { updateTenantSettings } from '../../src/tenants/update-tenant-settings.ts';
import type { SandboxedService } from '../support/sandboxed-service.ts';
import { startSyncedService, type SyncedService } from '../support/synced-service.ts';
import { describeEachBackend } from '../support/test-databases.ts';
import { waitFor } from '../support/wait-for.ts';

describeEachBackend('CDC edits', (database) => {
  let synced: SyncedService;
  let env: SandboxedService;
  let graph: GraphSandbox;
  let tenant: TenantRow;
  let worker: SyncWorker;
  const nodes: CdcScheduler[] = [];

  beforeAll(async () => {
    synced = await startSyncedService({ databaseUrl: database.url, pubSub: true });
    ({ env, graph } = synced);
    tenant = (await findTenantBySlug(env.service.runtime.store.db, 'acme'))!;
    worker = createSyncWorker(env.service.runtime);
    await pollTenant(pollDeps(), tenant); // the first poll only sets the watermark
  });
  afterEach(async () => {
    for (const node of nodes.splice(0)) await stopNode(node);
  });
  afterAll(() => synced.close());

  const db = () => env.service.runtime.store.db;
  const pollDeps = () => ({
    repos: repositories(db()),
    clock: env.clock,
    logger: env.service.runtime.logger,
    restClient: env.service.runtime.salesforce.restClient,
  });
  const startNode = async () => {
    const node = cdcNode(env);
    nodes.push(node);
    await node.tick();
    await waitFor(() => env.sandbox.stats().cdcSubscribers === 1, { what: 'a live subscription' });
    return node;
  };
  const stopNode = async (node: CdcScheduler) => {
    nodes.splice(nodes.indexOf(node), 1);
    await node.stop();
    await waitFor(() => env.sandbox.stats().cdcSubscribers === 0, { what: 'the subscription to end' });
  };
  /** Waits until `count` changes of the Event are recorded. */
  const recorded = (eventId: string, count: number) =>
    waitFor(
      async () =>
        (await db().selectFrom('changes').select('id').where('event_id', '=', eventId).execute()).length >=
        count,
      { what: `${count} changes of ${eventId}` },
    );
  /** Runs the due jobs, with the Salesforce API calls the sandbox org counted meanwhile. */
  const sync = async () => {
    env.advance(1000);
    const before = env.sandbox.stats().apiCalls;
    const report = await worker.runOnce();
    return { ...report, orgApiCalls: env.sandbox.stats().apiCalls - before };
  };
  const item = (eventId: string) => {
    const event = graph
      .events('rep@acme.example')
      .find((e) =>
        (e['singleValueExtendedProperties'] as { id: string; value: string }[]).some(
          (p) => p.id === salesforceIdProperty && p.value === eventId,
        ),
      );
    return {
      subject: event?.['subject'],
      location: (event?.['location'] as { displayName?: string } | undefined)?.displayName,
    };
  };
  const lastRead = async (eventId: string) =>
    (await tracesOf(db(), eventId, tenant.id)).filter((t) => t.step === 'read').at(-1)?.message;

  it('reads an Event known from before only once: its later CDC edits fold onto the record read', async () => {
    const { sandbox, ownerId } = env;
    // Created before the subscription: its CREATE never arrives.
    const event = sandbox.createEvent(ownerId, {
      Subject: 'Quarterly review',
      StartDateTime: '2026-12-10T09:00:00Z',
      DurationInMinutes: 60,
      Location: 'Boardroom',
    });
    await startNode();
    env.advance(1000);
    sandbox.updateEvent(event.Id, { Subject: 'Quarterly review (draft)' });
    await recorded(event.Id, 1);
    const first = await sync();
    expect(first).toMatchObject({ outcomes: { done: 1 } });
    expect(first.orgApiCalls).toBeGreaterThanOrEqual(1); // the Event (and its owner)
    expect(await lastRead(event.Id)).toBe(
      'read the Event from Salesforce: no record of the Event is kept yet',
    );
    expect(item(event.Id)).toEqual({ subject: 'Quarterly review (draft)', location: 'Boardroom' });

    env.advance(1000);
    sandbox.updateEvent(event.Id, { Subject: 'Quarterly review (final)', Location: 'Room 7' });
    await recorded(event.Id, 2);
    const second = await sync();
    expect(second).toMatchObject({ outcomes: { done: 1 }, providerCalls: 1, salesforceCalls: 0 });
    expect(second.orgApiCalls).toBe(0);
    expect(item(event.Id)).toEqual({ subject: 'Quarterly review (final)', location: 'Room 7' });
    expect(await lastRead(event.Id)).toBe('the last synced Event with 1 CDC edit applied');

    // An exclusion rule on a field the kept record does not have: the Event is read for it.
    const settings = (exclusionRulesJson: string) =>
      updateTenantSettings(
        { repos: repositories(db()), secretBox: env.service.runtime.secretBox, clock: env.clock },
        'acme',
        {
          exclusionRulesJson,
        },
      );
    await settings(JSON.stringify([{ field: 'WhatId', op: 'equals', value: '001000000000001AAA' }]));
    env.advance(1000);
    sandbox.updateEvent(event.Id, { Subject: 'Quarterly review (moved)' });
    await recorded(event.Id, 3);
    expect(await sync()).toMatchObject({ outcomes: { done: 1 }, salesforceCalls: 1 });
    expect(await lastRead(event.Id)).toBe('read the Event from Salesforce: the record kept has no WhatId');
    expect(item(event.Id)).toEqual({ subject: 'Quarterly review (moved)', location: 'Room 7' });
    await settings('[]');
  });

  it('syncs edits of a created Event without a read, reads after a change only polling found, then folds the replayed edit', async () => {
    const { sandbox, ownerId } = env;
    const node = await startNode();
    const event = sandbox.createEvent(ownerId, {
      Subject: 'Standup',
      StartDateTime: '2026-12-11T09:00:00Z',
      DurationInMinutes: 15,
      Location: 'Room 1',
    });
    await recorded(event.Id, 1);
    expect(await sync()).toMatchObject({ outcomes: { done: 1 }, salesforceCalls: 0, orgApiCalls: 0 });
    expect(await lastRead(event.Id)).toBe('the Event as CDC delivered it');

    // Two edits before the job runs, one of them clearing the location.
    env.advance(1000);
    sandbox.updateEvent(event.Id, { Subject: 'Standup (moved)', Location: null });
    sandbox.updateEvent(event.Id, { DurationInMinutes: 30 });
    await recorded(event.Id, 3);
    const edited = await sync();
    expect(edited).toMatchObject({ outcomes: { done: 1 }, providerCalls: 1, salesforceCalls: 0 });
    expect(edited.orgApiCalls).toBe(0);
    expect(item(event.Id)).toEqual({ subject: 'Standup (moved)', location: '' });
    // 30 minutes from 09:00 UTC, in the owner's Europe/Berlin.
    expect(graph.events('rep@acme.example').find((e) => e['subject'] === 'Standup (moved)')).toMatchObject({
      end: {
        dateTime: expect.stringMatching(/^2026-12-11T10:30:00/) as unknown,
        timeZone: 'W. Europe Standard Time',
      },
    });
    expect(await lastRead(event.Id)).toBe('the last synced Event with 2 CDC edits applied');
    const [story] = await eventStories(repositories(db()), event.Id);
    expect(story?.entries.filter((e) => e.step === 'received').map((e) => e.message)).toEqual([
      'create from cdc, with the whole Event',
      'update from cdc, with its changed fields',
      'update from cdc, with its changed fields',
    ]);

    // The stream is down while the Event changes: polling finds it, and the Event is read.
    await stopNode(node);
    env.advance(1000);
    sandbox.updateEvent(event.Id, { Subject: 'Standup (found by polling)', Location: 'Room 3' });
    expect(await pollTenant(pollDeps(), tenant)).toMatchObject({ recorded: 1 });
    const polled = await sync();
    expect(polled).toMatchObject({ outcomes: { done: 1 }, salesforceCalls: 1, orgApiCalls: 1 });
    expect(item(event.Id)).toEqual({ subject: 'Standup (found by polling)', location: 'Room 3' });
    expect(await lastRead(event.Id)).toBe(
      'read the Event from Salesforce: an update from polling came after the record kept',
    );

    // Back online, the stream replays that edit: folded onto the record read, nothing to do.
    await startNode();
    await recorded(event.Id, 5);
    const replayed = await sync();
    expect(replayed).toMatchObject({ outcomes: { done: 1 }, providerCalls: 0, salesforceCalls: 0 });
    expect(replayed.orgApiCalls).toBe(0);
    expect(item(event.Id)).toEqual({ subject: 'Standup (found by polling)', location: 'Room 3' });
    expect(await lastRead(event.Id)).toBe('the last synced Event with 1 CDC edit applied');

    // And a GAP event (Salesforce could not describe a change) is read again.
    env.sandbox.emitGap('GAP_UPDATE', [event.Id]);
    await recorded(event.Id, 6);
    expect(await sync()).toMatchObject({ outcomes: { done: 1 }, salesforceCalls: 1 });
    expect(await lastRead(event.Id)).toBe(
      'read the Event from Salesforce: a CDC gap event came after the record kept',
    );
  });
});
