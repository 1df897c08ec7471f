// `node bench/claim-time.ts [--jobs N] [--limit L]`: what a claim costs on SQLite. Makes a
// database file in a temporary folder, migrates it, queues N due jobs of one connected tenant
// (default 10,000, the `burst` scenario's), then claims L at a time (default 100) until none is
// left, as the engine's claims do, and prints the median and mean time of a claim and the time
// per job claimed. Times are this machine's, in one process: compare runs of two versions side by
// side, alternating.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sqliteCapabilities } from '../src/store/backend.ts';
import { claimJobs, nextTurns } from '../src/store/jobs/claim-jobs.ts';
import { migrateToLatest } from '../src/store/migrate.ts';
import { openStore } from '../src/store/open-store.ts';
import { seedTenant } from '../test/support/seed-tenant.ts';

const { values } = parseArgs({
  options: { jobs: { type: 'string' }, limit: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
});
if (values.help === true) {
  console.log(
    'Usage: npm run bench:claim-time -- [--jobs N] [--limit L]\n\n' +
      'What a claim costs on SQLite: queues N due jobs of one tenant (default 10,000) in a temporary\n' +
      'database, claims L at a time (default 100) until none is left, and prints the median and mean\n' +
      'time of a claim and the time per job claimed.',
  );
  process.exit(0);
}
const jobs = Number(values.jobs ?? 10_000);
const limit = Number(values.limit ?? 100);
const folder = mkdtempSync(join(tmpdir(), 'claim-time-'));
const store = openStore(`sqlite:${join(folder, 'db')}`);
try {
  await migrateToLatest(store);
  const tenantId = await seedTenant(store.db);
  const now = Date.now();
  for (let i = 0; i < jobs; i += 500)
    await store.repos.jobs.enqueueJobs(
      Array.from({ length: Math.min(500, jobs - i) }, (_, n) => ({
        tenantId,
        eventId: `00U${String(i + n).padStart(12, '0')}AAA`,
        runAt: now - jobs + i + n,
        changeAt: now,
        now,
      })),
    );
  const times: number[] = [];
  let after: (string | undefined)[] = [];
  for (;;) {
    const started = performance.now();
    const claimed = await claimJobs(store.db, sqliteCapabilities, {
      workerId: 'bench',
      limit,
      leaseMs: 60_000,
      now,
      after,
    });
    if (claimed.length === 0) break;
    times.push(performance.now() - started);
    after = nextTurns(after, claimed);
  }
  const total = times.reduce((a, b) => a + b, 0);
  times.sort((a, b) => a - b);
  console.log(
    `${times.length} claims of ${limit} from ${jobs.toLocaleString('en')} waiting jobs on SQLite: ` +
      `median ${times[times.length >> 1]!.toFixed(2)} ms, mean ${(total / times.length).toFixed(2)} ms, ` +
      `${((total / jobs) * 1000).toFixed(1)} µs a job`,
  );
} finally {
  await store.close();
  rmSync(folder, { recursive: true, force: true });
}
