// The chaos cases: the whole system as separate processes (sandbox org with CDC, Graph sandbox,
// the service), a steady stream of Event changes, and one kind of fault after another while it
// runs. Each run ends by comparing every mailbox with the org (lost, duplicated, stale, orphaned)
// and says how quickly the service worked again after each fault. `short` runs are part of
// `npm run test:system`; `full` runs are `npm run test:chaos`, which also writes their figures to
// bench/results/chaos-<case>-<date>.json.
import { setTimeout as sleep } from 'node:timers/promises';
import type { BackendName } from '../../src/store/backend.ts';
import { auditMailboxes, type MailboxAudit } from '../support/mailbox-audit.ts';
import { startSystem, type RunningSystem } from '../support/system-processes.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { ChangeStream, type StreamPlan } from './change-stream.ts';

export type ChaosSize = 'short' | 'full';

export interface ChaosRun {
  case: string;
  backend: BackendName;
  size: ChaosSize;
  changes: number;
  lost: number;
  duplicated: number;
  stale: number;
  orphaned: number;
  /** The slowest recovery: from a fault's end to the service's first change to a mailbox after it. */
  recoverySeconds: number | null;
  /** Each fault's recovery, in order. */
  recoveries: (number | null)[];
  /** From the last change (and the last fault) until every mailbox matched the org. */
  drainSeconds: number | null;
  /** What else the case measured. */
  notes: Record<string, unknown>;
  /** The first problems the audit found, if any. */
  problems: string[];
  /** `instant-sync trace` of the first Events with a problem, to tell why. */
  traces: string[];
}

interface FaultContext {
  system: RunningSystem;
  stream: ChangeStream;
  size: ChaosSize;
  proxy: TcpProxy | undefined;
  /** The other `serve` processes' URLs (the pgcut case runs two). */
  serviceUrls: string[];
  notes: Record<string, unknown>;
}

/** One fault's window: recovery is measured from `endedAt` (or from `readyAt` for a restart). */
interface FaultWindow {
  endedAt: number;
  /** When the service could first have worked (a restarted process is up): writes before are not its. */
  countFrom?: number;
}

export interface ChaosCase {
  name: string;
  description: string;
  backends: readonly BackendName[];
  plan: Record<ChaosSize, StreamPlan & { owners: number }>;
  /** Extra service settings. */
  env?: Record<string, string>;
  /** `serve` processes and `worker` processes beside them. */
  nodes?: { serve: number; workers: number };
  /** Runs the faults while the stream runs; returns when each ended. */
  faults(context: FaultContext): Promise<FaultWindow[]>;
}

const between = (low: number, high: number) => low + Math.random() * (high - low);

