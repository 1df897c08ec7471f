// kill -9 of the service in the middle of its work, then a restart on the same host: the new run
// takes back at once what the killed run held (its jobs, its CDC lease) instead of waiting for
// their leases to run out, and every Event ends up in its mailbox exactly once.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { auditMailboxes, waitForMailboxesToMatch } from '../support/mailbox-audit.ts';
import { startSystem, type RunningSystem } from '../support/system-processes.ts';
import { describeEachBackend } from '../support/test-databases.ts';
import { waitFor } from '../support/wait-for.ts';

describeEachBackend('kill -9 and a restart', (database) => {
  let system: RunningSystem;

  beforeAll(async () => {
    // Slow Graph answers keep jobs in hand when the service is killed.
    system = await startSystem({ databaseUrl: database.url, owners: 10, graphLatencyMs: 1500 });
    await system.startService();
    await system.setUpTenant();
  }, 120_000);
  afterAll(() => system.close());

  it('takes back the killed run’s jobs at once and loses and duplicates nothing', async () => {
    const before = (await system.graph.stats()).requests;
    await Promise.all(
      Array.from({ length: 40 }, (_, n) =>
        system.salesforce.createEvent(system.owners[n % 10]!.id, {
          Subject: `Before the crash ${n}`,
          StartDateTime: `2026-12-${String(1 + (n % 28)).padStart(2, '0')}T10:00:00Z`,
          DurationInMinutes: 30,
        }),
      ),
    );
    await waitFor(async () => (await system.graph.stats()).requests >= before + 8, {
      timeoutMs: 60_000,
      what: 'the service calling Graph',
    });
    await system.killService();
    await system.startService();
    const output = await waitFor(
      () =>
        /took back the jobs and leases of a previous run/.test(system.serviceOutput())
          ? system.serviceOutput()
          : undefined,
      { timeoutMs: 30_000, what: 'the restarted service to take back the killed run’s work' },
    );
    const recovered = JSON.parse(
      output.split('\n').find((line) => line.includes('took back the jobs and leases')) ?? '{}',
    ) as { jobs?: number; leases?: number };
    expect(recovered.jobs).toBeGreaterThan(0);
    expect(recovered.leases).toBeGreaterThan(0); // the CDC subscription's: resubscribed at once too
    await Promise.all(
      Array.from({ length: 10 }, (_, n) =>
        system.salesforce.createEvent(system.owners[n]!.id, {
          Subject: `After the crash ${n}`,
          StartDateTime: '2026-12-20T10:00:00Z',
          DurationInMinutes: 30,
        }),
      ),
    );
    await waitForMailboxesToMatch(system, { timeoutMs: 120_000 });
    expect(await auditMailboxes(system)).toMatchObject({ duplicated: 0, missing: 0, stale: 0, orphaned: 0 });
  }, 240_000);
});
