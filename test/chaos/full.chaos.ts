// `npm run test:chaos`: the full version of every chaos case (chaos-cases.ts) on each backend it
// applies to, one at a time. Prints each run's figures and writes each case's to
// bench/results/chaos-<case>-<date>.json; fails when any run lost, duplicated or left stale a thing.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { afterAll, expect, it } from 'vitest';
import { describeOnBackends } from '../support/test-databases.ts';
import { chaosCases, runChaosCase, type ChaosRun } from './chaos-cases.ts';

const resultsDir = new URL('../../bench/results/', import.meta.url);

// CHAOS_CASES=kill9,pgcut and CHAOS_BACKENDS=postgres run a part (their figures are still written).
const onlyCases = process.env['CHAOS_CASES']?.split(',');
const onlyBackends = process.env['CHAOS_BACKENDS']?.split(',');

for (const chaos of chaosCases.filter((c) => onlyCases === undefined || onlyCases.includes(c.name))) {
  const runs: ChaosRun[] = [];
  afterAll(() => {
    if (runs.length === 0) return;
    const sum = (key: 'changes' | 'lost' | 'duplicated' | 'stale' | 'orphaned') =>
      runs.reduce((n, run) => n + run[key], 0);
    const recoveries = runs.map((r) => r.recoverySeconds).filter((r): r is number => r !== null);
    const at = new Date().toISOString();
    const result = {
      case: chaos.name,
      description: chaos.description,
      changes: sum('changes'),
      lost: sum('lost'),
      duplicated: sum('duplicated'),
      stale: sum('stale'),
      orphaned: sum('orphaned'),
      recoverySeconds: recoveries.length === 0 ? null : Math.max(...recoveries),
      runs,
      machine: { cores: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
      at,
    };
    mkdirSync(resultsDir, { recursive: true });
    const file = new URL(`chaos-${chaos.name}-${at.slice(0, 10)}.json`, resultsDir);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  });
  const backends = chaos.backends.filter((b) => onlyBackends === undefined || onlyBackends.includes(b));
  describeOnBackends(backends, `chaos: ${chaos.name} (${chaos.description})`, (database) => {
    it('loses, duplicates and leaves stale nothing', async () => {
      const run = await runChaosCase(chaos, database.backend, database.url, 'full');
      runs.push(run);
      process.stdout.write(
        `${chaos.name} [${database.backend}]: ${run.changes} changes, lost ${run.lost}, duplicated ${run.duplicated}, ` +
          `stale ${run.stale}, orphaned ${run.orphaned}, recovery ${run.recoverySeconds ?? '?'} s ` +
          `(${run.recoveries.join(', ')}), drained ${run.drainSeconds ?? 'never'} s after the load; ${JSON.stringify(run.notes)}\n`,
      );
      expect(run, JSON.stringify(run, null, 2)).toMatchObject({
        lost: 0,
        duplicated: 0,
        stale: 0,
        orphaned: 0,
      });
    }, 1_800_000);
  });
}
