// The benchmark harness: `npm run bench -- <scenario> [--json]`. Starts the sandboxes and the
// service as separate processes (test/support/system-processes.ts), drives a scenario's changes
// into the sandbox org, waits until every mailbox matches, and reports end-to-end latency — from
// the sandbox org's commit (CreatedDate, or SystemModstamp of an edit) to the moment the Graph
// sandbox stored the item (createdDateTime / lastModifiedDateTime) — for creates and edits, with
// throughput, Salesforce API calls per 1,000 changes, Graph calls per change, 429s, the service's
// peak memory and the machine. Results are printed and written to bench/results/<scenario>-<date>.json.
import { readFileSync, readdirSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startSystem, type RunningSystem } from '../test/support/system-processes.ts';
import type { BaselineSettings } from './baseline-sync.ts';

const baselineScript = fileURLToPath(new URL('baseline-sync.ts', import.meta.url));
const resultsDir = new URL('results/', import.meta.url);

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
  /** Sync the way today's tools do (bench/baseline-sync.ts) instead of running the service. */
  baseline?: { intervalMs: number; concurrency: number; comparedWith: string };
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
    description: "1,000 Events for one owner: against Graph's limit of 4 requests in flight per mailbox",
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
        description: `burst on PostgreSQL, drained by ${workers} worker process${workers === 1 ? '' : 'es'} started once every change is recorded`,
        changes: 10_000,
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
  'smoke-baseline': {
    ...smoke,
    description: 'smoke with the baseline syncer, a sweep every 2 s (checks the harness)',
    baseline: { intervalMs: 2000, concurrency: 8, comparedWith: 'smoke' },
  },
};

