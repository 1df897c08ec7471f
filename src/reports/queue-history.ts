// The queue's depth over the last day, for the admin charts: `serve` samples it once a minute
// (every node; a minute is one row whichever node wrote it) and forgets samples older than a day.
import type { Repositories } from '../store/repositories.ts';

const minute = 60_000;
const day = 86_400_000;

/** Samples each tenant's queue as of this minute and forgets what is older than a day and an hour. */
export async function recordQueueDepth(repos: Repositories, now: number): Promise<void> {
  const at = Math.floor(now / minute) * minute;
  await repos.queueSamples.sampleQueues(at);
  await repos.queueSamples.pruneQueueSamples(at - day - 3_600_000);
}

export interface QueuePoint {
  at: number;
  /** Jobs waiting (due, scheduled or paused) and running. */
  queued: number;
  dead: number;
}

/** The samples of the last 24 hours (every tenant's summed, or one tenant's), oldest first. */
export async function queueHistory(
  repos: Repositories,
  now: number,
  tenantId?: string,
): Promise<QueuePoint[]> {
  const samples = await repos.queueSamples.queueSamplesSince({ since: now - day, tenantId });
  return samples.map((s) => ({ at: s.at, queued: s.waiting + s.running, dead: s.dead }));
}
