// Dead-lettering parks a job with its reason until an admin retries it or a new change to
// the Event arrives. If a change already arrived while this run failed, the job is not
// parked: the newer Event may well sync, so it waits for its rerun with a fresh attempt count.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import { heldBy, runEnded, type JobRun } from './job.ts';

export type DeadLetterOutcome = 'dead' | 'superseded' | 'lost-lease';

export async function deadLetterJob(
  db: Kysely<Database>,
  letter: { run: JobRun; workerId: string; reason: string; now: number },
): Promise<DeadLetterOutcome> {
  const row = await db
    .updateTable('jobs')
    .set({
      state: sql`case when rerun_at is null then 'dead' else 'waiting' end`,
      run_at: sql`coalesce(rerun_at, run_at)`,
      first_change_at: sql`coalesce(rerun_first_change_at, first_change_at)`,
      attempts: sql`case when rerun_at is null then attempts else 0 end`,
      last_error: letter.reason,
      ...runEnded,
      updated_at: letter.now,
    })
    .where(heldBy(letter.run, letter.workerId))
    .returning('state')
    .executeTakeFirst();
  if (row === undefined) return 'lost-lease';
  return row.state === 'dead' ? 'dead' : 'superseded';
}
