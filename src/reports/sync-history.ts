// Syncs per minute over the last day with their p50/p95 end-to-end latency, for the admin charts.
// `serve` counts each finished minute once from the `apply` traces into `sync_minutes` (a row per
// tenant with syncs, and one for all tenants that marks the minute counted); a chart reads those
// 1,440 rows and counts only the minute or two not yet counted from the traces, so a sync shows
// at once and a page load never reads a day of traces.
import { percentile } from '../lib/percentile.ts';
import type { Repositories } from '../store/repositories.ts';
import type { SyncMinutesTable } from '../store/schema.ts';
import { allTenants } from '../store/sync-minutes-repository.ts';

const minute = 60_000;
const day = 86_400_000;
/** A minute is counted once it ended this long ago, so a trace written as the minute turns is in it. */
const settleMs = 15_000;

export interface SyncPoint {
  /** Start of the minute, epoch ms. */
  at: number;
  syncs: number;
  p50: number | null;
  p95: number | null;
}

/**
 * Counts every finished minute of the last day not counted yet (an hour of traces per query) and
 * forgets minutes older than a day and an hour.
 */
export async function countSyncMinutes(repos: Pick<Repositories, 'syncMinutes'>, now: number): Promise<void> {
  const end = Math.floor((now - settleMs) / minute) * minute;
  const last = await repos.syncMinutes.lastCountedMinute();
  let from = Math.max(last === null ? 0 : last + minute, Math.floor((now - day) / minute) * minute);
  while (from < end) {
    const to = Math.min(end, from + 60 * minute);
    const applies = await repos.syncMinutes.appliesBetween({ from, to });
    await repos.syncMinutes.saveSyncMinutes(minuteRows(applies, from, to));
    from = to;
  }
  await repos.syncMinutes.pruneSyncMinutes(now - day - 3_600_000);
}

/** The 1,440 minutes ending with the current one, of every tenant or of one, oldest first. */
export async function syncHistory(
  repos: Pick<Repositories, 'syncMinutes'>,
  now: number,
  tenantId?: string,
): Promise<SyncPoint[]> {
  const key = tenantId ?? allTenants;
  const start = Math.floor(now / minute) * minute - (1440 - 1) * minute;
  const byMinute = new Map<number, SyncPoint>();
  for (const row of await repos.syncMinutes.syncMinutesSince({ since: start, tenantId: key }))
    byMinute.set(row.at, { at: row.at, syncs: row.syncs, p50: row.p50_ms, p95: row.p95_ms });
  const last = await repos.syncMinutes.lastCountedMinute();
  const liveFrom = Math.max(start, last === null ? start : last + minute);
  const liveTo = Math.floor(now / minute) * minute + minute;
  const live = (await repos.syncMinutes.appliesBetween({ from: liveFrom, to: liveTo })).filter(
    (apply) => tenantId === undefined || apply.tenantId === tenantId,
  );
  for (const row of minuteRows(live, liveFrom, liveTo))
    if (row.tenant_id === key)
      byMinute.set(row.at, { at: row.at, syncs: row.syncs, p50: row.p50_ms, p95: row.p95_ms });
  return Array.from({ length: 1440 }, (_, i) => {
    const at = start + i * minute;
    return byMinute.get(at) ?? { at, syncs: 0, p50: null, p95: null };
  });
}

/** Rows for the minutes in [from, to): each tenant's with syncs, and every minute's of all tenants. */
function minuteRows(
  applies: readonly { tenantId: string; at: number; latencyMs: number | undefined }[],
  from: number,
  to: number,
): SyncMinutesTable[] {
  const groups = new Map<string, { tenantId: string; at: number; syncs: number; latencies: number[] }>();
  const group = (tenantId: string, at: number) => {
    const id = `${tenantId}\n${at}`;
    let found = groups.get(id);
    if (found === undefined) {
      found = { tenantId, at, syncs: 0, latencies: [] };
      groups.set(id, found);
    }
    return found;
  };
  for (let at = from; at < to; at += minute) group(allTenants, at);
  for (const apply of applies) {
    const at = Math.floor(apply.at / minute) * minute;
    for (const counted of [group(apply.tenantId, at), group(allTenants, at)]) {
      counted.syncs += 1;
      if (apply.latencyMs !== undefined) counted.latencies.push(apply.latencyMs);
    }
  }
  return [...groups.values()].map(({ tenantId, at, syncs, latencies }) => {
    latencies.sort((a, b) => a - b);
    return {
      tenant_id: tenantId,
      at,
      syncs,
      p50_ms: roundOrNull(percentile(latencies, 50)),
      p95_ms: roundOrNull(percentile(latencies, 95)),
    };
  });
}

const roundOrNull = (ms: number | null) => (ms === null ? null : Math.round(ms));
