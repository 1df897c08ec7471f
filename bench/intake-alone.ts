// Intake alone: how fast the service records CDC changes, with the engine off. `npm run bench:intake --
// [--changes N] [--profile <dir>] [--node-args <flags>]`. Starts the sandbox org and `instant-sync serve`
// (INSTANT_SYNC_ENGINE=false, SQLite, a fresh folder) as separate processes, connects a tenant and waits until
// its CDC subscription records a first change; then puts the Pub/Sub API down, makes N Event creates in the
// org, brings the API back, and times the subscription catching up: the backlog is delivered as fast as its
// requests allow (at most 100 events pending, as Salesforce allows), recorded change by change. Reports the
// changes recorded per second (from the first of the backlog recorded to the last) and the service's CPU per
// change, and writes bench/results/intake-<date>.json (a run with --profile or --node-args under a suffixed
// name).
import { benchDeliveryAllocation } from './scenarios.ts';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startSystem } from '../test/support/system-processes.ts';
import { cpuSnapshot, machine, peakRssMb, type CpuUse } from './process-usage.ts';

const resultsDir = new URL('results/', import.meta.url);

export interface IntakeResult {
  scenario: 'intake';
  description: string;
  changes: number;
  /** Changes recorded per second, from the first of the backlog recorded to the last. */
  recordedPerSecond: number;
  recordSeconds: number;
  /** From the Pub/Sub API's return to the last change recorded (the reconnect's wait included). */
  catchUpSeconds: number;
  /** The service's CPU per change recorded, and each process's CPU seconds over the catch-up. */
  serviceCpuMsPerChange: number;
  cpu: CpuUse;
  peakRssMb: number | null;
  machine: { cores: number; cpu: string; node: string };
  nodeArgs: string[];
  at: string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      changes: { type: 'string', default: '10000' },
      profile: { type: 'string' },
      'node-args': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    console.log(
      'Usage: npm run bench:intake -- [--changes N] [--profile <dir>] [--node-args <flags>]\n\n' +
        'Records N CDC changes (default 10,000) with the engine off and reports the changes recorded per second\n' +
        "and the service's CPU per change; writes bench/results/intake-<date>.json.",
    );
    return;
  }
  const changes = Number(values.changes);
  if (!Number.isInteger(changes) || changes < 1)
    throw new Error(`--changes expects a whole number, got ${values.changes}`);
  const nodeArgs = (values['node-args'] ?? '').split(/\s+/).filter(Boolean);
  const result = await runIntakeAlone(changes, {
    nodeArgs: [
      ...nodeArgs,
      ...(values.profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${values.profile}`]),
    ],
  });
  result.nodeArgs = nodeArgs;
  const suffix = [nodeArgs.join(' '), values.profile === undefined ? '' : 'profiled']
    .filter(Boolean)
    .join(' ')
    .replace(/[^a-z0-9=.]+/gi, '-')
    .replace(/^-|-$/g, '');
  mkdirSync(resultsDir, { recursive: true });
  const file = new URL(
    `intake-${result.at.slice(0, 10)}${suffix === '' ? '' : `-${suffix}`}.json`,
    resultsDir,
  );
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  const row = (label: string, value: string) => console.log(`  ${label.padEnd(36)} ${value}`);
  console.log(`intake: ${result.description}`);
  row(
    'changes recorded per second',
    `${result.recordedPerSecond} (${result.changes} in ${result.recordSeconds} s)`,
  );
  row('catch-up after the API returned', `${result.catchUpSeconds} s (its reconnect's wait included)`);
  row('service CPU per change', `${result.serviceCpuMsPerChange} ms`);
  row(
    'CPU seconds used',
    `${Object.entries(result.cpu.seconds)
      .map(([role, s]) => `${role} ${s}`)
      .join(', ')} (machine ${result.cpu.machineBusyPercent} % busy)`,
  );
  row('peak memory', `${result.peakRssMb ?? '?'} MB`);
  row('written to', file.pathname);
}

export async function runIntakeAlone(
  changes: number,
  options: { nodeArgs?: readonly string[] } = {},
): Promise<IntakeResult> {
  const dir = mkdtempSync(join(tmpdir(), 'instant-sync-intake-'));
  const databaseFile = join(dir, 'intake.db');
  const system = await startSystem({
    cdcDeliveryAllocation: benchDeliveryAllocation,
    databaseUrl: `sqlite:${databaseFile}`,
    owners: 100,
    salesforceLatencyMs: 80,
    cdcDelayMs: 150,
    calendarLatencyMs: 120,
    env: { INSTANT_SYNC_ENGINE: 'false' },
    nodeArgs: options.nodeArgs ?? [],
  });
  // Opened once the service has made the file.
  let database: DatabaseSync | undefined;
  const recorded = () => {
    database ??= new DatabaseSync(databaseFile, { readOnly: true });
    return Number((database.prepare('select count(*) as n from changes').get() as { n: number }).n);
  };
  const waitForRecorded = async (count: number, what: string) => {
    const deadline = Date.now() + 600_000;
    while (recorded() < count) {
      if (Date.now() > deadline)
        throw new Error(`${what}: ${recorded()} of ${count} changes recorded in 10 minutes`);
      await sleep(20);
    }
    return Date.now();
  };
  try {
    await system.startService();
    await system.setUpTenant();
    const owner = (n: number) => system.owners[n % system.owners.length]!;
    const create = (n: number) =>
      system.salesforce.createEvent(owner(n).id, {
        Subject: `Intake ${n}`,
        StartDateTime: `2026-12-${String(1 + (n % 28)).padStart(2, '0')}T${String(8 + (n % 9)).padStart(2, '0')}:00:00Z`,
        DurationInMinutes: 30,
      });
    // The subscription is live once a change made now is recorded.
    await create(changes);
    await waitForRecorded(1, 'the first change');

    await system.salesforce.pubSubOutage(3_600_000);
    for (let n = 0; n < changes; n += 50)
      await Promise.all(Array.from({ length: Math.min(50, changes - n) }, (_, i) => create(n + i)));
    const cpuUsed = cpuSnapshot(system);
    const back = Date.now();
    await system.salesforce.pubSubOutage(1); // over in a millisecond: the API answers again
    let firstAt: number | undefined;
    const deadline = Date.now() + 600_000;
    while (recorded() < changes + 1) {
      if (firstAt === undefined && recorded() > 1) firstAt = Date.now();
      if (Date.now() > deadline)
        throw new Error(`${recorded() - 1} of ${changes} changes recorded in 10 minutes`);
      await sleep(10);
    }
    const doneAt = Date.now();
    const cpu = cpuUsed();
    const seconds = (doneAt - (firstAt ?? back)) / 1000;
    return {
      scenario: 'intake',
      description: `${changes.toLocaleString('en-US')} Event creates recorded from CDC with the engine off (a backlog after a Pub/Sub outage)`,
      changes,
      recordedPerSecond: Math.round(changes / seconds),
      recordSeconds: Math.round(seconds * 100) / 100,
      catchUpSeconds: Math.round(((doneAt - back) / 1000) * 100) / 100,
      serviceCpuMsPerChange: Math.round((((cpu.seconds['service'] ?? 0) * 1000) / changes) * 1000) / 1000,
      cpu,
      peakRssMb: peakRssMb(system.servicePid()),
      machine: machine(),
      nodeArgs: [],
      at: new Date().toISOString(),
    };
  } finally {
    database?.close();
    await system.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await main();
