// What the store holds of one Event across its tables (the tenants that know it, its changes,
// traces, job and link), and the job queries of retries and backfills: the dead-lettered jobs,
// and how many of a backfill's Events still wait or are dead.
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { recordChanges } from '../../src/store/changes/record-changes.ts';
import { eventRecordsOf, tenantIdsKnowingEvent } from '../../src/store/event-records-repository.ts';
import { countBacklog } from '../../src/store/jobs/count-jobs.ts';
import { listDeadJobs } from '../../src/store/jobs/dead-jobs.ts';
import { addTraces } from '../../src/store/traces-repository.ts';
import { seedMailbox, seedTenant } from '../support/seed-tenant.ts';
import { describeEachBackend } from '../support/test-databases.ts';

describeEachBackend('event records', (database) => {
  const db = () => database.store.db;
  const t0 = 1_800_000_000_000;

  const record = (tenantId: string, eventIds: readonly string[], now = t0) =>
    recordChanges(db(), {
      tenantId,
      settleWindowMs: 0,
      now,
      changes: eventIds.map((eventId) => ({
        eventId,
        changeType: 'update' as const,
        source: 'poll' as const,
        dedupeKey: `test:${randomUUID()}`,
        committedAt: now - 100,
      })),
    });

  const addMailbox = (tenantId: string, address: string | null) =>
    seedMailbox(db(), tenantId, { address, at: t0, timeZone: null });

  const addLink = (tenantId: string, eventId: string, mailboxId: string) =>
    db()
      .insertInto('links')
      .values({
        tenant_id: tenantId,
        event_id: eventId,
        mailbox_id: mailboxId,
        provider_kind: 'graph',
        provider_id: null,
        item_id: `item-${eventId}`,
        change_key: null,
        content_hash: 'h',
        salesforce_version: null,
        state: 'active',
        created_at: t0,
        updated_at: t0 + 5,
        pending_create_at: null,
      })
      .execute();

  const markDead = (tenantId: string, eventIds: readonly string[]) =>
    db()
      .updateTable('jobs')
      .set({ state: 'dead', last_error: 'gave up' })
      .where('tenant_id', '=', tenantId)
      .where('event_id', 'in', eventIds)
      .execute();

  it('names each tenant that knows an Event once, by its changes, job or link', async () => {
    const a = await seedTenant(db());
    const b = await seedTenant(db());
    const c = await seedTenant(db());
    const eventId = '00U000000000KNOWN';
    await record(a, [eventId]);
    // b has only a link (its job is done and its changes pruned)
    await addLink(b, eventId, await addMailbox(b, 'b@example.com'));
    await record(c, ['00U000000000OTHER']);
    expect((await tenantIdsKnowingEvent(db(), eventId)).toSorted()).toEqual([a, b].toSorted());
    expect(await tenantIdsKnowingEvent(db(), '00U000000000NOBODY')).toEqual([]);
  });

  it("reads a tenant's changes, traces, job and link of one Event, in the order they were written", async () => {
    const tenantId = await seedTenant(db());
    const other = await seedTenant(db());
    const eventId = '00U000000000STORY';
    await record(tenantId, [eventId], t0);
    await record(tenantId, [eventId], t0 + 10);
    await record(other, [eventId], t0 + 20);
    await addTraces(db(), [
      {
        tenant_id: tenantId,
        event_id: eventId,
        job_id: null,
        at: t0 + 30,
        step: 'plan',
        message: 'first',
        data_json: null,
      },
      {
        tenant_id: tenantId,
        event_id: eventId,
        job_id: null,
        at: t0 + 20,
        step: 'apply',
        message: 'second',
        data_json: '{}',
      },
      {
        tenant_id: other,
        event_id: eventId,
        job_id: null,
        at: t0,
        step: 'plan',
        message: 'other',
        data_json: null,
      },
    ]);
    await addLink(tenantId, eventId, await addMailbox(tenantId, 'owner@example.com'));

    const records = await eventRecordsOf(db(), tenantId, eventId);
    expect(records.changes.map((change) => change.received_at)).toEqual([t0, t0 + 10]);
    expect(records.traces.map((trace) => trace.message)).toEqual(['first', 'second']);
    expect(records.job).toMatchObject({ tenant_id: tenantId, event_id: eventId, state: 'waiting' });
    expect(records.link).toEqual({
      event_id: eventId,
      item_id: `item-${eventId}`,
      state: 'active',
      created_at: t0,
      updated_at: t0 + 5,
      pending_create_at: null,
      address: 'owner@example.com',
    });

    expect(await eventRecordsOf(db(), tenantId, '00U000000000NONE')).toEqual({
      changes: [],
      traces: [],
      job: undefined,
      link: undefined,
    });
  });

  it('lists the dead-lettered jobs, of one tenant or all, oldest job first', async () => {
    await db().deleteFrom('jobs').execute();
    const a = await seedTenant(db());
    const b = await seedTenant(db());
    await record(a, ['A1', 'A2', 'A3']);
    await record(b, ['B1']);
    await record(a, ['A4']);
    await markDead(a, ['A1', 'A4']);
    await markDead(b, ['B1']);
    expect(await listDeadJobs(db())).toEqual([
      { tenantId: a, eventId: 'A1' },
      { tenantId: b, eventId: 'B1' },
      { tenantId: a, eventId: 'A4' },
    ]);
    expect(await listDeadJobs(db(), a)).toEqual([
      { tenantId: a, eventId: 'A1' },
      { tenantId: a, eventId: 'A4' },
    ]);
    expect(await listDeadJobs(db(), randomUUID())).toEqual([]);
  });

  it("counts a backfill's Events still pending and dead, however many it has", async () => {
    const tenantId = await seedTenant(db());
    const other = await seedTenant(db());
    const eventIds = Array.from({ length: 1200 }, (_, i) => `00U${String(i).padStart(12, '0')}AAA`);
    await record(tenantId, eventIds);
    await record(other, eventIds.slice(0, 10));
    await markDead(tenantId, [eventIds[3] ?? '', eventIds[700] ?? '', eventIds[1100] ?? '']);
    // Synced: the job is gone.
    await db()
      .deleteFrom('jobs')
      .where('tenant_id', '=', tenantId)
      .where('event_id', '=', eventIds[5] ?? '')
      .execute();
    await db()
      .updateTable('jobs')
      .set({ state: 'running', lease_owner: 'w1', lease_expires_at: t0 + 60_000 })
      .where('tenant_id', '=', tenantId)
      .where('event_id', '=', eventIds[900] ?? '')
      .execute();
    expect(await countBacklog(db(), tenantId, eventIds)).toEqual({ pending: 1196, dead: 3 });
    expect(await countBacklog(db(), tenantId, [...eventIds.slice(0, 10), '00U000000000GONE'])).toEqual({
      pending: 8,
      dead: 1,
    });
    expect(await countBacklog(db(), tenantId, [])).toEqual({ pending: 0, dead: 0 });
  });

  it("gives the Events of the last days' records, one each: the link's, or else a CDC create's", async () => {
    const tenantId = await seedTenant(db());
    const mailboxId = await addMailbox(tenantId, 'jane@acme.example');
    await addLink(tenantId, 'E1', mailboxId);
    await db()
      .updateTable('links')
      .set({ record_json: '{"Id":"E1","Subject":"From the sync"}' })
      .where('event_id', '=', 'E1')
      .execute();
    // E2 has a link without a record (an older version wrote none) and the record a create carried.
    await addLink(tenantId, 'E2', mailboxId);
    await recordChanges(db(), {
      tenantId,
      settleWindowMs: 0,
      now: t0 + 10,
      changes: [
        {
          eventId: 'E1',
          changeType: 'create',
          source: 'cdc',
          dedupeKey: 'cdc:1',
          committedAt: t0,
          payload: { kind: 'record', values: { Id: 'E1', Subject: 'From the create' } },
        },
        {
          eventId: 'E2',
          changeType: 'create',
          source: 'cdc',
          dedupeKey: 'cdc:2',
          committedAt: t0,
          payload: { kind: 'record', values: { Id: 'E2', Subject: 'Carried' } },
        },
        {
          eventId: 'E3',
          changeType: 'update',
          source: 'cdc',
          dedupeKey: 'cdc:3',
          committedAt: t0,
          payload: { kind: 'fields', values: { Subject: 'Only a field' } },
        },
      ],
    });
    const subjects = async (since: number, limit = 10) =>
      (await database.store.repos.eventRecords.recentEventRecords(tenantId, since, limit))
        .map((r) => r['Subject'])
        .sort();
    expect(await subjects(t0)).toEqual(['Carried', 'From the sync']);
    // Older than the window: only what came after counts.
    expect(await subjects(t0 + 6)).toEqual(['Carried', 'From the create']);
    expect(await subjects(t0, 1)).toHaveLength(1);
  });
});
