// The short version of a chaos case (chaos-cases.ts), as `npm run test:system` runs it (one file
// per case): the same faults, fewer changes. Every run must end with each mailbox
// holding exactly the org's Events. `npm run test:chaos` runs the full versions and records them.
import { expect, it } from 'vitest';
import { describeOnBackends } from '../support/test-databases.ts';
import { chaosCases, runChaosCase } from './chaos-cases.ts';

export function describeShortChaos(name: string): void {
  const chaos = chaosCases.find((c) => c.name === name);
  if (chaos === undefined) throw new Error(`no chaos case ${name}`);
  describeOnBackends(chaos.backends, `chaos, short: ${chaos.name} (${chaos.description})`, (database) => {
    it('loses, duplicates and leaves stale nothing', async () => {
      const run = await runChaosCase(chaos, database.backend, database.url, 'short');
      expect(run, JSON.stringify(run, null, 2)).toMatchObject({
        lost: 0,
        duplicated: 0,
        stale: 0,
        orphaned: 0,
      });
      expect(run.drainSeconds).not.toBeNull();
      if (chaos.name === 'kill9')
        // Each restart found the killed run dead at once and took back what it held.
        for (const taken of run.notes['takenBackAtRestart'] as { found: boolean }[])
          expect(taken.found).toBe(true);
      if (chaos.name === 'pgcut') {
        expect(run.notes['every serve answered 503 during each cut']).toBe(true);
        expect(run.notes['processes alive at the end']).toEqual(
          expect.arrayContaining(['service', 'other service', 'workers', 'workers']),
        );
      }
    }, 420_000);
  });
}
