// Whether one tenant's webhook flood can starve the service: `npm run bench:flood -- [--rate-limit N|off]
// [--deliveries N] [--ids M] [--concurrency C] [--profile <dir>] [--node-args <flags>]`. Starts
// `instant-sync serve` (intake only, SQLite, in a fresh folder) as a child process, creates a tenant, sends
// it many signed deliveries of about 1 MiB each at once, and meanwhile times GET /healthz every 50 ms: an
// answer that needs nothing but the event loop, so its round trip is how long anyone else waits for the
// service. Reports the deliveries' statuses, the jobs recorded, the /healthz round trips and what the service
// cost, and writes bench/results/flood-<rate-limit>-<date>.json (a run with --profile or --node-args under a
// suffixed name, as bench/results.ts does).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent as HttpAgent, get as httpGet } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { options as configOptions } from '../src/config/options.ts';
import { toCaseSafeId } from '../src/domain/salesforce-ids.ts';
import { maxWebhookBodyBytes, signWebhook, webhookHeaders } from '../src/intake/webhook/webhook-delivery.ts';
import type { RunningSystem } from '../test/support/system-processes.ts';
import { runCliProcess, startCliProcess } from '../test/support/cli-process.ts';
import { cpuSnapshot, machine, peakRssMb, type CpuUse } from './process-usage.ts';

const resultsDir = new URL('results/', import.meta.url);
const healthzIntervalMs = 50;
/** How long /healthz is still timed after the last delivery was answered. */
const tailMs = 2000;
/** What `--rate-limit off` sets: the most the service accepts, far beyond what one run sends. */
const rateLimitOff = 10_000_000;

interface FloodOptions {
  /** Event changes a tenant may deliver per minute, or 'off' (rateLimitOff). */
  rateLimit: number | 'off';
  deliveries: number;
  idsPerDelivery: number;
  concurrency: number;
  /** Write a CPU profile of the service (node --cpu-prof) into this folder. */
  profileDir?: string | undefined;
  /** More Node.js flags for the service (e.g. --no-optimize-for-size). */
  nodeArgs?: readonly string[] | undefined;
}

interface PollerData {
  role: 'healthz-poller';
  url: string;
  intervalMs: number;
}

interface PollerReport {
  /** Each poll answered 200, in the order sent: [ms from the flood's start, round trip ms]. */
  polls: [number, number][];
  /**
   * The same on one kept-alive connection, a poll at a time (the next on the first tick after
   * the last answer): what a health checker that keeps its connection sees, without the cost
   * of a new connection while the service is busy reading bodies.
   */
  keptAlive: [number, number][];
  /** Polls not answered 200, by status or client error. */
  failures: Record<string, number>;
}

