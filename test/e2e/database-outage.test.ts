// The database goes away under a running service (PostgreSQL behind a proxy the test cuts, as a
// database restart or a network failure does): the service keeps running, answers /readyz 503
// while it cannot reach the database and 200 once it can, and every Event saved before, during
// and after the cuts ends up in its owner's mailbox exactly once.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { auditMailboxes, waitForMailboxesToMatch } from '../support/mailbox-audit.ts';
import { startSystem, type RunningSystem } from '../support/system-processes.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { describeOnPostgres } from '../support/test-databases.ts';
import { waitFor } from '../support/wait-for.ts';

describeOnPostgres('a database outage under the running service', (database) => {
  let system: RunningSystem;
  let proxy: TcpProxy;

  beforeAll(async () => {
    const target = new URL(database.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    system = await startSystem({ databaseUrl: proxy.proxiedUrl(database.url), owners: 10 });
    await system.startService();
    await system.setUpTenant();
  }, 120_000);
  afterAll(async () => {
    await system.close();
    await proxy.close();
  });

  const readiness = async () => {
    const response = await fetch(`${system.serviceUrl}/readyz`).catch(() => undefined);
    return response?.status;
  };

  it('survives two cuts in the middle of a stream of Events, and loses and duplicates nothing', async () => {
    let serial = 0;
    let writing = true;
    const create = async () => {
      const n = serial++;
      const owner = system.owners[n % system.owners.length]!;
      await system.salesforce.createEvent(owner.id, {
        Subject: `Through the outage ${n}`,
        StartDateTime: `2026-12-${String(1 + (n % 28)).padStart(2, '0')}T09:00:00Z`,
        DurationInMinutes: 30,
      });
    };
    // Salesforce keeps taking changes whatever happens to our database.
    const writer = (async () => {
      while (writing) {
        await Promise.all([create(), create()]);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    try {
      for (let cut = 0; cut < 2; cut++) {
        const before = serial;
        await waitFor(() => serial >= before + 30, { timeoutMs: 60_000, what: 'Events written' });
        proxy.cut();
        await waitFor(async () => (await readiness()) === 503, {
          timeoutMs: 30_000,
          what: '/readyz answering 503 during the cut',
        });
        const during = serial;
        await waitFor(() => serial >= during + 30, {
          timeoutMs: 60_000,
          what: 'Events written during the cut',
        });
        expect(system.processes().map((p) => p.role)).toContain('service');
        proxy.restore();
        await waitFor(async () => (await readiness()) === 200, {
          timeoutMs: 30_000,
          what: '/readyz answering 200 after the cut',
        });
      }
    } finally {
      writing = false;
      await writer;
    }
    await waitForMailboxesToMatch(system, { timeoutMs: 120_000 });
    expect(await auditMailboxes(system)).toMatchObject({ duplicated: 0, missing: 0, stale: 0, orphaned: 0 });
    expect(system.processes().map((p) => p.role)).toContain('service');
    expect(system.serviceOutput()).not.toMatch(/Unhandled|uncaught/i);
  }, 300_000);
});
