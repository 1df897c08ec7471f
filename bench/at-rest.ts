// Memory at rest: what `instant-sync serve` holds while it waits for work. `npm run bench:rest --
// [--seconds N] [--after-burst N] [--node-args <flags>]`. Starts the sandbox org, the Graph sandbox
// and the service (SQLite, a fresh folder) as separate processes, connects a tenant of 100 owners,
// syncs one Event (so everything a sync loads is loaded: the CDC subscription, the Graph client,
// its token) and, with --after-burst, then N more created at once, then leaves the service idle for
// N seconds (default 30) and reads its resident memory (VmRSS) and its peak (VmHWM) from /proc.
// Writes bench/results/at-rest-<date>.json (with --after-burst or --node-args, a suffixed name).
import { eventLoad, matchMailboxes } from './load.ts';
import { benchDeliveryAllocation } from './scenarios.ts';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startSystem, type RunningSystem } from '../test/support/system-processes.ts';
import { machine, peakRssMb, rssMb } from './process-usage.ts';

const resultsDir = new URL('results/', import.meta.url);

export interface AtRestResult {
  scenario: 'at-rest';
  description: string;
  idleSeconds: number;
  /** Events created at once after the first sync, and synced, before the idle time (0: none). */
  afterBurst: number;
  /** The service's resident memory after the idle time. */
  rssMb: number | null;
  peakRssMb: number | null;
  machine: { cores: number; cpu: string; node: string };
  nodeArgs: string[];
  at: string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '30' },
      'after-burst': { type: 'string', default: '0' },
      'node-args': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    console.log(
      'Usage: npm run bench:rest -- [--seconds N] [--after-burst N] [--node-args <flags>]\n\n' +
        "The service's resident memory after one sync and N idle seconds (default 30), with a tenant connected;\n" +
        'with --after-burst N, after N more Events created at once and synced. Writes\n' +
        'bench/results/at-rest-<date>.json.',
    );
    return;
  }
  const idleSeconds = Number(values.seconds);
  if (!Number.isFinite(idleSeconds) || idleSeconds < 0)
    throw new Error(`--seconds expects a number of seconds, got ${values.seconds}`);
  const afterBurst = Number(values['after-burst']);
  if (!Number.isSafeInteger(afterBurst) || afterBurst < 0)
    throw new Error(`--after-burst expects a number of Events, got ${values['after-burst']}`);
  const nodeArgs = (values['node-args'] ?? '').split(/\s+/).filter(Boolean);
  const result = await runAtRest(idleSeconds, nodeArgs, afterBurst);
  const suffix = [...(afterBurst > 0 ? [`after-burst-${afterBurst}`] : []), ...nodeArgs]
    .join(' ')
    .replace(/[^a-z0-9=.]+/gi, '-')
    .replace(/^-|-$/g, '');
  mkdirSync(resultsDir, { recursive: true });
  const file = new URL(
    `at-rest-${result.at.slice(0, 10)}${suffix === '' ? '' : `-${suffix}`}.json`,
    resultsDir,
  );
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  const row = (label: string, value: string) => console.log(`  ${label.padEnd(36)} ${value}`);
  console.log(`at-rest: ${result.description}`);
  row('resident memory', `${result.rssMb ?? '?'} MB`);
  row('peak memory', `${result.peakRssMb ?? '?'} MB`);
  row('written to', file.pathname);
}

export async function runAtRest(
  idleSeconds: number,
  nodeArgs: readonly string[] = [],
  afterBurst = 0,
): Promise<AtRestResult> {
  const dir = mkdtempSync(join(tmpdir(), 'instant-sync-at-rest-'));
  const system = await startSystem({
    cdcDeliveryAllocation: benchDeliveryAllocation,
    databaseUrl: `sqlite:${join(dir, 'at-rest.db')}`,
    owners: 100,
    salesforceLatencyMs: 80,
    cdcDelayMs: 150,
    calendarLatencyMs: 120,
    nodeArgs,
  });
  try {
    await system.startService();
    await system.setUpTenant();
    const owner = system.owners[0]!;
    const created = await system.salesforce.createEvent(owner.id, {
      Subject: 'At rest',
      StartDateTime: '2026-12-07T09:00:00Z',
      DurationInMinutes: 30,
    });
    const deadline = Date.now() + 120_000;
    while (!(await system.calendars.items(owner.email)).some((i) => i.salesforceId === created['Id'])) {
      if (Date.now() > deadline) throw new Error('the Event did not reach its mailbox within 2 minutes');
      await sleep(100);
    }
    if (afterBurst > 0) await burst(system, afterBurst);
    await sleep(idleSeconds * 1000);
    return {
      scenario: 'at-rest',
      description:
        afterBurst > 0
          ? `instant-sync serve with a connected tenant of 100 owners, ${idleSeconds} s after a burst of ${afterBurst} new Events synced`
          : `instant-sync serve with a connected tenant of 100 owners, ${idleSeconds} s after its one sync`,
      idleSeconds,
      afterBurst,
      rssMb: rssMb(system.servicePid()),
      peakRssMb: peakRssMb(system.servicePid()),
      machine: machine(),
      nodeArgs: [...nodeArgs],
      at: new Date().toISOString(),
    };
  } finally {
    await system.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `count` Events created at once (50 at a time against the sandbox org), and waited for in their mailboxes. */
async function burst(system: RunningSystem, count: number): Promise<void> {
  const load = eventLoad(system, { mix: { create: 1, update: 0, delete: 0 }, createsBelow: count });
  let made = 0;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (made < count) {
        made++;
        await load.change();
      }
    }),
  );
  const pending = new Set(load.events.keys());
  const deadline = Date.now() + 600_000;
  while (pending.size > 0) {
    if (Date.now() > deadline)
      throw new Error(`${pending.size} of ${count} Events did not reach their mailboxes within 10 minutes`);
    await matchMailboxes(system.calendars, load.events, pending);
    if (pending.size > 0) await sleep(500);
  }
}

if (import.meta.main) await main();
