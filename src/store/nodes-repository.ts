// The service's running processes (see migration 0009): each registers at start, renews its row
// every few seconds, and removes it when it stops. A node found dead gives back everything it
// held at once: its jobs (to waiting) and its named leases (CDC subscriptions, polls).
import type { Kysely } from 'kysely';
import { releaseExpiredLeases, type ExpiredLease } from './jobs/release-expired-leases.ts';
import type { Database, NodesTable } from './schema.ts';

export type NodeRow = NodesTable;

export async function registerNode(
  db: Kysely<Database>,
  node: Omit<NodeRow, 'heartbeat_at' | 'expires_at'> & { now: number; ttlMs: number },
): Promise<void> {
  const { now, ttlMs, ...row } = node;
  await db
    .insertInto('nodes')
    .values({ ...row, heartbeat_at: now, expires_at: now + ttlMs })
    .onConflict((oc) => oc.column('id').doUpdateSet({ heartbeat_at: now, expires_at: now + ttlMs }))
    .execute();
}

/** Renews the node's row; false when it is gone (another node found it expired and took its work). */
export async function renewNode(
  db: Kysely<Database>,
  renewal: { id: string; now: number; ttlMs: number },
): Promise<boolean> {
  const row = await db
    .updateTable('nodes')
    .set({ heartbeat_at: renewal.now, expires_at: renewal.now + renewal.ttlMs })
    .where('id', '=', renewal.id)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** The other nodes registered with this host key (the same host, boot and process namespace). */
export async function nodesSharingHost(
  db: Kysely<Database>,
  hostKey: string,
  exceptId: string,
): Promise<NodeRow[]> {
  return db
    .selectFrom('nodes')
    .selectAll()
    .where('host_key', '=', hostKey)
    .where('id', '!=', exceptId)
    .execute();
}

/** How many nodes are alive (their row not expired) at `now`. */
export async function countLiveNodes(db: Kysely<Database>, now: number): Promise<number> {
  const row = await db
    .selectFrom('nodes')
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(row?.count ?? 0);
}

export async function listNodes(db: Kysely<Database>): Promise<NodeRow[]> {
  return db.selectFrom('nodes').selectAll().orderBy('started_at').execute();
}

/**
 * Gives back everything the dead nodes `ids` held, in one transaction: their running jobs go
 * back to waiting, their named leases are freed, their rows removed.
 */
export async function releaseDeadNodes(
  db: Kysely<Database>,
  release: { ids: readonly string[]; now: number; maxAttempts: number },
): Promise<{ jobs: ExpiredLease[]; leases: number }> {
  if (release.ids.length === 0) return { jobs: [], leases: 0 };
  return db.transaction().execute(async (tx) => {
    const jobs = await releaseExpiredLeases(tx, {
      now: release.now,
      maxAttempts: release.maxAttempts,
      owners: release.ids,
    });
    const leases = await tx
      .deleteFrom('leases')
      .where('holder', 'in', [...release.ids])
      .execute();
    await tx
      .deleteFrom('nodes')
      .where('id', 'in', [...release.ids])
      .execute();
    return { jobs, leases: leases.reduce((n, r) => n + Number(r.numDeletedRows), 0) };
  });
}

/** Removes the rows of nodes whose heartbeat expired before `now` (their jobs were released with the claim). */
export async function removeExpiredNodes(db: Kysely<Database>, now: number): Promise<void> {
  await db.deleteFrom('nodes').where('expires_at', '<=', now).execute();
}

/** A node that stops cleanly removes its row (it has settled its jobs and released its leases). */
export async function removeNode(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('nodes').where('id', '=', id).execute();
}
