// Links: which mailbox item each Salesforce Event became, with the hash of what was written (so
// an unchanged Event costs no provider call), the Salesforce version synced, and the Event record
// that sync used with the highest change id it includes (so later CDC edits fold onto it).
import type { Kysely } from 'kysely';
import { bulkInsert } from './bulk-insert.ts';
import type { Database, LinkRow } from './schema.ts';
import { paddedList } from './padded-list.ts';

export async function findLinks(
  db: Kysely<Database>,
  tenantId: string,
  eventIds: readonly string[],
): Promise<Map<string, LinkRow>> {
  const links = new Map<string, LinkRow>();
  for (let i = 0; i < eventIds.length; i += 500) {
    const rows = await db
      .selectFrom('links')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('event_id', 'in', paddedList(eventIds.slice(i, i + 500)))
      .execute();
    for (const row of rows) links.set(row.event_id, row);
  }
  return links;
}

/** What the mailbox holds for an Event now, as saveLinks writes it. */
export type LinkToSave = Omit<LinkRow, 'created_at' | 'updated_at' | 'pending_create_at'> & { now: number };

/** Saves what the mailbox holds for the Event now; a create's intent, if any, is settled. */
export async function saveLink(db: Kysely<Database>, link: LinkToSave): Promise<void> {
  await saveLinks(db, [link]);
}

/** A link's columns but the record the sync used: what a create's intent writes too. */
const itemColumns = [
  'tenant_id',
  'event_id',
  'mailbox_id',
  'provider_kind',
  'provider_id',
  'item_id',
  'change_key',
  'content_hash',
  'salesforce_version',
  'state',
  'created_at',
  'updated_at',
  'pending_create_at',
] as const;

/**
 * `saveLink` for many Events in one statement per 200 (a worker's links of one moment, written
 * together). Each Event may appear once.
 */
export async function saveLinks(db: Kysely<Database>, links: readonly LinkToSave[]): Promise<void> {
  await insertLinks(
    db,
    links.map(({ now, ...row }) => ({
      ...row,
      created_at: now,
      updated_at: now,
      pending_create_at: null,
    })),
  );
}

const savedColumns = [...itemColumns, 'record_json', 'record_through_change_id'] as const;

/** What a save sets on an Event's link: what its item is now; created_at stays the first one's. */
const insertLinks = bulkInsert<Database, 'links', keyof LinkRow>('links', savedColumns, {
  rowsPerStatement: 200,
  tail: `on conflict (tenant_id, event_id) do update set ${savedColumns
    .filter((column) => !['tenant_id', 'event_id', 'created_at', 'pending_create_at'].includes(column))
    .map((column) => `${column} = excluded.${column}`)
    .join(', ')}, pending_create_at = null`,
});

export interface LinkRecord {
  eventId: string;
  recordJson: string;
  recordThroughChangeId: number | null;
}

/**
 * Keeps the record a sync used with links it did not otherwise change (nothing to write to the
 * mailbox): one statement per 200 links, not one per Event.
 */
export async function saveLinkRecords(
  db: Kysely<Database>,
  tenantId: string,
  records: readonly LinkRecord[],
): Promise<void> {
  for (let i = 0; i < records.length; i += 200) {
    const chunk = records.slice(i, i + 200);
    await db
      .updateTable('links')
      .set((eb) => {
        const json = eb.case('event_id');
        const through = eb.case('event_id');
        const [first, ...rest] = chunk;
        if (first === undefined) return {};
        let jsonCases = json.when(first.eventId).then(first.recordJson);
        // PostgreSQL would type a CASE of bare parameters as text: the ids are cast to the column's type.
        const id = (value: number | null) => eb.cast<number | null>(eb.val(value), 'bigint');
        let throughCases = through.when(first.eventId).then(id(first.recordThroughChangeId));
        for (const entry of rest) {
          jsonCases = jsonCases.when(entry.eventId).then(entry.recordJson);
          throughCases = throughCases.when(entry.eventId).then(id(entry.recordThroughChangeId));
        }
        return { record_json: jsonCases.end(), record_through_change_id: throughCases.end() };
      })
      .where('tenant_id', '=', tenantId)
      .where(
        'event_id',
        'in',
        chunk.map((entry) => entry.eventId),
      )
      .execute();
  }
}

