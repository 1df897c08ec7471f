// The soak: `npm run bench -- soak [--minutes N]` (default 20). Does a service that has run for a
// while stay as it was once retention has started removing old rows? Runs steady load — 50 changes
// a second across 100 owners, the steady scenario's sandbox latencies — for N minutes against the
// sandboxes and the service as separate processes (test/support/system-processes.ts), on SQLite in
// a fresh folder, with retention shortened from days to minutes (history kept 2 minutes, failures
// and deleted Events' links 3, a pass every 30 s) so that about ten retention periods pass in 20
// minutes. The mix is balanced: creates until 2,000 Events are live, then 20 % edits and, for the
// rest, a create while fewer than 2,000 are live and a deletion otherwise (40 % creates, 40 %
// deletions), so the live Events (and so the rows retention must keep) stay level.
//
// Every 30 s it writes a sample: the database's size (the file and its -wal), the service's
// resident memory (VmRSS), the p99 end-to-end latency of the changes that reached their mailbox in
// those 30 s (as run.ts measures it: Salesforce's commit time to the calendar sandbox's time of
// storing the item), and the rows of the tables that grow with use, counted through a read-only
// connection of its own. At the end it waits until every Event matches its mailbox, then compares
// the second quarter of the run (retention has run its first periods by then) with the last: the
// figures should stay flat (database within 5 %, memory and p99 within 10 %). Written to
// bench/results/soak-<date>.json, with a table printed.
import { benchDeliveryAllocation } from './scenarios.ts';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSystem } from '../test/support/system-processes.ts';
import { eventLoad, matchMailboxes, percentile } from './load.ts';
import { machine, peakRssMb, rssMb } from './process-usage.ts';

const resultsDir = new URL('results/', import.meta.url);

/** Retention shortened from days to minutes: history 2 min, failures 3 min, a pass every 30 s. */
const retention = {
  INSTANT_SYNC_RETAIN_HISTORY: '2m',
  INSTANT_SYNC_RETAIN_FAILURES: '3m',
  INSTANT_SYNC_RETENTION_INTERVAL: '30s',
};
const owners = 100;
const ratePerSecond = 50;
/** Creates only until this many Events are live, then the balanced mix keeping them there. */
const liveTarget = 2000;
/** 20 % edits; creates and deletions hold the live Events at liveTarget, so 40 % each. */
const mix = { create: 0.4, update: 0.2, delete: 0.4 };
/** The steady scenario's sandbox latencies (bench/scenarios.ts). */
const sandboxLatencies = { salesforceLatencyMs: 80, cdcDelayMs: 150, calendarLatencyMs: 120 };
/** Changes made at the same moment (as run.ts). */
const width = 20;
const sampleEveryMs = 30_000;
/** How often the mailboxes are read between samples, so few changes are edited again before seen. */
const lookEveryMs = 5000;
/** The tables that grow with use: retention's (changes, traces, links), the queue and the charts'. */
const tables = ['changes', 'traces', 'jobs', 'links', 'queue_samples', 'sync_minutes'] as const;
type Table = (typeof tables)[number];
/** Last quarter ÷ second quarter allowed: the database within 5 %, memory and p99 within 10 %. */
const targets = { dbBytes: 1.05, rssMb: 1.1, p99Ms: 1.1 };

export interface SoakSample {
  /** Seconds since the load began (the end of the 30 s the sample covers). */
  atSeconds: number;
  /** The SQLite file and its -wal. */
  dbBytes: number;
  /** The service process's resident memory (VmRSS). */
  rssMb: number | null;
  /** p99 latency of the changes that reached their mailbox in these 30 s (null: none). */
  p99Ms: number | null;
  rows: Record<Table, number>;
  /** Events live in the org at the sample, and the changes whose latency the p99 is of. */
  liveEvents: number;
  timedChanges: number;
}

export interface PlateauFigure {
  /** Mean over the samples of the run's second quarter, and of its last. */
  secondQuarter: number;
  lastQuarter: number;
  /** lastQuarter ÷ secondQuarter. */
  ratio: number;
  target: number;
  met: boolean;
}

