// The noisy neighbour: `npm run bench -- noisy-neighbour`. Does one tenant's bulk work hold back
// another tenant's live changes? Three tenants share one service (SQLite), each connected to an
// org of its own in the sandbox (one process, one Pub/Sub endpoint, as Salesforce's orgs share
// one), each with its mailboxes in a Graph sandbox of its own (three customers, three Microsoft
// 365 tenants), with steady's sandbox latencies.
//
// Tenant A (`acme`) has 100,000 Events made over a minute before it is connected — so they reach
// the service only through `backfill`, not its first polls — 50,000 dated in January 2027 for
// half its owners and 50,000 in February for the other half (so that both backfills write into
// mailboxes as full as each other: what a calendar costs per item grows with the items it holds). Tenants B and C
// (`acme-2`, `acme-3`) each get steady's load: 50 changes a second for 60 s across 500 owners
// (60 % creates, 30 % edits, 10 % deletions), through CDC.
//
// Three runs, one after another:
//   1. B and C alone: their latency (Salesforce's commit to the Graph sandbox storing the item),
//   2. A alone: the backfill of January, its throughput (Events ÷ seconds from the command's start
//      to the last item stored),
//   3. all together: the backfill of February starts, and once it has queued its Events (the
//      command returns) B and C run their load again.
// The targets: B's and C's p99 together within 1.5 × their p99 alone, A's throughput together at
// least 70 % of alone. Nobody looks at the mailboxes while a run goes on (the bench's reads
// would compete with the service): each run waits until the service's queue of its tenants is
// empty, then reads the mailboxes, whose own timestamps say when each change arrived.
// Written to bench/results/noisy-neighbour-<date>.json.
import { benchDeliveryAllocation } from './scenarios.ts';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { pollOverlapMs } from '../src/intake/polling/poller.ts';
import {
  startSystem,
  type Owner,
  type RunningSystem,
  type SystemOrg,
} from '../test/support/system-processes.ts';
import { eventLoad, matchMailboxes, percentile, type Expected } from './load.ts';
import { cpuSnapshot, machine } from './process-usage.ts';

const resultsDir = new URL('results/', import.meta.url);
/** steady's sandbox latencies and load (bench/scenarios.ts). */
const sandboxLatencies = { salesforceLatencyMs: 80, cdcDelayMs: 150, calendarLatencyMs: 120 };
const owners = 500;
const ratePerSecond = 50;
const changesEach = 3000;
const mix = { create: 0.6, update: 0.3, delete: 0.1 };
/** Changes made at the same moment (as run.ts). */
const width = 20;
const backfillEvents = 50_000;
const months = { solo: '2027-01', together: '2027-02' } as const;
const targets = { p99: 1.5, backfillThroughput: 0.7 };

export interface TenantLatency {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Creates and edits timed (deletions are checked, not timed). */
  timed: number;
  changes: number;
}

export interface BackfillRun {
  /** Events the backfill queued (and synced): the month's, less any polling synced before. */
  events: number;
  /** From the command's start to the last item stored. */
  seconds: number;
  eventsPerSecond: number;
  /** How long the command took to find and queue the Events. */
  queuedAfterSeconds: number;
}

export interface NoisyNeighbourResult {
  scenario: 'noisy-neighbour';
  description: string;
  alone: { b: TenantLatency; c: TenantLatency; backfill: BackfillRun };
  together: { b: TenantLatency; c: TenantLatency; backfill: BackfillRun };
  /** Together ÷ alone. */
  ratios: { bP99: number; cP99: number; backfillThroughput: number };
  targets: typeof targets;
  met: boolean;
  /** Service CPU seconds of each run, and how busy the whole machine was meanwhile. */
  serviceCpuSeconds: { alone: number; backfillAlone: number; together: number };
  machineBusyPercent: { alone: number; backfillAlone: number; together: number };
  /** CPU seconds of each part of the system (service, each sandbox, the harness) in each run. */
  cpuSecondsByProcess: {
    alone: Record<string, number>;
    backfillAlone: Record<string, number>;
    together: Record<string, number>;
  };
  /** Events whose mailbox did not show their last version at the end (A's, B's and C's). */
  lost: number;
  machine: { cores: number; cpu: string; node: string };
  at: string;
}

