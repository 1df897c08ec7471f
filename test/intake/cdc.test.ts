// Change data capture alone (no polling, no webhook): every create, update and delete of 1,000
// writes becomes a change row and one job per Event, across a restart of the subscriber in the
// middle; a replay id aged past the 72-hour retention is recovered by reconciliation.
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { cdcNode } from '../support/cdc-node.ts';
import { parseSalesforceEvent, eventFieldNames } from '../../src/domain/salesforce-event.ts';
import { type CdcScheduler } from '../../src/intake/cdc/cdc-scheduler.ts';
import { knownFromChanges } from '../../src/store/changes/known-from-changes.ts';
import type { TenantRow } from '../../src/store/schema.ts';
import { findTenantBySlug } from '../../src/store/tenants-repository.ts';
import { startSandboxedService, type SandboxedService } from '../support/sandboxed-service.ts';
import { describeEachBackend } from '../support/test-databases.ts';
import { waitFor } from '../support/wait-for.ts';

describeEachBackend('CDC intake', (database) => {
  let env: SandboxedService;
  let tenant: TenantRow;

  beforeAll(async () => {
    env = await startSandboxedService({ databaseUrl: database.url, pubSub: true });
    await env.connectedTenant('acme');
    tenant = (await findTenantBySlug(env.service.runtime.store.db, 'acme'))!;
  });
  afterAll(() => env.close());

  function scheduler(nodeId: string, options: { tickMs?: number } = {}) {
    const node = cdcNode(env, {
      nodeId,
      connections: env.service.runtime.salesforce.connections,
      onReconciled: (reason) => reconciled.push(reason),
      ...options,
    });
    nodes.push(node);
    return node;
  }
  const count = async (table: 'changes' | 'jobs') =>
    Number(
      (
        await env.service.runtime.store.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .where('tenant_id', '=', tenant.id)
          .executeTakeFirstOrThrow()
      ).n,
    );
  const subscribed = () =>
    waitFor(() => env.sandbox.stats().cdcSubscribers === 1, { what: 'a live subscription' });
  /** Stops a node and waits until the sandbox has seen its subscription go, so the next test starts clean. */
  const stopNode = async (node: CdcScheduler) => {
    await node.stop();
    await waitFor(() => env.sandbox.stats().cdcSubscribers === 0, { what: 'the subscription to end' });
  };
  afterEach(async () => {
    for (const node of nodes.splice(0)) await stopNode(node);
  });
  const nodes: CdcScheduler[] = [];
  /** Why each finished reconciliation of the tests' nodes ran, in order. */
  const reconciled: string[] = [];

  it('records the creates, updates and deletes of 1,000 Events once each, one job per Event, across a restart in the middle', async () => {
    const { sandbox, ownerId } = env;
    const first = scheduler('node-a');
    await first.tick();
    await subscribed();
    const write = (i: number) =>
      sandbox.createEvent(ownerId, {
        Subject: `Meeting ${i}`,
        StartDateTime: '2026-12-01T09:00:00Z',
        DurationInMinutes: 30,
      });
    const created = Array.from({ length: 500 }, (_, i) => write(i));
    await waitFor(async () => (await count('changes')) >= 200, { what: 'changes before the restart' });
    await stopNode(first);

    // While no subscriber runs: more creates, updates and deletes.
    created.push(...Array.from({ length: 500 }, (_, i) => write(500 + i)));
    for (const event of created.slice(0, 300))
      sandbox.updateEvent(event.Id, { Subject: `${String(event['Subject'])} (moved)` });
    for (const event of created.slice(300, 500)) sandbox.deleteEvent(event.Id);

    const second = scheduler('node-a');
    await second.tick();
    await waitFor(async () => (await count('changes')) >= 1500, {
      what: '1,500 change rows',
      timeoutMs: 30_000,
    });
    await stopNode(second);
    expect(await count('changes')).toBe(1500);
    expect(await count('jobs')).toBe(1000);
    const byType = await env.service.runtime.store.db
      .selectFrom('changes')
      .select(['change_type', (eb) => eb.fn.countAll().as('n')])
      .where('tenant_id', '=', tenant.id)
      .groupBy('change_type')
      .orderBy('change_type')
      .execute();
    expect(byType.map((r) => [r.change_type, Number(r.n)])).toEqual([
      ['create', 1000],
      ['delete', 200],
      ['update', 300],
    ]);
  });

  it('keeps the whole Event a CREATE carries, as the REST API would return it, so the engine need not read it', async () => {
    const { sandbox, ownerId } = env;
    const node = scheduler('node-a');
    await node.tick();
    await subscribed();
    const timed = sandbox.createEvent(ownerId, {
      Subject: 'Pipeline review',
      StartDateTime: '2026-12-03T14:30:00Z',
      DurationInMinutes: 45,
      Location: 'Room 4',
      IsPrivate: true,
      ShowAs: 'OutOfOffice',
    });
    const allDay = sandbox.createEvent(ownerId, {
      Subject: 'Offsite',
      IsAllDayEvent: true,
      ActivityDate: '2026-12-07',
      DurationInMinutes: 2 * 1440,
    });
    const ids = [String(timed.Id), String(allDay.Id)];
    const delivered = await waitFor(async () => {
      const found = (await knownFromChanges(env.service.runtime.store.db, tenant.id, ids)).composed;
      return found.size === 2 ? new Map([...found].map(([id, known]) => [id, known.record])) : undefined;
    });
    await stopNode(node);
    const fromRest = await env.service.runtime.salesforce
      .restClient(tenant.id)
      .retrieve('Event', ids, [...eventFieldNames]);
    ids.forEach((id, i) => {
      const viaCdc = parseSalesforceEvent(delivered.get(id) ?? {});
      const viaRest = parseSalesforceEvent(fromRest[i] ?? {});
      expect(viaCdc).toEqual(viaRest);
      expect(viaCdc).not.toHaveProperty('problem');
    });
  });

  it("keeps an UPDATE's changed fields (a cleared one as null), and nothing for an update of a group Event and its copies", async () => {
    const { sandbox, ownerId } = env;
    const node = scheduler('node-a');
    await node.tick();
    await subscribed();
    const solo = sandbox.createEvent(ownerId, {
      Subject: 'Standup',
      StartDateTime: '2026-12-08T09:00:00Z',
      DurationInMinutes: 15,
      Location: 'Room 1',
    });
    const invitee = sandbox.addUser({ username: 'guest@acme.example', email: 'guest@acme.example' }).Id;
    const group = sandbox.createEvent(ownerId, {
      Subject: 'Board',
      StartDateTime: '2026-12-08T11:00:00Z',
      DurationInMinutes: 60,
      invitees: [invitee],
    });
    env.advance(1000);
    const edited = sandbox.updateEvent(solo.Id, {
      Subject: 'Standup (moved)',
      Location: null,
      StartDateTime: '2026-12-08T10:00:00Z',
      DurationInMinutes: 15,
    });
    sandbox.updateEvent(group.Id, { Subject: 'Board (moved)' });
    const updates = await waitFor(async () => {
      const rows = await env.service.runtime.store.db
        .selectFrom('changes')
        .select(['event_id', 'payload_kind', 'payload_json'])
        .where('tenant_id', '=', tenant.id)
        .where('change_type', '=', 'update')
        .where('event_id', 'in', [solo.Id, group.Id])
        .execute();
      return rows.length === 2 ? new Map(rows.map((row) => [row.event_id, row])) : undefined;
    });
    await stopNode(node);
    const modstamp = new Date(Number(edited['SystemModstamp'])).toISOString().replace('Z', '+0000');
    expect(updates.get(solo.Id)?.payload_kind).toBe('fields');
    expect(JSON.parse(updates.get(solo.Id)?.payload_json ?? '{}')).toEqual({
      Subject: 'Standup (moved)',
      Location: null,
      StartDateTime: '2026-12-08T10:00:00.000+0000',
      EndDateTime: '2026-12-08T10:15:00.000+0000',
      ActivityDateTime: '2026-12-08T10:00:00.000+0000',
      // LastModifiedById is listed only when another user saved the Event last (CDC guide).
      LastModifiedDate: modstamp,
      SystemModstamp: modstamp,
    });
    expect(updates.get(group.Id)).toMatchObject({ payload_kind: null, payload_json: null });
  });

  it('reconnects after the stream breaks and misses nothing written meanwhile', async () => {
    const node = scheduler('node-a');
    await node.tick();
    await subscribed();
    env.sandbox.breakStreams();
    expect(env.sandbox.stats().cdcSubscribers).toBe(0);
    const during = env.sandbox.createEvent(env.ownerId, {
      Subject: 'During the outage',
      StartDateTime: '2026-12-05T09:00:00Z',
      DurationInMinutes: 30,
    });
    await subscribed(); // a new stream: the node reconnected
    await waitFor(
      async () => {
        const row = await env.service.runtime.store.db
          .selectFrom('changes')
          .select('source')
          .where('event_id', '=', during.Id)
          .executeTakeFirst();
        return row?.source === 'cdc';
      },
      { what: 'the change written during the outage' },
    );
    await stopNode(node);
  });

  it('records a GAP event as a resync, and reconciles after a GAP_OVERFLOW', async () => {
    const node = scheduler('node-a');
    await node.tick();
    await subscribed();
    const event = env.sandbox.createEvent(env.ownerId, {
      Subject: 'Gapped',
      StartDateTime: '2026-12-04T09:00:00Z',
      DurationInMinutes: 30,
    });
    env.sandbox.emitGap('GAP_UPDATE', [event.Id]);
    env.sandbox.emitGap('GAP_OVERFLOW', []);
    const rows = await waitFor(
      async () => {
        const found = await env.service.runtime.store.db
          .selectFrom('changes')
          .select('change_type')
          .where('event_id', '=', event.Id)
          .orderBy('id')
          .execute();
        return found.length >= 2 ? found : undefined;
      },
      { what: 'the create and the gap' },
    );
    expect(rows.map((r) => r.change_type)).toEqual(['create', 'resync']);
    await waitFor(() => reconciled.includes('CDC GAP_OVERFLOW: too many changes to describe'), {
      what: 'the reconciliation',
    });
    await stopNode(node);
  });

  it('recovers through reconciliation when its replay id has aged past retention, and says so', async () => {
    const before = await count('changes');
    const missed = Array.from({ length: 5 }, (_, i) =>
      env.sandbox.createEvent(env.ownerId, {
        Subject: `While away ${i}`,
        StartDateTime: '2026-12-02T09:00:00Z',
        DurationInMinutes: 30,
      }),
    );
    env.advance(73 * 3_600_000);
    const node = scheduler('node-a');
    await node.tick();
    await waitFor(() => reconciled.includes('CDC replay id out of retention'), {
      what: 'the reconciliation',
    });
    expect(env.service.logs.some((line) => line.includes('outside the 72-hour retention'))).toBe(true);
    await waitFor(async () => (await count('changes')) >= before + 5, { what: 'the missed changes' });
    const recorded = await env.service.runtime.store.db
      .selectFrom('changes')
      .select(['event_id', 'source'])
      .where('tenant_id', '=', tenant.id)
      .where(
        'event_id',
        'in',
        missed.map((e) => e.Id),
      )
      .execute();
    expect(recorded.map((r) => r.source)).toEqual(['poll', 'poll', 'poll', 'poll', 'poll']);
    // And the stream runs again, from the latest event.
    await subscribed();
    const fresh = env.sandbox.createEvent(env.ownerId, {
      Subject: 'Back online',
      StartDateTime: '2026-12-03T09:00:00Z',
      DurationInMinutes: 30,
    });
    await waitFor(
      async () => {
        const row = await env.service.runtime.store.db
          .selectFrom('changes')
          .select('source')
          .where('event_id', '=', fresh.Id)
          .executeTakeFirst();
        return row?.source === 'cdc';
      },
      { what: 'the new change through CDC' },
    );
    await stopNode(node);
  });

  /**
   * A node with an hour between looks (after the first, only a Connect can start the subscription
   * again), subscribed, then the tenant disconnected and its subscription ended.
   */
  const subscribedThenDisconnected = async () => {
    const node = scheduler('node-a', { tickMs: 3_600_000 });
    node.start();
    await subscribed();
    await env.service.runtime.salesforce.connections.disconnect('acme');
    await node.tick();
    await waitFor(() => env.sandbox.stats().cdcSubscribers === 0, { what: 'the subscription to end' });
    return node;
  };

  it('subscribes as soon as a Connect completes, without waiting for its next look', async () => {
    const node = await subscribedThenDisconnected();
    expect(node.running).toEqual([]);
    await env.reconnect('acme');
    await subscribed();
    expect(node.running).toEqual([tenant.id]);
  });

  it('tries CDC again at once on a Connect, even when it had fallen back to polling meanwhile', async () => {
    const node = await subscribedThenDisconnected();
    // While the grant was gone the stream refused, and the tenant fell back to polling for an hour.
    const now = Date.now();
    await env.service.runtime.store.repos.cdcStates.saveCdcState({
      tenant_id: tenant.id,
      state: 'polling',
      reason: 'refused',
      detail: 'the stream refused the session',
      since: now,
      retry_at: now + 3_600_000,
      now,
    });
    await env.reconnect('acme');
    await subscribed();
    expect(node.running).toEqual([tenant.id]);
  });
});