export interface FloodResult {
  scenario: string;
  /** A run with a CPU profiler or more Node.js flags is saved with a suffix, not as the plain result. */
  profiled: boolean;
  nodeArgs: string[];
  description: string;
  options: {
    rateLimitPerMinute: number;
    deliveries: number;
    idsPerDelivery: number;
    concurrency: number;
    bodyBytes: number;
  };
  /** Deliveries by how they were answered: 202, 429, and any other status (or a client error). */
  deliveries: { accepted: number; rateLimited: number; other: Record<string, number> };
  /** Rows in the jobs (and changes) tables once the service has stopped. */
  jobsRecorded: number;
  changesRecorded: number;
  /** From the first delivery sent to the last one answered. */
  floodSeconds: number;
  healthz: {
    count: number;
    failures: Record<string, number>;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
    /** Every poll answered, in the order sent: [ms from the flood's start, round trip ms]. */
    polls: [number, number][];
    /** The polls on one kept-alive connection, one at a time (see PollerReport). */
    keptAlive: { count: number; p50Ms: number; p99Ms: number; maxMs: number };
  };
  peakRssMb: number | null;
  /** CPU seconds of the service and of this harness from the flood's start to its end plus the tail. */
  cpu: CpuUse;
  /** The machine's 1-minute load average when the flood started (the machine is shared). */
  loadAverageAtStart: number;
  machine: { cores: number; cpu: string; node: string };
  at: string;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** The `n`th distinct Event id: '00U', 12 base-36 characters of n, and the case-safe suffix. */
function eventId(n: number): string {
  return toCaseSafeId(`00U${n.toString(36).padStart(12, '0')}`);
}

/**
 * A delivery naming `count` Events from the `first`th, padded with a field the service ignores
 * to just under its 1 MiB limit: the largest body it reads, and parses and signs, in full.
 */
function deliveryBody(first: number, count: number): string {
  const core = JSON.stringify({
    events: Array.from({ length: count }, (_, i) => ({ id: eventId(first + i), changeType: 'UPDATE' })),
  });
  const target = maxWebhookBodyBytes - 1024;
  const room = target - core.length - ',"padding":""'.length;
  return room <= 0 ? core : `${core.slice(0, -1)},"padding":"${'x'.repeat(room)}"}`;
}

/** What a failed fetch says went wrong (ECONNRESET, UND_ERR_SOCKET, …). */
function errorCode(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === 'string' ? cause.code : 'fetch';
}

/**
 * Runs in a worker thread, so that signing and sending the flood on the main thread never
 * delays a poll: each one is sent on its 50 ms tick whether the last was answered or not,
 * and timed from its tick, so a stalled service shows as long round trips, not as fewer polls.
 */
async function pollHealthz(data: PollerData): Promise<void> {
  const polls: [number, number][] = [];
  let start = 0;
  const inFlight = new Set<Promise<void>>();
  const failures: Record<string, number> = {};
  const fail = (reason: string) => {
    failures[reason] = (failures[reason] ?? 0) + 1;
  };
  // One connection kept alive, one request at a time.
  const agent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
  const keptAlive: [number, number][] = [];
  let keptBusy = false;
  const getOnce = () =>
    new Promise<number>((resolve, reject) => {
      const request = httpGet(data.url, { agent }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      });
      request.on('error', reject);
    });
  const keptTick = () => {
    if (keptBusy) return;
    keptBusy = true;
    const sent = performance.now();
    void getOnce()
      .then((status) => {
        if (status === 200) keptAlive.push([sent - start, performance.now() - sent]);
        else fail(`kept-alive:${status}`);
      })
      .catch((error: unknown) => fail(`kept-alive:error:${errorCode(error)}`))
      .finally(() => {
        keptBusy = false;
      });
  };
  const tick = () => {
    keptTick();
    const sent = performance.now();
    const poll = fetch(data.url)
      .then(async (response) => {
        await response.arrayBuffer();
        if (response.status === 200) polls.push([sent - start, performance.now() - sent]);
        else fail(String(response.status));
      })
      .catch((error: unknown) => fail(`error:${errorCode(error)}`))
      .finally(() => inFlight.delete(poll));
    inFlight.add(poll);
  };
  // One untimed poll first: the first request of a connection (and of this thread's HTTP client)
  // pays for setting them up, which says nothing about the service under load.
  await (await fetch(data.url)).arrayBuffer();
  await getOnce();
  const next = () => new Promise<void>((resolve) => parentPort?.once('message', () => resolve()));
  const started = next();
  parentPort?.postMessage('ready');
  await started;
  start = performance.now();
  tick();
  const timer = setInterval(tick, data.intervalMs);
  await next();
  clearInterval(timer);
  await Promise.allSettled([...inFlight]);
  while (keptBusy) await new Promise((resolve) => setTimeout(resolve, 10));
  agent.destroy();
  polls.sort((a, b) => a[0] - b[0]);
  parentPort?.postMessage({ polls, keptAlive, failures } satisfies PollerReport);
}

