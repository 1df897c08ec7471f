// Retention: what the service keeps and for how long, so that a database serving for years
// stops growing. `serve` runs it every INSTANT_SYNC_RETENTION_INTERVAL on one node at a time (the
// `retention` lease), a small batch per statement with a yield between, so intake and sync never
// wait long behind it:
// - dead letters and the links of deleted Events older than INSTANT_SYNC_RETAIN_FAILURES (each
//   removed dead letter leaves a step in its Event's trace saying so);
// - changes and trace steps older than INSTANT_SYNC_RETAIN_HISTORY (skip steps: RETAIN_FAILURES),
//   except those of an Event with a job, which its next sync or its dead letter's story needs;
// - expired Connect states and admin sessions;
// - then, on SQLite, the freed pages given back to the file system (auto_vacuum=incremental).
// The cut-off of history is kept in `meta` (retention:history_before) so an Event's story can say
// that its earlier steps are no longer kept.
import type { Logger } from 'pino';
import { formatDuration } from '../config/duration.ts';
import type { Clock } from '../lib/clock.ts';
import type { BackendName } from '../store/backend.ts';
import type { Repositories } from '../store/repositories.ts';

export interface RetentionPolicy {
  /** Changes and trace steps. */
  historyMs: number;
  /** Skips, dead letters, deleted Events' links. */
  failuresMs: number;
}

export interface RetentionDeps {
  repos: Pick<Repositories, 'retention' | 'leases' | 'traces' | 'meta' | 'transaction'>;
  clock: Clock;
  logger: Logger;
  backend: BackendName;
  /** This node, as the lease's holder. */
  nodeId: string;
}

export interface RetentionReport {
  deadLetters: number;
  deletedLinks: number;
  changes: number;
  traces: number;
  expired: number;
  /** SQLite pages (of the file's page size) given back to the file system. */
  pagesReclaimed: number;
}

/** Rows per statement: a few milliseconds of work each, so writers queue behind it only briefly. */
export const retentionBatch = 500;
const pagesPerStep = 1000;
export const historyCutoffKey = 'retention:history_before';
let warnedAutoVacuum = false;

/**
 * One retention pass, if this node holds (or takes) the lease for `leaseMs`; undefined when
 * another node holds it.
 */
export async function runRetention(
  deps: RetentionDeps,
  policy: RetentionPolicy,
  leaseMs: number,
  /** Aborted when the service stops: the pass ends after its current batch. */
  signal?: AbortSignal,
): Promise<RetentionReport | undefined> {
  const { repos, clock } = deps;
  const hold = () =>
    repos.leases.acquireLease({ name: 'retention', holder: deps.nodeId, ttlMs: leaseMs, now: clock.now() });
  if (!(await hold())) return undefined;
  const now = clock.now();
  const historyBefore = now - policy.historyMs;
  const failuresBefore = now - policy.failuresMs;
  const report: RetentionReport = {
    deadLetters: 0,
    deletedLinks: 0,
    changes: 0,
    traces: 0,
    expired: 0,
    pagesReclaimed: 0,
  };
  /** Runs `batch` until it removes less than a full batch, holding the lease and yielding between. */
  let lost = false;
  const drain = async (batch: () => Promise<number>): Promise<number> => {
    let total = 0;
    while (!lost && signal?.aborted !== true) {
      const removed = await batch();
      total += removed;
      if (removed < retentionBatch) break;
      await yieldToOthers();
      lost = !(await hold());
    }
    return total;
  };

  // Dead letters first: their Events' changes and steps may go in the same pass.
  report.deadLetters = await drain(async () => {
    const removed = await repos.retention.pruneDeadLetters({ before: failuresBefore, limit: retentionBatch });
    await repos.traces.addTraces(
      removed.map((dead) => ({
        tenant_id: dead.tenantId,
        event_id: dead.eventId,
        job_id: null,
        at: now,
        step: 'retention',
        message: `dead letter removed, unsynced for ${formatDuration(policy.failuresMs)} (INSTANT_SYNC_RETAIN_FAILURES); the Event syncs again at its next change or a retry`,
        data_json: JSON.stringify({
          lastError: dead.lastError,
          diedAt: new Date(dead.updatedAt).toISOString(),
        }),
      })),
    );
    return removed.length;
  });
  report.deletedLinks = await drain(() =>
    repos.retention.pruneDeletedLinks({ before: failuresBefore, limit: retentionBatch }),
  );
  // Each batch counted into `meta` with its removal, so the changes-received counter never falls.
  report.changes = await drain(() =>
    repos.transaction(async (tx) => {
      const bySource = await tx.retention.pruneChanges({ before: historyBefore, limit: retentionBatch });
      await tx.retention.countRemovedChanges(bySource);
      return [...bySource.values()].reduce((sum, n) => sum + n, 0);
    }),
  );
  report.traces = await drain(() =>
    repos.retention.pruneTraces({
      stepsBefore: historyBefore,
      skipsBefore: failuresBefore,
      limit: retentionBatch,
    }),
  );
  await repos.meta.writeMeta(historyCutoffKey, String(historyBefore));
  report.expired = await repos.retention.pruneExpired(now);

  if (deps.backend === 'sqlite' && !(await repos.retention.incrementalVacuumOn())) {
    if (!warnedAutoVacuum)
      deps.logger.warn(
        'the SQLite file reuses the space retention frees but does not give it back to the file system: stop the service and run instant-sync migrate once to convert it (auto_vacuum=incremental)',
      );
    warnedAutoVacuum = true;
  } else if (deps.backend === 'sqlite')
    for (let free = await repos.retention.freePages(); free > 0; free = await repos.retention.freePages()) {
      await repos.retention.reclaimPages(Math.min(free, pagesPerStep));
      const left = await repos.retention.freePages();
      // A file not (yet) in incremental mode keeps its free pages for reuse: nothing more to give back.
      if (left >= free) break;
      report.pagesReclaimed += free - left;
      if (signal?.aborted === true) break;
      await yieldToOthers();
    }

  const removed = report.deadLetters + report.deletedLinks + report.changes + report.traces + report.expired;
  if (removed > 0 || report.pagesReclaimed > 0)
    deps.logger.info({ retention: report }, 'retention pass removed old rows');
  return report;
}

/** Lets the event loop run what waits (intake, sync, HTTP) before the next batch. */
function yieldToOthers(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