export const chaosCases: readonly ChaosCase[] = [
  {
    name: 'kill9',
    description: 'kill -9 of the service at random moments, restarted at once',
    backends: ['sqlite', 'postgres'],
    plan: {
      short: { changes: 200, ratePerSecond: 25, owners: 20 },
      full: { changes: 3000, ratePerSecond: 50, owners: 100 },
    },
    async faults({ system, stream, size, notes }) {
      const kills = size === 'full' ? 10 : 2;
      const moments = Array.from({ length: kills }, () => between(0.1, 0.9)).sort((a, b) => a - b);
      const windows: FaultWindow[] = [];
      const takenBack: { found: boolean; jobs: number; leases: number }[] = [];
      for (const moment of moments) {
        await stream.reach(Math.round(moment * stream.total));
        await system.killService();
        const restartedAt = Date.now();
        await system.startService();
        windows.push({ endedAt: restartedAt, countFrom: Date.now() });
        // The log (stderr) may trail the ready line (stdout) a little: look for a few seconds.
        const tookBack = () =>
          system
            .serviceOutput()
            .split('\n')
            .find((l) => l.includes('took back the jobs and leases'));
        const lookedUntil = Date.now() + 10_000;
        while (tookBack() === undefined && Date.now() < lookedUntil) await sleep(50);
        const line = tookBack();
        const said = line === undefined ? {} : (JSON.parse(line) as { jobs?: number; leases?: number });
        takenBack.push({ found: line !== undefined, jobs: said.jobs ?? 0, leases: said.leases ?? 0 });
      }
      // Whether each restart found the run it replaced dead, and what it took back from it at once.
      notes['takenBackAtRestart'] = takenBack;
      return windows;
    },
  },
  {
    name: 'pgcut',
    description: 'PostgreSQL cut for 4–20 s through a proxy, under 2 serve and 2 worker processes',
    backends: ['postgres'],
    nodes: { serve: 2, workers: 2 },
    plan: {
      short: { changes: 150, ratePerSecond: 20, owners: 20 },
      full: { changes: 3000, ratePerSecond: 20, owners: 100 },
    },
    async faults({ system, stream, size, proxy, serviceUrls, notes }) {
      if (proxy === undefined) throw new Error('pgcut needs the proxy');
      const cuts = size === 'full' ? 5 : 1;
      const urls = [system.serviceUrl, ...serviceUrls];
      const windows: FaultWindow[] = [];
      const readySeconds: number[] = [];
      const unreadyDuringCut: boolean[] = [];
      for (let cut = 0; cut < cuts; cut++) {
        await stream.reach(Math.round(((cut + 0.5) / (cuts + 0.5)) * stream.total));
        const seconds = size === 'full' ? between(4, 20) : 4;
        proxy.cut();
        const cutAt = Date.now();
        let sawUnready = false;
        while (Date.now() - cutAt < seconds * 1000) {
          const states = await Promise.all(urls.map(readiness));
          if (states.every((s) => s === 503)) sawUnready = true;
          await sleep(250);
        }
        proxy.restore();
        const restoredAt = Date.now();
        unreadyDuringCut.push(sawUnready);
        while ((await Promise.all(urls.map(readiness))).some((s) => s !== 200)) {
          if (Date.now() - restoredAt > 120_000) break;
          await sleep(100);
        }
        readySeconds.push(round((Date.now() - restoredAt) / 1000));
        windows.push({ endedAt: restoredAt });
      }
      notes['readySecondsAfterEachCut'] = readySeconds;
      notes['every serve answered 503 during each cut'] = unreadyDuringCut.every(Boolean);
      notes['processes alive at the end'] = system.processes().map((p) => p.role);
      return windows;
    },
  },
  {
    name: 'graph-faults',
    description:
      '20 % of Graph calls fail: 5xx, 429 with Retry-After, connections reset before and after the change, and 2 % hung for 60 s',
    backends: ['sqlite', 'postgres'],
    plan: {
      short: { changes: 150, ratePerSecond: 25, owners: 20 },
      full: { changes: 3000, ratePerSecond: 50, owners: 100 },
    },
    async faults({ system, stream }) {
      // Picked evenly among ten kinds: a tenth of the faults (2 % of calls) hang for a minute.
      await system.calendars.faults({
        failureRate: 0.2,
        kinds: ['500', '503', '504', '429', 'reset', '500', '503', '429', 'reset', 'timeout'],
        afterCommit: true,
        hangMs: 60_000,
      });
      await stream.finished();
      await system.calendars.faults({ failureRate: 0, kinds: [], afterCommit: false });
      return [{ endedAt: Date.now() }];
    },
  },
  {
    name: 'token-revoked',
    description: "the org's admin revokes the service's grant mid-run; the tenant is connected again later",
    backends: ['sqlite', 'postgres'],
    env: { INSTANT_SYNC_POLL_INTERVAL: '10s' },
    plan: {
      short: { changes: 150, ratePerSecond: 15, owners: 20 },
      full: { changes: 3000, ratePerSecond: 50, owners: 100 },
    },
    async faults({ system, stream, size, notes }) {
      await stream.reach(Math.round(stream.total / 3));
      notes['grantsRevoked'] = await system.salesforce.revokeGrants();
      const revokedAt = Date.now();
      // The service finds out at its next Salesforce call (the poll, every 10 s here) and pauses.
      while (!(await tenantPage(system)).includes('Reconnect required')) {
        if (Date.now() - revokedAt > 120_000) throw new Error('the service never noticed the revoked grant');
        await sleep(250);
      }
      notes['secondsToNotice'] = round((Date.now() - revokedAt) / 1000);
      await sleep(size === 'full' ? 30_000 : 2000); // changes keep coming while nobody reconnects
      await system.reconnect();
      return [{ endedAt: Date.now() }];
    },
  },
  {
    name: 'pubsub',
    description:
      'the Pub/Sub stream is down for a minute, and later comes back with the stored replay id past retention',
    backends: ['sqlite', 'postgres'],
    env: { INSTANT_SYNC_POLL_INTERVAL: '10s' },
    plan: {
      short: { changes: 150, ratePerSecond: 10, owners: 20 },
      full: { changes: 3000, ratePerSecond: 25, owners: 100 },
    },
    async faults({ system, stream, size }) {
      const windows: FaultWindow[] = [];
      await stream.reach(Math.round(stream.total / 4));
      const outageMs = size === 'full' ? 60_000 : 5000;
      await system.salesforce.pubSubOutage(outageMs);
      await sleep(outageMs);
      windows.push({ endedAt: Date.now() });
      await stream.reach(Math.round((stream.total * 3) / 4));
      // Down again, and while it is, every change event so far leaves retention (72 h in a real org).
      await system.salesforce.pubSubOutage(size === 'full' ? 10_000 : 3000);
      await system.salesforce.expireChangeEvents();
      await sleep(size === 'full' ? 10_000 : 3000);
      windows.push({ endedAt: Date.now() });
      return windows;
    },
  },
];