/** Starts the poller thread; resolves once it is ready to poll on `start()`. */
async function startPoller(url: string): Promise<{ start(): void; stop(): Promise<PollerReport> }> {
  const worker = new Worker(new URL(import.meta.url), {
    workerData: { role: 'healthz-poller', url, intervalMs: healthzIntervalMs } satisfies PollerData,
  });
  const failed = new Promise<never>((_, reject) => worker.once('error', reject));
  await Promise.race([new Promise((resolve) => worker.once('message', resolve)), failed]);
  const report = Promise.race([
    new Promise<PollerReport>((resolve) =>
      worker.once('message', (message: PollerReport) => resolve(message)),
    ),
    failed,
  ]);
  return {
    start: () => worker.postMessage('start'),
    stop: async () => {
      worker.postMessage('stop');
      const result = await report;
      await worker.terminate();
      return result;
    },
  };
}

/** Sends one signed delivery; resolves with its status, or `error:<code>` when no answer came. */
async function deliver(
  url: string,
  tenant: { clientId: string; webhookSecret: string },
  body: string,
): Promise<string> {
  // Signed when sent, as the package does: the timestamp must be within 5 minutes of the server's.
  const timestamp = String(Math.floor(Date.now() / 1000));
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [webhookHeaders.clientId]: tenant.clientId,
        [webhookHeaders.timestamp]: timestamp,
        [webhookHeaders.signature]: signWebhook(tenant.webhookSecret, timestamp, body),
      },
      body,
    });
    await response.arrayBuffer();
    return String(response.status);
  } catch (error) {
    return `error:${errorCode(error)}`;
  }
}

function countRows(databaseFile: string, table: 'jobs' | 'changes'): number {
  const db = new DatabaseSync(databaseFile, { readOnly: true });
  try {
    const row = db.prepare(`select count(*) as n from ${table}`).get() as { n: number } | undefined;
    return Number(row?.n ?? 0);
  } finally {
    db.close();
  }
}

