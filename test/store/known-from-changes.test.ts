// What the recorded changes tell the engine without a read: a record composed from a base (the
// link's last synced record, or a CDC CREATE's whole Event, whichever includes more) and the CDC
// edits after it; the deletions; why the rest must be read. Two queries per 500 Events, however
// many Events and changes; and the records kept with the links in one statement per 200.
import type { KyselyPlugin } from 'kysely';
import { beforeEach, expect, it } from 'vitest';
import { knownFromChanges } from '../../src/store/changes/known-from-changes.ts';
import { recordChanges, type IncomingChange } from '../../src/store/changes/record-changes.ts';
import { findLinks, saveLink, saveLinkRecords } from '../../src/store/links-repository.ts';
import { seedMailbox, seedTenant } from '../support/seed-tenant.ts';
import { describeEachBackend } from '../support/test-databases.ts';

const now = Date.UTC(2026, 10, 24, 9, 0, 0);
const at = (minute: number) => `2026-11-24T09:${String(minute).padStart(2, '0')}:00.000+0000`;
let serial = 0;

const created = (eventId: string, minute: number, subject: string): IncomingChange => ({
  eventId,
  changeType: 'create',
  source: 'cdc',
  dedupeKey: `cdc:${serial++}:${eventId}`,
  committedAt: now,
  payload: {
    kind: 'record',
    values: { Id: eventId, Subject: subject, Location: 'Room 1', SystemModstamp: at(minute) },
  },
});
const edited = (eventId: string, minute: number, fields: Record<string, unknown>): IncomingChange => ({
  eventId,
  changeType: 'update',
  source: 'cdc',
  dedupeKey: `cdc:${serial++}:${eventId}`,
  committedAt: now,
  payload: { kind: 'fields', values: { ...fields, SystemModstamp: at(minute) } },
});
const other = (
  eventId: string,
  changeType: IncomingChange['changeType'],
  source: IncomingChange['source'],
) => ({
  eventId,
  changeType,
  source,
  dedupeKey: `${source}:${serial++}:${eventId}`,
  committedAt: now,
});

/** A plugin that counts the statements sent through it. */
function statementCounter(): { plugin: KyselyPlugin; count: () => number } {
  let statements = 0;
  return {
    plugin: {
      transformQuery: (args) => {
        statements++;
        return args.node;
      },
      transformResult: (args) => Promise.resolve(args.result),
    },
    count: () => statements,
  };
}

