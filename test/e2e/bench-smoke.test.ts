// The bench harness itself, on its smallest scenarios: it starts everything, makes its changes,
// measures every one end to end and reports each figure, for the service and for the baseline
// that syncs the way today's tools do. (Its numbers are not checked here: timing belongs to bench/.)
import { expect, it } from 'vitest';
import { compare, type BenchResult } from '../../bench/results.ts';
import { runScenario } from '../../bench/run.ts';
import { scenarios } from '../../bench/scenarios.ts';
import { describeOnPostgres } from '../support/test-databases.ts';

function expectEveryFigure(result: BenchResult, changes = 40): void {
  expect(result.changes.creates + result.changes.updates + result.changes.deletes).toBe(changes);
  for (const figure of [
    result.latencyMs.p50,
    result.latencyMs.p95,
    result.latencyMs.p99,
    result.latencyMs.max,
    result.eventsPerSecond,
    result.drainSeconds,
    result.salesforceCallsPer1000Events,
    result.providerCallsPerEvent,
    result.peakRssMb ?? Number.NaN,
    result.cpu.machineBusyPercent,
    ...Object.values(result.cpu.seconds),
  ])
    expect(Number.isFinite(figure)).toBe(true);
  expect(result.latencyDistributionMs).toHaveLength(101);
  expect(result.latencyDistributionMs[50]).toBe(result.latencyMs.p50);
  expect(Object.keys(result.cpu.seconds)).toEqual(
    expect.arrayContaining(['salesforce sandbox', 'Graph sandbox', 'harness']),
  );
  expect(result.machine.cores).toBeGreaterThan(0);
  // The service's CPU over the Graph sandbox's, in the same run (none when the sandbox used none).
  const { service = 0, workers = 0, 'Graph sandbox': sandbox = 0 } = result.cpu.seconds;
  if (sandbox > 0) expect(result.serviceCpuOverSandbox).toBeCloseTo((service + workers) / sandbox, 2);
  else expect(result.serviceCpuOverSandbox).toBeUndefined();
}

it('runs the smoke scenario, then the baseline on the same load, and compares them', async () => {
  const service = await runScenario('smoke', scenarios['smoke']!);
  expect(service).toMatchObject({ scenario: 'smoke', changes: { total: 40 }, throttled: 0 });
  expectEveryFigure(service);

  const baseline = await runScenario('smoke-baseline', scenarios['smoke-baseline']!);
  expect(baseline).toMatchObject({ scenario: 'smoke-baseline', changes: { total: 40 }, throttled: 0 });
  expectEveryFigure(baseline);
  // One read per change, and it waits for its sweep (every 2 s here).
  expect(baseline.salesforceCallsPer1000Events).toBeGreaterThanOrEqual(1000);
  const comparison = compare(baseline, service, 'smoke');
  expect(comparison.against).toBe('smoke');
  expect(comparison.salesforceCallsPer1000Events).toBeGreaterThan(1);
}, 180_000);

describeOnPostgres('the bench with worker processes', (database) => {
  it('drains with two workers, counts the figures per change after the warm-up, and reports their memory', async () => {
    const result = await runScenario('smoke-workers', scenarios['smoke-workers']!, {
      databaseUrl: database.url,
    });
    // The 10 warm-up changes are made and synced too; the figures per change count those synced
    // after the harness saw the warm-up pass.
    expect(result).toMatchObject({ scenario: 'smoke-workers', changes: { total: 50 }, throttled: 0 });
    expect(result.warmUp).toBeGreaterThanOrEqual(10);
    expect(result.warmUp).toBeLessThan(50);
    expectEveryFigure(result, 50);
    expect(Object.keys(result.cpu.seconds)).toContain('workers');
    expect(result.workersPeakRssMb).toBeGreaterThan(0);
    expect(Number.isFinite(result.databaseStatementsPerChange)).toBe(true);
    expect(result.providerCallsPerEvent).toBeGreaterThan(0);
  }, 180_000);
});
