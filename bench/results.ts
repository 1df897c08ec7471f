// A scenario's result as the bench writes it (bench/results/<scenario>-<date>.json), the newest
// saved result of a scenario, and one result compared with another.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { CpuUse } from './process-usage.ts';

const resultsDir = new URL('results/', import.meta.url);

export interface BenchResult {
  scenario: string;
  /** The calendars' provider (results from before it was recorded are Graph's). */
  provider?: string;
  description: string;
  changes: { total: number; creates: number; updates: number; deletes: number };
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  /**
   * The least latency any change can have: the sandboxes' injected latencies added up (Salesforce's
   * REST latency, the CDC delivery delay, the calendar call), and p50/p99 as multiples of it.
   */
  floorMs?: number;
  latencyOverFloor?: { p50: number; p99: number };
  /** The five slowest changes: the Event and its latency, to read its story (`instant-sync trace`). */
  slowestChanges?: { eventId: string; kind: 'create' | 'update'; ms: number }[];
  /** Latency at every whole percentile, 0 to 100 (for the distribution chart). */
  latencyDistributionMs: number[];
  eventsPerSecond: number;
  drainSeconds: number;
  salesforceCallsPer1000Events: number;
  providerCallsPerEvent: number;
  /** HTTP requests sent to the provider per change: below its calls per change when batched (Graph $batch). */
  providerHttpRequestsPerChange?: number;
  throttled: number;
  /** Statements the service's processes sent to the database per change (round trips on PostgreSQL). */
  databaseStatementsPerChange?: number;
  /**
   * What the database grew by per change, from the first change until every mailbox matched
   * (SQLite: its pages in use; PostgreSQL: pg_database_size): the changes, traces and links kept.
   */
  databaseBytesPerChange?: number;
  /**
   * SQLite: what the service's processes wrote to storage per change over the same span as the
   * statements (its write-ahead log and the checkpoints that copy it into the database file).
   */
  storageBytesWrittenPerChange?: number;
  /** CPU milliseconds the service's processes (serve, workers) used per change. */
  serviceCpuMsPerChange?: number;
  /**
   * The service's processes' CPU (serve, workers) ÷ the calendar sandbox's CPU in the same run, which
   * served the same calls: a ratio that holds from machine to machine, and under a load on the machine
   * that slows every process alike (`burst`'s target; `scale-out-4` against `scale-out-1`).
   */
  serviceCpuOverSandbox?: number;
  peakRssMb: number | null;
  /** Scenarios with worker processes: the largest peak resident memory among them. */
  workersPeakRssMb?: number | null;
  /**
   * Changes synced before the figures per change were counted (at least the scenario's warmUp:
   * those synced by the time the harness saw it pass): `changes` holds them too, and the drain
   * and latencies include them.
   */
  warmUp?: number;
  /**
   * CPU time each part used from the first change (preloaded scenarios: from when the workers are up, their start-up left out)
   * until every mailbox matched, and how busy the whole machine was meanwhile.
   */
  cpu: CpuUse;
  /** one-mailbox: drain time over the least Graph's limits allow (changes ÷ 4 in flight × latency). */
  ratioToTheoreticalMinimum: number | null;
  /** baseline: its figures divided by the service's on the same load (from the newest result of that scenario). */
  comparison: Comparison | null;
  /** hung: latency of the changes none of whose Graph calls hung. */
  unaffectedLatencyMs?: { p50: number; p95: number; p99: number; changes: number };
  /** crash: from the restart to the first item the restarted service wrote. */
  recoverySeconds?: number | null;
  /** crash and hung: the mailboxes compared with the org at the end (Events without their item, extra items). */
  lost?: number;
  duplicated?: number;
  machine: { cores: number; cpu: string; node: string };
  /** Node.js flags the service ran with beyond its own (--node-args). */
  nodeArgs: string[];
  at: string;
}

export interface Comparison {
  against: string;
  latencyP50: number;
  latencyP95: number;
  latencyP99: number;
  salesforceCallsPer1000Events: number;
  providerCallsPerEvent: number;
}

/** The newest saved result of `scenario`, if any. */
export function latestResult(scenario: string): { file: string; result: BenchResult } | undefined {
  const file = readdirSync(resultsDir)
    .filter(
      (f) => f.startsWith(`${scenario}-`) && /^\d{4}-\d{2}-\d{2}\.json$/.test(f.slice(scenario.length + 1)),
    )
    .sort()
    .at(-1);
  if (file === undefined) return undefined;
  return { file, result: JSON.parse(readFileSync(new URL(file, resultsDir), 'utf8')) as BenchResult };
}

/** How many times the first result's figures are the second's (latency ×, calls ×). */
export function compare(result: BenchResult, against: BenchResult, file: string): Comparison {
  const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 10) / 10 : Number.NaN);
  return {
    against: file,
    latencyP50: ratio(result.latencyMs.p50, against.latencyMs.p50),
    latencyP95: ratio(result.latencyMs.p95, against.latencyMs.p95),
    latencyP99: ratio(result.latencyMs.p99, against.latencyMs.p99),
    salesforceCallsPer1000Events: ratio(
      result.salesforceCallsPer1000Events,
      against.salesforceCallsPer1000Events,
    ),
    providerCallsPerEvent: ratio(result.providerCallsPerEvent, against.providerCallsPerEvent),
  };
}

/**
 * Writes `<scenario>-<date>.json`; a run with extra Node flags or a profiler gets a suffix naming
 * them, so it is kept beside the plain run but never taken for "the latest result".
 */
export function save(result: BenchResult, variant = ''): URL {
  mkdirSync(resultsDir, { recursive: true });
  const suffix = variant.replace(/[^a-z0-9=]+/gi, '-').replace(/^-+|-+$/g, '');
  const file = new URL(
    `${result.scenario}-${result.at.slice(0, 10)}${suffix === '' ? '' : `-${suffix}`}.json`,
    resultsDir,
  );
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}
