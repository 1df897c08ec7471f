// Polling reconciliation: the safety net under CDC and the webhook, and the only source for orgs
// without CDC. Each run asks for Events whose SystemModstamp passed the tenant's watermark (minus
// an overlap, for transactions that commit late), deleted ones included, plus the replication
// API's deleted list; records the versions not already known from another source; and moves the
// watermark in the same transaction. Child (invitee) copies are never asked for.
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import type { IncomingChange } from '../../store/changes/record-changes.ts';
import type { TenantRow } from '../../store/schema.ts';
import type { SalesforceRestClient } from '../../salesforce/rest-client.ts';
import type { Repositories } from '../../store/repositories.ts';

/** How far back each run looks again before the watermark. */
export const pollOverlapMs = 60_000;
/** The replication API answers for the last 30 days only. */
const deletedWindowMs = 29 * 86_400_000;

export interface PollResult {
  /** Versions seen (Events and deletions), recorded or already known. */
  seen: number;
  recorded: number;
  /** The watermark after this run, epoch ms. */
  watermark: number;
  /** True on a tenant's first run: the watermark was set, nothing before it is fetched (that is backfill). */
  started: boolean;
}

export interface PollerDeps {
  repos: Repositories;
  clock: Clock;
  logger: Logger;
  restClient: (tenantId: string) => SalesforceRestClient;
}

export async function pollTenant(deps: PollerDeps, tenant: TenantRow, startAt?: number): Promise<PollResult> {
  const now = deps.clock.now();
  const stored = await deps.repos.intakePositions.readPosition(tenant.id, 'poll');
  if (stored === undefined) {
    const watermark = startAt ?? now;
    await deps.repos.changes.recordChanges({
      tenantId: tenant.id,
      settleWindowMs: tenant.settle_window_ms,
      now,
      changes: [],
      position: { source: 'poll', value: String(watermark) },
    });
    return { seen: 0, recorded: 0, watermark, started: true };
  }
  const watermark = Number(stored);
  const from = watermark - pollOverlapMs;
  const rest = deps.restClient(tenant.id);
  const records = await rest.query(
    `SELECT Id, IsDeleted, CreatedDate, SystemModstamp FROM Event WHERE SystemModstamp > ${new Date(from).toISOString()} AND IsChild = false ORDER BY SystemModstamp, Id`,
    { all: true },
  );
  const deleted = await rest.deleted('Event', Math.max(from, now - deletedWindowMs), now);

  const versions: { eventId: string; at: number; type: IncomingChange['changeType'] }[] = [];
  for (const record of records) {
    const at = Date.parse(String(record['SystemModstamp']));
    if (record.Id === undefined || Number.isNaN(at)) continue;
    const type =
      record['IsDeleted'] === true
        ? 'delete'
        : Date.parse(String(record['CreatedDate'])) === at
          ? 'create'
          : 'update';
    versions.push({ eventId: record.Id, at, type });
  }
  for (const gone of deleted) versions.push({ eventId: gone.id, at: gone.deletedAt, type: 'delete' });

  const known = await deps.repos.changes.latestRecordedCommit(tenant.id, [
    ...new Set(versions.map((v) => v.eventId)),
  ]);
  const changes: IncomingChange[] = versions
    .filter((v) => (known.get(v.eventId) ?? Number.NEGATIVE_INFINITY) < v.at)
    .map((v) => ({
      eventId: v.eventId,
      changeType: v.type,
      source: 'poll',
      dedupeKey: `poll:${v.eventId}:${v.at}:${v.type}`,
      committedAt: v.at,
    }));
  const newest = versions.reduce((max, v) => Math.max(max, v.at), watermark);
  const result = await deps.repos.changes.recordChanges({
    tenantId: tenant.id,
    settleWindowMs: tenant.settle_window_ms,
    now,
    changes,
    position: { source: 'poll', value: String(Math.min(newest, now)) },
  });
  if (result.recorded > 0) {
    deps.logger.info(
      { tenant: tenant.slug, source: 'poll', recorded: result.recorded },
      'polling found changes the other sources had not reported',
    );
  }
  return {
    seen: versions.length,
    recorded: result.recorded,
    watermark: Math.min(newest, now),
    started: false,
  };
}
