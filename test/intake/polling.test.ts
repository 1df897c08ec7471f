// Polling reconciliation alone (no CDC, no webhook) finds every create, update and delete, skips
// invitees' child copies and versions other sources already reported, and on several nodes runs
// each tenant's poll on one node only.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PollingScheduler } from '../../src/intake/polling/polling-scheduler.ts';
import { pollTenant } from '../../src/intake/polling/poller.ts';
import { recordChanges } from '../../src/store/changes/record-changes.ts';
import { findTenantBySlug } from '../../src/store/tenants-repository.ts';
import type { ChangeSource, ChangeType, TenantRow } from '../../src/store/schema.ts';
import { startSandboxedService, type SandboxedService } from '../support/sandboxed-service.ts';
import { describeEachBackend } from '../support/test-databases.ts';

describeEachBackend('polling reconciliation', (database) => {
  let env: SandboxedService;
  let tenant: TenantRow;
  const deps = () => ({
    repos: env.service.runtime.store.repos,
    clock: env.clock,
    logger: env.service.runtime.logger,
    restClient: env.service.runtime.salesforce.restClient,
  });
  const changesOf = () =>
    env.service.runtime.store.db
      .selectFrom('changes')
      .select(['event_id', 'change_type', 'source'])
      .where('tenant_id', '=', tenant.id)
      .orderBy('id')
      .execute();

  /** Another source reported a change of the Event, committed at `committedAt`. */
  const reported = (eventId: string, changeType: ChangeType, source: ChangeSource, committedAt: number) =>
    recordChanges(env.service.runtime.store.db, {
      tenantId: tenant.id,
      settleWindowMs: 0,
      now: env.clock.now(),
      changes: [{ eventId, changeType, source, dedupeKey: `${source}:test:${eventId}`, committedAt }],
    });

  beforeAll(async () => {
    env = await startSandboxedService({ databaseUrl: database.url });
    await env.connectedTenant('acme');
    tenant = (await findTenantBySlug(env.service.runtime.store.db, 'acme'))!;
  });
  afterAll(() => env.close());

  it('finds every create, update and delete, and nothing twice', async () => {
    const { sandbox, ownerId } = env;
    const before = sandbox.createEvent(ownerId, {
      Subject: 'Before activation',
      StartDateTime: '2026-12-01T09:00:00Z',
      DurationInMinutes: 30,
    });
    env.advance(5 * 60_000); // older than the poll's overlap: before activation is backfill's business
    expect(await pollTenant(deps(), tenant, env.clock.now())).toMatchObject({ started: true, recorded: 0 });

    env.advance(1000);
    const invitee = sandbox.addUser({ username: 'boss@acme.example', email: 'boss@acme.example' }).Id;
    const created = sandbox.createEvent(ownerId, {
      Subject: 'Created',
      StartDateTime: '2026-12-02T09:00:00Z',
      DurationInMinutes: 30,
      invitees: [invitee],
    });
    const updated = sandbox.createEvent(ownerId, {
      Subject: 'Updated',
      StartDateTime: '2026-12-03T09:00:00Z',
      DurationInMinutes: 30,
    });
    const deleted = sandbox.createEvent(ownerId, {
      Subject: 'Deleted',
      StartDateTime: '2026-12-04T09:00:00Z',
      DurationInMinutes: 30,
    });
    env.advance(1000);
    sandbox.updateEvent(updated.Id, { Subject: 'Updated again' });
    sandbox.deleteEvent(deleted.Id);
    env.advance(61_000);

    const result = await pollTenant(deps(), tenant);
    expect(result.recorded).toBe(3);
    expect(await changesOf()).toEqual([
      { event_id: created.Id, change_type: 'create', source: 'poll' },
      { event_id: updated.Id, change_type: 'update', source: 'poll' },
      { event_id: deleted.Id, change_type: 'delete', source: 'poll' },
    ]);
    const jobs = await env.service.runtime.store.db
      .selectFrom('jobs')
      .select('event_id')
      .where('tenant_id', '=', tenant.id)
      .execute();
    expect(jobs.map((j) => j.event_id).sort()).toEqual([created.Id, deleted.Id, updated.Id].sort());
    expect(jobs.map((j) => j.event_id)).not.toContain(before.Id);

    env.advance(60_000);
    expect(await pollTenant(deps(), tenant)).toMatchObject({ recorded: 0 });
    expect(await changesOf()).toHaveLength(3);
  });

  it('skips a version another source already reported', async () => {
    const event = env.sandbox.createEvent(env.ownerId, {
      Subject: 'Reported by CDC',
      StartDateTime: '2026-12-05T09:00:00Z',
      DurationInMinutes: 30,
    });
    await reported(event.Id, 'create', 'cdc', Number(event['SystemModstamp']));
    env.advance(60_000);
    expect(await pollTenant(deps(), tenant)).toMatchObject({ recorded: 0 });
  });

  it("never lets a webhook's systemModstamp hide a later real edit from polling", async () => {
    const event = env.sandbox.createEvent(env.ownerId, {
      Subject: 'Stamped by a caller',
      StartDateTime: '2026-12-06T09:00:00Z',
      DurationInMinutes: 30,
    });
    // A signed delivery may name a version ahead of Salesforce's (a caller's clock running fast):
    // within the webhook's five minutes of tolerance, it is recorded.
    await reported(event.Id, 'update', 'webhook', env.clock.now() + 4 * 60_000);
    env.advance(1000);
    env.sandbox.updateEvent(event.Id, { Subject: 'Edited for real' });
    env.advance(60_000);
    const result = await pollTenant(deps(), tenant);
    expect(result.recorded).toBeGreaterThanOrEqual(1);
    expect((await changesOf()).filter((c) => c.event_id === event.Id && c.source === 'poll')).toHaveLength(1);
    expect(result.watermark).toBeLessThanOrEqual(env.clock.now());
  });

  it('polls each tenant on one node only, and not at all while it cannot sync', async () => {
    await env.connectedTenant('globex');
    const scheduler = (nodeId: string) =>
      new PollingScheduler({
        ...deps(),
        nodeId,
        intervalMs: 60_000,
        fallbackIntervalMs: 15_000,
        apiBudgetPercent: 80,
      });
    const [a, b] = [scheduler('node-a'), scheduler('node-b')];
    env.advance(120_000);
    const calls = env.sandbox.stats().apiCalls;
    await Promise.all([a.runDue(), b.runDue()]);
    // acme is polled (a query and the deleted list) by one node; globex's first run only sets its watermark.
    expect(env.sandbox.stats().apiCalls - calls).toBe(2);
    const leases = await env.service.runtime.store.db
      .selectFrom('leases')
      .selectAll()
      .where('name', 'like', 'poll:%')
      .execute();
    expect(leases).toHaveLength(2);
    await Promise.all([a.runDue(), b.runDue()]);
    expect(env.sandbox.stats().apiCalls - calls).toBe(2);

    await env.service.runtime.salesforce.connections.disconnect('globex');
    env.advance(120_000);
    const after = env.sandbox.stats().apiCalls;
    // Whichever node holds acme's lease polls it; globex, disconnected, is polled by neither.
    await a.runDue();
    await b.runDue();
    expect(env.sandbox.stats().apiCalls - after).toBe(2);
    await a.stop();
    await b.stop();
  });

  it('polls a tenant at its own interval when it has one', async () => {
    const db = env.service.runtime.store.db;
    await db.updateTable('tenants').set({ poll_interval_ms: 600_000 }).where('id', '=', tenant.id).execute();
    const node = new PollingScheduler({
      ...deps(),
      nodeId: 'node-c',
      intervalMs: 60_000,
      fallbackIntervalMs: 15_000,
      apiBudgetPercent: 80,
    });
    // The last poll was a few minutes ago: due by the server's minute, not by the tenant's ten.
    const calls = env.sandbox.stats().apiCalls;
    env.advance(120_000);
    await node.runDue();
    expect(env.sandbox.stats().apiCalls - calls).toBe(0);
    env.advance(600_000);
    await node.runDue();
    expect(env.sandbox.stats().apiCalls - calls).toBe(2);
    await node.stop();
    await db.updateTable('tenants').set({ poll_interval_ms: null }).where('id', '=', tenant.id).execute();
  });
});
