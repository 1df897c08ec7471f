// The service as separate processes against the sandbox org's Pub/Sub API: killed with SIGKILL
// between receiving a batch and committing it, the batch is received again after a restart and
// recorded once; when the org's event delivery allocation is spent, the tenant is polled at the
// fallback interval (its usual one here is a day) and `status` says why; and of two processes on
// PostgreSQL exactly one holds a tenant's subscription, the other taking over when the holder dies.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { startSalesforceSandbox, type SalesforceSandbox } from '../../sandbox/salesforce/index.ts';
import { generateSecretKey } from '../../src/lib/secret-box.ts';
import { tenantCreationDeps } from '../../src/main.ts';
import { createTenant } from '../../src/tenants/create-tenant.ts';
import { startCliProcess } from '../support/cli-process.ts';
import { runCliInProcess } from '../support/cli-in-process.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { startServiceUnderTest } from '../support/service-under-test.ts';
import { createOutboundFetch } from '../../src/lib/outbound-fetch.ts';
import { readFileSync } from 'node:fs';
import { TestBrowser } from '../support/test-browser.ts';
import { describeEachBackend, describeOnPostgres, type TestDatabase } from '../support/test-databases.ts';
import { waitFor } from '../support/wait-for.ts';

describeEachBackend('CDC intake in separate processes', (database) => cdcInProcesses(database, 'each'));
describeOnPostgres('CDC intake across two processes (SQLite serves one process)', (database) =>
  cdcInProcesses(database, 'postgres'),
);

/**
 * The sandbox org with tenant acme connected, `serve` processes on `database`, and the cases for
 * every backend or those only PostgreSQL can run.
 */
