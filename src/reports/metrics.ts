// /metrics in Prometheus' text format: what the engine counted in this process (syncs, skips,
// latency, provider calls, waits for mailbox limits, Salesforce API usage) and, read from the
// database, what all processes share (changes received by source, jobs by state, connections by
// state). Those counts are taken at most every 5 seconds, however many scrapers call: counting
// a large table costs tens of milliseconds. Each runtime has its own registry.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EngineMetrics } from '../engine/engine-metrics.ts';
import type { CountedColumn, CountedTable } from '../store/metrics-repository.ts';
import type { Repositories } from '../store/repositories.ts';
import type { StatementCount } from '../store/statement-count.ts';

export interface Metrics {
  engine: EngineMetrics;
  contentType: string;
  render(): Promise<string>;
}

/** How long the database counts are reused between scrapes. */
export const databaseCountsMaxAgeMs = 5000;

export function createMetrics(
  repos: Repositories,
  statements: StatementCount,
  now: () => number = Date.now,
): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'instant_sync_' });
  new Counter({
    name: 'instant_sync_database_statements_total',
    help: 'Statements this process sent to the database, transaction BEGIN/COMMIT included (round trips on PostgreSQL)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(statements.sent);
    },
  });
  const syncs = new Counter({
    name: 'instant_sync_syncs_total',
    help: 'Calendar items changed, by action and provider',
    labelNames: ['action', 'provider'],
    registers: [registry],
  });
  const skips = new Counter({
    name: 'instant_sync_skips_total',
    help: 'Events that could not be synced faithfully and were skipped with a reason',
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'instant_sync_end_to_end_latency_seconds',
    help: 'From the change in Salesforce (its commit time when known) to the item written in the mailbox',
    buckets: [0.25, 0.5, 1, 2, 3, 5, 10, 30, 60, 300, 900],
    registers: [registry],
  });
  const calls = new Histogram({
    name: 'instant_sync_provider_call_duration_seconds',
    help: 'Calls to mailbox providers, by provider, operation and outcome',
    labelNames: ['provider', 'operation', 'outcome'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [registry],
  });
  const waits = new Counter({
    name: 'instant_sync_mailbox_limit_wait_seconds_total',
    help: "Time calls waited for a mailbox's limits (in-flight cap, request window, Retry-After)",
    registers: [registry],
  });
  const apiUsed = new Gauge({
    name: 'instant_sync_salesforce_api_requests_used_ratio',
    help: "Share of the org's daily API requests used, as Sforce-Limit-Info last said",
    labelNames: ['tenant'],
    registers: [registry],
  });
  // Counts from the database, shared by concurrent scrapes and reused for a few seconds.
  const cached = new Map<string, { at: number; rows: Promise<{ value: string; n: number }[]> }>();
  const countRows = (table: CountedTable, column: CountedColumn) => {
    const key = `${table}.${column}`;
    const hit = cached.get(key);
    if (hit !== undefined && now() - hit.at < databaseCountsMaxAgeMs) return hit.rows;
    const rows = repos.metrics.countRowsBy(table, column);
    cached.set(key, { at: now(), rows });
    // A failed count is not kept: the next scrape asks again.
    rows.catch(() => cached.delete(key));
    return rows;
  };
  const countedBy = (
    name: string,
    help: string,
    table: CountedTable,
    column: CountedColumn,
    always: readonly string[] = [],
  ) =>
    new Gauge({
      name,
      help,
      labelNames: [column],
      registers: [registry],
      async collect() {
        const rows = await countRows(table, column);
        this.reset();
        for (const value of always) this.set({ [column]: value }, 0);
        for (const row of rows) this.set({ [column]: row.value }, row.n);
      },
    });
  countedBy(
    'instant_sync_changes_received_total',
    'Changes recorded, by source (all processes; from the database)',
    'changes',
    'source',
  );
  countedBy('instant_sync_jobs', 'Sync jobs by state (all processes; from the database)', 'jobs', 'state', [
    'waiting',
    'running',
    'dead',
  ]);
  countedBy(
    'instant_sync_salesforce_connections',
    'Tenants by Salesforce connection state (from the database)',
    'salesforce_connections',
    'state',
  );

  return {
    contentType: registry.contentType,
    render: () => registry.metrics(),
    engine: {
      synced: (provider, action, latencyMs) => {
        syncs.inc({ action, provider });
        latency.observe(latencyMs / 1000);
      },
      skipped: () => skips.inc(),
      providerCall: (provider, operation, durationMs, outcome) =>
        calls.observe({ provider, operation, outcome }, durationMs / 1000),
      mailboxWait: (ms) => {
        if (ms > 0) waits.inc(ms / 1000);
      },
      apiUsage: (tenant, usage) => apiUsed.set({ tenant }, usage.max > 0 ? usage.used / usage.max : 0),
    },
  };
}