/** Runs one case on one backend: system up, stream and faults, then the audit. */
export async function runChaosCase(
  chaos: ChaosCase,
  backend: BackendName,
  databaseUrl: string,
  size: ChaosSize,
): Promise<ChaosRun> {
  const plan = chaos.plan[size];
  const proxy =
    chaos.name === 'pgcut'
      ? await startTcpProxy({
          host: new URL(databaseUrl).hostname,
          port: Number(new URL(databaseUrl).port || 5432),
        })
      : undefined;
  const system = await startSystem({
    databaseUrl: proxy?.proxiedUrl(databaseUrl) ?? databaseUrl,
    owners: plan.owners,
    salesforceLatencyMs: 20,
    cdcDelayMs: 50,
    calendarLatencyMs: 50,
    env: chaos.env ?? {},
  });
  try {
    await system.startService();
    await system.setUpTenant();
    const serviceUrls: string[] = [];
    for (let i = 1; i < (chaos.nodes?.serve ?? 1); i++) serviceUrls.push(await system.startOtherService());
    if ((chaos.nodes?.workers ?? 0) > 0) await system.startWorkers(chaos.nodes?.workers ?? 0);

    const stream = new ChangeStream(system, plan);
    const notes: Record<string, unknown> = {};
    stream.start();
    const windows = await chaos.faults({ system, stream, size, proxy, serviceUrls, notes });
    await stream.finished();
    const loadEnded = Math.max(Date.now(), ...windows.map((w) => w.endedAt));

    // Every mailbox must come to match the org; a run that does not is reported, not hidden.
    const deadline = loadEnded + (size === 'full' ? 600_000 : 240_000);
    let audit: MailboxAudit = await auditMailboxes(system);
    while (audit.problems.length > 0 && Date.now() < deadline) {
      await sleep(2000);
      audit = await auditMailboxes(system);
    }
    const drainSeconds = audit.problems.length === 0 ? round((Date.now() - loadEnded) / 1000) : null;
    const traces: string[] = [];
    for (const id of new Set(audit.problems.flatMap((p) => /00U\w{15}/.exec(p)?.[0] ?? []))) {
      if (traces.length === 3) break;
      const story = await system.cli(['trace', id]);
      traces.push(`${story.stdout}${story.stderr}`);
    }
    const recoveries = await recoveriesAfter(system, windows);
    const known = recoveries.filter((r): r is number => r !== null);
    return {
      case: chaos.name,
      backend,
      size,
      changes: stream.made,
      lost: audit.missing,
      duplicated: audit.duplicated,
      stale: audit.stale,
      orphaned: audit.orphaned,
      recoverySeconds: known.length === 0 ? null : Math.max(...known),
      recoveries,
      drainSeconds,
      notes,
      problems: audit.problems.slice(0, 20),
      traces,
    };
  } catch (error) {
    throw new Error(
      `${chaos.name} [${backend}] failed: ${(error as Error).message}\n--- service output (tail) ---\n${system.serviceOutput().slice(-4000)}`,
      {
        cause: error,
      },
    );
  } finally {
    await system.close();
    await proxy?.close();
  }
}

/** For each fault, seconds from its end until the service's first change to a mailbox after it. */
async function recoveriesAfter(
  system: RunningSystem,
  windows: readonly FaultWindow[],
): Promise<(number | null)[]> {
  return Promise.all(
    windows.map(async (window) => {
      const [first] = await system.calendars.writesAfter(window.countFrom ?? window.endedAt);
      return first === undefined ? null : round((first - window.endedAt) / 1000);
    }),
  );
}

async function readiness(url: string): Promise<number | undefined> {
  const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
  return response?.status;
}

async function tenantPage(system: RunningSystem): Promise<string> {
  const response = await fetch(`${system.serviceUrl}/t/acme/`).catch(() => undefined);
  return (await response?.text()) ?? '';
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
