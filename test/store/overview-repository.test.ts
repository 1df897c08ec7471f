// The admin read model's queries: a tenant's syncs and their latencies, every tenant's syncs,
// dead letters and skips, each filtered, ordered and bounded as the overview asks.
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { deadLetters, providerKindsOf, skipsSince, syncsSince } from '../../src/store/overview-repository.ts';
import type { JobState } from '../../src/store/schema.ts';
import { addTraces } from '../../src/store/traces-repository.ts';
import { seedMailbox, seedTenant } from '../support/seed-tenant.ts';
import { failures } from '../../src/admin/overview.ts';
import { recordChanges } from '../../src/store/changes/record-changes.ts';
import { saveLinks } from '../../src/store/links-repository.ts';
import { describeEachBackend } from '../support/test-databases.ts';

describeEachBackend('overview repository', (database) => {
  const db = () => database.store.db;
  const t0 = 1_800_000_000_000;

  const trace = (tenantId: string, step: string, at: number, data?: object, eventId = 'E1') => ({
    tenant_id: tenantId,
    event_id: eventId,
    job_id: null,
    at,
    step,
    message: `${step} at ${at}`,
    data_json: data === undefined ? null : JSON.stringify(data),
  });

  const insertJob = (tenantId: string, eventId: string, state: JobState, updatedAt: number) =>
    db()
      .insertInto('jobs')
      .values({
        tenant_id: tenantId,
        event_id: eventId,
        state,
        run_at: updatedAt,
        attempts: 5,
        first_change_at: updatedAt,
        last_error: state === 'dead' ? `failed ${eventId}` : null,
        lease_owner: null,
        lease_expires_at: null,
        rerun_at: null,
        rerun_first_change_at: null,
        created_at: updatedAt,
        updated_at: updatedAt,
      })
      .execute();

  it("lists a tenant's provider kinds, the default first, then by name", async () => {
    const tenantId = await seedTenant(db());
    const provider = (name: string, kind: 'graph' | 'ews' | 'google', isDefault: number) => ({
      id: randomUUID(),
      tenant_id: tenantId,
      kind,
      name,
      settings_json: '{}',
      credentials_sealed: null,
      created_at: t0,
      updated_at: t0,
      is_default: isDefault,
    });
    expect(await providerKindsOf(db(), tenantId)).toEqual([]);
    await db()
      .insertInto('mailbox_providers')
      .values([
        provider('b-cloud', 'graph', 0),
        provider('onprem', 'ews', 1),
        provider('a-mail', 'google', 0),
      ])
      .execute();
    expect(await providerKindsOf(db(), tenantId)).toEqual(['ews', 'google', 'graph']);
  });

  it("reads a tenant's syncs since a time, newest first and bounded, with their latencies", async () => {
    const tenantId = await seedTenant(db());
    const other = await seedTenant(db());
    await addTraces(db(), [
      trace(tenantId, 'apply', t0 - 1, { latencyMs: 1 }),
      trace(tenantId, 'apply', t0, { latencyMs: 250 }),
      trace(tenantId, 'apply', t0 + 2000),
      trace(tenantId, 'apply', t0 + 1000, { latencyMs: 900, other: true }),
      trace(tenantId, 'skip', t0 + 1500),
      trace(other, 'apply', t0 + 3000, { latencyMs: 5 }),
    ]);
    expect(await syncsSince(db(), { tenantId, since: t0, limit: 10 })).toEqual([
      { at: t0 + 2000, latencyMs: undefined },
      { at: t0 + 1000, latencyMs: 900 },
      { at: t0, latencyMs: 250 },
    ]);
    expect(await syncsSince(db(), { tenantId, since: t0, limit: 2 })).toEqual([
      { at: t0 + 2000, latencyMs: undefined },
      { at: t0 + 1000, latencyMs: 900 },
    ]);
  });

  it("reads every tenant's syncs since a time", async () => {
    const a = await seedTenant(db());
    const b = await seedTenant(db());
    const since = t0 + 10_000_000;
    await addTraces(db(), [
      trace(a, 'apply', since - 1, { latencyMs: 1 }),
      trace(a, 'apply', since, { latencyMs: 10 }),
      trace(b, 'apply', since + 5, { latencyMs: 20 }),
      trace(b, 'plan', since + 6, { latencyMs: 30 }),
    ]);
    const syncs = await syncsSince(db(), { since, limit: 100 });
    expect(syncs.toSorted((x, y) => x.at - y.at)).toEqual([
      { at: since, latencyMs: 10 },
      { at: since + 5, latencyMs: 20 },
    ]);
    expect(await syncsSince(db(), { since, limit: 1 })).toEqual([{ at: since + 5, latencyMs: 20 }]);
  });

  it('lists dead letters, most recently dead first, of one tenant or all, bounded', async () => {
    await db().deleteFrom('jobs').execute();
    const a = await seedTenant(db());
    const b = await seedTenant(db());
    await insertJob(a, 'A1', 'dead', t0 + 1);
    await insertJob(a, 'A2', 'dead', t0 + 3);
    await insertJob(a, 'A3', 'waiting', t0 + 4);
    await insertJob(b, 'B1', 'dead', t0 + 2);
    expect((await deadLetters(db(), { limit: 10 })).map((d) => d.eventId)).toEqual(['A2', 'B1', 'A1']);
    expect(await deadLetters(db(), { tenantId: a, limit: 1 })).toEqual([
      { tenantId: a, eventId: 'A2', lastError: 'failed A2', updatedAt: t0 + 3, attempts: 5 },
    ]);
    expect(await deadLetters(db(), { tenantId: randomUUID(), limit: 10 })).toEqual([]);
  });

  it('lists skips since a time, newest first, of one tenant or all, bounded', async () => {
    const a = await seedTenant(db());
    const b = await seedTenant(db());
    const since = t0 + 20_000_000;
    await addTraces(db(), [
      trace(a, 'skip', since - 1, undefined, 'OLD'),
      trace(a, 'skip', since + 1, undefined, 'A1'),
      trace(a, 'skip', since + 3, undefined, 'A1'),
      trace(a, 'apply', since + 4, undefined, 'A2'),
      trace(b, 'skip', since + 2, undefined, 'B1'),
    ]);
    const all = await skipsSince(db(), { since, limit: 10 });
    expect(all.map((s) => [s.eventId, s.at])).toEqual([
      ['A1', since + 3],
      ['B1', since + 2],
      ['A1', since + 1],
    ]);
    expect(await skipsSince(db(), { since, tenantId: a, limit: 1 })).toEqual([
      { tenantId: a, eventId: 'A1', message: `skip at ${since + 3}`, at: since + 3 },
    ]);
  });

  it('names failed Events by subject, mailbox and owner, from their link or else the change that carried them, and finds them by any of these', async () => {
    const tenantId = await seedTenant(db());
    const slug = (await database.store.repos.tenants.findTenantById(tenantId))?.slug ?? '';
    const mailboxId = await seedMailbox(db(), tenantId, { address: 'jane@acme.example', at: t0 });
    // E1 was synced: its link holds the record the sync used.
    await saveLinks(db(), [
      {
        tenant_id: tenantId,
        event_id: 'E1',
        mailbox_id: mailboxId,
        provider_kind: 'graph',
        provider_id: null,
        item_id: 'item-1',
        change_key: null,
        content_hash: 'h',
        salesforce_version: null,
        state: 'active',
        record_json: '{"Id":"E1","Subject":"Quarterly review"}',
        record_through_change_id: null,
        now: t0,
      },
    ]);
    // E2 never was: a CDC create carried it whole.
    await recordChanges(db(), {
      tenantId,
      settleWindowMs: 0,
      now: t0,
      changes: [
        {
          eventId: 'E2',
          changeType: 'create',
          source: 'cdc',
          dedupeKey: 'cdc:1:E2',
          committedAt: t0,
          payload: { kind: 'record', values: { Id: 'E2', Subject: 'Kick-off with Initech' } },
        },
      ],
    });
    await insertJob(tenantId, 'E1', 'dead', t0 + 1);
    // E2's change queued its job; it ran out of attempts.
    await db()
      .updateTable('jobs')
      .set({ state: 'dead', updated_at: t0 + 2, last_error: 'failed E2' })
      .where('tenant_id', '=', tenantId)
      .where('event_id', '=', 'E2')
      .execute();
    await insertJob(tenantId, 'E3', 'dead', t0 + 3);
    const list = (search?: string) =>
      failures(database.store.repos, { now: t0 + 10, tenant: slug, kind: 'dead', search });
    expect((await list()).map((f) => [f.eventId, f.subject, f.mailbox, f.ownerId])).toEqual([
      ['E3', null, null, null],
      ['E2', 'Kick-off with Initech', null, null],
      ['E1', 'Quarterly review', 'jane@acme.example', `005${mailboxId.replaceAll('-', '').slice(0, 15)}`],
    ]);
    expect((await list('KICK-OFF')).map((f) => f.eventId)).toEqual(['E2']);
    expect((await list('jane@')).map((f) => f.eventId)).toEqual(['E1']);
    expect((await list('e3')).map((f) => f.eventId)).toEqual(['E3']);
    expect(await list('nothing like it')).toEqual([]);
  });
});
