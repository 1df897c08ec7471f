// /metrics in Prometheus' text format: what the engine counted in this process (syncs, skips,
// latency, provider calls, waits for mailbox limits, Salesforce API usage) and, read from the
// database, what all processes share (changes received by source, jobs by state, connections by
// state). Those counts are taken at most every 5 seconds, however many scrapers call: counting
// a large table costs tens of milliseconds. Each runtime has its own registry.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EngineMetrics } from '../engine/engine-metrics.ts';
import { currentHeapMode } from '../lib/heap-mode.ts';
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
  new Gauge({
    name: 'instant_sync_heap_mode',
    help: "V8's heap mode in this process: memory-saving while quiet, throughput while busy, fixed when it does not follow the load (a mode chosen on Node's command line)",
    labelNames: ['mode'],
    registers: [registry],
    collect() {
      this.reset();
      for (const mode of ['memory-saving', 'throughput', 'fixed'] as const)
        this.set({ mode }, currentHeapMode() === mode ? 1 : 0);
    },
  });
  // Reads of the database, shared by concurrent scrapes and reused for a few seconds.
  const readCache = new Map<string, { at: number; value: Promise<unknown> }>();
  const fromDatabase = <T>(key: string, read: () => Promise<T>): Promise<T> => {
    const hit = readCache.get(key) as { at: number; value: Promise<T> } | undefined;
    if (hit !== undefined && now() - hit.at < databaseCountsMaxAgeMs) return hit.value;
    const value = read();
    readCache.set(key, { at: now(), value });
    // A failed read is not kept: the next scrape asks again.
    value.catch(() => readCache.delete(key));
    return value;
  };
  const countRows = (table: CountedTable, column: CountedColumn) =>
    fromDatabase(`${table}.${column}`, () => repos.metrics.countRowsBy(table, column));
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
  // Where each tenant's CDC stands and its org's event deliveries, as the node running its
  // subscription last saved them.
  new Gauge({
    name: 'instant_sync_cdc_fallback',
    help: 'Tenants polled faster because change data capture cannot be used for now, by reason (from the database)',
    labelNames: ['tenant', 'reason'],
    registers: [registry],
    async collect() {
      const states = await fromDatabase('cdc_states', () => repos.cdcStates.listCdcStates());
      this.reset();
      for (const state of states)
        if (state.state === 'polling')
          this.set({ tenant: state.tenant_id, reason: state.reason ?? 'refused' }, 1);
    },
  });
  new Gauge({
    name: 'instant_sync_salesforce_event_deliveries_used_ratio',
    help: "Share of the org's daily event delivery allocation (CDC and platform events) used, as the limits resource last said",
    labelNames: ['tenant'],
    registers: [registry],
    async collect() {
      const limits = await fromDatabase('org_limits', () => repos.cdcStates.listOrgLimits());
      this.reset();
      for (const row of limits) {
        const max = Number(row.deliveries_max ?? 0);
        if (row.deliveries_remaining === null || max <= 0) continue;
        this.set({ tenant: row.tenant_id }, Math.max(0, max - Number(row.deliveries_remaining)) / max);
      }
    },
  });

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
