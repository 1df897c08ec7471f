// Links written many at a time (the engine coalesces the links of Events synced side by side):
// the intent marked before a create, then what the mailbox holds, each row its own, on both
// databases.
import { beforeEach, expect, it } from 'vitest';
import {
  findLinks,
  markCreatesPending,
  repointLinks,
  saveLinks,
  type LinkToSave,
} from '../../src/store/links-repository.ts';
import { addTraces, tracesOf } from '../../src/store/traces-repository.ts';
import { seedMailbox, seedTenant } from '../support/seed-tenant.ts';
import { describeEachBackend } from '../support/test-databases.ts';

const now = Date.UTC(2026, 11, 3, 9);

describeEachBackend('links written together', (database) => {
  const db = () => database.store.db;
  let tenantId: string;
  let mailboxId: string;

  beforeEach(async () => {
    tenantId = await seedTenant(db());
    mailboxId = await seedMailbox(db(), tenantId, { id: `mbx-${tenantId}`, at: now });
  });

  const saved = (eventId: string, itemId: string, hash: string): LinkToSave => ({
    tenant_id: tenantId,
    event_id: eventId,
    mailbox_id: mailboxId,
    provider_kind: 'graph',
    provider_id: 'default',
    item_id: itemId,
    change_key: null,
    content_hash: hash,
    salesforce_version: '1',
    state: 'active',
    record_json: `{"Id":"${eventId}"}`,
    record_through_change_id: 7,
    now: now + 1000,
  });

  it('marks many creates pending in one call, then saves each Event its own item and settles its intent', async () => {
    const intent = (eventId: string) => ({
      tenantId,
      eventId,
      mailboxId,
      providerKind: 'graph' as const,
      providerId: 'default',
      now,
    });
    await markCreatesPending(db(), [intent('E1'), intent('E2'), intent('E3')]);
    const pending = await findLinks(db(), tenantId, ['E1', 'E2', 'E3']);
    expect(
      [...pending.values()].map((l) => [l.event_id, l.state, l.pending_create_at, l.item_id]).sort(),
    ).toEqual([
      ['E1', 'deleted', now, ''],
      ['E2', 'deleted', now, ''],
      ['E3', 'deleted', now, ''],
    ]);

    await saveLinks(db(), [saved('E1', 'item-1', 'h1'), saved('E2', 'item-2', 'h2')]);
    // A later save of one of them changes only that one.
    await saveLinks(db(), [{ ...saved('E2', 'item-2b', 'h2b'), state: 'deleted', now: now + 2000 }]);
    const links = await findLinks(db(), tenantId, ['E1', 'E2', 'E3']);
    expect(
      [...links.values()]
        .map((l) => [l.event_id, l.item_id, l.content_hash, l.state, l.pending_create_at, l.updated_at])
        .sort(),
    ).toEqual([
      ['E1', 'item-1', 'h1', 'active', null, now + 1000],
      ['E2', 'item-2b', 'h2b', 'deleted', null, now + 2000],
      ['E3', '', '', 'deleted', now, now],
    ]);
    expect(links.get('E1')).toMatchObject({
      record_json: '{"Id":"E1"}',
      record_through_change_id: 7,
      created_at: now,
    });
  });

  it('saves links in one statement, those that moved to another mailbox with the rest', async () => {
    const other = await seedMailbox(db(), tenantId, { id: `other-${tenantId}`, at: now });
    const { statements } = database.store;
    let before = statements.sent;
    await saveLinks(db(), [saved('E1', 'item-1', 'h1'), saved('E2', 'item-2', 'h2')]);
    expect(statements.sent - before).toBe(1);

    before = statements.sent;
    await saveLinks(db(), [
      { ...saved('E1', 'item-1b', 'h1b'), now: now + 2000 },
      { ...saved('E2', 'item-2b', 'h2b'), mailbox_id: other, now: now + 2000 },
      { ...saved('E3', 'item-3', 'h3'), mailbox_id: other, now: now + 2000 },
    ]);
    expect(statements.sent - before).toBe(1);
    const links = await findLinks(db(), tenantId, ['E1', 'E2', 'E3']);
    expect(
      [...links.values()]
        .map((l) => [l.event_id, l.mailbox_id, l.item_id, l.content_hash, l.created_at, l.updated_at])
        .sort(),
    ).toEqual([
      ['E1', mailboxId, 'item-1b', 'h1b', now + 1000, now + 2000],
      ['E2', other, 'item-2b', 'h2b', now + 1000, now + 2000],
      ['E3', other, 'item-3', 'h3', now + 2000, now + 2000],
    ]);

    before = statements.sent;
    await saveLinks(db(), [{ ...saved('E2', 'item-2c', 'h2c'), mailbox_id: other, now: now + 3000 }]);
    expect(statements.sent - before).toBe(1);
    expect((await findLinks(db(), tenantId, ['E2'])).get('E2')).toMatchObject({
      mailbox_id: other,
      item_id: 'item-2c',
    });
  });

  it('writes 450 links in three statements of at most 200, and their traces in two of at most 300, each row its own', async () => {
    const eventIds = Array.from({ length: 450 }, (_, i) => `E${String(i).padStart(3, '0')}`);
    const { statements } = database.store;
    const before = statements.sent;
    await saveLinks(
      db(),
      eventIds.map((id, i) => saved(id, `item-${i}`, `h${i}`)),
    );
    expect(statements.sent - before).toBe(3);
    const links = await findLinks(db(), tenantId, eventIds);
    expect(links.size).toBe(450);
    expect(links.get('E449')).toMatchObject({ item_id: 'item-449', content_hash: 'h449', state: 'active' });

    const beforeTraces = statements.sent;
    await addTraces(
      db(),
      eventIds.map((eventId, i) => ({
        tenant_id: tenantId,
        event_id: eventId,
        job_id: i % 2 === 0 ? null : i,
        at: now + i,
        step: 'apply',
        message: `created item-${i} "quoted" ? $1`,
        data_json: i % 3 === 0 ? null : `{"latencyMs":${i}}`,
      })),
    );
    expect(statements.sent - beforeTraces).toBe(2);
    const steps = await tracesOf(db(), 'E301', tenantId);
    expect(steps).toMatchObject([
      {
        job_id: 301,
        at: now + 301,
        message: 'created item-301 "quoted" ? $1',
        data_json: '{"latencyMs":301}',
      },
    ]);
    expect((await tracesOf(db(), 'E300', tenantId))[0]).toMatchObject({ job_id: null, data_json: null });
  });

  it("moves the links of the mailboxes given to another provider, reading the tenant's links page by page", async () => {
    const moving = [mailboxId, await seedMailbox(db(), tenantId, { id: `b-${tenantId}`, at: now })];
    const staying = await seedMailbox(db(), tenantId, { id: `c-${tenantId}`, at: now });
    // 2,300 links (more than a page of 2,000): a third in each mailbox, every kind of state.
    const links = Array.from({ length: 2300 }, (_, i) => {
      const kind = i % 4; // 0 live, 1 deleted, 2 a create pending, 3 already at the new provider
      return {
        ...saved(`E${String(i).padStart(4, '0')}`, kind === 2 ? '' : `item-${i}`, `h${i}`),
        mailbox_id: [moving[0], moving[1], staying][i % 3] ?? staying,
        provider_id: kind === 3 ? 'new' : i % 5 === 0 ? null : 'old',
        state: kind === 0 ? ('active' as const) : ('deleted' as const),
      };
    });
    await saveLinks(db(), links);
    const pending = links.filter((_, i) => i % 4 === 2);
    await db()
      .updateTable('links')
      .set({ pending_create_at: now })
      .where('tenant_id', '=', tenantId)
      .where(
        'event_id',
        'in',
        pending.map((link) => link.event_id),
      )
      .execute();

    const later = now + 5000;
    const moved = await repointLinks(db(), {
      tenantId,
      mailboxIds: moving,
      to: { id: 'new', kind: 'ews' },
      now: later,
    });

    const inMoved = (i: number) => i % 3 !== 2 && i % 4 !== 3;
    const expected = links
      .map((link, i) => ({ link, i }))
      .filter(({ i }) => inMoved(i) && i % 4 !== 1)
      .map(({ link }) => link.event_id);
    expect(moved.sort()).toEqual(expected);
    const after = await findLinks(
      db(),
      tenantId,
      links.map((link) => link.event_id),
    );
    links.forEach((link, i) => {
      const found = after.get(link.event_id);
      if (inMoved(i))
        expect(found, link.event_id).toMatchObject({
          provider_id: 'new',
          provider_kind: 'ews',
          item_id: '',
          state: 'deleted',
          pending_create_at: i % 4 === 1 ? null : later,
          updated_at: later,
        });
      else
        expect(found, link.event_id).toMatchObject({
          provider_id: link.provider_id,
          item_id: link.item_id,
          state: link.state,
          updated_at: now + 1000,
        });
    });
    const setAside = await db()
      .selectFrom('set_aside_links')
      .select(['event_id', 'item_id', 'mailbox_id'])
      .where('tenant_id', '=', tenantId)
      .orderBy('event_id')
      .execute();
    expect(setAside.map((row) => row.event_id)).toEqual(
      links.filter((link, i) => inMoved(i) && link.item_id !== '').map((link) => link.event_id),
    );
  });

  it("lists a tenant's latest syncs with their Events' subjects, owners and mailboxes, newest first", async () => {
    await saveLinks(db(), [
      { ...saved('E1', 'item-1', 'h1'), record_json: '{"Id":"E1","Subject":"Pipeline review"}' },
      { ...saved('E2', 'item-2', 'h2'), record_json: null },
    ]);
    const step = (eventId: string, at: number) => ({
      tenant_id: tenantId,
      event_id: eventId,
      job_id: null,
      at,
      step: 'apply',
      message: 'create done',
      data_json: '{"latencyMs":420}',
    });
    await addTraces(db(), [step('E1', now), step('E2', now + 1), step('E3', now + 2)]);
    const recent = await database.store.repos.traces.recentApplies(tenantId, 10);
    const owner = `005${mailboxId.replaceAll('-', '').slice(0, 15)}`;
    expect(recent).toEqual([
      {
        eventId: 'E3',
        subject: null,
        ownerId: null,
        mailbox: null,
        message: 'create done',
        at: now + 2,
        latencyMs: 420,
      },
      {
        eventId: 'E2',
        subject: null,
        ownerId: owner,
        mailbox: 'rep@acme.example',
        message: 'create done',
        at: now + 1,
        latencyMs: 420,
      },
      {
        eventId: 'E1',
        subject: 'Pipeline review',
        ownerId: owner,
        mailbox: 'rep@acme.example',
        message: 'create done',
        at: now,
        latencyMs: 420,
      },
    ]);
  });
});
