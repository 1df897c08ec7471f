// The sync engine in-process against the sandbox org and the Graph sandbox: Events become items in
// their owners' mailboxes and follow their changes; what cannot be synced is skipped or
// dead-lettered with a reason the trace shows, without holding up the rest of the batch; a lost
// response or a lost database makes no duplicate; a tenant without a provider waits without
// spending attempts.
import { repositories } from '../../src/store/repositories.ts';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { GraphProvider } from '../../src/providers/graph/graph-provider.ts';
import type { GraphSandbox } from '../../sandbox/graph/index.ts';
import type { SyncWorker } from '../../src/engine/sync-worker.ts';
import { createSyncWorker, doctorDeps } from '../../src/main.ts';
import { salesforceIdProperty } from '../../src/providers/graph/to-graph-event.ts';
import { recordChanges } from '../../src/store/changes/record-changes.ts';
import { tracesOf } from '../../src/store/traces-repository.ts';
import { updateTenantSettings } from '../../src/tenants/update-tenant-settings.ts';
import { runDoctor } from '../../src/reports/doctor.ts';
import { describeLinkedItem, eventStories } from '../../src/reports/event-story.ts';
import { listMailboxes } from '../../src/store/mailboxes-repository.ts';
import { findTenantBySlug } from '../../src/store/tenants-repository.ts';
import { mapOwnerToMailbox } from '../../src/tenants/map-mailbox.ts';
import { setMailboxProvider } from '../../src/tenants/set-mailbox-provider.ts';
import { describeMailboxState, toMailboxView } from '../../src/tenants/mailbox-view.ts';
import type { SandboxedService } from '../support/sandboxed-service.ts';
import { startSyncedService, type SyncedService } from '../support/synced-service.ts';
import { describeEachBackend } from '../support/test-databases.ts';

