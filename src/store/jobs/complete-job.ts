// Completing removes the job, unless a change arrived while it ran: then the same row goes
// back to waiting for the rerun. Only the lease holder can complete a job.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import { heldBy, runEnded, type JobRun } from './job.ts';

export type CompleteOutcome = 'completed' | 'rerun' | 'lost-lease';

export async function completeJob(
  db: Kysely<Database>,
  completion: { run: JobRun; workerId: string; now: number },
): Promise<CompleteOutcome> {
  const outcomes = await completeJobs(db, { ...completion, runs: [completion.run] });
  return outcomes.get(completion.run.id) ?? 'lost-lease';
}

const idsPerStatement = 500;

/** `completeJob` for a batch's finished jobs: two statements per 500 jobs instead of one or two per job. */
export async function completeJobs(
  db: Kysely<Database>,
  completion: { runs: readonly JobRun[]; workerId: string; now: number },
): Promise<Map<number, CompleteOutcome>> {
  const { workerId, now } = completion;
  const outcomes = new Map<number, CompleteOutcome>();
  for (let i = 0; i < completion.runs.length; i += idsPerStatement) {
    const runs = completion.runs.slice(i, i + idsPerStatement);
    const ids = runs.map((run) => run.id);
    const deleted = await db
      .deleteFrom('jobs')
      .where(heldBy(runs, workerId))
      .where('rerun_at', 'is', null)
      .returning('id')
      .execute();
    for (const row of deleted) outcomes.set(Number(row.id), 'completed');
    const rest = runs.filter((run) => !outcomes.has(run.id));
    if (rest.length === 0) continue;
    // Either a change is pending (rerun) or the lease is gone. A concurrent enqueue that set
    // rerun_at made the delete above skip its row, so the update below sees it.
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
      .where(heldBy(rest, workerId))
      .where('rerun_at', 'is not', null)
      .returning('id')
      .execute();
    for (const row of rerun) outcomes.set(Number(row.id), 'rerun');
    for (const id of ids) if (!outcomes.has(id)) outcomes.set(id, 'lost-lease');
  }
  return outcomes;
}