function cdcInProcesses(database: TestDatabase, cases: 'each' | 'postgres'): void {
  let sandbox: SalesforceSandbox;
  let ownerId: string;
  let tenantId: string;
  let env: Record<string, string>;
  const children: ChildProcess[] = [];
  const folders: string[] = [];

  beforeAll(async () => {
    sandbox = await startSalesforceSandbox({ autoApprove: true, pubSub: true, pubSubKeepaliveMs: 5000 });
    ownerId = sandbox.addUser({ username: 'rep@acme.example', email: 'rep@acme.example' }).Id;
    const secretKey = generateSecretKey().toString('base64');
    env = {
      INSTANT_SYNC_DATABASE_URL: database.url,
      INSTANT_SYNC_SECRET_KEY: secretKey,
      INSTANT_SYNC_SALESFORCE_LOGIN_URL: sandbox.url,
      INSTANT_SYNC_SALESFORCE_CLIENT_ID: 'instant-sync',
      INSTANT_SYNC_SALESFORCE_CLIENT_SECRET: 'sandbox-secret',
      INSTANT_SYNC_EXTRA_CA_FILE: sandbox.caFile ?? '',
      INSTANT_SYNC_PUBSUB_ENDPOINT: sandbox.pubSubEndpoint ?? '',
      INSTANT_SYNC_POLL_INTERVAL: '1d',
      INSTANT_SYNC_CDC_FALLBACK_POLL_INTERVAL: '5s',
      INSTANT_SYNC_PORT: '0',
      INSTANT_SYNC_LOG_LEVEL: 'debug',
    };
    // Connect the tenant once, in-process, through the real OAuth flow.
    const setup = await startServiceUnderTest({
      databaseUrl: database.url,
      clock: new ManualClock(sandbox.clock.now()),
      secretKey,
      env,
    });
    sandbox.addConnectedApp({
      clientId: 'instant-sync',
      clientSecret: 'sandbox-secret',
      callbackUrls: [setup.runtime.salesforce.connections.callbackUrl('acme')],
    });
    tenantId = (await createTenant(tenantCreationDeps(setup.runtime), { slug: 'acme' })).id;
    const browser = new TestBrowser(
      createOutboundFetch({ extraCaPem: readFileSync(sandbox.caFile ?? '', 'utf8') }),
    );
    const done = await browser.submit(await browser.get(`${setup.url}/t/acme/`), { button: /^Connect/ });
    expect(done.url).toMatch(/\?result=connected$/);
    await setup.close();
  });

  afterEach(async () => {
    await Promise.all(children.splice(0).map((child) => stop(child)));
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });
  afterAll(() => sandbox.close());

  const serve = async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'instant-sync-node-'));
    folders.push(cwd);
    const started = await startCliProcess(['serve'], { cwd, env, ready: /listening on/, timeoutMs: 30_000 });
    children.push(started.child);
    return started;
  };
  const recordedFor = async (ids: string[]) => {
    const store = database.open({ poolSize: 1 });
    try {
      return await store.db
        .selectFrom('changes')
        .select(['event_id', 'dedupe_key'])
        .where('event_id', 'in', ids)
        .execute();
    } finally {
      await store.close();
    }
  };
  const holder = async () => {
    const store = database.open({ poolSize: 1 });
    try {
      const row = await store.db
        .selectFrom('leases')
        .select('holder')
        .where('name', '=', `cdc:${tenantId}`)
        .where('expires_at', '>', Date.now())
        .executeTakeFirst();
      return row?.holder;
    } finally {
      await store.close();
    }
  };
  const createEvents = (n: number, label: string) =>
    Array.from(
      { length: n },
      (_, i) =>
        sandbox.createEvent(ownerId, {
          Subject: `${label} ${i}`,
          StartDateTime: '2026-12-01T09:00:00Z',
          DurationInMinutes: 30,
        }).Id,
    );

  if (cases === 'each') {
    it('records a batch once when the process is killed after receiving it and before committing it', async () => {
      const first = await serve();
      await waitFor(() => sandbox.stats().cdcSubscribers === 1, {
        what: 'the subscription',
        timeoutMs: 30_000,
      });
      const warmup = createEvents(1, 'Warm-up');
      await waitFor(async () => (await recordedFor(warmup)).length === 1, {
        what: 'the warm-up change (a stored replay id)',
        timeoutMs: 60_000,
      });

      const release = await blockWrites(database);
      const delivered = sandbox.stats().cdcDelivered;
      const batch = createEvents(10, 'In flight');
      await waitFor(() => sandbox.stats().cdcDelivered >= delivered + 10, {
        what: 'delivery to the first process',
        timeoutMs: 60_000,
      });
      first.child.kill('SIGKILL');
      await first.exited;
      await release();
      expect(await recordedFor(batch)).toEqual([]);

      await serve();
      const recorded = await waitFor(
        async () => {
          const rows = await recordedFor(batch);
          return rows.length >= 10 ? rows : undefined;
        },
        { what: 'the batch after the restart', timeoutMs: 60_000 },
      );
      expect(recorded).toHaveLength(10);
      expect(new Set(recorded.map((r) => r.event_id))).toEqual(new Set(batch));
    }, 240_000);

    it('polls at the fallback interval while the delivery allocation is spent, and status says why', async () => {
      await serve();
      await waitFor(() => sandbox.stats().cdcSubscribers === 1, {
        what: 'the subscription',
        timeoutMs: 30_000,
      });
      // One delivery left: the first Event comes by CDC, then Salesforce ends the stream.
      sandbox.setCdcDeliveryAllocation(sandbox.cdcDeliveryAllocation().used + 1);
      try {
        const ids = createEvents(3, 'Spent');
        const recorded = await waitFor(
          async () => {
            const rows = await recordedFor(ids);
            return new Set(rows.map((r) => r.event_id)).size === 3 ? rows : undefined;
          },
          { what: 'every Event, the last ones by polling', timeoutMs: 60_000 },
        );
        expect(recorded.filter((r) => r.dedupe_key.startsWith('poll:')).length).toBeGreaterThanOrEqual(2);
        const status = await waitFor(
          async () => {
            const { stdout } = await runCliInProcess(['status'], env);
            return stdout.includes('CDC paused: delivery allocation spent') ? stdout : undefined;
          },
          { what: 'status saying why', timeoutMs: 30_000 },
        );
        expect(status).toMatch(/acme .*polling every 5 s \(CDC paused: delivery allocation spent\)/);
        expect(status).toContain('You have exceeded the event delivery limit for your org.');
        expect(sandbox.stats().cdcSubscribers).toBe(0);
      } finally {
        sandbox.setCdcDeliveryAllocation(25_000);
        // The next case starts with CDC as a new tenant's (not waiting out this one's retry time).
        await Promise.all(children.splice(0).map((child) => stop(child)));
        const store = database.open({ poolSize: 1 });
        await store.db
          .deleteFrom('cdc_states')
          .execute()
          .finally(() => store.close());
      }
    }, 180_000);
  }

  if (cases === 'postgres') {
    it('runs one subscription per tenant across two processes, and the survivor takes over', async () => {
      const a = await serve();
      const b = await serve();
      const owner = await waitFor(holder, { what: 'a lease holder', timeoutMs: 30_000 });
      await waitFor(() => sandbox.stats().cdcSubscribers === 1, {
        what: 'one subscription',
        timeoutMs: 60_000,
      });
      const both = createEvents(3, 'Two nodes');
      await waitFor(async () => (await recordedFor(both)).length === 3, {
        what: 'changes through the holder',
        timeoutMs: 60_000,
      });
      expect(sandbox.stats().cdcSubscribers).toBe(1);

      const [dead, survivor] = owner.includes(`:${a.child.pid}:`) ? [a, b] : [b, a];
      dead.child.kill('SIGKILL');
      await dead.exited;
      // The dead holder's lease runs out 20 s after its last renewal and the survivor tries every
      // 5 s: the takeover comes within 25 s, given 90 s here for a busy machine.
      const next = await waitFor(
        async () => {
          const h = await holder();
          return h !== undefined && h !== owner ? h : undefined;
        },
        { what: 'the takeover', timeoutMs: 90_000 },
      );
      expect(next).toContain(`:${survivor.child.pid}:`);
      await waitFor(() => sandbox.stats().cdcSubscribers === 1, {
        what: 'the survivor subscribed',
        timeoutMs: 60_000,
      });
      const after = createEvents(2, 'After takeover');
      await waitFor(async () => (await recordedFor(after)).length === 2, {
        what: 'changes through the survivor',
        timeoutMs: 60_000,
      });
    }, 300_000);
  }
}

/** Blocks every write to the database (as a long transaction would) until the returned function runs. */
async function blockWrites(database: TestDatabase): Promise<() => Promise<void>> {
  if (database.backend === 'postgres') {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query('begin');
    await client.query('lock table changes in exclusive mode');
    return async () => {
      await client.query('rollback');
      await client.end();
    };
  }
  const sqlite = new DatabaseSync(database.url.slice('sqlite:'.length));
  // The service writes now and then (its heartbeat, its position): wait for such a write to end
  // instead of failing with "database is locked".
  sqlite.exec('pragma busy_timeout = 10000');
  sqlite.exec('begin immediate');
  return () => {
    sqlite.exec('rollback');
    sqlite.close();
    return Promise.resolve();
  };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