export interface SoakResult {
  scenario: 'soak';
  description: string;
  minutes: number;
  owners: number;
  ratePerSecond: number;
  /** The service's retention settings for the run. */
  retention: typeof retention;
  samples: SoakSample[];
  plateau: Record<keyof typeof targets, PlateauFigure>;
  changes: { total: number; creates: number; updates: number; deletes: number };
  /** The rate the load kept, made changes ÷ the load's seconds (the target: ratePerSecond). */
  changesPerSecond: number;
  liveEventsAtEnd: number;
  /** Latency of every change timed, the whole run (the last version of an Event edited again before the bench saw it arrive is the one timed). */
  latencyMs: { p50: number; p95: number; p99: number; max: number; timed: number };
  /** From the end of the load until every change was in its mailbox. */
  drainSeconds: number;
  /** Events (live or deleted) whose mailbox did not show their last version at the end. */
  lost: number;
  /** What the service logged of its retention passes ("retention pass removed old rows"). */
  retentionPasses: { passes: number; removed: Record<string, number>; autoVacuumWarnings: number };
  peakRssMb: number | null;
  machine: { cores: number; cpu: string; node: string };
  at: string;
}

export async function runSoak(options: { minutes: number }): Promise<SoakResult> {
  const { minutes } = options;
  const dir = mkdtempSync(join(tmpdir(), 'instant-sync-soak-'));
  const databaseFile = join(dir, 'soak.db');
  const system = await startSystem({
    cdcDeliveryAllocation: benchDeliveryAllocation,
    databaseUrl: `sqlite:${databaseFile}`,
    owners,
    ...sandboxLatencies,
    provider: 'graph',
    env: retention,
  });
  let database: DatabaseSync | undefined;
  try {
    await system.startService();
    await system.setUpTenant();
    // The service made the file and put it in WAL mode: a reader of our own does not block it.
    database = new DatabaseSync(databaseFile, { readOnly: true, timeout: 5000 });
    const reader = database;
    const countRows = () =>
      Object.fromEntries(
        tables.map((table) => [
          table,
          Number((reader.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n),
        ]),
      ) as Record<Table, number>;

    const load = eventLoad(system, { mix, createsBelow: liveTarget, holdLive: liveTarget });
    const { events, counts } = load;
    /** Events whose last version the bench has not yet seen in their mailbox. */
    const pending = new Set<string>();
    /** Changes seen arrived and not yet in a sample: when (the sandbox's time) and their latency. */
    let arrivals: { at: number; ms: number }[] = [];
    const latencies: number[] = [];
    const look = async () => {
      for (const [id, at] of await matchMailboxes(system.calendars, events, pending)) {
        const ms = at - events.get(id)!.committedAt;
        arrivals.push({ at, ms });
        latencies.push(ms);
      }
    };

    const started = Date.now();
    const loadEnds = started + minutes * 60_000;
    const failed = new AbortController();
    // The load: `width` changes at a time, paced to the rate (catching up if it fell behind).
    const driving = (async () => {
      for (let i = 0; Date.now() < loadEnds && !failed.signal.aborted; i += width) {
        await Promise.all(Array.from({ length: width }, async () => pending.add((await load.change()).id)));
        const due = started + ((i + width) / ratePerSecond) * 1000;
        if (due > Date.now()) await sleep(due - Date.now());
      }
    })();
    driving.catch(() => failed.abort());

    // Meanwhile the mailboxes read every few seconds (only the owners with something pending),
    // and at each 30 s mark once more, then the sample: the p99 of the changes that arrived in
    // the 30 s up to the mark, whenever the bench saw them.
    const samples: SoakSample[] = [];
    const sampling = (async () => {
      for (let next = started + sampleEveryMs; next <= loadEnds && !failed.signal.aborted;) {
        await sleep(Math.max(0, Math.min(lookEveryMs, next - Date.now())));
        await look();
        if (Date.now() < next) continue;
        const inWindow = arrivals
          .filter((a) => a.at > next - sampleEveryMs && a.at <= next)
          .map((a) => a.ms)
          .sort((a, b) => a - b);
        arrivals = arrivals.filter((a) => a.at > next);
        samples.push({
          atSeconds: Math.round((next - started) / 1000),
          dbBytes: fileBytes(databaseFile) + fileBytes(`${databaseFile}-wal`),
          rssMb: rssMb(system.servicePid()),
          p99Ms: inWindow.length === 0 ? null : percentile(inWindow, 99),
          rows: countRows(),
          liveEvents: load.live.length,
          timedChanges: inWindow.length,
        });
        next += sampleEveryMs;
      }
    })();
    sampling.catch(() => failed.abort());
    await Promise.all([driving, sampling]);

    // Every change in its mailbox (or 10 minutes), then every Event, live or deleted, once more:
    // what a mailbox shows at the end, not only what it showed once.
    const loadEnded = Date.now();
    const deadline = loadEnded + 600_000;
    while (pending.size > 0 && Date.now() < deadline) {
      await look();
      if (pending.size > 0) await sleep(1000);
    }
    const drainSeconds = Math.round((Date.now() - loadEnded) / 100) / 10;
    const unmatched = new Set(events.keys());
    const auditEnds = Date.now() + 60_000;
    while (unmatched.size > 0 && Date.now() < auditEnds) {
      await matchMailboxes(system.calendars, events, unmatched);
      if (unmatched.size > 0) await sleep(1000);
    }

    latencies.sort((a, b) => a - b);
    const total = counts.creates + counts.updates + counts.deletes;
    return {
      scenario: 'soak',
      description: `${ratePerSecond} changes/s for ${minutes} min across ${owners} owners (creates until ${liveTarget.toLocaleString('en')} live, then ${mix.update * 100} % edits, creates and deletions holding them there), history kept ${retention.INSTANT_SYNC_RETAIN_HISTORY}, failures ${retention.INSTANT_SYNC_RETAIN_FAILURES}`,
      minutes,
      owners,
      ratePerSecond,
      retention,
      samples,
      plateau: plateau(samples, minutes * 60),
      changes: { total, ...counts },
      changesPerSecond: Math.round((total / ((loadEnded - started) / 1000)) * 10) / 10,
      liveEventsAtEnd: load.live.length,
      latencyMs: {
        p50: percentile(latencies, 50),
        p95: percentile(latencies, 95),
        p99: percentile(latencies, 99),
        max: latencies.at(-1) ?? Number.NaN,
        timed: latencies.length,
      },
      drainSeconds,
      lost: unmatched.size,
      retentionPasses: retentionPasses(system.serviceOutput()),
      peakRssMb: peakRssMb(system.servicePid()),
      machine: machine(),
      at: new Date().toISOString(),
    };
  } finally {
    database?.close();
    await system.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function fileBytes(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

/**
 * Each figure's mean over the samples of the run's second quarter and of its last, and whether the
 * last stays within the target of the second: by the second quarter retention has removed rows
 * for a few periods (history 2 min, failures 3 min; a quarter of 20 minutes is 5), so growth from
 * there on would be growth retention does not stop.
 */
function plateau(samples: readonly SoakSample[], seconds: number): SoakResult['plateau'] {
  const mean = (from: number, to: number, figure: (s: SoakSample) => number | null) => {
    const values = samples
      .filter((s) => s.atSeconds > from && s.atSeconds <= to)
      .map(figure)
      .filter((v): v is number => v !== null && Number.isFinite(v));
    return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
  };
  const figure = (key: keyof typeof targets, read: (s: SoakSample) => number | null): PlateauFigure => {
    const secondQuarter = mean(seconds / 4, seconds / 2, read);
    const lastQuarter = mean((seconds * 3) / 4, seconds, read);
    const ratio = Math.round((lastQuarter / secondQuarter) * 1000) / 1000;
    return {
      secondQuarter: Math.round(secondQuarter),
      lastQuarter: Math.round(lastQuarter),
      ratio,
      target: targets[key],
      met: ratio <= targets[key],
    };
  };
  return {
    dbBytes: figure('dbBytes', (s) => s.dbBytes),
    rssMb: figure('rssMb', (s) => s.rssMb),
    p99Ms: figure('p99Ms', (s) => s.p99Ms),
  };
}

/** The service's "retention pass removed old rows" lines (JSON, on its stderr), added up. */
function retentionPasses(log: string): SoakResult['retentionPasses'] {
  const removed: Record<string, number> = {};
  let passes = 0;
  for (const line of log.split('\n')) {
    if (!line.includes('retention pass removed old rows')) continue;
    passes++;
    try {
      const report = (JSON.parse(line) as { retention?: Record<string, number> }).retention ?? {};
      for (const [what, n] of Object.entries(report)) removed[what] = (removed[what] ?? 0) + n;
    } catch {
      // Not a JSON line: counted, not added up.
    }
  }
  const autoVacuumWarnings = log
    .split('\n')
    .filter((l) => l.includes('does not give it back to the file system')).length;
  return { passes, removed, autoVacuumWarnings };
}

/** Writes bench/results/soak-<date>.json. */
export function saveSoak(result: SoakResult): URL {
  mkdirSync(resultsDir, { recursive: true });
  const file = new URL(`soak-${result.at.slice(0, 10)}.json`, resultsDir);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

/** The samples as a table, then the plateau against its targets. */
export function printSoak(result: SoakResult, file: URL): void {
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  const cell = (value: string | number | null, width: number) => String(value ?? '?').padStart(width);
  const line = (...cells: string[]) => console.log(`  ${cells.join(' ')}`);
  console.log(`soak: ${result.description}`);
  line(
    cell('time', 6),
    cell('db MB', 7),
    cell('rss MB', 7),
    cell('p99 ms', 7),
    cell('live', 6),
    cell('changes', 8),
    cell('traces', 8),
    cell('links', 7),
  );
  for (const s of result.samples)
    line(
      cell(`${Math.floor(s.atSeconds / 60)}:${String(s.atSeconds % 60).padStart(2, '0')}`, 6),
      cell(mb(s.dbBytes), 7),
      cell(s.rssMb, 7),
      cell(s.p99Ms, 7),
      cell(s.liveEvents, 6),
      cell(s.rows.changes, 8),
      cell(s.rows.traces, 8),
      cell(s.rows.links, 7),
    );
  const row = (label: string, value: string) => console.log(`  ${label.padEnd(36)} ${value}`);
  console.log('');
  for (const [name, p] of Object.entries(result.plateau))
    row(
      `${name}: last ÷ second quarter`,
      `${p.ratio} (${p.lastQuarter} ÷ ${p.secondQuarter}; target ≤ ${p.target}: ${p.met ? 'met' : 'NOT met'})`,
    );
  const c = result.changes;
  row(
    'changes',
    `${c.total} (${c.creates} creates, ${c.updates} edits, ${c.deletes} deletions; ${result.changesPerSecond}/s)`,
  );
  row(
    'latency p50/p95/p99/max',
    `${result.latencyMs.p50} / ${result.latencyMs.p95} / ${result.latencyMs.p99} / ${result.latencyMs.max} ms (${result.latencyMs.timed} timed)`,
  );
  row('drained after the load', `${result.drainSeconds} s`);
  row('lost', String(result.lost));
  row(
    'retention passes',
    `${result.retentionPasses.passes} (${Object.entries(result.retentionPasses.removed)
      .map(([what, n]) => `${what} ${n}`)
      .join(', ')})`,
  );
  row('peak memory', `${result.peakRssMb ?? '?'} MB`);
  row('machine', `${result.machine.cores} cores, ${result.machine.cpu}, Node ${result.machine.node}`);
  row('written to', file.pathname);
}
