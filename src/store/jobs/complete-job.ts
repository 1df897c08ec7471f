// Completing removes the job, unless a change arrived while it ran: then the same row goes
// back to waiting for the rerun. Only the lease holder can complete a job.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import { heldBy, runEnded } from './job.ts';

export type CompleteOutcome = 'completed' | 'rerun' | 'lost-lease';

export async function completeJob(
  db: Kysely<Database>,
  completion: { jobId: number; workerId: string; now: number },
): Promise<CompleteOutcome> {
  const { jobId, workerId, now } = completion;
  const deleted = await db
    .deleteFrom('jobs')
    .where(heldBy(jobId, workerId))
    .where('rerun_at', 'is', null)
    .returning('id')
    .executeTakeFirst();
  if (deleted !== undefined) return 'completed';
  // Either a change is pending (rerun) or the lease is gone. A concurrent enqueue that set
  // rerun_at made the delete above skip this row, so the update below sees it.
  const rerun = await db
    .updateTable('jobs')
    .set({
      state: 'waiting',
      run_at: sql`rerun_at`,
      first_change_at: sql`rerun_first_change_at`,
      attempts: 0,
      last_error: null,
      ...runEnded,
      updated_at: now,
    })
    .where(heldBy(jobId, workerId))
    .where('rerun_at', 'is not', null)
    .returning('id')
    .executeTakeFirst();
  return rerun !== undefined ? 'rerun' : 'lost-lease';
}
