// A worker that stops renewing (crash, kill -9, a stall longer than the lease) loses its
// jobs: they go back to waiting so another worker finishes them. So does every job of a node
// whose heartbeat has expired (it died without a restart on its host) or that a restarted node
// found dead on its own host (`owners`): those come back at once, not at their lease's end. A
// job whose lease ended on its last allowed attempt is dead-lettered instead, so one poisonous
// Event cannot take workers down forever; if a newer change is pending it gets a fresh start.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import { runEnded, type JobKey } from './job.ts';

export interface ExpiredLease extends JobKey {
  id: number;
  attempts: number;
  /** `waiting`: back in the queue. `dead`: gave up after the last attempt. */
  state: 'waiting' | 'dead';
}

export async function releaseExpiredLeases(
  db: Kysely<Database>,
  options: {
    now: number;
    maxAttempts: number;
    /** Release every job these (dead) nodes hold, whatever their leases say. */
    owners?: readonly string[];
  },
): Promise<ExpiredLease[]> {
  const { now, maxAttempts } = options;
  // Two statements, not one with OR: each uses its index (an OR made every claim scan the queue).
  if (options.owners === undefined) {
    const expired = await release(db, now, maxAttempts, undefined);
    const dead = await db.selectFrom('nodes').select('id').where('expires_at', '<=', now).execute();
    if (dead.length === 0) return expired;
    const ofDead = await release(
      db,
      now,
      maxAttempts,
      dead.map((node) => node.id),
    );
    return [...expired, ...ofDead];
  }
  return release(db, now, maxAttempts, options.owners);
}

/** Running jobs of `owners` (whatever their leases), or else those whose lease ran out, back to waiting (or dead). */
async function release(
  db: Kysely<Database>,
  now: number,
  maxAttempts: number,
  owners: readonly string[] | undefined,
): Promise<ExpiredLease[]> {
  if (owners !== undefined && owners.length === 0) return [];
  const exhausted = sql<boolean>`attempts >= ${maxAttempts} and rerun_at is null`;
  const released = await db
    .updateTable('jobs')
    .set({
      state: sql`case when ${exhausted} then 'dead' else 'waiting' end`,
      run_at: now,
      first_change_at: sql`case when rerun_first_change_at < first_change_at then rerun_first_change_at else first_change_at end`,
      attempts: sql`case when rerun_at is not null and attempts >= ${maxAttempts} then 0 else attempts end`,
      last_error: sql`case when ${exhausted}
        then ${`gave up after ${maxAttempts} attempts: the worker's lease expired every time (crash or stall)`}
        else ${'the worker lost its lease (crash or stall); the job went back to the queue'} end`,
      ...runEnded,
      updated_at: now,
    })
    .where('state', '=', sql.lit('running'))
    .where((eb) =>
      owners !== undefined ? eb('lease_owner', 'in', [...owners]) : eb('lease_expires_at', '<=', now),
    )
    .returning(['id', 'tenant_id', 'event_id', 'attempts', 'state'])
    .execute();
  return released.map((row) => ({
    id: Number(row.id),
    tenantId: row.tenant_id,
    eventId: row.event_id,
    attempts: row.attempts,
    state: row.state === 'dead' ? 'dead' : 'waiting',
  }));
}
