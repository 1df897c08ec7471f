// The bench's scenarios: how many changes of which kinds, across how many owners, how fast, with
// which sandbox latencies, on which database, synced by the service or by the baseline.
export interface Scenario {
  description: string;
  /** Separate `instant-sync worker` processes doing the syncing (serve then runs intake only). */
  workers?: number;
  /** Run on PostgreSQL (a fresh database on PG_TEST_URL's server) instead of SQLite. */
  postgres?: boolean;
  /** Changes to make: creates first where there is nothing to edit, then the mix. */
  changes: number;
  owners: number;
  mix: { create: number; update: number; delete: number };
  /** Changes per second (0: as fast as the sandbox org takes them). */
  ratePerSecond: number;
  salesforceLatencyMs: number;
  cdcDelayMs: number;
  graphLatencyMs: number;
  /** Workers start only once intake has recorded every change, so the drain is the workers' alone. */
  preload?: boolean;
  /**
   * Changes made (and recorded) before the measured ones and synced first: the figures per change
   * (CPU, statements, calls) count from the moment the provider has served this many calls, once
   * the processes have compiled their hot code and filled their caches, as a long-running service has.
   */
  warmUp?: number;
  /** Sync the way today's tools do (bench/baseline-sync.ts) instead of running the service. */
  baseline?: { intervalMs: number; concurrency: number; comparedWith: string };
  /** Faults the Graph sandbox injects for the whole run (see sandbox/graph). */
  graphFaults?: { failureRate: number; kinds: string[]; afterCommit: boolean; hangMs?: number };
  /** kill -9 of the service once Graph has served this many requests, restarted at once. */
  crashAfterRequests?: number;
}

const defaults = { salesforceLatencyMs: 80, cdcDelayMs: 150, graphLatencyMs: 120 };

const smoke: Scenario = {
  description: '40 changes across 8 mailboxes, no added latency (checks the harness)',
  changes: 40,
  owners: 8,
  mix: { create: 0.7, update: 0.2, delete: 0.1 },
  ratePerSecond: 0,
  salesforceLatencyMs: 0,
  cdcDelayMs: 0,
  graphLatencyMs: 0,
};

export const scenarios: Record<string, Scenario> = {
  first: {
    description: '2,000 Events created at 50/s across 200 mailboxes',
    changes: 2000,
    owners: 200,
    mix: { create: 1, update: 0, delete: 0 },
    ratePerSecond: 50,
    ...defaults,
  },
  steady: {
    description: '50 changes/s for 60 s across 500 owners (60 % creates, 30 % edits, 10 % deletions)',
    changes: 3000,
    owners: 500,
    mix: { create: 0.6, update: 0.3, delete: 0.1 },
    ratePerSecond: 50,
    ...defaults,
  },
  burst: {
    description: '10,000 Events created at once across 1,000 owners: time to drain',
    changes: 10_000,
    owners: 1000,
    mix: { create: 1, update: 0, delete: 0 },
    ratePerSecond: 0,
    ...defaults,
  },
  'one-mailbox': {
    description:
      "1,000 Events for one owner: against the provider's limits per mailbox (Graph: 4 requests in flight; Google: 4, and 600 a minute)",
    changes: 1000,
    owners: 1,
    mix: { create: 1, update: 0, delete: 0 },
    ratePerSecond: 0,
    ...defaults,
  },
  ...Object.fromEntries(
    [1, 2, 4].map((workers) => [
      `scale-out-${workers}`,
      {
        description: `burst on PostgreSQL, drained by ${workers} worker process${workers === 1 ? '' : 'es'} started once every change is recorded (4,000 more first, to warm them)`,
        changes: 10_000,
        warmUp: 4000,
        owners: 1000,
        mix: { create: 1, update: 0, delete: 0 },
        ratePerSecond: 0,
        workers,
        postgres: true,
        preload: true,
        ...defaults,
      } satisfies Scenario,
    ]),
  ),
  hung: {
    description:
      "steady's load with 2 % of Graph calls hung for 60 s: how fast the Events whose calls did not hang still sync",
    changes: 3000,
    owners: 500,
    mix: { create: 0.6, update: 0.3, delete: 0.1 },
    ratePerSecond: 50,
    graphFaults: { failureRate: 0.02, kinds: ['timeout'], afterCommit: true, hangMs: 60_000 },
    ...defaults,
  },
  crash: {
    description:
      '2,000 Events created at once; kill -9 of the service after 500 are synced, restarted at once',
    changes: 2000,
    owners: 200,
    mix: { create: 1, update: 0, delete: 0 },
    ratePerSecond: 0,
    crashAfterRequests: 500,
    ...defaults,
  },
  baseline: {
    description:
      "steady's load synced the way today's tools do: a sweep every 5 minutes, one read and one call per change",
    changes: 3000,
    owners: 500,
    mix: { create: 0.6, update: 0.3, delete: 0.1 },
    ratePerSecond: 50,
    baseline: { intervalMs: 300_000, concurrency: 8, comparedWith: 'steady' },
    ...defaults,
  },
  smoke,
  'smoke-workers': {
    ...smoke,
    description:
      'smoke on PostgreSQL drained by 2 worker processes once every change is recorded, 10 more first to warm them (checks the harness)',
    workers: 2,
    postgres: true,
    preload: true,
    warmUp: 10,
    // Slow enough calls that the first round (32 calls, 4 per mailbox) is over well before the last.
    graphLatencyMs: 500,
  },
  'smoke-baseline': {
    ...smoke,
    description: 'smoke with the baseline syncer, a sweep every 2 s (checks the harness)',
    baseline: { intervalMs: 2000, concurrency: 8, comparedWith: 'smoke' },
  },
};

/**
 * The benches' orgs have Platform Events add-ons enough for any run: they measure speed, and a
 * spent delivery allocation (the sandbox's default is Enterprise Edition's 25,000 a day) would
 * pause CDC in the middle of one (what that does is tested in test/intake/cdc-fallback*.test.ts).
 */
export const benchDeliveryAllocation = 10_000_000;
