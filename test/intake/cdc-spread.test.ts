// CDC subscriptions spread over the nodes that run them, on both backends: with three nodes and
// twelve connected tenants each node holds four; a node that dies without a word has its
// subscriptions taken over by the others once its leases expire; a node that joins takes its
// share from the others; one that stops cleanly hands its share over at once. The Pub/Sub API is
// stood in for (each subscription runs until stopped): what is tested is who subscribes.
import { beforeEach, expect, it } from 'vitest';
import { CdcScheduler, type Subscription } from '../../src/intake/cdc/cdc-scheduler.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { seedTenant } from '../support/seed-tenant.ts';
import { describeEachBackend } from '../support/test-databases.ts';

const noSession = () => Promise.reject(new Error('the stand-in subscriptions need no session'));

describeEachBackend('CDC subscriptions spread over nodes', (database) => {
  const clock = new ManualClock();
  const leaseMs = 20_000;
  /** The tenants each node's subscriptions are running for, by node. */
  const streams = new Map<string, Set<string>>();
  let tenants: string[];

  beforeEach(async () => {
    const { db } = database.store;
    await db.deleteFrom('leases').execute();
    await db.deleteFrom('salesforce_connections').execute();
    streams.clear();
    tenants = [];
    for (let n = 0; n < 12; n += 1) {
      const id = await seedTenant(db);
      await db
        .updateTable('salesforce_connections')
        .set({
          org_id: `00D${String(n).padStart(12, '0')}`,
          instance_url: 'https://example.my.salesforce.com',
        })
        .where('tenant_id', '=', id)
        .execute();
      tenants.push(id);
    }
  });

  const node = (nodeId: string) => {
    const running = new Set<string>();
    streams.set(nodeId, running);
    return new CdcScheduler({
      repos: database.store.repos,
      clock,
      logger: createLogger({ level: 'silent' }),
      nodeId,
      // The stand-in subscriptions ask for no session.
      sessionsFor: () => ({ session: noSession, rejected: noSession }),
      pubSubEndpoint: 'pubsub.invalid:7443',
      extraCaPem: undefined,
      reconcile: () => Promise.resolve(),
      leaseMs,
      subscribe: (_deps, tenant): Subscription => {
        let end: (() => void) | undefined;
        return {
          run: () => {
            running.add(tenant.id);
            return new Promise((resolve) => (end = () => resolve('stopped')));
          },
          stop: () => {
            running.delete(tenant.id);
            end?.();
            return Promise.resolve();
          },
        };
      },
    });
  };
  /** Every node ticks, `rounds` times, a few seconds apart (as their periodic task does). */
  const tick = async (nodes: CdcScheduler[], rounds = 3) => {
    for (let round = 0; round < rounds; round += 1) {
      for (const scheduler of nodes) await scheduler.tick();
      clock.advance(5000);
    }
  };
  const held = () => Object.fromEntries([...streams].map(([id, running]) => [id, running.size]));
  /** Every tenant subscribed by exactly one node. */
  const eachOnce = () => {
    const all = [...streams.values()].flatMap((running) => [...running]).sort();
    expect(all).toEqual([...tenants].sort());
  };

  it('gives three nodes four tenants each, and the survivors a dead node’s within the lease time', async () => {
    const [a, b, c] = [node('a'), node('b'), node('c')];
    await tick([a, b, c]);
    expect(held()).toEqual({ a: 4, b: 4, c: 4 });
    eachOnce();
    // c dies: it neither ticks nor gives anything up. Within the lease time (20 s) and a tick or
    // two, a and b hold its tenants as well, six each.
    streams.delete('c');
    await tick([a, b], Math.ceil(leaseMs / 5000) + 2);
    expect(held()).toEqual({ a: 6, b: 6 });
    eachOnce();
    await a.stop();
    await b.stop();
  });

  it('lets a node that joins take its share, and a node that stops hand its share over at once', async () => {
    const [a, b] = [node('a'), node('b')];
    await tick([a]);
    expect(held()).toEqual({ a: 12, b: 0 });
    await tick([a, b]);
    expect(held()).toEqual({ a: 6, b: 6 });
    const c = node('c');
    await tick([a, b, c]);
    expect(held()).toEqual({ a: 4, b: 4, c: 4 });
    eachOnce();
    // b stops cleanly: its leases are given up, so a and c need not wait for them to expire.
    await b.stop();
    streams.delete('b');
    await tick([a, c], 2);
    expect(held()).toEqual({ a: 6, c: 6 });
    eachOnce();
    await a.stop();
    await c.stop();
  });
});
