// Enqueue = one upsert on the job key. Run it inside the transaction that records the change,
// so a change is never stored without its job (or the reverse).
//
// The settle window is adaptive: an Event nobody is syncing runs at once (`runAt`, usually now),
// and only a change that arrives while its Event is being synced waits for the window
// (`settleMs`) before the run that picks it up: a save and the trigger or flow updates that
// follow it become two runs at most, however many updates there are, and a lone change never
// waits.
import type { Kysely } from 'kysely';
import { bulkInsert } from '../bulk-insert.ts';
import { jobLanes, type Database, type JobLane, type JobState } from '../schema.ts';
import type { JobKey } from './job.ts';

export interface EnqueueJob extends JobKey {
  /** When the job may run if its Event is not being synced: usually now. */
  runAt: number;
  /**
   * How long after `runAt` the Event runs again when a sync of it is in flight (the tenant's
   * settle window): what else arrives meanwhile joins that run. Default 0.
   */
  settleMs?: number;
  /** When the change happened (Salesforce commit time when known), for end-to-end latency. */
  changeAt: number;
  now: number;
  /** Which work it is (jobLanes; default live). A job keeps the best lane it was given. */
  lane?: JobLane;
}

export interface EnqueueResult {
  jobId: number;
  /** `waiting`: the job will run at its due time. `running`: it will run again after the current run. */
  state: JobState;
}

/**
 * Waiting job: keep the earliest due time and the oldest change. Running job: remember to run
 * again, `settleMs` after `runAt` (the running sync may have read the Event before this change).
 * Dead job: a new change revives it with a fresh attempt count (and its oldest unsynced change).
 */
export async function enqueueJob(db: Kysely<Database>, job: EnqueueJob): Promise<EnqueueResult> {
  const [result] = await enqueueJobs(db, [job]);
  if (result === undefined) throw new Error(`the job of ${job.eventId} was not written`);
  return result;
}

const rowsPerStatement = 500;

/**
 * `enqueueJob` for many Events in one statement per 500 (intake records a burst's jobs without
 * compiling an upsert for each). Each Event may appear once.
 */
export async function enqueueJobs(
  db: Kysely<Database>,
  jobs: readonly EnqueueJob[],
): Promise<(EnqueueResult & { eventId: string })[]> {
  const results: (EnqueueResult & { eventId: string })[] = [];
  // One statement carries one settle window (intake's jobs of a batch share their tenant's).
  const bySettle = new Map<number, EnqueueJob[]>();
  for (const job of jobs) {
    const settleMs = job.settleMs ?? 0;
    const group = bySettle.get(settleMs);
    if (group === undefined) bySettle.set(settleMs, [job]);
    else group.push(job);
  }
  for (const [settleMs, group] of bySettle)
    for (let i = 0; i < group.length; i += rowsPerStatement) {
      const rows = await upsert(db, group.slice(i, i + rowsPerStatement), settleMs);
      for (const row of rows)
        results.push({ jobId: Number(row.id), state: row.state, eventId: row.event_id });
    }
  return results;
}

const jobColumns = [
  'tenant_id',
  'event_id',
  'state',
  'run_at',
  'attempts',
  'first_change_at',
  'created_at',
  'updated_at',
  'lane',
] as const;

/** The smaller of two SQL values, written so SQLite (min) and PostgreSQL (least) agree. */
const least = (a: string, b: string) => `case when ${a} <= ${b} then ${a} else ${b} end`;

/** The upsert's `on conflict` for one settle window (a literal: a tenant has one, so a few texts in all). */
function upsertTail(settleMs: number): string {
  if (!Number.isSafeInteger(settleMs) || settleMs < 0)
    throw new RangeError(`a settle window is a whole number of milliseconds, not ${settleMs}`);
  const state = '"jobs"."state"';
  const runAt = '"excluded"."run_at"';
  const rerunAt = `(${runAt} + ${settleMs})`;
  const changeAt = '"excluded"."first_change_at"';
  const set = {
    run_at: `case ${state} when 'waiting' then ${least('"jobs"."run_at"', runAt)} when 'dead' then ${runAt} else "jobs"."run_at" end`,
    // A dead job's changes were never synced: latency still counts from the oldest of them.
    first_change_at: `case ${state} when 'waiting' then ${least('"jobs"."first_change_at"', changeAt)} when 'dead' then ${least('"jobs"."first_change_at"', changeAt)} else "jobs"."first_change_at" end`,
    rerun_at: `case ${state} when 'running' then ${least(`coalesce("jobs"."rerun_at", ${rerunAt})`, rerunAt)} else "jobs"."rerun_at" end`,
    rerun_first_change_at: `case ${state} when 'running' then ${least(`coalesce("jobs"."rerun_first_change_at", ${changeAt})`, changeAt)} else "jobs"."rerun_first_change_at" end`,
    // A dead job starts afresh in the lane of the change that revives it.
    lane: `case ${state} when 'dead' then "excluded"."lane" else ${least('"jobs"."lane"', '"excluded"."lane"')} end`,
    attempts: `case ${state} when 'dead' then 0 else "jobs"."attempts" end`,
    state: `case ${state} when 'dead' then 'waiting' else "jobs"."state" end`,
    updated_at: '"excluded"."updated_at"',
  };
  return `on conflict ("tenant_id", "event_id") do update set ${Object.entries(set)
    .map(([column, value]) => `"${column}" = ${value}`)
    .join(', ')}`;
}

const upserts = new Map<number, ReturnType<typeof upsertFor>>();

function upsertFor(settleMs: number) {
  return bulkInsert<Database, 'jobs', (typeof jobColumns)[number], 'id' | 'state' | 'event_id'>(
    'jobs',
    jobColumns,
    { rowsPerStatement, tail: upsertTail(settleMs), returning: ['id', 'state', 'event_id'] },
  );
}

function upsert(db: Kysely<Database>, jobs: readonly EnqueueJob[], settleMs: number) {
  let write = upserts.get(settleMs);
  if (write === undefined) {
    write = upsertFor(settleMs);
    upserts.set(settleMs, write);
  }
  return write(
    db,
    jobs.map((job) => ({
      tenant_id: job.tenantId,
      event_id: job.eventId,
      state: 'waiting' as const,
      run_at: job.runAt,
      attempts: 0,
      first_change_at: job.changeAt,
      created_at: job.now,
      updated_at: job.now,
      lane: job.lane ?? jobLanes.live,
    })),
  );
}
