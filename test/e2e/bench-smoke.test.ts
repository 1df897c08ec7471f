// The bench harness itself, on its smallest scenario: it starts everything, makes its changes,
// measures every one end to end and reports each figure. (Its numbers are not checked here:
// timing belongs to bench/.)
import { expect, it } from 'vitest';
import { runScenario, scenarios } from '../../bench/run.ts';

it('runs the smoke scenario and reports every figure', async () => {
  const result = await runScenario('smoke', scenarios['smoke']!);
  expect(result).toMatchObject({ scenario: 'smoke', changes: { total: 40 }, throttled: 0 });
  expect(result.changes.creates + result.changes.updates + result.changes.deletes).toBe(40);
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
  ])
    expect(Number.isFinite(figure)).toBe(true);
  expect(result.machine.cores).toBeGreaterThan(0);
}, 120_000);