/** A create's intent, as markCreatesPending records it. */
export interface CreatePending {
  tenantId: string;
  eventId: string;
  mailboxId: string;
  providerKind: LinkRow['provider_kind'];
  providerId: string;
  now: number;
}

/**
 * Records, before a create is sent, that the Event's item may soon exist in `mailboxId`: no live
 * item is known (state `deleted`; a create only follows when there is none), one may appear.
 */
export async function markCreatePending(db: Kysely<Database>, link: CreatePending): Promise<void> {
  await markCreatesPending(db, [link]);
}

/** `markCreatePending` for many Events in one statement per 200. Each Event may appear once. */
export async function markCreatesPending(
  db: Kysely<Database>,
  links: readonly CreatePending[],
): Promise<void> {
  await insertPendingCreates(
    db,
    links.map((link) => ({
      tenant_id: link.tenantId,
      event_id: link.eventId,
      mailbox_id: link.mailboxId,
      provider_kind: link.providerKind,
      provider_id: link.providerId,
      item_id: '',
      change_key: null,
      content_hash: '',
      salesforce_version: null,
      state: 'deleted' as const,
      created_at: link.now,
      updated_at: link.now,
      pending_create_at: link.now,
    })),
  );
}

const insertPendingCreates = bulkInsert<
  Database,
  'links',
  Exclude<keyof LinkRow, 'record_json' | 'record_through_change_id'>
>('links', itemColumns, {
  rowsPerStatement: 200,
  tail:
    'on conflict (tenant_id, event_id) do update set mailbox_id = excluded.mailbox_id, ' +
    "provider_kind = excluded.provider_kind, provider_id = excluded.provider_id, state = 'deleted', " +
    'pending_create_at = excluded.pending_create_at, updated_at = excluded.updated_at',
});

/** A create the provider refused outright made nothing: the intent marked before it is dropped. */
export async function clearCreatePending(
  db: Kysely<Database>,
  link: { tenantId: string; eventId: string; now: number },
): Promise<void> {
  await db
    .updateTable('links')
    .set({ pending_create_at: null, updated_at: link.now })
    .where('tenant_id', '=', link.tenantId)
    .where('event_id', '=', link.eventId)
    .where('item_id', '=', '')
    .where('pending_create_at', 'is not', null)
    .execute();
}

/**
 * Sets aside (moves to set_aside_links, kept for the record) the links to items the provider
 * `providerId` made while it was of another kind than `keepKind`, with what their series'
 * occurrences held there: a sync never sends one provider's item ids to another. Run it in the
 * transaction that changes the provider's kind.
 */
export async function setAsideLinksOfProvider(
  db: Kysely<Database>,
  link: { tenantId: string; providerId: string; keepKind: LinkRow['provider_kind']; now: number },
): Promise<number> {
  const rows = await db
    .selectFrom('links')
    .select(['event_id', 'provider_kind', 'mailbox_id', 'item_id', 'state', 'updated_at'])
    .where('tenant_id', '=', link.tenantId)
    // A link whose provider is not known (made before providers were named) counts as this one's.
    .where((eb) => eb.or([eb('provider_id', '=', link.providerId), eb('provider_id', 'is', null)]))
    .where('provider_kind', '!=', link.keepKind)
    .execute();
  for (let i = 0; i < rows.length; i += 200) {
    const chunk = rows.slice(i, i + 200);
    await keepAside(db, link.tenantId, chunk, link.now);
    const ids = chunk.map((row) => row.event_id);
    await db
      .deleteFrom('links')
      .where('tenant_id', '=', link.tenantId)
      .where('provider_kind', '!=', link.keepKind)
      .where('event_id', 'in', ids)
      .execute();
  }
  return rows.length;
}

/**
 * The mailboxes `mailboxIds` go through another provider now (`to`): their links to items the
 * former provider made are set aside (kept for the record), and each becomes a link to an item
 * of `to` whose id is not known yet — a create that may have happened (when the item was live,
 * or a create was pending), so the next sync looks for the item by its Salesforce id before it
 * creates one: a mailbox moved with its items (on-premises to Exchange Online) keeps them, and
 * no copy is made. Returns the Events whose item must be found or made again.
 *
 * Links are not indexed by mailbox (a new link would write a random page of such an index:
 * migrations/0021): the tenant's links are read once, in pages of `linksPerPage` by Event id,
 * whatever the number of mailboxes moved.
 */
