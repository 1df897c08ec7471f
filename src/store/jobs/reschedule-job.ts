// A failed run that is worth retrying goes back to waiting, due at the time the retry policy
// chose (or later, if a change that arrived meanwhile is due later still). A postponed run (the
// tenant cannot sync now: no provider, API budget spent, reconnect needed; or the owner's mailbox
// does not exist yet) gives its attempt back.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import { heldBy, runEnded, type JobRun } from './job.ts';

export async function rescheduleJob(
  db: Kysely<Database>,
  retry: {
    run: JobRun;
    workerId: string;
    retryAt: number;
    error: string;
    now: number;
    refundAttempt?: boolean;
    /** The job waits for this mailbox to exist (see JobsTable.waiting_for_mailbox_id). */
    waitingForMailboxId?: string;
  },
): Promise<boolean> {
  const row = await db
    .updateTable('jobs')
    .set((eb) => ({
      state: 'waiting',
      attempts: retry.refundAttempt === true ? eb('attempts', '-', 1) : eb.ref('attempts'),
      run_at: sql`case when rerun_at > ${retry.retryAt} then rerun_at else ${retry.retryAt} end`,
      first_change_at: sql`case when rerun_first_change_at < first_change_at then rerun_first_change_at else first_change_at end`,
      last_error: retry.error,
      ...runEnded,
      waiting_for_mailbox_id: retry.waitingForMailboxId ?? null,
      updated_at: retry.now,
    }))
    .where(heldBy(retry.run, retry.workerId))
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}
