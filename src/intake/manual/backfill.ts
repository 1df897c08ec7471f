// Backfill: every Event (not invitees' copies) whose date falls in a range is recorded as a
// `backfill` change and queued, as if it had just changed. The engine then makes each mailbox
// match: items that are already right cost no provider call, so a second run changes nothing.
// Used after connecting an org that already has Events, and after restoring a lost database.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../lib/clock.ts';
import { BadInputError } from '../../lib/errors.ts';
import type { SalesforceRestClient } from '../../salesforce/rest-client.ts';
import type { TenantRow } from '../../store/schema.ts';
import type { Repositories } from '../../store/repositories.ts';

export interface BackfillRange {
  /** First day, YYYY-MM-DD, inclusive. */
  from: string;
  /** Last day, YYYY-MM-DD, inclusive. */
  to: string;
}

export interface BackfillResult {
  found: number;
  queued: number;
  /** The Events queued, to follow their sync. */
  eventIds: string[];
}

const isoDate = /^\d{4}-\d{2}-\d{2}$/;
const chunk = 2000;

export function checkBackfillRange(range: BackfillRange): void {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(range) as [string, string][])
    if (!isoDate.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)))
      problems.push(`--${name} must be a date like 2026-01-31, got ${JSON.stringify(value)}`);
  if (problems.length === 0 && range.from > range.to) problems.push('--from must not be after --to');
  if (problems.length > 0) throw new BadInputError(problems.join('; '));
}

export async function backfill(
  deps: { repos: Repositories; clock: Clock; rest: SalesforceRestClient },
  tenant: TenantRow,
  range: BackfillRange,
  onProgress?: (done: number, total: number) => void,
): Promise<BackfillResult> {
  checkBackfillRange(range);
  // ActivityDate is the Event's day (the all-day date, or the start's day for a timed Event).
  const records = await deps.rest.query(
    `SELECT Id FROM Event WHERE IsChild = false AND ActivityDate >= ${range.from} AND ActivityDate <= ${range.to} ORDER BY Id`,
  );
  const ids = records.map((r) => r.Id).filter((id): id is string => typeof id === 'string');
  const run = randomUUID();
  const queuedIds: string[] = [];
  onProgress?.(0, ids.length);
  for (let i = 0; i < ids.length; i += chunk) {
    const result = await deps.repos.changes.recordChanges({
      tenantId: tenant.id,
      settleWindowMs: 0,
      now: deps.clock.now(),
      changes: ids.slice(i, i + chunk).map((eventId) => ({
        eventId,
        changeType: 'resync',
        source: 'backfill',
        dedupeKey: `backfill:${run}:${eventId}`,
        committedAt: null,
      })),
    });
    queuedIds.push(...result.eventIds);
    onProgress?.(Math.min(i + chunk, ids.length), ids.length);
  }
  return { found: ids.length, queued: queuedIds.length, eventIds: queuedIds };
}

/** How many of `eventIds` still wait or run (not yet synced), and how many are dead-lettered. */
export async function backlogOf(
  repos: Repositories,
  tenantId: string,
  eventIds: readonly string[],
): Promise<{ pending: number; dead: number }> {
  return repos.jobs.countBacklog(tenantId, eventIds);
}
