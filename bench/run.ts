// The benchmark harness: `npm run bench -- <scenario> [--json]`. Starts the sandboxes and the
// service as separate processes (test/support/system-processes.ts), drives a scenario's changes
// into the sandbox org, waits until every mailbox matches, and reports end-to-end latency — from
// the sandbox org's commit (CreatedDate, or SystemModstamp of an edit) to the moment the Graph
// sandbox stored the item (createdDateTime / lastModifiedDateTime) — for creates and edits, with
// throughput, Salesforce API calls per 1,000 changes, Graph calls per change, 429s, the service's
// peak memory and the machine. Results are printed and written to bench/results/<scenario>-<date>.json.
// `npm run bench -- soak [--minutes N]` runs the soak instead (bench/soak.ts): steady load for N
// minutes with retention shortened, sampling the database's size, memory and p99 every 30 s.
// `npm run bench -- noisy-neighbour` runs bench/noisy-neighbour.ts: one tenant's backfill beside
// two tenants' steady load, against each alone.
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { auditMailboxes } from '../test/support/mailbox-audit.ts';
import { providerPluginNamed } from '../src/providers/registry.ts';
import type { CalendarKind } from '../test/support/calendar-sandboxes.ts';
import { calendarSandboxRole, startSystem, type RunningSystem } from '../test/support/system-processes.ts';
import type { BaselineSettings } from './baseline-sync.ts';
import { eventLoad, matchMailboxes, percentile } from './load.ts';
import { cpuSnapshot, machine, peakRssMb, storageBytesWritten } from './process-usage.ts';
import { compare, latestResult, save, type BenchResult } from './results.ts';
import { recordPerf } from './perf-summary.ts';
import { scenarios, type Scenario, benchDeliveryAllocation } from './scenarios.ts';
import { printNoisyNeighbour, runNoisyNeighbour, saveNoisyNeighbour } from './noisy-neighbour.ts';
import { printSoak, runSoak, saveSoak } from './soak.ts';

const baselineScript = fileURLToPath(new URL('baseline-sync.ts', import.meta.url));

/** The system's processes whose CPU is the service's (`serviceCpuMsPerChange`, and what --perf records). */
const serviceRoles: readonly string[] = ['service', 'workers'];

