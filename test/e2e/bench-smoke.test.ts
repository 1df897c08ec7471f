// The bench harness itself, on its smallest scenario: it starts everything, measures every Event
// end to end and reports each figure. (Its numbers are not checked here: timing belongs to bench/.)
import { expect, it } from 'vitest';
import { runScenario, scenarios } from '../../bench/run.ts';

it('runs the smoke scenario and reports every figure', async () => {
  const result = await runScenario('smoke', scenarios['smoke']!);
  expect(result).toMatchObject({ scenario: 'smoke', events: 40, throttled: 0 });
  for (const figure of [
    result.latencyMs.p50,
    result.latencyMs.p99,
    result.eventsPerSecond,
    result.salesforceCallsPer1000Events,
    result.providerCallsPerEvent,
  ])
    expect(Number.isFinite(figure)).toBe(true);
}, 120_000);
