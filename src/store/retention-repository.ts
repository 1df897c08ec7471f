// What retention removes, a small batch per call so that no statement holds the database for
// long: old changes and trace steps, old dead letters, the links of long-deleted Events, expired
// Connect states and sign-ins. Each batch is found through an index (migration 0017) and never
// takes what an Event's next sync needs: the changes and steps of an Event with a job (waiting,
// running or dead) stay, whatever their age, and a live Event's link is never removed.
import { sql, type Kysely, type SqlBool } from 'kysely';
import type { Database } from './schema.ts';

/** The row (of the table aliased `alias`) names an Event without a job: its next sync needs nothing of it. */
const withoutJob = (alias: 'c' | 't' | 'l') =>
  sql<SqlBool>`not exists (select 1 from jobs where jobs.tenant_id = ${sql.ref(`${alias}.tenant_id`)} and jobs.event_id = ${sql.ref(`${alias}.event_id`)})`;

/**
 * Removes up to `limit` changes recorded before `before` of Events without a job; returns how many
 * of each source it removed (the metrics keep counting them: see countRemovedChanges).
 */
export async function pruneChanges(
  db: Kysely<Database>,
  batch: { before: number; limit: number },
): Promise<Map<string, number>> {
  const rows = await db
    .deleteFrom('changes')
    .where(
      'id',
      'in',
      db
        .selectFrom('changes as c')
        .select('c.id')
        .where('c.received_at', '<', batch.before)
        .where(withoutJob('c'))
        .limit(batch.limit),
    )
    .returning('source')
    .execute();
  const bySource = new Map<string, number>();
  for (const row of rows) bySource.set(row.source, (bySource.get(row.source) ?? 0) + 1);
  return bySource;
}

const removedChangesKey = 'retention:changes_removed:';

/**
 * Adds removed changes to the count kept in `meta` per source, so that the changes received
 * (a Prometheus counter, counted from the table) never go down when retention removes rows.
 * Run it in the transaction that removed them.
 */
export async function countRemovedChanges(
  db: Kysely<Database>,
  bySource: ReadonlyMap<string, number>,
): Promise<void> {
  for (const [source, n] of bySource)
    await db
      .insertInto('meta')
      .values({ key: `${removedChangesKey}${source}`, value: String(n) })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({ value: sql<string>`cast(cast(meta.value as bigint) + ${n} as text)` }),
      )
      .execute();
}

/** The changes retention removed so far, per source. */
export async function removedChanges(db: Kysely<Database>): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('meta')
    .select(['key', 'value'])
    .where('key', 'like', `${removedChangesKey}%`)
    .execute();
  return new Map(rows.map((row) => [row.key.slice(removedChangesKey.length), Number(row.value)]));
}

/**
 * Removes up to `limit` trace steps of Events without a job: `skip` steps taken before
 * `skipsBefore`, every other step before `stepsBefore`. Returns how many.
 */
export async function pruneTraces(
  db: Kysely<Database>,
  batch: { stepsBefore: number; skipsBefore: number; limit: number },
): Promise<number> {
  const result = await db
    .deleteFrom('traces')
    .where(
      'id',
      'in',
      db
        .selectFrom('traces as t')
        .select('t.id')
        // The bound lets the index on `at` find the candidates; the OR sorts them by kind.
        .where('t.at', '<', Math.max(batch.stepsBefore, batch.skipsBefore))
        .where((eb) =>
          eb.or([
            eb.and([eb('t.step', '<>', 'skip'), eb('t.at', '<', batch.stepsBefore)]),
            eb.and([eb('t.step', '=', 'skip'), eb('t.at', '<', batch.skipsBefore)]),
          ]),
        )
        .where(withoutJob('t'))
        .limit(batch.limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export interface RemovedDeadLetter {
  tenantId: string;
  eventId: string;
  lastError: string | null;
  updatedAt: number;
}

/** Removes up to `limit` dead letters last touched before `before`; returns them. */
export async function pruneDeadLetters(
  db: Kysely<Database>,
  batch: { before: number; limit: number },
): Promise<RemovedDeadLetter[]> {
  const rows = await db
    .selectFrom('jobs')
    .select(['id', 'tenant_id', 'event_id', 'last_error', 'updated_at'])
    .where('state', '=', sql.lit('dead'))
    .where('updated_at', '<', batch.before)
    .orderBy('updated_at')
    .limit(batch.limit)
    .execute();
  if (rows.length === 0) return [];
  // Only those still dead and untouched: a retry since the look keeps its job.
  const removed = await db
    .deleteFrom('jobs')
    .where(
      'id',
      'in',
      rows.map((row) => row.id),
    )
    .where('state', '=', sql.lit('dead'))
    .where('updated_at', '<', batch.before)
    .returning('id')
    .execute();
  const ids = new Set(removed.map((row) => Number(row.id)));
  return rows
    .filter((row) => ids.has(Number(row.id)))
    .map((row) => ({
      tenantId: row.tenant_id,
      eventId: row.event_id,
      lastError: row.last_error,
      updatedAt: Number(row.updated_at),
    }));
}

/** Removes up to `limit` links of Events deleted (their items removed) before `before`, without a job. */
export async function pruneDeletedLinks(
  db: Kysely<Database>,
  batch: { before: number; limit: number },
): Promise<number> {
  const found = await db
    .selectFrom('links as l')
    .select(['l.tenant_id', 'l.event_id'])
    .where('l.state', '=', sql.lit('deleted'))
    .where('l.updated_at', '<', batch.before)
    .where(withoutJob('l'))
    .limit(batch.limit)
    .execute();
  let removed = 0;
  for (const link of found) {
    const result = await db
      .deleteFrom('links')
      .where('tenant_id', '=', link.tenant_id)
      .where('event_id', '=', link.event_id)
      .where('state', '=', sql.lit('deleted'))
      .where('updated_at', '<', batch.before)
      .executeTakeFirst();
    removed += Number(result.numDeletedRows);
  }
  return removed;
}

/** Removes Connect states and admin sessions that expired at or before `now`; returns how many. */
export async function pruneExpired(db: Kysely<Database>, now: number): Promise<number> {
  const states = await db.deleteFrom('oauth_states').where('expires_at', '<=', now).executeTakeFirst();
  const sessions = await db.deleteFrom('admin_sessions').where('expires_at', '<=', now).executeTakeFirst();
  return Number(states.numDeletedRows) + Number(sessions.numDeletedRows);
}

/** SQLite: pages the file holds that hold nothing (given back by `reclaimPages`). */
export async function freePages(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ freelist_count: number }>`pragma freelist_count`.execute(db);
  return Number(rows[0]?.freelist_count ?? 0);
}

/** SQLite with auto_vacuum=incremental: gives up to `pages` free pages back to the file system. */
export async function reclaimPages(db: Kysely<Database>, pages: number): Promise<void> {
  await sql`pragma incremental_vacuum(${sql.raw(String(Math.max(1, Math.floor(pages))))})`.execute(db);
}

/** SQLite: whether freed pages can be given back (auto_vacuum=incremental, set by migrate). */
export async function incrementalVacuumOn(db: Kysely<Database>): Promise<boolean> {
  const { rows } = await sql<{ auto_vacuum: number }>`pragma auto_vacuum`.execute(db);
  return Number(rows[0]?.auto_vacuum ?? 0) === 2;
}