export async function runNoisyNeighbour(): Promise<NoisyNeighbourResult> {
  const dir = mkdtempSync(join(tmpdir(), 'instant-sync-noisy-'));
  const databaseFile = join(dir, 'noisy.db');
  const system = await startSystem({
    cdcDeliveryAllocation: benchDeliveryAllocation,
    databaseUrl: `sqlite:${databaseFile}`,
    owners,
    orgs: 3,
    // Three customers: three Microsoft 365 tenants, each its own Graph sandbox.
    calendarsPerOrg: true,
    ...sandboxLatencies,
    provider: 'graph',
  });
  let database: DatabaseSync | undefined;
  try {
    const [a, b, c] = system.orgs;
    if (a === undefined || b === undefined || c === undefined) throw new Error('three orgs expected');
    console.error(`making ${(2 * backfillEvents).toLocaleString('en')} Events in ${a.slug}'s org…`);
    const backlog = {
      solo: await makeEvents(a, months.solo, a.owners.slice(0, owners / 2)),
      together: await makeEvents(a, months.together, a.owners.slice(owners / 2)),
    };
    // Older than polling's look back (a minute before a new tenant's first watermark), so that
    // only the backfill brings them in, not A's first polls.
    await sleep(pollOverlapMs + 1000);
    await system.startService();
    await system.setUpTenants();
    database = new DatabaseSync(databaseFile, { readOnly: true, timeout: 5000 });
    const reader = database;
    /** Jobs of these tenants still waiting or running. */
    const queued = (tenants: readonly SystemOrg[]) =>
      Number(
        (
          reader
            .prepare(
              `select count(*) as n from jobs where state in ('waiting', 'running') and tenant_id in (${tenants.map(() => '?').join(', ')})`,
            )
            .get(...tenants.map((t) => t.tenantId)) as { n: number }
        ).n,
      );
    const drained = async (tenants: readonly SystemOrg[]) => {
      const deadline = Date.now() + 900_000;
      while (queued(tenants) > 0) {
        if (Date.now() > deadline) throw new Error('the queue did not drain within 15 minutes');
        await sleep(500);
      }
    };
    const serviceCpu = () => {
      const used = cpuSnapshot(system);
      return () => {
        const { seconds, machineBusyPercent } = used();
        const rounded = Object.fromEntries(
          Object.entries(seconds).map(([role, s]) => [role, Math.round(s * 10) / 10]),
        );
        return { service: rounded['service'] ?? 0, machineBusyPercent, byProcess: rounded };
      };
    };

    console.error('1. B and C alone…');
    let cpu = serviceCpu();
    const [bAloneLoad, cAloneLoad] = await Promise.all([steadyLoad(b, 1), steadyLoad(c, 2)]);
    await drained([b, c]);
    const bAlone = await latencies(b, bAloneLoad);
    const cAlone = await latencies(c, cAloneLoad);
    console.error(`   B p50/p99 ${bAlone.p50}/${bAlone.p99} ms, C ${cAlone.p50}/${cAlone.p99} ms`);
    const aloneCpu = cpu();

    console.error('2. A’s backfill alone…');
    cpu = serviceCpu();
    const soloStart = Date.now();
    const soloQueued = await startBackfill(system, a, months.solo);
    await drained([a]);
    const backfillAlone = await backfillRun(a, backlog.solo, soloStart, soloQueued);
    console.error(`   ${backfillAlone.events} Events in ${backfillAlone.seconds} s`);
    const backfillAloneCpu = cpu();

    console.error('3. A’s backfill with B and C…');
    cpu = serviceCpu();
    const togetherStart = Date.now();
    const togetherQueued = await startBackfill(system, a, months.together);
    const [bLoad, cLoad] = await Promise.all([steadyLoad(b, 1), steadyLoad(c, 2)]);
    await drained([a, b, c]);
    const bTogether = await latencies(b, bLoad);
    const cTogether = await latencies(c, cLoad);
    const backfillTogether = await backfillRun(a, backlog.together, togetherStart, togetherQueued);
    const togetherCpu = cpu();

    const lost =
      (await unmatched(a, backlog.solo)) +
      (await unmatched(a, backlog.together)) +
      (await unmatched(b, bLoad.events)) +
      (await unmatched(c, cLoad.events));
    const ratio = (x: number, y: number) => Math.round((x / y) * 100) / 100;
    const ratios = {
      bP99: ratio(bTogether.p99, bAlone.p99),
      cP99: ratio(cTogether.p99, cAlone.p99),
      backfillThroughput: ratio(backfillTogether.eventsPerSecond, backfillAlone.eventsPerSecond),
    };
    return {
      scenario: 'noisy-neighbour',
      description: `tenant A backfills ${backfillEvents.toLocaleString('en')} Events while B and C each make ${ratePerSecond} changes/s for ${changesEach / ratePerSecond} s across ${owners} owners; against each alone`,
      alone: { b: bAlone, c: cAlone, backfill: backfillAlone },
      together: { b: bTogether, c: cTogether, backfill: backfillTogether },
      ratios,
      targets,
      met:
        ratios.bP99 <= targets.p99 &&
        ratios.cP99 <= targets.p99 &&
        ratios.backfillThroughput >= targets.backfillThroughput &&
        lost === 0,
      serviceCpuSeconds: {
        alone: aloneCpu.service,
        backfillAlone: backfillAloneCpu.service,
        together: togetherCpu.service,
      },
      cpuSecondsByProcess: {
        alone: aloneCpu.byProcess,
        backfillAlone: backfillAloneCpu.byProcess,
        together: togetherCpu.byProcess,
      },
      machineBusyPercent: {
        alone: aloneCpu.machineBusyPercent,
        backfillAlone: backfillAloneCpu.machineBusyPercent,
        together: togetherCpu.machineBusyPercent,
      },
      lost,
      machine: machine(),
      at: new Date().toISOString(),
    };
  } finally {
    database?.close();
    await system.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Makes `backfillEvents` Events in the org dated within `month`, spread over its owners and days. */
async function makeEvents(
  org: SystemOrg,
  month: string,
  owners: readonly Owner[],
): Promise<Map<string, Expected>> {
  const events = new Map<string, Expected>();
  const batch = 50;
  for (let i = 0; i < backfillEvents; i += batch)
    await Promise.all(
      Array.from({ length: Math.min(batch, backfillEvents - i) }, async (_, k) => {
        const n = i + k;
        const owner = owners[n % owners.length]!;
        const subject = `Backlog ${month} ${n}`;
        // Days 2 to 27: in any owner's time zone still within the month the backfill asks for.
        const day = String(2 + (Math.floor(n / owners.length) % 26)).padStart(2, '0');
        const hour = String(8 + (n % 9)).padStart(2, '0');
        const record = await org.salesforce.createEvent(owner.id, {
          Subject: subject,
          StartDateTime: `${month}-${day}T${hour}:00:00Z`,
          DurationInMinutes: 30,
        });
        events.set(String(record['Id']), {
          owner: owner.email,
          subject,
          committedAt: Date.parse(String(record['CreatedDate'])),
          kind: 'create',
          deleted: false,
        });
      }),
    );
  return events;
}

/**
 * Starts the backfill of the month's Events (the command returns once they are queued): the
 * seconds it took, and how many it queued — all but those the tenant's first look back at its
 * org after connecting (polling) already synced.
 */
async function startBackfill(
  system: RunningSystem,
  org: SystemOrg,
  month: string,
): Promise<{ seconds: number; queued: number }> {
  const started = Date.now();
  const [year, monthNumber] = month.split('-').map(Number) as [number, number];
  const last = new Date(Date.UTC(year, monthNumber, 0)).getUTCDate();
  const result = await system.cli([
    'backfill',
    org.slug,
    '--from',
    `${month}-01`,
    '--to',
    `${month}-${last}`,
    '--no-wait',
    '--json',
  ]);
  if (result.code !== 0) throw new Error(`backfill failed (${result.code}):\n${result.stderr}`);
  const { found, queued } = JSON.parse(result.stdout) as { found: number; queued: number };
  if (found !== backfillEvents) throw new Error(`backfill found ${found} Events, not ${backfillEvents}`);
  return { seconds: (Date.now() - started) / 1000, queued };
}

/** steady's load on the org's tenant: the changes made, each Event's last version. */
async function steadyLoad(org: SystemOrg, seed: number) {
  const load = eventLoad(org, { mix, createsBelow: 10 + width, editOnce: true, seed });
  const started = Date.now();
  for (let i = 0; i < changesEach; i += width) {
    await Promise.all(Array.from({ length: Math.min(width, changesEach - i) }, () => load.change()));
    const due = started + ((i + width) / ratePerSecond) * 1000;
    if (due > Date.now()) await sleep(due - Date.now());
  }
  return load;
}

/** Reads the mailboxes until every Event of the load shows its last version; the latencies. */
async function latencies(
  org: SystemOrg,
  load: Awaited<ReturnType<typeof steadyLoad>>,
): Promise<TenantLatency> {
  const pending = new Set(load.events.keys());
  const times: number[] = [];
  const deadline = Date.now() + 120_000;
  while (pending.size > 0 && Date.now() < deadline) {
    for (const [id, at] of await matchMailboxes(org.calendars, load.events, pending))
      times.push(at - load.events.get(id)!.committedAt);
    if (pending.size > 0) await sleep(1000);
  }
  if (pending.size > 0)
    throw new Error(`${pending.size} of ${load.events.size} Events never matched their mailbox`);
  times.sort((x, y) => x - y);
  const { creates, updates, deletes } = load.counts;
  return {
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    p99: percentile(times, 99),
    max: times.at(-1) ?? Number.NaN,
    timed: times.length,
    changes: creates + updates + deletes,
  };
}

/** The backfill's figures: every Event must be in its mailbox; the last one stored ends the run. */
async function backfillRun(
  org: SystemOrg,
  events: ReadonlyMap<string, Expected>,
  startedAt: number,
  started: { seconds: number; queued: number },
): Promise<BackfillRun> {
  const pending = new Set(events.keys());
  let last = 0;
  const deadline = Date.now() + 120_000;
  while (pending.size > 0 && Date.now() < deadline) {
    for (const at of (await matchMailboxes(org.calendars, events, pending)).values())
      last = Math.max(last, at);
    if (pending.size > 0) await sleep(1000);
  }
  if (pending.size > 0) throw new Error(`${pending.size} of ${events.size} backfilled Events never arrived`);
  const seconds = (last - startedAt) / 1000;
  return {
    events: started.queued,
    seconds: Math.round(seconds * 10) / 10,
    eventsPerSecond: Math.round(started.queued / seconds),
    queuedAfterSeconds: Math.round(started.seconds * 10) / 10,
  };
}

/** Events whose mailbox does not show their last version now. */
async function unmatched(org: SystemOrg, events: ReadonlyMap<string, Expected>): Promise<number> {
  const pending = new Set(events.keys());
  await matchMailboxes(org.calendars, events, pending);
  return pending.size;
}

/** Writes bench/results/noisy-neighbour-<date>.json. */
export function saveNoisyNeighbour(result: NoisyNeighbourResult): URL {
  mkdirSync(resultsDir, { recursive: true });
  const file = new URL(`noisy-neighbour-${result.at.slice(0, 10)}.json`, resultsDir);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

export function printNoisyNeighbour(result: NoisyNeighbourResult, file: URL): void {
  const row = (label: string, alone: string, together: string, ratio: string, target: string) =>
    console.log(
      `  ${label.padEnd(26)}${alone.padStart(12)}${together.padStart(12)}${ratio.padStart(9)}  ${target}`,
    );
  const ms = (l: TenantLatency) => `${l.p50}/${l.p99}`;
  console.log(`noisy-neighbour: ${result.description}`);
  row('', 'alone', 'together', 'ratio', 'target');
  row(
    'B p50/p99 ms',
    ms(result.alone.b),
    ms(result.together.b),
    String(result.ratios.bP99),
    `p99 ≤ ${targets.p99}×`,
  );
  row(
    'C p50/p99 ms',
    ms(result.alone.c),
    ms(result.together.c),
    String(result.ratios.cP99),
    `p99 ≤ ${targets.p99}×`,
  );
  row(
    'A backfill Events/s',
    String(result.alone.backfill.eventsPerSecond),
    String(result.together.backfill.eventsPerSecond),
    String(result.ratios.backfillThroughput),
    `≥ ${targets.backfillThroughput}×`,
  );
  row(
    'service CPU s',
    `${result.serviceCpuSeconds.alone} + ${result.serviceCpuSeconds.backfillAlone}`,
    String(result.serviceCpuSeconds.together),
    '',
    '',
  );
  row(
    'machine busy %',
    `${result.machineBusyPercent.alone} / ${result.machineBusyPercent.backfillAlone}`,
    String(result.machineBusyPercent.together),
    '',
    '',
  );
  console.log(`  lost: ${result.lost}; targets ${result.met ? 'met' : 'NOT met'}`);
  console.log(`  machine: ${result.machine.cores} cores, ${result.machine.cpu}, Node ${result.machine.node}`);
  console.log(`  written to ${file.pathname}`);
}