export interface BenchResult {
  scenario: string;
  description: string;
  changes: { total: number; creates: number; updates: number; deletes: number };
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  /** Latency at every whole percentile, 0 to 100 (for the distribution chart). */
  latencyDistributionMs: number[];
  eventsPerSecond: number;
  drainSeconds: number;
  salesforceCallsPer1000Events: number;
  providerCallsPerEvent: number;
  throttled: number;
  peakRssMb: number | null;
  /**
   * CPU time each part used from the first change (preloaded scenarios: from the workers' start)
   * until every mailbox matched, and how busy the whole machine was meanwhile.
   */
  cpu: { seconds: Record<string, number>; machineBusyPercent: number };
  /** one-mailbox: drain time over the least Graph's limits allow (changes ÷ 4 in flight × latency). */
  ratioToTheoreticalMinimum: number | null;
  /** baseline: its figures divided by the service's on the same load (from the newest result of that scenario). */
  comparison: Comparison | null;
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

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** A deterministic pseudo-random sequence, so a scenario makes the same changes every run. */
function sequence(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

interface Expected {
  owner: string;
  subject: string;
  /** Salesforce commit time of the version the mailbox must show. */
  committedAt: number;
  kind: 'create' | 'update';
  deleted: boolean;
}

/** CPU seconds a process has used (user + system), from /proc. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** The machine's busy and total CPU time so far, from /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const [, ...ticks] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/);
  const values = ticks.map(Number);
  const total = values.reduce((a, b) => a + b, 0);
  return { busy: total - (values[3] ?? 0) - (values[4] ?? 0), total };
}

/** CPU use of the system's processes (and the harness) since `cpuSnapshot` was taken. */
function cpuSnapshot(system: RunningSystem) {
  const before = new Map(system.processes().map(({ pid }) => [pid, cpuSeconds(pid)]));
  const harness = process.cpuUsage();
  const machine = machineTicks();
  return (): BenchResult['cpu'] => {
    const seconds: Record<string, number> = {};
    for (const { role, pid } of system.processes())
      seconds[role] = (seconds[role] ?? 0) + cpuSeconds(pid) - (before.get(pid) ?? 0);
    const used = process.cpuUsage(harness);
    seconds['harness'] = (used.user + used.system) / 1e6;
    for (const role of Object.keys(seconds)) seconds[role] = Math.round((seconds[role] ?? 0) * 10) / 10;
    const now = machineTicks();
    const total = now.total - machine.total;
    return {
      seconds,
      machineBusyPercent: total > 0 ? Math.round(((now.busy - machine.busy) / total) * 100) : Number.NaN,
    };
  };
}

function peakRssMb(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : Math.round(Number(kb) / 1024);
  } catch {
    return null;
  }
}

export interface RunOptions {
  /** Another database than a fresh one (SQLite, or PostgreSQL for `postgres` scenarios). */
  databaseUrl?: string;
  /** Write a CPU profile of the service (node --cpu-prof) into this folder. */
  profileDir?: string;
  /** More Node.js flags for the service's processes (e.g. --no-optimize-for-size). */
  nodeArgs?: readonly string[];
}

export async function runScenario(
  name: string,
  scenario: Scenario,
  options: RunOptions = {},
): Promise<BenchResult> {
  const { databaseUrl } = options;
  const dir = mkdtempSync(join(tmpdir(), 'instant-sync-bench-'));
  const postgres =
    scenario.postgres === true && databaseUrl === undefined ? await createPostgresDatabase() : undefined;
  const system: RunningSystem = await startSystem({
    databaseUrl: databaseUrl ?? postgres?.url ?? `sqlite:${join(dir, 'bench.db')}`,
    owners: scenario.owners,
    salesforceLatencyMs: scenario.salesforceLatencyMs,
    cdcDelayMs: scenario.cdcDelayMs,
    graphLatencyMs: scenario.graphLatencyMs,
    ...(scenario.workers === undefined ? {} : { env: { INSTANT_SYNC_ENGINE: 'false' } }),
    nodeArgs: [
      ...(options.nodeArgs ?? []),
      ...(options.profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`]),
    ],
  });
  try {
    let measuredPid: () => number | undefined = () => system.servicePid();
    if (scenario.baseline !== undefined) {
      const pid = await system.startProcess(
        'baseline',
        baselineScript,
        [
          JSON.stringify({
            intervalMs: scenario.baseline.intervalMs,
            concurrency: scenario.baseline.concurrency,
            caFile: system.endpoints.caFile,
            salesforce: { ...system.endpoints.salesforce, apiVersion: '66.0' },
            graph: system.endpoints.graph,
          } satisfies BaselineSettings),
        ],
        /baseline sync started/,
      );
      measuredPid = () => pid;
    } else {
      await system.startService();
      await system.setUpTenant();
      if (scenario.workers !== undefined && scenario.preload !== true)
        await system.startWorkers(scenario.workers);
    }
    let cpuUsed = cpuSnapshot(system);
    const sfBefore = (await system.salesforce.stats()).apiCalls;
    const graphBefore = await system.graph.stats();
    const random = sequence(42);
    const events = new Map<string, Expected>();
    const live: string[] = [];
    const busy = new Set<string>();
    const counts = { creates: 0, updates: 0, deletes: 0 };
    const started = Date.now();
    const width = 20;
    let serial = 0;

    const change = async () => {
      const n = serial++;
      const roll = random();
      const kind =
        live.length < 10 + width || roll < scenario.mix.create
          ? 'create'
          : roll < scenario.mix.create + scenario.mix.update
            ? 'update'
            : 'delete';
      if (kind === 'create') {
        const owner = system.owners[n % system.owners.length]!;
        const subject = `Bench ${n}`;
        const record = await system.salesforce.createEvent(owner.id, {
          Subject: subject,
          StartDateTime: `2026-12-${String(1 + (n % 28)).padStart(2, '0')}T${String(8 + (n % 9)).padStart(2, '0')}:00:00Z`,
          DurationInMinutes: 30,
        });
        const id = String(record['Id']);
        events.set(id, {
          owner: owner.email,
          subject,
          committedAt: Date.parse(String(record['CreatedDate'])),
          kind,
          deleted: false,
        });
        live.push(id);
        counts.creates++;
        return;
      }
      // An Event changes once at a time, so the harness knows its last version.
      let index = Math.floor(random() * live.length);
      while (busy.has(live[index] ?? '')) index = (index + 1) % live.length;
      const id = live[index]!;
      busy.add(id);
      const expected = events.get(id)!;
      if (kind === 'update') {
        const subject = `${expected.subject.replace(/ \(edit \d+\)$/, '')} (edit ${n})`;
        const record = await system.salesforce.updateEvent(id, { Subject: subject });
        events.set(id, {
          ...expected,
          subject,
          committedAt: Date.parse(String(record['SystemModstamp'])),
          kind: 'update',
        });
        counts.updates++;
        return;
      }
      live.splice(index, 1);
      await system.salesforce.deleteEvent(id);
      events.set(id, { ...expected, deleted: true });
      counts.deletes++;
      busy.delete(id);
    };

    for (let i = 0; i < scenario.changes; i += width) {
      const batch = Math.min(width, scenario.changes - i);
      await Promise.all(Array.from({ length: batch }, () => change()));
      if (scenario.ratePerSecond > 0) {
        const due = started + ((i + width) / scenario.ratePerSecond) * 1000;
        if (due > Date.now()) await sleep(due - Date.now());
      }
    }
    let loaded = Date.now();
    let drainFrom: number | undefined;
    if (scenario.workers !== undefined && scenario.preload === true) {
      await waitForRecordedChanges(
        postgres?.url ?? databaseUrl ?? '',
        counts.creates + counts.updates + counts.deletes,
      );
      drainFrom = Date.now();
      cpuUsed = cpuSnapshot(system); // the drain's alone (the workers' start-up included)
      await system.startWorkers(scenario.workers);
      loaded = Date.now();
    }

    // Wait until every mailbox matches (or 10 minutes pass), noting when each version arrived:
    // the Graph sandbox's own timestamps, so the harness need not look often. It reads every
    // mailbox only once Graph has been quiet for a second (or every 10 s), so that its reads
    // do not compete with the service for the machine.
    const arrivedAt = new Map<string, number>();
    const pending = new Set(events.keys());
    const byOwner = new Map<string, string[]>();
    for (const [id, e] of events) byOwner.set(e.owner, [...(byOwner.get(e.owner) ?? []), id]);
    const deadline = Date.now() + 600_000;
    let requests = -1;
    let quietSince = Date.now();
    let requestsAtLastPass = -1;
    let lastPass = 0;
    while (pending.size > 0 && Date.now() < deadline) {
      const now = (await system.graph.stats()).requests;
      if (now !== requests) {
        requests = now;
        quietSince = Date.now();
      }
      const quiet = Date.now() - quietSince >= 1000 && requests !== requestsAtLastPass;
      if (!quiet && Date.now() - lastPass < 10_000) {
        await sleep(250);
        continue;
      }
      requestsAtLastPass = requests;
      lastPass = Date.now();
      const owners = [...new Set([...pending].map((id) => events.get(id)!.owner))];
      for (let i = 0; i < owners.length; i += 10) {
        await Promise.all(
          owners.slice(i, i + 10).map(async (owner) => {
            const items = new Map(
              (await system.graph.items(owner)).map((item) => [item.salesforceId ?? '', item]),
            );
            for (const id of byOwner.get(owner) ?? []) {
              if (!pending.has(id)) continue;
              const expected = events.get(id)!;
              const item = items.get(id);
              if (expected.deleted ? item === undefined : item?.subject === expected.subject) {
                pending.delete(id);
                if (!expected.deleted && item !== undefined)
                  arrivedAt.set(
                    id,
                    Date.parse(expected.kind === 'create' ? item.createdAt : item.modifiedAt),
                  );
              }
            }
          }),
        );
      }
      if (pending.size > 0) await sleep(250);
    }
    if (pending.size > 0)
      throw new Error(
        `${pending.size} of ${events.size} Events never matched their mailbox within 10 minutes`,
      );

    // Deletions are checked (the item is gone) but not timed: Graph keeps no time of a deletion.
    const latencies = [...arrivedAt]
      .map(([id, at]) => at - events.get(id)!.committedAt)
      .sort((a, b) => a - b);
    const firstCommit = Math.min(...[...events.values()].map((e) => e.committedAt), started);
    const drained = Math.max(...arrivedAt.values(), loaded);
    const cpu = cpuUsed();
    const sfCalls = (await system.salesforce.stats()).apiCalls - sfBefore;
    const graph = await system.graph.stats();
    const total = counts.creates + counts.updates + counts.deletes;
    const drainSeconds = (drained - (drainFrom ?? firstCommit)) / 1000;
    const minimumSeconds = (total / 4) * (scenario.graphLatencyMs / 1000);
    return {
      scenario: name,
      description: scenario.description,
      changes: { total, ...counts },
      latencyMs: {
        p50: percentile(latencies, 50),
        p95: percentile(latencies, 95),
        p99: percentile(latencies, 99),
        max: latencies.at(-1) ?? Number.NaN,
      },
      latencyDistributionMs: Array.from({ length: 101 }, (_, p) =>
        p === 0 ? (latencies[0] ?? Number.NaN) : percentile(latencies, p),
      ),
      eventsPerSecond: Math.round((total / drainSeconds) * 10) / 10,
      drainSeconds: Math.round(drainSeconds * 10) / 10,
      salesforceCallsPer1000Events: Math.round((sfCalls / total) * 1000 * 10) / 10,
      providerCallsPerEvent: Math.round(((graph.requests - graphBefore.requests) / total) * 100) / 100,
      throttled: graph.throttled - graphBefore.throttled,
      peakRssMb: peakRssMb(measuredPid()),
      cpu,
      ratioToTheoreticalMinimum:
        scenario.owners === 1 && minimumSeconds > 0
          ? Math.round((drainSeconds / minimumSeconds) * 100) / 100
          : null,
      comparison: null,
      machine: { cores: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
      nodeArgs: [...(options.nodeArgs ?? [])],
      at: new Date().toISOString(),
    };
  } finally {
    await system.close();
    await postgres?.drop();
  }
}

/** Waits until intake has recorded `count` changes (PostgreSQL scenarios: the workers start after). */
async function waitForRecordedChanges(url: string, count: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const deadline = Date.now() + 600_000;
    for (;;) {
      const { rows } = await client.query<{ n: string }>('select count(*) as n from changes');
      if (Number(rows[0]?.n) >= count) return;
      if (Date.now() > deadline)
        throw new Error(`intake recorded ${rows[0]?.n} of ${count} changes in 10 minutes`);
      await sleep(200);
    }
  } finally {
    await client.end();
  }
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
function save(result: BenchResult, variant = ''): URL {
  mkdirSync(resultsDir, { recursive: true });
  const suffix = variant.replace(/[^a-z0-9=]+/gi, '-').replace(/^-+|-+$/g, '');
  const file = new URL(
    `${result.scenario}-${result.at.slice(0, 10)}${suffix === '' ? '' : `-${suffix}`}.json`,
    resultsDir,
  );
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

/** A fresh PostgreSQL database on the server of PG_TEST_URL (default: the local one), dropped after. */
async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = process.env['PG_TEST_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `instant_sync_bench_${process.pid}_${Date.now()}`;
  const run = async (sql: string) => {
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await run(`create database ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`drop database ${name} with (force)`) };
}

if (import.meta.main) {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { json: { type: 'boolean' }, profile: { type: 'string' }, 'node-args': { type: 'string' } },
  });
  const name = positionals[0] ?? '';
  const scenario = scenarios[name];
  if (scenario === undefined) {
    console.error(
      `Usage: npm run bench -- <scenario> [--json] [--profile <dir>]\n\n` +
        `  --json           print the result as JSON instead of a table\n` +
        `  --profile <dir>  write a CPU profile of the service there (summarise it with bench/profile-summary.ts)\n` +
        `  --node-args <flags>  Node.js flags for the service's processes, e.g. --no-optimize-for-size\n\n` +
        `Scenarios:\n${Object.entries(scenarios)
          .map(([n, s]) => `  ${n.padEnd(14)} ${s.description}`)
          .join('\n')}`,
    );
    process.exit(2);
  }
  const result = await runScenario(name, scenario, {
    ...(values.profile === undefined ? {} : { profileDir: values.profile }),
    ...(values['node-args'] === undefined
      ? {}
      : { nodeArgs: values['node-args'].split(/\s+/).filter(Boolean) }),
  });
  if (scenario.baseline !== undefined) {
    const compared = scenario.baseline.comparedWith;
    let service = latestResult(compared);
    if (service === undefined) {
      console.error(`no result of ${compared} yet: running it to compare with`);
      const fresh = await runScenario(compared, scenarios[compared]!);
      service = { file: save(fresh).pathname.split('/').at(-1) ?? '', result: fresh };
    }
    result.comparison = compare(result, service.result, service.file);
  }
  const file = save(
    result,
    [values['node-args'] ?? '', values.profile === undefined ? '' : 'profiled'].join(' '),
  );
  if (values.json === true) console.log(JSON.stringify(result, null, 2));
  else {
    const c = result.changes;
    const row = (label: string, value: string) => console.log(`  ${label.padEnd(36)} ${value}`);
    console.log(`${name}: ${result.description}`);
    row('changes', `${c.total} (${c.creates} creates, ${c.updates} edits, ${c.deletes} deletions)`);
    row(
      'end-to-end latency p50/p95/p99/max',
      `${result.latencyMs.p50} / ${result.latencyMs.p95} / ${result.latencyMs.p99} / ${result.latencyMs.max} ms`,
    );
    row('changes per second', `${result.eventsPerSecond} (drained in ${result.drainSeconds} s)`);
    row('Salesforce calls / 1,000', String(result.salesforceCallsPer1000Events));
    row('Graph calls / change', String(result.providerCallsPerEvent));
    row('429s received', String(result.throttled));
    row('peak memory', `${result.peakRssMb ?? '?'} MB`);
    row(
      'CPU seconds used',
      `${Object.entries(result.cpu.seconds)
        .map(([role, s]) => `${role} ${s}`)
        .join(', ')} (machine ${result.cpu.machineBusyPercent} % busy)`,
    );
    if (result.ratioToTheoreticalMinimum !== null)
      row('drain ÷ theoretical minimum', String(result.ratioToTheoreticalMinimum));
    if (result.comparison !== null) {
      const k = result.comparison;
      row(`× ${k.against}: latency p50/p95/p99`, `${k.latencyP50} / ${k.latencyP95} / ${k.latencyP99}`);
      row(`× ${k.against}: Salesforce calls`, String(k.salesforceCallsPer1000Events));
      row(`× ${k.against}: Graph calls`, String(k.providerCallsPerEvent));
    }
    row('machine', `${result.machine.cores} cores, ${result.machine.cpu}, Node ${result.machine.node}`);
    row('written to', file.pathname);
  }
}