export interface RunOptions {
  /** The mailbox provider whose sandbox stands in for the calendars (default graph). */
  provider?: CalendarKind;
  /** Another database than a fresh one (SQLite, or PostgreSQL for `postgres` scenarios). */
  databaseUrl?: string;
  /** Write a CPU profile of the service (node --cpu-prof) into this folder. */
  profileDir?: string;
  /** More Node.js flags for the service's processes (e.g. --no-optimize-for-size). */
  nodeArgs?: readonly string[];
  /** Keep the service's log (service.log) and, on SQLite, its database (bench.db) in this folder. */
  keepDir?: string;
  /** Record the service's processes with Linux perf (every thread) into this file (bench/perf-summary.ts). */
  perfFile?: string;
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
  const url = databaseUrl ?? postgres?.url ?? `sqlite:${join(dir, 'bench.db')}`;
  const system: RunningSystem = await startSystem({
    cdcDeliveryAllocation: benchDeliveryAllocation,
    databaseUrl: url,
    owners: scenario.owners,
    salesforceLatencyMs: scenario.salesforceLatencyMs,
    cdcDelayMs: scenario.cdcDelayMs,
    provider: options.provider ?? 'graph',
    calendarLatencyMs: scenario.graphLatencyMs,
    env: {
      ...(scenario.workers === undefined ? {} : { INSTANT_SYNC_ENGINE: 'false' }),
      // A profile names each function's file, which tells its area (bench/profile-summary.ts):
      // the sources have one file a module, the bundle a few files for everything.
      ...(options.profileDir === undefined ? {} : { INSTANT_SYNC_FROM_SOURCE: '1' }),
    },
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
            graph: graphEndpoints(system),
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
    if (scenario.graphFaults !== undefined) await system.calendars.faults(scenario.graphFaults);
    const crash =
      scenario.crashAfterRequests === undefined ? undefined : crashWhen(system, scenario.crashAfterRequests);
    let cpuUsed = cpuSnapshot(system);
    // perf records what the CPU figures count: the same processes, started again (the file
    // rewritten) when the figures are.
    const measured = () =>
      system
        .processes()
        .filter(({ role }) => serviceRoles.includes(role))
        .map(({ pid }) => pid);
    let perf = options.perfFile === undefined ? undefined : await recordPerf(options.perfFile, measured());
    const perfAgain = async () => {
      if (perf === undefined || options.perfFile === undefined) return;
      await perf.stop();
      perf = await recordPerf(options.perfFile, measured());
    };
    // What SQLite writes to storage is the service's own (its log and checkpoints); PostgreSQL's is its server's.
    const written = () => (url.startsWith('sqlite:') ? storageBytesWritten(measured()) : undefined);
    let statementsBefore = await system.databaseStatements();
    let writtenBefore = written();
    const bytesBefore = await databaseBytes(url);
    let sfBefore = (await system.salesforce.stats()).apiCalls;
    let graphBefore = await system.calendars.stats();
    /** Changes synced before the figures per change are counted (at least scenario.warmUp). */
    let warmed = 0;
    const width = 20;
    const load = eventLoad(system, { mix: scenario.mix, createsBelow: 10 + width, editOnce: true });
    const { events, counts } = load;
    const started = Date.now();

    const warm = scenario.warmUp ?? 0;
    const toMake = scenario.changes + warm;
    for (let i = 0; i < toMake; i += width) {
      const batch = Math.min(width, toMake - i);
      await Promise.all(Array.from({ length: batch }, () => load.change()));
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
      await system.startWorkers(scenario.workers);
      // CPU and statements from the moment the workers are up: the drain's alone, without the
      // start-up each process pays once (loading its code, checking migrations, registering).
      cpuUsed = cpuSnapshot(system);
      await perfAgain();
      statementsBefore = await system.databaseStatements();
      writtenBefore = written();
      loaded = Date.now();
    }
    if (warm > 0) {
      // The figures per change count from the reading that shows the first `warm` calls served
      // (creates only: a call is a change synced), the CPU and statements from right after it.
      const from = graphBefore.requests;
      const until = Date.now() + 600_000;
      while ((graphBefore = await system.calendars.stats()).requests - from < warm) {
        if (Date.now() > until)
          throw new Error(`the provider did not serve the ${warm} warm-up calls within 10 minutes`);
        await sleep(50);
      }
      warmed = graphBefore.requests - from;
      cpuUsed = cpuSnapshot(system);
      await perfAgain();
      statementsBefore = await system.databaseStatements();
      writtenBefore = written();
      sfBefore = (await system.salesforce.stats()).apiCalls;
    }

    // Wait until every mailbox matches (or 10 minutes pass), noting when each version arrived:
    // the Graph sandbox's own timestamps, so the harness need not look often. It reads every
    // mailbox only once Graph has been quiet for a second (or every 10 s), so that its reads
    // do not compete with the service for the machine.
    const arrivedAt = new Map<string, number>();
    const pending = new Set(events.keys());
    const deadline = Date.now() + 600_000;
    let requests = -1;
    let quietSince = Date.now();
    let requestsAtLastPass = -1;
    let lastPass = 0;
    while (pending.size > 0 && Date.now() < deadline) {
      const now = (await system.calendars.stats()).requests;
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
      for (const [id, at] of await matchMailboxes(system.calendars, events, pending)) arrivedAt.set(id, at);
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
    // hung: the changes none of whose calls hung, to see that a hung mailbox slows only itself.
    let unaffectedLatencyMs: BenchResult['unaffectedLatencyMs'];
    if (scenario.graphFaults !== undefined) {
      const hung = new Set(
        (await system.calendars.faultLog()).filter((f) => f.kind === 'timeout').flatMap((f) => f.itemStamps),
      );
      const unaffected = [...arrivedAt]
        .filter(([id]) => !hung.has(id))
        .map(([id, at]) => at - events.get(id)!.committedAt)
        .sort((a, b) => a - b);
      unaffectedLatencyMs = {
        p50: percentile(unaffected, 50),
        p95: percentile(unaffected, 95),
        p99: percentile(unaffected, 99),
        changes: unaffected.length,
      };
    }
    const restart = await crash;
    const audit =
      crash === undefined && scenario.graphFaults === undefined ? undefined : await auditMailboxes(system);
    const firstCommit = Math.min(...[...events.values()].map((e) => e.committedAt), started);
    const drained = Math.max(...arrivedAt.values(), loaded);
    const cpu = cpuUsed();
    await perf?.stop();
    const statements = (await system.databaseStatements()) - statementsBefore;
    const writtenAfter = written();
    const bytesAfter = await databaseBytes(url);
    const sfCalls = (await system.salesforce.stats()).apiCalls - sfBefore;
    const graph = await system.calendars.stats();
    const total = counts.creates + counts.updates + counts.deletes;
    /** The changes the figures per change are counted over (those after the warm-up). */
    const counted = total - warmed;
    if (counted <= 0) throw new Error(`every change was synced before the warm-up (${warm}) was over`);
    const drainSeconds = (drained - (drainFrom ?? firstCommit)) / 1000;
    const serviceCpu = serviceRoles.reduce((sum, role) => sum + (cpu.seconds[role] ?? 0), 0);
    const sandboxCpu = cpu.seconds[calendarSandboxRole(options.provider ?? 'graph')] ?? 0;
    const floorMs = scenario.salesforceLatencyMs + scenario.cdcDelayMs + scenario.graphLatencyMs;
    const overFloor = (ms: number) => Math.round((ms / floorMs) * 100) / 100;
    const minimumSeconds = theoreticalMinimumSeconds(
      total,
      options.provider ?? 'graph',
      scenario.graphLatencyMs,
    );
    return {
      scenario: name,
      provider: options.provider ?? 'graph',
      description: scenario.description,
      changes: { total, ...counts },
      latencyMs: {
        p50: percentile(latencies, 50),
        p95: percentile(latencies, 95),
        p99: percentile(latencies, 99),
        max: latencies.at(-1) ?? Number.NaN,
      },
      floorMs,
      latencyOverFloor: {
        p50: overFloor(percentile(latencies, 50)),
        p99: overFloor(percentile(latencies, 99)),
      },
      slowestChanges: [...arrivedAt]
        .map(([id, at]) => ({
          eventId: id,
          kind: events.get(id)!.kind,
          ms: at - events.get(id)!.committedAt,
        }))
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 5),
      latencyDistributionMs: Array.from({ length: 101 }, (_, p) =>
        p === 0 ? (latencies[0] ?? Number.NaN) : percentile(latencies, p),
      ),
      eventsPerSecond: Math.round((total / drainSeconds) * 10) / 10,
      drainSeconds: Math.round(drainSeconds * 10) / 10,
      salesforceCallsPer1000Events: Math.round((sfCalls / counted) * 1000 * 10) / 10,
      providerCallsPerEvent: Math.round(((graph.requests - graphBefore.requests) / counted) * 100) / 100,
      providerHttpRequestsPerChange:
        Math.round(((graph.httpRequests - graphBefore.httpRequests) / counted) * 1000) / 1000,
      throttled: graph.throttled - graphBefore.throttled,
      // A killed process took its count with it: none is given for a run with a crash.
      ...(crash === undefined
        ? { databaseStatementsPerChange: Math.round((statements / counted) * 1000) / 1000 }
        : {}),
      ...(bytesBefore === undefined || bytesAfter === undefined
        ? {}
        : { databaseBytesPerChange: Math.round((bytesAfter - bytesBefore) / total) }),
      ...(writtenBefore === undefined || writtenAfter === undefined || crash !== undefined
        ? {}
        : { storageBytesWrittenPerChange: Math.round((writtenAfter - writtenBefore) / counted) }),
      serviceCpuMsPerChange: Math.round((serviceCpu / counted) * 1e5) / 100,
      ...(sandboxCpu > 0 ? { serviceCpuOverSandbox: Math.round((serviceCpu / sandboxCpu) * 100) / 100 } : {}),
      peakRssMb: peakRssMb(measuredPid()),
      ...(scenario.workers === undefined
        ? {}
        : {
            workersPeakRssMb: Math.max(
              ...system
                .processes()
                .filter((p) => p.role === 'workers')
                .map((p) => peakRssMb(p.pid) ?? Number.NaN),
            ),
          }),
      ...(warmed > 0 ? { warmUp: warmed } : {}),
      cpu,
      ratioToTheoreticalMinimum:
        scenario.owners === 1 && minimumSeconds > 0
          ? Math.round((drainSeconds / minimumSeconds) * 100) / 100
          : null,
      comparison: null,
      ...(unaffectedLatencyMs === undefined ? {} : { unaffectedLatencyMs }),
      ...(restart === undefined ? {} : { recoverySeconds: await firstWriteAfter(system, restart) }),
      ...(audit === undefined ? {} : { lost: audit.missing, duplicated: audit.duplicated }),
      machine: machine(),
      nodeArgs: [...(options.nodeArgs ?? [])],
      at: new Date().toISOString(),
    };
  } finally {
    const log = system.serviceOutput();
    const workerLogs = system.workerOutputs();
    await system.close();
    if (options.keepDir !== undefined) keep(options.keepDir, log, workerLogs, dir);
    await postgres?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** --keep: the service's and the workers' logs and the SQLite database, to read an Event's story after the run. */
function keep(into: string, log: string, workerLogs: readonly string[], dir: string): void {
  mkdirSync(into, { recursive: true });
  writeFileSync(join(into, 'service.log'), log);
  for (const [i, workerLog] of workerLogs.entries())
    writeFileSync(join(into, `worker-${i + 1}.log`), workerLog);
  for (const file of ['bench.db', 'bench.db-wal', 'bench.db-shm'])
    if (existsSync(join(dir, file))) cpSync(join(dir, file), join(into, file));
}

/**
 * kill -9 of the service once Graph has served `requests`, and a restart at once; resolves with
 * when the new process was started and when it was up.
 */
async function crashWhen(
  system: RunningSystem,
  requests: number,
): Promise<{ restartedAt: number; upAt: number }> {
  const before = (await system.calendars.stats()).requests;
  while ((await system.calendars.stats()).requests < before + requests) await sleep(50);
  await system.killService();
  const restartedAt = Date.now();
  await system.startService();
  return { restartedAt, upAt: Date.now() };
}

/** Seconds from the restart to the restarted service's first change to a mailbox (none before it was up are its). */
async function firstWriteAfter(
  system: RunningSystem,
  restart: { restartedAt: number; upAt: number },
): Promise<number | null> {
  const [first] = await system.calendars.writesAfter(restart.upAt);
  return first === undefined ? null : Math.round((first - restart.restartedAt) / 100) / 10;
}

/**
 * The bytes the database holds: SQLite's pages in use (the file's, and its write-ahead log's not
 * yet copied back, as a reader sees them), less the free ones (undefined without a file: the
 * baseline runs no service); PostgreSQL's pg_database_size.
 */
async function databaseBytes(url: string): Promise<number | undefined> {
  if (url.startsWith('sqlite:')) {
    // The baseline runs no service: no database is made.
    if (!existsSync(url.slice('sqlite:'.length))) return undefined;
    const database = new DatabaseSync(url.slice('sqlite:'.length), { readOnly: true, timeout: 5000 });
    try {
      const pragma = (name: string) =>
        Number(Object.values(database.prepare(`pragma ${name}`).get() ?? {})[0] ?? 0);
      return (pragma('page_count') - pragma('freelist_count')) * pragma('page_size');
    } finally {
      database.close();
    }
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ bytes: string }>(
      'select pg_database_size(current_database()) as bytes',
    );
    return Number(rows[0]?.bytes ?? 0);
  } finally {
    await client.end();
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

/** A fresh PostgreSQL database on the server of PG_TEST_URL (default: the local one), dropped after. */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
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

if (import.meta.main) await main();

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      profile: { type: 'string' },
      perf: { type: 'string' },
      'node-args': { type: 'string' },
      provider: { type: 'string' },
      keep: { type: 'string' },
      minutes: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const provider = values.provider ?? 'graph';
  const name = positionals[0] ?? '';
  const scenario = scenarios[name];
  const usage =
    `Usage: npm run bench -- <scenario> [--provider graph|google] [--json] [--profile <dir>] [--perf <file>] [--node-args <flags>] [--keep <dir>]\n` +
    `       npm run bench -- soak [--minutes N] [--json]\n` +
    `       npm run bench -- noisy-neighbour [--json]\n\n` +
    `  --provider <kind>  the calendars' sandbox: graph (default) or google\n` +
    `  --json           print the result as JSON instead of a table\n` +
    `  --profile <dir>  write a CPU profile of the service, run from its sources, there (summarise it with npm run bench:profile)\n` +
    `  --perf <file>    record the service's processes, every thread, with Linux perf while the changes sync (summarise it with npm run bench:perf)\n` +
    `  --node-args <flags>  Node.js flags for the service's processes, e.g. --no-optimize-for-size\n` +
    `  --keep <dir>     keep the service's log (and each worker's) and (SQLite) its database there after the run\n` +
    `  --minutes <n>    soak only: how long the load runs (default 20)\n` +
    `  -h, --help       this text\n\n` +
    `Scenarios:\n${Object.entries(scenarios)
      .map(([n, s]) => `  ${n.padEnd(14)} ${s.description}`)
      .join('\n')}\n` +
    `  ${'soak'.padEnd(14)} 50 changes/s for N minutes across 100 owners with retention shortened to minutes: database size, memory and p99 every 30 s\n` +
    `  ${'noisy-neighbour'.padEnd(14)} tenant A backfills 50,000 Events while B and C each run steady's load: B's and C's p99 and A's throughput against each alone`;
  if (values.help === true) {
    console.log(usage);
    return;
  }
  // The soak (bench/soak.ts) has settings of its own: only how long it runs, and --json.
  const minutes = Number(values.minutes ?? '20');
  const soak =
    name === 'soak' &&
    Number.isFinite(minutes) &&
    minutes > 0 &&
    [values.provider, values.profile, values.perf, values.keep, values['node-args']].every(
      (v) => v === undefined,
    );
  if (soak) {
    const result = await runSoak({ minutes });
    const file = saveSoak(result);
    if (values.json === true) console.log(JSON.stringify(result, null, 2));
    else printSoak(result, file);
    return;
  }
  const others = [
    values.provider,
    values.profile,
    values.perf,
    values.keep,
    values['node-args'],
    values.minutes,
  ];
  if (name === 'noisy-neighbour' && others.every((v) => v === undefined)) {
    const result = await runNoisyNeighbour();
    const file = saveNoisyNeighbour(result);
    if (values.json === true) console.log(JSON.stringify(result, null, 2));
    else printNoisyNeighbour(result, file);
    return;
  }
  if (
    scenario === undefined ||
    (provider !== 'graph' && provider !== 'google') ||
    values.minutes !== undefined
  ) {
    console.error(usage);
    process.exit(2);
  }
  if (provider !== 'graph' && scenario.baseline !== undefined) {
    console.error('the baseline syncs to Microsoft Graph only: run it without --provider');
    process.exit(2);
  }
  const result = await runScenario(name, scenario, {
    provider,
    ...(values.profile === undefined ? {} : { profileDir: values.profile }),
    ...(values.keep === undefined ? {} : { keepDir: values.keep }),
    ...(values.perf === undefined ? {} : { perfFile: values.perf }),
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
    [
      provider === 'graph' ? '' : provider,
      values['node-args'] ?? '',
      values.profile === undefined ? '' : 'profiled',
      values.perf === undefined ? '' : 'perf',
    ].join(' '),
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
    if (result.floorMs !== undefined && result.latencyOverFloor !== undefined)
      row(
        'p50/p99 ÷ floor',
        `${result.latencyOverFloor.p50} / ${result.latencyOverFloor.p99} (floor ${result.floorMs} ms: the sandboxes' latencies)`,
      );
    row('changes per second', `${result.eventsPerSecond} (drained in ${result.drainSeconds} s)`);
    row('Salesforce calls / 1,000', String(result.salesforceCallsPer1000Events));
    row(`${result.provider ?? 'graph'} calls / change`, String(result.providerCallsPerEvent));
    if (result.providerHttpRequestsPerChange !== undefined)
      row(
        `${result.provider ?? 'graph'} HTTP requests / change`,
        String(result.providerHttpRequestsPerChange),
      );
    row('429s received', String(result.throttled));
    if (result.databaseStatementsPerChange !== undefined)
      row('database statements / change', String(result.databaseStatementsPerChange));
    if (result.databaseBytesPerChange !== undefined)
      row('database bytes / change', result.databaseBytesPerChange.toLocaleString('en'));
    if (result.storageBytesWrittenPerChange !== undefined)
      row('bytes written to disk / change', result.storageBytesWrittenPerChange.toLocaleString('en'));
    if (result.serviceCpuMsPerChange !== undefined)
      row('service CPU / change', `${result.serviceCpuMsPerChange} ms (serve and workers)`);
    if (result.serviceCpuOverSandbox !== undefined)
      row(
        `service CPU ÷ ${result.provider ?? 'graph'} sandbox's`,
        `${result.serviceCpuOverSandbox}× (the same calls served)`,
      );
    row('peak memory', `${result.peakRssMb ?? '?'} MB`);
    if (result.workersPeakRssMb !== undefined)
      row('peak memory of a worker', `${result.workersPeakRssMb ?? '?'} MB (the largest)`);
    if (result.warmUp !== undefined)
      row(
        'counted per change',
        `the last ${c.total - result.warmUp} (the first ${result.warmUp} warmed the processes)`,
      );
    row(
      'CPU seconds used',
      `${Object.entries(result.cpu.seconds)
        .map(([role, s]) => `${role} ${s}`)
        .join(', ')} (machine ${result.cpu.machineBusyPercent} % busy)`,
    );
    if (result.unaffectedLatencyMs !== undefined)
      row(
        'unaffected changes p50/p95/p99',
        `${result.unaffectedLatencyMs.p50} / ${result.unaffectedLatencyMs.p95} / ${result.unaffectedLatencyMs.p99} ms (${result.unaffectedLatencyMs.changes} changes)`,
      );
    if (result.recoverySeconds !== undefined)
      row('restart to first sync', `${result.recoverySeconds ?? '?'} s`);
    if (result.lost !== undefined) row('lost / duplicated', `${result.lost} / ${result.duplicated ?? '?'}`);
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

/** The baseline sweeps into Graph: its sandbox's endpoints, or a clear refusal for another provider. */
function graphEndpoints(system: RunningSystem): NonNullable<RunningSystem['endpoints']['graph']> {
  const graph = system.endpoints.graph;
  if (graph === undefined) throw new Error('the baseline scenario syncs to Microsoft Graph only');
  return graph;
}

/**
 * The shortest time one mailbox's changes can take at the provider: calls run `concurrency` at a
 * time, each taking the sandbox's latency, and no window may hold more than the provider's
 * per-mailbox rate (Google: 600 a minute). So the calls go in the window's worth at a time: every
 * full window but the last costs the window, and the last part its calls at full concurrency.
 */
function theoreticalMinimumSeconds(calls: number, provider: CalendarKind, latencyMs: number): number {
  const { maxConcurrentPerMailbox, requestsPerWindow } = providerPluginNamed(provider).capabilities;
  const fullWindows = Math.floor((calls - 1) / requestsPerWindow.count);
  const last = calls - fullWindows * requestsPerWindow.count;
  return Math.max(
    (calls / maxConcurrentPerMailbox) * (latencyMs / 1000),
    fullWindows * (requestsPerWindow.windowMs / 1000) + (last / maxConcurrentPerMailbox) * (latencyMs / 1000),
  );
}
