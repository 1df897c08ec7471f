// Lightning event series: which series each occurrence record belongs to (and the series date it
// stands for), and what was last applied to each calendar series' occurrences.
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

export interface SeriesMember {
  eventId: string;
  seriesEventId: string;
  slotDate: string;
}

/** For each of `eventIds` that is a known occurrence record, its series and date. */
export async function findSeriesMembers(
  db: Kysely<Database>,
  tenantId: string,
  eventIds: readonly string[],
): Promise<Map<string, SeriesMember>> {
  const found = new Map<string, SeriesMember>();
  for (let i = 0; i < eventIds.length; i += 500) {
    const rows = await db
      .selectFrom('series_members')
      .select(['event_id', 'series_event_id', 'slot_date'])
      .where('tenant_id', '=', tenantId)
      .where('event_id', 'in', eventIds.slice(i, i + 500))
      .execute();
    for (const row of rows)
      found.set(row.event_id, {
        eventId: row.event_id,
        seriesEventId: row.series_event_id,
        slotDate: row.slot_date,
      });
  }
  return found;
}

/**
 * The occurrence records known of each of these series, with the date each was first seen
 * standing for (series event id → occurrence event id → date): one query for a batch's series.
 */
export async function knownSlotsOfSeries(
  db: Kysely<Database>,
  tenantId: string,
  seriesEventIds: readonly string[],
): Promise<Map<string, Map<string, string>>> {
  const slots = new Map<string, Map<string, string>>();
  if (seriesEventIds.length === 0) return slots;
  for (const id of seriesEventIds) slots.set(id, new Map());
  const rows = await db
    .selectFrom('series_members')
    .select(['event_id', 'series_event_id', 'slot_date'])
    .where('tenant_id', '=', tenantId)
    .where('series_event_id', 'in', seriesEventIds)
    .execute();
  for (const row of rows) slots.get(row.series_event_id)?.set(row.event_id, row.slot_date);
  return slots;
}

/** Remembers occurrence records of a series (a record already known keeps its first date). */
export async function saveSeriesMembers(
  db: Kysely<Database>,
  tenantId: string,
  members: readonly SeriesMember[],
  now: number,
): Promise<void> {
  for (let i = 0; i < members.length; i += 200) {
    const chunk = members.slice(i, i + 200);
    if (chunk.length === 0) continue;
    await db
      .insertInto('series_members')
      .values(
        chunk.map((member) => ({
          tenant_id: tenantId,
          event_id: member.eventId,
          series_event_id: member.seriesEventId,
          slot_date: member.slotDate,
          updated_at: now,
        })),
      )
      .onConflict((oc) => oc.columns(['tenant_id', 'event_id']).doNothing())
      .execute();
  }
}

export async function findSeriesState(
  db: Kysely<Database>,
  tenantId: string,
  seriesEventId: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('series_states')
    .select('state_json')
    .where('tenant_id', '=', tenantId)
    .where('series_event_id', '=', seriesEventId)
    .executeTakeFirst();
  return row?.state_json;
}

/**
 * Saves what the calendar series' occurrences now hold and, with it, the link's content hash:
 * the link only says "up to date" once the occurrences are.
 */
export async function saveSeriesState(
  db: Kysely<Database>,
  input: { tenantId: string; seriesEventId: string; stateJson: string; contentHash: string; now: number },
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx
      .insertInto('series_states')
      .values({
        tenant_id: input.tenantId,
        series_event_id: input.seriesEventId,
        state_json: input.stateJson,
        updated_at: input.now,
      })
      .onConflict((oc) =>
        oc
          .columns(['tenant_id', 'series_event_id'])
          .doUpdateSet({ state_json: input.stateJson, updated_at: input.now }),
      )
      .execute();
    await tx
      .updateTable('links')
      .set({ content_hash: input.contentHash, updated_at: input.now })
      .where('tenant_id', '=', input.tenantId)
      .where('event_id', '=', input.seriesEventId)
      .execute();
  });
}
