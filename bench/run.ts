// The benchmark harness: `npm run bench -- <scenario> [--json]`. Starts the sandboxes and the
// service as separate processes (test/support/system-processes.ts), drives a scenario, and
// reports end-to-end latency — from the sandbox org's commit (CreatedDate / SystemModstamp) to
// the moment the Graph sandbox stored the item (createdDateTime / lastModifiedDateTime) — with
// throughput and API use. Results are printed and written to bench/results/<scenario>-<date>.json.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startSystem, type RunningSystem } from '../test/support/system-processes.ts';

interface Scenario {
  description: string;
  events: number;
  owners: number;
  salesforceLatencyMs: number;
  cdcDelayMs: number;
  graphLatencyMs: number;
  /** Creates per second while loading (0: as fast as the control API takes them). */
  ratePerSecond: number;
}

export const scenarios: Record<string, Scenario> = {
  first: {
    description: '2,000 Events created across 200 mailboxes; Salesforce 80 ms, CDC 150 ms, Graph 120 ms',
    events: 2000,
    owners: 200,
    salesforceLatencyMs: 80,
    cdcDelayMs: 150,
    graphLatencyMs: 120,
    ratePerSecond: 50,
  },
  smoke: {
    description: '40 Events across 8 mailboxes, no added latency (checks the harness)',
    events: 40,
    owners: 8,
    salesforceLatencyMs: 0,
    cdcDelayMs: 0,
    graphLatencyMs: 0,
    ratePerSecond: 0,
  },
};

export interface BenchResult {
  scenario: string;
  description: string;
  events: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  eventsPerSecond: number;
  drainSeconds: number;
  salesforceCallsPer1000Events: number;
  providerCallsPerEvent: number;
  throttled: number;
  machine: { cores: number; cpu: string; node: string };
  at: string;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

export async function runScenario(
  name: string,
  scenario: Scenario,
  databaseUrl?: string,
): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'instant-sync-bench-'));
  const system: RunningSystem = await startSystem({
    databaseUrl: databaseUrl ?? `sqlite:${join(dir, 'bench.db')}`,
    owners: scenario.owners,
    salesforceLatencyMs: scenario.salesforceLatencyMs,
    cdcDelayMs: scenario.cdcDelayMs,
    graphLatencyMs: scenario.graphLatencyMs,
  });
  try {
    await system.startService();
    await system.setUpTenant();
    const sfBefore = (await system.salesforce.stats()).apiCalls;
    const graphBefore = await system.graph.stats();
    const started = Date.now();
    const created: { id: string; owner: string; committedAt: number }[] = [];
    const width = 20;
    for (let i = 0; i < scenario.events; i += width) {
      const batch = [...Array(Math.min(width, scenario.events - i)).keys()].map((k) => i + k);
      await Promise.all(
        batch.map(async (n) => {
          const owner = system.owners[n % system.owners.length]!;
          const record = await system.salesforce.createEvent(owner.id, {
            Subject: `Bench ${n}`,
            StartDateTime: `2026-12-${String(1 + (n % 28)).padStart(2, '0')}T${String(8 + (n % 9)).padStart(2, '0')}:00:00Z`,
            DurationInMinutes: 30,
          });
          created.push({
            id: String(record['Id']),
            owner: owner.email,
            committedAt: Date.parse(String(record['CreatedDate'])),
          });
        }),
      );
      if (scenario.ratePerSecond > 0) {
        const due = started + ((i + width) / scenario.ratePerSecond) * 1000;
        if (due > Date.now()) await sleep(due - Date.now());
      }
    }
    // Wait until every Event is in its mailbox (or 10 minutes pass).
    const storedAt = new Map<string, number>();
    const owners = [...new Set(created.map((c) => c.owner))];
    const deadline = Date.now() + 600_000;
    while (storedAt.size < created.length && Date.now() < deadline) {
      for (const owner of owners) {
        for (const item of await system.graph.items(owner)) {
          if (item.salesforceId !== undefined && !storedAt.has(item.salesforceId))
            storedAt.set(item.salesforceId, Date.parse(item.createdAt));
        }
      }
      if (storedAt.size < created.length) await sleep(500);
    }
    const drained = Math.max(...storedAt.values());
    const latencies = created
      .map((c) => (storedAt.get(c.id) ?? Number.NaN) - c.committedAt)
      .filter((ms) => Number.isFinite(ms))
      .sort((a, b) => a - b);
    if (latencies.length < created.length)
      throw new Error(
        `${created.length - latencies.length} of ${created.length} Events never reached their mailbox`,
      );
    const sfCalls = (await system.salesforce.stats()).apiCalls - sfBefore;
    const graph = await system.graph.stats();
    const firstCommit = Math.min(...created.map((c) => c.committedAt));
    return {
      scenario: name,
      description: scenario.description,
      events: created.length,
      latencyMs: {
        p50: percentile(latencies, 50),
        p95: percentile(latencies, 95),
        p99: percentile(latencies, 99),
        max: latencies.at(-1) ?? Number.NaN,
      },
      eventsPerSecond: Math.round((created.length / ((drained - firstCommit) / 1000)) * 10) / 10,
      drainSeconds: Math.round((drained - firstCommit) / 100) / 10,
      salesforceCallsPer1000Events: Math.round((sfCalls / created.length) * 1000 * 10) / 10,
      providerCallsPerEvent:
        Math.round(((graph.requests - graphBefore.requests) / created.length) * 100) / 100,
      throttled: graph.throttled - graphBefore.throttled,
      machine: { cores: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
      at: new Date().toISOString(),
    };
  } finally {
    await system.close();
  }
}

if (import.meta.main) {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { json: { type: 'boolean' } },
  });
  const name = positionals[0] ?? '';
  const scenario = scenarios[name];
  if (scenario === undefined) {
    console.error(
      `Usage: npm run bench -- <scenario> [--json]\nScenarios:\n${Object.entries(scenarios)
        .map(([n, s]) => `  ${n.padEnd(8)} ${s.description}`)
        .join('\n')}`,
    );
    process.exit(2);
  }
  const result = await runScenario(name, scenario);
  mkdirSync(new URL('results/', import.meta.url), { recursive: true });
  const file = new URL(`results/${name}-${result.at.slice(0, 10)}.json`, import.meta.url);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  if (values.json === true) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(`${name}: ${result.description}`);
    console.log(`  events                      ${result.events}`);
    console.log(
      `  end-to-end latency p50/p95/p99/max  ${result.latencyMs.p50} / ${result.latencyMs.p95} / ${result.latencyMs.p99} / ${result.latencyMs.max} ms`,
    );
    console.log(
      `  events per second           ${result.eventsPerSecond} (drained in ${result.drainSeconds} s)`,
    );
    console.log(`  Salesforce calls / 1,000    ${result.salesforceCallsPer1000Events}`);
    console.log(`  Graph calls / event         ${result.providerCallsPerEvent}`);
    console.log(`  429s received               ${result.throttled}`);
    console.log(
      `  machine                     ${result.machine.cores} cores, ${result.machine.cpu}, Node ${result.machine.node}`,
    );
    console.log(`  written to                  ${file.pathname}`);
  }
}