describeEachBackend('sync engine', (database) => {
  let env: SandboxedService;
  let graph: GraphSandbox;
  let worker: SyncWorker;
  let tenantId: string;
  let synced: SyncedService;
  beforeAll(async () => {
    synced = await startSyncedService({ databaseUrl: database.url });
    ({ env, graph, tenantId } = synced);
    worker = createSyncWorker(env.service.runtime);
  });
  afterAll(() => synced.close());

  const db = () => env.service.runtime.store.db;
  const enqueue = async (...eventIds: string[]) => {
    for (const eventId of eventIds)
      await env.service.runtime.queue.enqueue({ tenantId, eventId }, { delayMs: 0 });
  };
  const items = (mailbox: string) =>
    graph.events(mailbox).map((event) => ({
      subject: event['subject'],
      salesforceId: (event['singleValueExtendedProperties'] as { id: string; value: string }[]).find(
        (p) => p.id === salesforceIdProperty,
      )?.value,
    }));
  const story = async (eventId: string) =>
    (await tracesOf(db(), eventId, tenantId)).map((t) => `${t.step}: ${t.message}`).join('\n');

  it('creates, updates and deletes items; an update that changes nothing makes no call', async () => {
    const { sandbox, ownerId } = env;
    const ids = ['Pipeline review', 'Demo', 'Contract'].map(
      (subject, i) =>
        sandbox.createEvent(ownerId, {
          Subject: subject,
          StartDateTime: `2026-12-0${i + 1}T09:00:00Z`,
          DurationInMinutes: 45,
        }).Id,
    );
    await enqueue(...ids);
    const first = await worker.runOnce();
    expect(first).toMatchObject({ claimed: 3, outcomes: { done: 3 } });
    // One composite read and one User query for the whole batch.
    expect(first.salesforceCalls).toBe(2);
    expect(items('rep@acme.example').map((i) => i.subject)).toEqual(
      expect.arrayContaining(['Pipeline review', 'Demo', 'Contract']),
    );

    env.advance(1000);
    sandbox.updateEvent(ids[1]!, { Subject: 'Demo (moved to room 2)' });
    await enqueue(...ids);
    const second = await worker.runOnce();
    expect(second).toMatchObject({ claimed: 3, providerCalls: 1, salesforceCalls: 1 });
    expect(await story(ids[0]!)).toMatch(/plan: none: the calendar item is already up to date/);

    sandbox.deleteEvent(ids[2]!);
    await enqueue(ids[2]!);
    await worker.runOnce();
    expect(
      items('rep@acme.example').sort((a, b) => String(a.salesforceId).localeCompare(String(b.salesforceId))),
    ).toEqual([
      { subject: 'Pipeline review', salesforceId: ids[0] },
      { subject: 'Demo (moved to room 2)', salesforceId: ids[1] },
    ]);
    expect(await story(ids[2]!)).toMatch(/plan: delete: deleted in Salesforce/);
  });

  it("takes a webhook's DELETE as a reason to look, not as the deletion: the item stays while Salesforce has the Event", async () => {
    const { sandbox, ownerId } = env;
    const id = sandbox.createEvent(ownerId, {
      Subject: 'Not really deleted',
      StartDateTime: '2026-12-04T09:00:00Z',
      DurationInMinutes: 30,
    }).Id;
    await enqueue(id);
    await worker.runOnce();
    const webhookDelete = async (serial: number) =>
      recordChanges(db(), {
        tenantId,
        settleWindowMs: 0,
        now: env.clock.now(),
        changes: [
          {
            eventId: id,
            changeType: 'delete',
            source: 'webhook',
            dedupeKey: `webhook:forged-${serial}:${id}:delete`,
            committedAt: null,
          },
        ],
      });
    await webhookDelete(1);
    expect(await worker.runOnce()).toMatchObject({ claimed: 1, outcomes: { done: 1 }, salesforceCalls: 1 });
    expect(items('rep@acme.example').map((i) => i.salesforceId)).toContain(id);
    // Once Salesforce agrees, the same word deletes it.
    sandbox.deleteEvent(id);
    await webhookDelete(2);
    await worker.runOnce();
    expect(items('rep@acme.example').map((i) => i.salesforceId)).not.toContain(id);
  });

  it('skips or dead-letters what cannot be synced, with the reason in the trace, and syncs the rest', async () => {
    const { sandbox, ownerId } = env;
    const inactive = sandbox.addUser({
      username: 'gone@acme.example',
      email: 'gone@acme.example',
      isActive: false,
    }).Id;
    const oddZone = sandbox.addUser({
      username: 'mars@acme.example',
      email: 'mars@acme.example',
      timeZoneSidKey: 'Mars/Olympus_Mons',
    }).Id;
    const noMailbox = sandbox.addUser({ username: 'nobox@acme.example', email: 'nobox@acme.example' }).Id;
    // Troll moves from UTC to UTC+2 at the end of March, as no Windows zone does: Graph has no name for it.
    graph.addMailbox('troll@acme.example');
    const troll = sandbox.addUser({
      username: 'troll@acme.example',
      email: 'troll@acme.example',
      timeZoneSidKey: 'Antarctica/Troll',
    }).Id;
    const backwards = sandbox.createEvent(
      ownerId,
      { Subject: 'Backwards', StartDateTime: '2026-12-05T10:00:00Z', EndDateTime: '2026-12-05T09:00:00Z' },
      { unchecked: true },
    ).Id;
    const at = { StartDateTime: '2026-12-06T10:00:00Z', DurationInMinutes: 30 };
    const ofInactive = sandbox.createEvent(inactive, {
      Subject: 'Inactive owner',
      OwnerId: inactive,
      ...at,
    }).Id;
    const ofOddZone = sandbox.createEvent(oddZone, { Subject: 'Odd zone', OwnerId: oddZone, ...at }).Id;
    const ofNoMailbox = sandbox.createEvent(noMailbox, {
      Subject: 'No mailbox',
      OwnerId: noMailbox,
      ...at,
    }).Id;
    const ofTroll = sandbox.createEvent(troll, {
      Subject: 'Station day',
      OwnerId: troll,
      IsAllDayEvent: true,
      ActivityDate: '2027-03-28',
      DurationInMinutes: 1440,
    }).Id;
    const fine = sandbox.createEvent(ownerId, { Subject: 'Fine', ...at }).Id;
    await enqueue(backwards, ofInactive, ofOddZone, ofNoMailbox, ofTroll, fine);

    const report = await worker.runOnce();
    expect(report).toMatchObject({ claimed: 6, outcomes: { done: 5, park: 1 } });
    expect(await story(ofTroll)).toMatch(
      /skip: none: the time zone Antarctica\/Troll keeps a time no Windows time zone keeps over this Event's dates/,
    );
    expect(graph.events('troll@acme.example')).toEqual([]);
    expect(items('rep@acme.example').map((i) => i.subject)).toContain('Fine');
    expect(await story(backwards)).toMatch(/skip: none: .*end.*before.*start/i);
    expect(await story(ofInactive)).toMatch(
      /skip: none: the owner .* has no mailbox to sync to \(the user is inactive\)/,
    );
    expect(await story(ofOddZone)).toMatch(
      /skip: none: the owner's time zone "Mars\/Olympus_Mons" is unknown/,
    );
    expect(await story(ofNoMailbox)).toMatch(
      /wait: waiting for the mailbox nobox@acme.example: .*ErrorInvalidUser.*does not exist in Microsoft 365/,
    );
    const parked = await db()
      .selectFrom('jobs')
      .select(['state', 'attempts', 'last_error', 'waiting_for_mailbox_id'])
      .where('event_id', '=', ofNoMailbox)
      .executeTakeFirstOrThrow();
    expect(parked).toMatchObject({
      state: 'waiting',
      attempts: 0,
      last_error: expect.stringContaining('mailboxes map') as unknown,
      waiting_for_mailbox_id: expect.any(String) as unknown,
    });
  });

  it('keeps the Events of a mailbox that does not exist waiting without calls, shows it, and syncs them once it exists or the owner is mapped', async () => {
    const { sandbox } = env;
    const { runtime } = env.service;
    const ghost = sandbox.addUser({ username: 'ghost@acme.example', email: 'ghost@acme.example' }).Id;
    const at = { StartDateTime: '2026-12-16T10:00:00Z', DurationInMinutes: 30 };
    const first = sandbox.createEvent(ghost, { Subject: 'Haunted 1', OwnerId: ghost, ...at }).Id;
    await enqueue(first);
    expect(await worker.runOnce()).toMatchObject({ outcomes: { park: 1 } });
    // The create was refused outright: no item can be there, and the story does not suggest one.
    const [firstStory] = await eventStories(repositories(db()), first);
    expect(describeLinkedItem(firstStory?.link ?? null)).toBe('none in ghost@acme.example');

    // The next Event of that owner waits at once: Graph is not asked again.
    const second = sandbox.createEvent(ghost, { Subject: 'Haunted 2', OwnerId: ghost, ...at }).Id;
    await enqueue(second);
    const calls = graph.stats().requests;
    expect(await worker.runOnce()).toMatchObject({ outcomes: { park: 1 } });
    expect(graph.stats().requests).toBe(calls);

    const view = (await listMailboxes(db(), tenantId))
      .map(toMailboxView)
      .find((m) => m.mailbox === 'ghost@acme.example');
    expect(view).toMatchObject({ state: 'not_found', waitingEvents: 2 });
    expect(view?.problem).toMatch(/ErrorInvalidUser/);
    expect(describeMailboxState(view!)).toBe('not found (2 Events waiting)');
    expect((await runtime.queue.counts(tenantId)).paused).toBeGreaterThanOrEqual(2);
    const doctor = await runDoctor(doctorDeps(runtime), 'acme');
    expect(doctor.find((c) => c.name === 'Mailboxes')).toMatchObject({
      result: 'fail',
      detail: expect.stringContaining('ghost@acme.example') as unknown,
    });

    // Not there yet: still waiting. Created: both sync at once, with their whole latency.
    expect(await worker.checkMissingMailboxes()).toBe(0);
    graph.addMailbox('ghost@acme.example');
    env.advance(60_000);
    expect(await worker.checkMissingMailboxes()).toBe(2);
    expect(await worker.runOnce()).toMatchObject({ claimed: 2, outcomes: { done: 2 } });
    expect(
      items('ghost@acme.example')
        .map((i) => i.subject)
        .sort(),
    ).toEqual(['Haunted 1', 'Haunted 2']);
    expect(await story(first)).toMatch(/apply: create done/);
    const applied = (await tracesOf(db(), first, tenantId)).find((t) => t.step === 'apply');
    expect(JSON.parse(applied?.data_json ?? '{}')).toMatchObject({
      latencyMs: expect.any(Number) as unknown,
    });
    expect(
      (JSON.parse(applied?.data_json ?? '{}') as { latencyMs: number }).latencyMs,
    ).toBeGreaterThanOrEqual(60_000);
    expect(
      (await listMailboxes(db(), tenantId))
        .map(toMailboxView)
        .find((m) => m.mailbox === 'ghost@acme.example'),
    ).toMatchObject({ state: 'active', waitingEvents: 0, notFoundSince: null });

    // An owner whose mailbox will never exist is mapped to another: its Events go there at once.
    const phantom = sandbox.addUser({ username: 'phantom@acme.example', email: 'phantom@acme.example' }).Id;
    const third = sandbox.createEvent(phantom, { Subject: 'Rerouted', OwnerId: phantom, ...at }).Id;
    await enqueue(third);
    expect(await worker.runOnce()).toMatchObject({ outcomes: { park: 1 } });
    const mapped = await mapOwnerToMailbox(
      { repos: repositories(db()), clock: env.clock },
      (await findTenantBySlug(db(), 'acme'))!,
      phantom,
      'rep@acme.example',
    );
    expect(mapped.released).toBe(1);
    expect(await worker.runOnce()).toMatchObject({ claimed: 1, outcomes: { done: 1 } });
    expect(items('rep@acme.example').map((i) => i.subject)).toContain('Rerouted');
  });

  it('makes no duplicate when Graph loses the response to a create, nor when the database forgets its links', async () => {
    const { sandbox, ownerId } = env;
    graph.addMailbox('solo@acme.example');
    const solo = sandbox.addUser({ username: 'solo@acme.example', email: 'solo@acme.example' }).Id;
    const id = sandbox.createEvent(solo, {
      Subject: 'Once',
      OwnerId: solo,
      StartDateTime: '2026-12-07T10:00:00Z',
      DurationInMinutes: 30,
    }).Id;
    await enqueue(id);
    graph.failNext('503', { afterCommit: true });
    expect(await worker.runOnce()).toMatchObject({ outcomes: { retry: 1 } });
    env.advance(120_000);
    expect(await worker.runOnce()).toMatchObject({ outcomes: { done: 1 } });
    expect(items('solo@acme.example')).toEqual([{ subject: 'Once', salesforceId: id }]);

    // The links are lost (a restored backup, a new database): the items are found, not made again.
    await db().deleteFrom('links').execute();
    await db()
      .updateTable('meta')
      .set({ value: String(env.clock.now()) })
      .where('key', '=', 'installed_at')
      .execute();
    const fresh = createSyncWorker(env.service.runtime);
    env.advance(1000);
    await enqueue(id, sandbox.listEvents().find((e) => e['Subject'] === 'Fine')?.Id as string);
    expect(await fresh.runOnce()).toMatchObject({ outcomes: { done: 2 } });
    expect(items('solo@acme.example')).toEqual([{ subject: 'Once', salesforceId: id }]);
    expect(items('rep@acme.example').filter((i) => i.subject === 'Fine')).toHaveLength(1);
    void ownerId;
  });

  it('waits out a throttled mailbox (429 with Retry-After) without spending the attempts of the Event', async () => {
    const { sandbox, ownerId } = env;
    const id = String(
      sandbox.createEvent(ownerId, {
        Subject: 'Throttled',
        StartDateTime: '2026-12-10T10:00:00Z',
        DurationInMinutes: 30,
      }).Id,
    );
    await enqueue(id);
    const attempts = async () =>
      (await db().selectFrom('jobs').select('attempts').where('event_id', '=', id).executeTakeFirstOrThrow())
        .attempts;
    for (let i = 0; i < 3; i++) {
      graph.failNext('429', { afterCommit: false });
      expect(await worker.runOnce()).toMatchObject({ outcomes: { postpone: 1 } });
      expect(await attempts()).toBe(0);
      env.advance(1000);
    }
    expect(await worker.runOnce()).toMatchObject({ outcomes: { done: 1 } });
    expect(items('rep@acme.example').filter((i) => i.salesforceId === id)).toHaveLength(1);
  });

  it('removes the item of a create whose answer was lost when the Event is deleted before the retry', async () => {
    const { sandbox, ownerId } = env;
    const id = String(
      sandbox.createEvent(ownerId, {
        Subject: 'Short-lived',
        StartDateTime: '2026-12-09T10:00:00Z',
        DurationInMinutes: 30,
      }).Id,
    );
    await enqueue(id);
    graph.failNext('503', { afterCommit: true });
    expect(await worker.runOnce()).toMatchObject({ outcomes: { retry: 1 } });
    expect(items('rep@acme.example').map((i) => i.salesforceId)).toContain(id);

    sandbox.deleteEvent(id);
    await enqueue(id);
    env.advance(120_000);
    expect(await worker.runOnce()).toMatchObject({ outcomes: { done: 1 } });
    expect(items('rep@acme.example').map((i) => i.salesforceId)).not.toContain(id);
    expect(await story(id)).toMatch(/plan: delete: .*an earlier create may have reached the calendar/);
  });

  it('pauses the jobs of a tenant whose grant was revoked, and runs them the moment it is connected again', async () => {
    const { sandbox, ownerId } = env;
    const id = sandbox.createEvent(ownerId, {
      Subject: 'Across a reconnect',
      StartDateTime: '2026-12-18T10:00:00Z',
      DurationInMinutes: 30,
    }).Id;
    expect(sandbox.revokeAppGrants('instant-sync')).toBeGreaterThan(0);
    await enqueue(id);
    expect(await worker.runOnce()).toMatchObject({ outcomes: { postpone: 1 } });
    const paused = await db()
      .selectFrom('jobs')
      .selectAll()
      .where('event_id', '=', id)
      .executeTakeFirstOrThrow();
    expect(paused).toMatchObject({ state: 'waiting', attempts: 0 });
    expect(paused.run_at).toBeLessThanOrEqual(env.clock.now());
    expect(await worker.runOnce()).toMatchObject({ claimed: 0 });
    await env.reconnect('acme');
    expect(await worker.runOnce()).toMatchObject({ claimed: 1, outcomes: { done: 1 } });
    expect(items('rep@acme.example').map((i) => i.subject)).toContain('Across a reconnect');
  });

  it('postpones the jobs of a tenant without a mailbox provider without spending attempts', async () => {
    const other = await env.connectedTenant('globex');
    await updateTenantSettings(
      { repos: repositories(db()), secretBox: env.service.runtime.secretBox, clock: env.clock },
      'globex',
      { settleWindowMs: 0 },
    );
    await env.service.runtime.queue.enqueue(
      { tenantId: other.id, eventId: '00U000000000001AAA' },
      { delayMs: 0 },
    );
    expect(await worker.runOnce()).toMatchObject({ claimed: 1, outcomes: { postpone: 1 } });
    const job = await db()
      .selectFrom('jobs')
      .selectAll()
      .where('tenant_id', '=', other.id)
      .executeTakeFirstOrThrow();
    expect(job).toMatchObject({
      state: 'waiting',
      attempts: 0,
      last_error: expect.stringContaining('instant-sync provider set') as unknown,
    });
  });

  it('syncs a Lightning series as one calendar series: a new one in one sync, an occurrence edit handed to its series', async () => {
    const { sandbox, ownerId } = env;
    // The owner's mailbox known first, as it is once any of their Events synced.
    await enqueue(
      sandbox.createEvent(ownerId, {
        Subject: 'Before',
        StartDateTime: '2027-01-29T09:00:00Z',
        DurationInMinutes: 15,
      }).Id,
    );
    await worker.runOnce();
    const first = sandbox.createEvent(ownerId, {
      Subject: 'Standup',
      StartDateTime: '2027-02-01T09:00:00Z',
      DurationInMinutes: 15,
      IsRecurrence2: true,
      Recurrence2PatternText: 'RRULE:FREQ=DAILY;COUNT=5',
    });
    const family = sandbox.getSeries(String(first.Id));
    if (family === undefined) throw new Error('no series');
    const seriesId = String(family.series.Id);
    const occurrenceIds = family.occurrences.map((o) => String(o.Id));
    expect(occurrenceIds).toHaveLength(5);
    await enqueue(seriesId, ...occurrenceIds);
    const created = await worker.runOnce();
    // The composite read and the series' occurrence records; the series item and its occurrences
    // listed once. The occurrences hand nothing on: their series was in the batch.
    expect(created).toMatchObject({
      claimed: 6,
      outcomes: { done: 6 },
      providerCalls: 2,
      salesforceCalls: 2,
    });
    const stamped = items('rep@acme.example').filter(
      (i) => i.salesforceId === seriesId || occurrenceIds.includes(String(i.salesforceId)),
    );
    expect(stamped).toEqual([{ subject: 'Standup', salesforceId: seriesId }]);
    expect(await worker.runOnce()).toMatchObject({ claimed: 0 });
    expect(await story(occurrenceIds[0]!)).toMatch(
      /an occurrence of the series .*: the calendar series stands for it/,
    );

    env.advance(1000);
    sandbox.updateEvent(occurrenceIds[2]!, { Subject: 'Standup with the board' });
    await enqueue(occurrenceIds[2]!);
    // The occurrence's job only hands the work to its series' job, due at once.
    expect(await worker.runOnce()).toMatchObject({ claimed: 1, outcomes: { done: 1 }, providerCalls: 0 });
    const series = await worker.runOnce();
    expect(series).toMatchObject({ claimed: 1, outcomes: { done: 1 }, providerCalls: 2 });
    expect(await story(seriesId)).toMatch(/1 occurrence\(s\) changed on their own in the calendar series/);
    const instances = graph
      .events('rep@acme.example')
      .filter((e) => e['type'] === 'seriesMaster' && e['subject'] === 'Standup');
    expect(instances).toHaveLength(1);

    // Renamed: the series is updated without its times and pattern (they did not change: a
    // calendar that rebuilds a series' exceptions when its pattern is written keeps them). Moved
    // an hour: written in full.
    const updates = vi.spyOn(GraphProvider.prototype, 'update');
    try {
      env.advance(1000);
      sandbox.updateEvent(seriesId, { Subject: 'Daily standup' });
      await enqueue(seriesId);
      expect(await worker.runOnce()).toMatchObject({ outcomes: { done: 1 } });
      expect(updates.mock.calls.map((call) => [call[2].subject, call[3]?.keepSeriesTiming])).toEqual([
        ['Daily standup', true],
      ]);
      expect(graph.events('rep@acme.example').map((e) => e['subject'])).toContain('Daily standup');
      updates.mockClear();
      env.advance(1000);
      sandbox.updateEvent(seriesId, {
        StartDateTime: '2027-02-01T10:00:00Z',
        EndDateTime: '2027-02-01T10:15:00Z',
      });
      await enqueue(seriesId);
      expect(await worker.runOnce()).toMatchObject({ outcomes: { done: 1 } });
      expect(updates.mock.calls[0]?.[3]?.keepSeriesTiming).toBe(false);
    } finally {
      updates.mockRestore();
    }
  });

  it("never sends another provider's item id to this one: such items are looked for by their Salesforce id, and set aside when the provider is set", async () => {
    const { sandbox, ownerId } = env;
    const at = { StartDateTime: '2027-01-20T09:00:00Z', DurationInMinutes: 30 };
    const known = sandbox.createEvent(ownerId, { Subject: 'Known', ...at }).Id;
    await enqueue(known);
    await worker.runOnce();
    const { mailbox_id } = await db()
      .selectFrom('links')
      .select('mailbox_id')
      .where('event_id', '=', known)
      .executeTakeFirstOrThrow();
    // Links to items of another provider (as a tenant that used Exchange before would have).
    const [synced, untouched] = ['Moved over', 'Not synced yet'].map(
      (subject) => sandbox.createEvent(ownerId, { Subject: subject, ...at }).Id,
    );
    for (const eventId of [synced!, untouched!])
      await db()
        .insertInto('links')
        .values({
          tenant_id: tenantId,
          event_id: eventId,
          mailbox_id,
          provider_kind: 'ews',
          item_id: `AAMkAD-ews-${eventId}`,
          change_key: 'CQAAABYAAAD',
          content_hash: 'h',
          salesforce_version: null,
          state: 'active',
          created_at: env.clock.now(),
          updated_at: env.clock.now(),
        })
        .execute();
    await enqueue(synced!);
    // Looked for here by its Salesforce id first (a mailbox moved with its items keeps them), then made.
    expect(await worker.runOnce()).toMatchObject({ outcomes: { done: 1 }, providerCalls: 2 });
    expect(items('rep@acme.example').filter((i) => i.salesforceId === synced)).toEqual([
      { subject: 'Moved over', salesforceId: synced },
    ]);
    expect(await story(synced!)).toMatch(
      /made through another provider \(ews\); the mailbox goes through default \(graph\) now: the item is looked for there by its Salesforce id/,
    );

    const set = await setMailboxProvider(
      { repos: repositories(db()), secretBox: env.service.runtime.secretBox, clock: env.clock },
      'acme',
      'graph',
      { directoryTenantId: 'contoso', clientId: 'sync-app', graphUrl: graph.url, loginUrl: graph.url },
    );
    expect(set).toMatchObject({ label: 'Microsoft 365 (Graph)', setAside: 1 });
    expect(
      await db()
        .selectFrom('set_aside_links')
        .select(['event_id', 'item_id'])
        .where('tenant_id', '=', tenantId)
        .execute(),
    ).toEqual([{ event_id: untouched, item_id: `AAMkAD-ews-${untouched}` }]);
    expect(
      await db().selectFrom('links').select('provider_kind').where('event_id', '=', untouched!).execute(),
    ).toEqual([]);
  });
});
