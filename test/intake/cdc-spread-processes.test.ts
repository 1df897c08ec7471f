// CDC subscriptions spread over three `serve` processes on PostgreSQL, with twelve tenants each
// connected to an org of its own (one sandbox process, one Pub/Sub endpoint, as Salesforce's orgs
// share one): each process holds three to five subscriptions, every org has exactly one
// subscriber, and when a process is killed (kill -9) the other two take its subscriptions over
// once its leases expire, after which a change in every org still reaches its mailbox.
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSystem, type RunningSystem } from '../support/system-processes.ts';
import { describeOnPostgres } from '../support/test-databases.ts';
import { waitFor } from '../support/wait-for.ts';

describeOnPostgres('CDC subscriptions spread over serve processes', (database) => {
  let system: RunningSystem;
  let client: pg.Client;

  beforeAll(async () => {
    system = await startSystem({
      databaseUrl: database.url,
      owners: 1,
      orgs: 12,
      // Only CDC brings changes in here: polling would find them a day later.
      env: { INSTANT_SYNC_POLL_INTERVAL: '1d' },
    });
    await system.startService();
    await system.startOtherService();
    await system.startOtherService();
    await system.setUpTenants();
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
  }, 300_000);
  afterAll(async () => {
    await client?.end();
    await system?.close();
  });

  /** Live CDC leases by holder: how many tenants each process subscribes for. */
  const holders = async (): Promise<number[]> => {
    const { rows } = await client.query<{ n: string }>(
      `select count(*) as n from leases where name like 'cdc:%' and expires_at > $1 group by holder order by holder`,
      [Date.now()],
    );
    return rows.map((row) => Number(row.n)).sort((a, b) => a - b);
  };
  /** Every org has exactly one open subscription. */
  const oneSubscriberEach = async () =>
    (await Promise.all(system.orgs.map((org) => org.salesforce.stats()))).every(
      (s) => s.cdcSubscribers === 1,
    );

  it('gives each of three processes three to five of twelve subscriptions, and the survivors a killed one’s', async () => {
    const spread = await waitFor(
      async () => {
        const counts = await holders();
        return counts.length === 3 && counts.every((n) => n >= 3 && n <= 5) && (await oneSubscriberEach())
          ? counts
          : undefined;
      },
      { timeoutMs: 90_000, what: 'twelve subscriptions spread over three processes' },
    );
    expect(spread.reduce((a, b) => a + b, 0)).toBe(12);

    // The first process dies without a word: its leases run out (20 s), then the others take them.
    await system.killService();
    const after = await waitFor(
      async () => {
        const counts = await holders();
        return counts.length === 2 && counts.reduce((a, b) => a + b, 0) === 12 && (await oneSubscriberEach())
          ? counts
          : undefined;
      },
      { timeoutMs: 120_000, what: 'the killed process’s subscriptions taken over' },
    );
    expect(after).toEqual([6, 6]);

    // A change in every org reaches its owner's mailbox: the moved subscriptions deliver.
    const made = await Promise.all(
      system.orgs.map(async (org) => {
        const owner = org.owners[0]!;
        const record = await org.salesforce.createEvent(owner.id, {
          Subject: `After the move (${org.slug})`,
          StartDateTime: '2027-01-11T09:00:00Z',
          DurationInMinutes: 30,
        });
        return { owner: owner.email, id: String(record['Id']) };
      }),
    );
    await waitFor(
      async () => {
        for (const { owner, id } of made)
          if (!(await system.calendars.items(owner)).some((item) => item.salesforceId === id)) return false;
        return true;
      },
      { timeoutMs: 60_000, what: 'an Event of every org in its mailbox' },
    );
  });
});
