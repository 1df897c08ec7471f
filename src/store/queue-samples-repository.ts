// The queue's depth over time, for the admin pages' chart: a sample per tenant per minute, taken
// by every `serve` node (the same minute's sample is one row whichever node wrote it last) and
// kept for a day.
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';

/** Records each tenant's waiting, running and dead jobs as of `at` (a tenant without jobs gets no row). */
export async function sampleQueues(db: Kysely<Database>, at: number): Promise<void> {
  await db
    .insertInto('queue_samples')
    .columns(['tenant_id', 'at', 'waiting', 'running', 'dead'])
    .expression(
      db
        .selectFrom('jobs')
        .select([
          'tenant_id',
          sql<number>`${at}`.as('at'),
          sql<number>`sum(case when state = 'waiting' then 1 else 0 end)`.as('waiting'),
          sql<number>`sum(case when state = 'running' then 1 else 0 end)`.as('running'),
          sql<number>`sum(case when state = 'dead' then 1 else 0 end)`.as('dead'),
        ])
        .groupBy('tenant_id'),
    )
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'at']).doUpdateSet((eb) => ({
        waiting: eb.ref('excluded.waiting'),
        running: eb.ref('excluded.running'),
        dead: eb.ref('excluded.dead'),
      })),
    )
    .execute();
}

/** Forgets the samples taken before `before`. */
export async function pruneQueueSamples(db: Kysely<Database>, before: number): Promise<void> {
  await db.deleteFrom('queue_samples').where('at', '<', before).execute();
}

/** The samples since `since`, oldest first, summed over tenants (or one tenant's). */
export async function queueSamplesSince(
  db: Kysely<Database>,
  query: { since: number; tenantId?: string | undefined },
): Promise<{ at: number; waiting: number; running: number; dead: number }[]> {
  const rows = await db
    .selectFrom('queue_samples')
    .select([
      'at',
      sql<number | string>`sum(waiting)`.as('waiting'),
      sql<number | string>`sum(running)`.as('running'),
      sql<number | string>`sum(dead)`.as('dead'),
    ])
    .where('at', '>=', query.since)
    .$if(query.tenantId !== undefined, (qb) => qb.where('tenant_id', '=', query.tenantId ?? ''))
    .groupBy('at')
    .orderBy('at')
    .execute();
  return rows.map((r) => ({
    at: Number(r.at),
    waiting: Number(r.waiting),
    running: Number(r.running),
    dead: Number(r.dead),
  }));
}