export async function runFlood(options: FloodOptions): Promise<FloodResult> {
  const rateLimitPerMinute = options.rateLimit === 'off' ? rateLimitOff : options.rateLimit;
  const dir = mkdtempSync(join(tmpdir(), 'instant-sync-flood-'));
  // The embedded defaults (sqlite:./data/instant-sync.db, ./data/secret.key), in the fresh folder.
  const databaseFile = join(dir, 'data', 'instant-sync.db');
  let service: Awaited<ReturnType<typeof startCliProcess>> | undefined;
  try {
    const added = await runCliProcess(['tenants', 'add', 'flood', '--json'], { cwd: dir });
    if (added.code !== 0) throw new Error(`instant-sync tenants add failed:\n${added.stderr}`);
    const tenant = JSON.parse(added.stdout) as { clientId: string; webhookSecret: string };

    service = await startCliProcess(['serve'], {
      cwd: dir,
      env: {
        INSTANT_SYNC_PORT: '0',
        INSTANT_SYNC_ENGINE: 'false',
        INSTANT_SYNC_CDC: 'false',
        INSTANT_SYNC_WEBHOOK_RATE_LIMIT: String(rateLimitPerMinute),
      },
      ready: /listening on (\S+)/,
      nodeArgs: [
        ...(options.nodeArgs ?? []),
        ...(options.profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`]),
      ],
    });
    const pid = service.child.pid;
    if (pid === undefined) throw new Error('instant-sync serve has no process id');
    const baseUrl = service.match[1] ?? '';
    const hookUrl = `${baseUrl}/t/flood/hooks/salesforce`;
    // Built before the flood, so that the harness spends its share of the 2 cores on sending
    // (and signing, which must happen when sending) while the service is measured.
    const bodies = Array.from({ length: options.deliveries }, (_, n) =>
      deliveryBody(n * options.idsPerDelivery, options.idsPerDelivery),
    );
    const bodyBytes = Buffer.byteLength(bodies[0] ?? '');

    // process-usage reads only the processes it is given: here the service alone.
    const measured = { processes: () => [{ role: 'service', pid }] } satisfies Pick<
      RunningSystem,
      'processes'
    >;
    const loadAverageAtStart = loadavg()[0] ?? Number.NaN;
    const poller = await startPoller(`${baseUrl}/healthz`);
    const cpuUsed = cpuSnapshot(measured as RunningSystem);
    poller.start();
    const statuses = new Map<string, number>();
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(options.concurrency, options.deliveries) }, async () => {
        while (next < options.deliveries) {
          const status = await deliver(hookUrl, tenant, bodies[next++] ?? '');
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      }),
    );
    const floodSeconds = (performance.now() - started) / 1000;
    await sleep(tailMs);
    const healthz = await poller.stop();
    const cpu = cpuUsed();
    const peak = peakRssMb(pid);

    service.child.kill('SIGTERM');
    await service.exited;
    service = undefined;

    const roundTrips = healthz.polls.map(([, ms]) => ms).sort((a, b) => a - b);
    const keptTrips = healthz.keptAlive.map(([, ms]) => ms).sort((a, b) => a - b);
    const other = Object.fromEntries(
      [...statuses].filter(([status]) => status !== '202' && status !== '429').sort(),
    );
    const label = options.rateLimit === 'off' ? 'off' : String(options.rateLimit);
    return {
      scenario: `flood-${label}`,
      profiled: options.profileDir !== undefined,
      nodeArgs: [...(options.nodeArgs ?? [])],
      description:
        `${options.deliveries} signed webhook deliveries of ${options.idsPerDelivery} Event changes ` +
        `(${bodyBytes} bytes each), ${options.concurrency} at once, to one tenant of an intake-only service`,
      options: {
        rateLimitPerMinute,
        deliveries: options.deliveries,
        idsPerDelivery: options.idsPerDelivery,
        concurrency: options.concurrency,
        bodyBytes,
      },
      deliveries: { accepted: statuses.get('202') ?? 0, rateLimited: statuses.get('429') ?? 0, other },
      jobsRecorded: countRows(databaseFile, 'jobs'),
      changesRecorded: countRows(databaseFile, 'changes'),
      floodSeconds: round1(floodSeconds),
      healthz: {
        count: roundTrips.length,
        failures: healthz.failures,
        p50Ms: round1(percentile(roundTrips, 50)),
        p99Ms: round1(percentile(roundTrips, 99)),
        maxMs: round1(roundTrips.at(-1) ?? Number.NaN),
        polls: healthz.polls.map(([at, ms]) => [Math.round(at), round1(ms)]),
        keptAlive: {
          count: keptTrips.length,
          p50Ms: round1(percentile(keptTrips, 50)),
          p99Ms: round1(percentile(keptTrips, 99)),
          maxMs: round1(keptTrips.at(-1) ?? Number.NaN),
        },
      },
      peakRssMb: peak,
      cpu,
      loadAverageAtStart: Math.round(loadAverageAtStart * 100) / 100,
      machine: machine(),
      at: new Date().toISOString(),
    };
  } finally {
    if (service !== undefined) {
      service.child.kill('SIGKILL');
      await service.exited.catch(() => undefined);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes flood-<rate limit>-<date>.json, suffixed as bench/results.ts suffixes a variant run. */
function save(result: FloodResult): URL {
  mkdirSync(resultsDir, { recursive: true });
  const variant = [...result.nodeArgs, ...(result.profiled ? ['profiled'] : [])]
    .join(' ')
    .replace(/[^a-z0-9=]+/gi, '-')
    .replace(/^-+|-+$/g, '');
  const file = new URL(
    `${result.scenario}-${result.at.slice(0, 10)}${variant === '' ? '' : `-${variant}`}.json`,
    resultsDir,
  );
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

function summary(result: FloodResult): string {
  const { deliveries: d, healthz: h } = result;
  const counts = (byStatus: Record<string, number>) =>
    Object.entries(byStatus).map(([status, count]) => `${count}× ${status}`);
  const other = counts(d.other);
  const failed = counts(h.failures);
  return [
    `Webhook flood, rate limit ${result.options.rateLimitPerMinute}/min: ${result.description}`,
    `  deliveries:   ${d.accepted} accepted (202), ${d.rateLimited} refused (429)` +
      (other.length === 0 ? '' : `, ${other.join(', ')}`),
    `  recorded:     ${result.jobsRecorded} jobs, ${result.changesRecorded} changes`,
    `  flood:        ${result.floodSeconds} s until every delivery was answered`,
    `  /healthz:     p50 ${h.p50Ms} ms, p99 ${h.p99Ms} ms, max ${h.maxMs} ms over ${h.count} round trips` +
      (failed.length === 0 ? '' : ` (not answered: ${failed.join(', ')})`),
    `  kept alive:   p50 ${h.keptAlive.p50Ms} ms, p99 ${h.keptAlive.p99Ms} ms, max ${h.keptAlive.maxMs} ms over ` +
      `${h.keptAlive.count} round trips on one connection, one at a time`,
    `  service:      peak ${result.peakRssMb ?? '?'} MB, ${result.cpu.seconds['service'] ?? '?'} CPU seconds`,
    `  machine:      ${result.machine.cores} cores, ${result.cpu.machineBusyPercent} % busy during the run ` +
      `(load average ${result.loadAverageAtStart} at the start; this harness used ` +
      `${result.cpu.seconds['harness'] ?? '?'} CPU seconds)`,
  ].join('\n');
}

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number above 0, not ${text}`);
  return n;
}

if (!isMainThread && (workerData as Partial<PollerData> | null)?.role === 'healthz-poller') {
  await pollHealthz(workerData as PollerData);
} else if (isMainThread && import.meta.main) {
  const { values } = parseArgs({
    options: {
      'rate-limit': { type: 'string' },
      deliveries: { type: 'string' },
      ids: { type: 'string' },
      concurrency: { type: 'string' },
      profile: { type: 'string' },
      'node-args': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    console.log(
      'Usage: npm run bench:flood -- [--rate-limit N|off] [--deliveries N] [--ids M] [--concurrency C]\n' +
        '                             [--profile <dir>] [--node-args <flags>]\n\n' +
        `  --rate-limit N|off   Event changes a tenant may deliver per minute (default ${configOptions.webhookRateLimit.default});\n` +
        `                       off: ${rateLimitOff.toLocaleString('en')}, the most the service accepts\n` +
        '  --deliveries N       signed deliveries sent, each padded to just under 1 MiB (default 100)\n' +
        '  --ids M              distinct Event ids each delivery names (default 2000)\n' +
        '  --concurrency C      deliveries in flight at once (default 100)\n' +
        '  --profile <dir>      write a CPU profile of the service there\n' +
        '  --node-args <flags>  Node.js flags for the service, e.g. --no-optimize-for-size\n\n' +
        "Starts an intake-only service (SQLite, a fresh folder), floods one tenant's webhook and meanwhile\n" +
        'times GET /healthz every 50 ms; writes bench/results/flood-<rate-limit>-<date>.json.',
    );
    process.exit(0);
  }
  const rateLimitText = values['rate-limit'];
  const result = await runFlood({
    rateLimit:
      rateLimitText === 'off'
        ? 'off'
        : positive('rate-limit', rateLimitText, Number(configOptions.webhookRateLimit.default)),
    deliveries: positive('deliveries', values.deliveries, 100),
    idsPerDelivery: positive('ids', values.ids, 2000),
    concurrency: positive('concurrency', values.concurrency, 100),
    profileDir: values.profile,
    nodeArgs: values['node-args']?.split(' ').filter((flag) => flag !== ''),
  });
  const file = save(result);
  console.log(summary(result));
  console.log(`  saved:        ${file.pathname}`);
}