describeEachBackend('known from changes', (database) => {
  let tenantId: string;
  const db = () => database.store.db;
  const record = (changes: IncomingChange[]) =>
    recordChanges(db(), { tenantId, settleWindowMs: 0, now, changes });
  const ids = async (eventId: string) =>
    (
      await db().selectFrom('changes').select('id').where('event_id', '=', eventId).orderBy('id').execute()
    ).map((row) => row.id);
  const link = async (eventId: string, recordJson: string | null, through: number | null) =>
    saveLink(db(), {
      tenant_id: tenantId,
      event_id: eventId,
      mailbox_id: `mbx-${tenantId}`,
      provider_kind: 'graph',
      provider_id: null,
      item_id: `item-${eventId}`,
      change_key: null,
      content_hash: 'h',
      salesforce_version: null,
      state: 'active',
      record_json: recordJson,
      record_through_change_id: through,
      now,
    });

  beforeEach(async () => {
    tenantId = await seedTenant(db());
    await seedMailbox(db(), tenantId, { id: `mbx-${tenantId}`, at: now });
  });

  it('composes a CDC CREATE and its edits, and a link record and the edits after it', async () => {
    await record([
      created('E1', 0, 'Standup'),
      edited('E1', 1, { Subject: 'Standup (moved)', Location: null }),
      edited('E1', 2, { Location: 'Room 2' }),
      other('E2', 'update', 'poll'),
      edited('E2', 3, { Subject: 'Review (final)' }),
    ]);
    const [e2Poll, e2Edit] = await ids('E2');
    await link('E2', JSON.stringify({ Id: 'E2', Subject: 'Review', SystemModstamp: at(2) }), e2Poll!);
    const known = await knownFromChanges(
      db(),
      tenantId,
      ['E1', 'E2'],
      await findLinks(db(), tenantId, ['E1', 'E2']),
    );
    expect(known.composed.get('E1')).toEqual({
      record: { Id: 'E1', Subject: 'Standup (moved)', Location: 'Room 2', SystemModstamp: at(2) },
      throughChangeId: (await ids('E1')).at(-1),
      base: 'cdc-create',
      edits: 2,
    });
    expect(known.composed.get('E2')).toEqual({
      record: { Id: 'E2', Subject: 'Review (final)', SystemModstamp: at(3) },
      throughChangeId: e2Edit,
      base: 'last-synced',
      edits: 1,
    });
  });

  it('gives a record composed without edits as the text it was read from, and one with edits as none', async () => {
    await record([created('T1', 0, 'Created'), created('T2', 0, 'Created'), other('T3', 'update', 'poll')]);
    await record([edited('T2', 1, { Subject: 'Edited' })]);
    const [polled] = await ids('T3');
    const linkText = '{"Id":"T3","Subject":"Linked","SystemModstamp":"2026-11-24T09:00:00.000+0000"}';
    await link('T3', linkText, polled!);
    const stored = await db()
      .selectFrom('changes')
      .select('payload_json')
      .where('tenant_id', '=', tenantId)
      .where('event_id', '=', 'T1')
      .executeTakeFirstOrThrow();
    const known = await knownFromChanges(
      db(),
      tenantId,
      ['T1', 'T2', 'T3'],
      await findLinks(db(), tenantId, ['T1', 'T2', 'T3']),
    );
    // The CREATE's own payload and the link's own text, not a new writing of the same record.
    expect(known.composed.get('T1')).toMatchObject({ edits: 0, json: stored.payload_json });
    expect(JSON.parse(known.composed.get('T1')!.json!)).toEqual(known.composed.get('T1')!.record);
    expect(known.composed.get('T3')).toMatchObject({ base: 'last-synced', edits: 0, json: linkText });
    // An edit folded on: the record is new, and no text is given for it.
    expect(known.composed.get('T2')).toMatchObject({ edits: 1, record: { Subject: 'Edited' } });
    expect(known.composed.get('T2')!.json).toBeUndefined();
  });

  it('takes whichever base includes more: a CREATE recorded after the link was read wins', async () => {
    // Polling saw the new Event first; it was read and linked; then its CDC CREATE and an edit came.
    await record([other('E3', 'create', 'poll')]);
    const [polled] = await ids('E3');
    await link('E3', JSON.stringify({ Id: 'E3', Subject: 'Read', SystemModstamp: at(0) }), polled!);
    await record([created('E3', 0, 'Created'), edited('E3', 4, { Subject: 'Edited' })]);
    const known = await knownFromChanges(db(), tenantId, ['E3'], await findLinks(db(), tenantId, ['E3']));
    expect(known.composed.get('E3')).toMatchObject({ base: 'cdc-create', record: { Subject: 'Edited' } });
  });

  it('tells deletions apart, and why the others must be read', async () => {
    await record([
      created('D1', 0, 'Gone soon'),
      other('D1', 'delete', 'cdc'),
      created('P1', 0, 'Polled later'),
      other('P1', 'update', 'poll'),
      other('U1', 'update', 'cdc'),
      created('R1', 0, 'Back'),
      other('R1', 'delete', 'cdc'),
      other('R1', 'undelete', 'cdc'),
      created('W1', 0, 'Said deleted'),
      other('W1', 'delete', 'webhook'),
      other('Q1', 'delete', 'poll'),
    ]);
    const known = await knownFromChanges(db(), tenantId, ['D1', 'P1', 'U1', 'R1', 'N1', 'W1', 'Q1']);
    // A webhook's DELETE is its caller's word: the Event is read to see whether Salesforce agrees.
    expect([...known.deleted].sort()).toEqual(['D1', 'Q1']);
    expect(known.composed.size).toBe(0);
    expect(Object.fromEntries(known.unknown)).toEqual({
      P1: 'an update from polling came after the record kept',
      U1: 'no record of the Event is kept yet',
      R1: 'a deletion and an undelete from CDC came after the record kept',
      N1: 'no change of it is recorded',
      W1: 'a deletion from the webhook came after the record kept',
    });
    expect(known.latestChangeId.get('P1')).toBe((await ids('P1')).at(-1));
    expect(known.latestChangeId.has('N1')).toBe(false);
  });

  it('asks two queries per 500 Events, whatever their histories', async () => {
    const eventIds = Array.from({ length: 1000 }, (_, i) => `B${i}`);
    await record(eventIds.flatMap((id) => [created(id, 0, id), edited(id, 1, { Subject: `${id}!` })]));
    // Counted as sent to the database (some are written as SQL text, not built).
    const { statements } = database.store;
    const before = statements.sent;
    const known = await knownFromChanges(db(), tenantId, eventIds);
    expect(known.composed.size).toBe(1000);
    expect(known.composed.get('B999')?.record['Subject']).toBe('B999!');
    expect(statements.sent - before).toBe(4);
  });

  it('keeps records with links without touching the rest of the link, 200 to a statement', async () => {
    const eventIds = Array.from({ length: 250 }, (_, i) => `L${i}`);
    for (const id of eventIds) await link(id, null, null);
    const counter = statementCounter();
    await saveLinkRecords(
      db().withPlugin(counter.plugin),
      tenantId,
      eventIds.map((id, i) => ({
        eventId: id,
        recordJson: JSON.stringify({ Id: id }),
        recordThroughChangeId: i,
      })),
    );
    expect(counter.count()).toBe(2);
    const links = await findLinks(db(), tenantId, eventIds);
    expect(links.get('L0')).toMatchObject({
      record_json: '{"Id":"L0"}',
      record_through_change_id: 0,
      item_id: 'item-L0',
    });
    expect(links.get('L249')).toMatchObject({ record_json: '{"Id":"L249"}', record_through_change_id: 249 });
  });
});