export async function repointLinks(
  db: Kysely<Database>,
  move: {
    tenantId: string;
    mailboxIds: readonly string[];
    to: { id: string; kind: LinkRow['provider_kind'] };
    now: number;
  },
): Promise<string[]> {
  const moving = new Set(move.mailboxIds);
  const moved: string[] = [];
  if (moving.size === 0) return moved;
  let after: string | undefined;
  for (;;) {
    const page = await db
      .selectFrom('links')
      .select([
        'event_id',
        'provider_kind',
        'provider_id',
        'mailbox_id',
        'item_id',
        'state',
        'updated_at',
        'pending_create_at',
      ])
      .where('tenant_id', '=', move.tenantId)
      .$if(after !== undefined, (query) => query.where('event_id', '>', after ?? ''))
      .orderBy('event_id')
      .limit(linksPerPage)
      .execute();
    // A link whose provider is not known (made before providers were named) moves too.
    const rows = page.filter((row) => moving.has(row.mailbox_id) && row.provider_id !== move.to.id);
    for (let i = 0; i < rows.length; i += 200)
      moved.push(...(await repointChunk(db, move, rows.slice(i, i + 200))));
    if (page.length < linksPerPage) return moved;
    after = page[page.length - 1]?.event_id;
  }
}

/** How many of a tenant's links repointLinks reads a statement. */
const linksPerPage = 2000;

/** repointLinks for links of the moved mailboxes (at most 200): returns the Events to find or make again. */
async function repointChunk(
  db: Kysely<Database>,
  move: { tenantId: string; to: { id: string; kind: LinkRow['provider_kind'] }; now: number },
  chunk: readonly Pick<
    LinkRow,
    'event_id' | 'provider_kind' | 'mailbox_id' | 'item_id' | 'state' | 'updated_at' | 'pending_create_at'
  >[],
): Promise<string[]> {
  await keepAside(
    db,
    move.tenantId,
    chunk.filter((row) => row.item_id !== ''),
    move.now,
  );
  const ids = chunk.map((row) => row.event_id);
  await db
    .deleteFrom('series_states')
    .where('tenant_id', '=', move.tenantId)
    .where('series_event_id', 'in', ids)
    .execute();
  const live = chunk.filter((row) => row.state === 'active' || row.pending_create_at !== null);
  const gone = chunk.filter((row) => !(row.state === 'active' || row.pending_create_at !== null));
  for (const [group, pending] of [
    [live, move.now],
    [gone, null],
  ] as const) {
    if (group.length === 0) continue;
    await db
      .updateTable('links')
      .set({
        provider_id: move.to.id,
        provider_kind: move.to.kind,
        item_id: '',
        change_key: null,
        content_hash: '',
        state: 'deleted',
        pending_create_at: pending,
        updated_at: move.now,
      })
      .where('tenant_id', '=', move.tenantId)
      .where(
        'event_id',
        'in',
        group.map((row) => row.event_id),
      )
      .execute();
  }
  return live.map((row) => row.event_id);
}

/** Keeps the links' items for the record (set_aside_links), with their series' occurrences dropped. */
async function keepAside(
  db: Kysely<Database>,
  tenantId: string,
  rows: readonly Pick<
    LinkRow,
    'event_id' | 'provider_kind' | 'mailbox_id' | 'item_id' | 'state' | 'updated_at'
  >[],
  now: number,
): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('set_aside_links')
    .values(
      rows.map((row) => ({
        tenant_id: tenantId,
        event_id: row.event_id,
        provider_kind: row.provider_kind,
        mailbox_id: row.mailbox_id,
        item_id: row.item_id,
        state: row.state,
        linked_at: row.updated_at,
        set_aside_at: now,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'provider_kind', 'event_id']).doUpdateSet((eb) => ({
        mailbox_id: eb.ref('excluded.mailbox_id'),
        item_id: eb.ref('excluded.item_id'),
        state: eb.ref('excluded.state'),
        linked_at: eb.ref('excluded.linked_at'),
        set_aside_at: eb.ref('excluded.set_aside_at'),
      })),
    )
    .execute();
  await db
    .deleteFrom('series_states')
    .where('tenant_id', '=', tenantId)
    .where(
      'series_event_id',
      'in',
      rows.map((row) => row.event_id),
    )
    .execute();
}
