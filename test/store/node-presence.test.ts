// Nodes and the work they hold, on both backends: a restarted node takes back at once what its
// killed run on the same host held (its jobs and its named leases), never what a live node holds;
// and any claim takes back the jobs of a node whose heartbeat expired.
import { spawnSync } from 'node:child_process';
import { beforeEach, expect, it } from 'vitest';
import { JobQueue } from '../../src/engine/job-queue.ts';
import { NodePresence } from '../../src/engine/node-presence.ts';
import { defaultRetryPolicy } from '../../src/engine/retry-policy.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { acquireLease, leaseHolder } from '../../src/store/leases-repository.ts';
import { listNodes } from '../../src/store/nodes-repository.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { seedTenant } from '../support/seed-tenant.ts';
import { describeEachBackend } from '../support/test-databases.ts';
import { waitFor } from '../support/wait-for.ts';

/** The pid of a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid ?? 0;
}

const logger = createLogger({ level: 'silent' });
const host = { name: 'box', key: 'box|boot-1|pid:[4026531836]' };

describeEachBackend('node presence', (database) => {
  let clock: ManualClock;
  let queue: JobQueue;
  let tenantId: string;
  const presences: NodePresence[] = [];

  beforeEach(async () => {
    await database.store.db.deleteFrom('jobs').execute();
    await database.store.db.deleteFrom('nodes').execute();
    await database.store.db.deleteFrom('leases').execute();
    clock = new ManualClock();
    queue = new JobQueue({
      store: database.store,
      clock,
      retryPolicy: defaultRetryPolicy,
      random: () => 0.5,
    });
    tenantId = await seedTenant(database.store.db);
    await Promise.all(presences.splice(0).map((p) => p.stop()));
  });

  const node = (
    id: string,
    options: { pid: number; hostKey?: string; heartbeatMs?: number; onLiveNodes?: (count: number) => void },
  ) => {
    const presence = new NodePresence({
      repos: database.store.repos,
      clock,
      logger,
      nodeId: id,
      role: 'worker',
      version: 'test',
      maxAttempts: defaultRetryPolicy.maxAttempts,
      host: { ...host, key: options.hostKey ?? host.key },
      pid: options.pid,
      heartbeatMs: options.heartbeatMs ?? 60_000,
      ...(options.onLiveNodes === undefined ? {} : { onLiveNodes: options.onLiveNodes }),
    });
    presences.push(presence);
    return presence;
  };

  /** `owner` claims three jobs and holds the CDC lease of a tenant. */
  const holdWork = async (owner: string) => {
    for (const eventId of ['00U000000000001AAA', '00U000000000002AAA', '00U000000000003AAA'])
      await queue.enqueue({ tenantId, eventId }, { delayMs: 0 });
    expect((await queue.claim(owner, 10, 60_000)).jobs).toHaveLength(3);
    expect(
      await acquireLease(database.store.db, {
        name: 'cdc:t',
        holder: owner,
        ttlMs: 20_000,
        now: clock.now(),
      }),
    ).toBe(true);
  };

  it('takes back at once the jobs and leases of a killed run on the same host', async () => {
    await node('box:111:aaa', { pid: deadPid() }).start();
    await holdWork('box:111:aaa');
    clock.advance(1000);

    const recovered = await node('box:222:bbb', { pid: process.pid }).start();
    expect(recovered).toEqual({ nodes: 1, jobs: 3, leases: 1 });
    // Claimable now, not in a minute when their leases would have run out.
    expect((await queue.claim('box:222:bbb', 10, 60_000)).jobs).toHaveLength(3);
    expect(await leaseHolder(database.store.db, 'cdc:t', clock.now())).toBeUndefined();
    expect((await listNodes(database.store.db)).map((n) => n.id)).toEqual(['box:222:bbb']);
  });

  it('takes back the work of an earlier run that had the same pid (a restarted container)', async () => {
    await node('box:1:old', { pid: 1 }).start();
    await holdWork('box:1:old');
    expect(await node('box:1:new', { pid: 1 }).start()).toMatchObject({ nodes: 1, jobs: 3 });
  });

  it('leaves alone the work of a live node, and of a dead one on another host or namespace', async () => {
    await node('box:live', { pid: process.ppid }).start();
    await holdWork('box:live');
    await node('elsewhere:dead', { pid: deadPid(), hostKey: 'other|boot-2|pid:[1]' }).start();
    await queue.enqueue({ tenantId, eventId: '00U000000000009AAA' }, { delayMs: 0 });
    expect((await queue.claim('elsewhere:dead', 10, 60_000)).jobs).toHaveLength(1);

    expect(await node('box:new', { pid: process.pid }).start()).toEqual({ nodes: 0, jobs: 0, leases: 0 });
    expect((await queue.claim('box:new', 10, 60_000)).jobs).toEqual([]);
    expect(await leaseHolder(database.store.db, 'cdc:t', clock.now())).toBe('box:live');
  });

  it("takes back a node's jobs at the first claim a second after its heartbeat expired, not before", async () => {
    const gone = node('far:gone', { pid: deadPid(), hostKey: 'far|boot-3|pid:[1]' });
    await gone.start();
    await holdWork('far:gone');
    clock.advance(29_999);
    expect((await queue.claim('box:other', 10, 60_000)).jobs).toEqual([]);
    clock.advance(1);
    // Expired now; dead nodes are looked for at most once a second, the last time a millisecond ago.
    expect((await queue.claim('box:other', 10, 60_000)).jobs).toEqual([]);
    clock.advance(999);
    const { jobs, expired } = await queue.claim('box:other', 10, 60_000);
    expect(expired).toHaveLength(3);
    expect(jobs).toHaveLength(3);
    expect((await listNodes(database.store.db)).map((n) => n.id)).not.toContain('far:gone');
  });

  it('tells how many nodes are alive at start and at each heartbeat, so that they share the sweeping', async () => {
    const counts: number[] = [];
    await node('box:one', { pid: process.pid, heartbeatMs: 50, onLiveNodes: (n) => counts.push(n) }).start();
    expect(counts).toEqual([1]);
    await node('box:two', { pid: process.pid, hostKey: 'box|boot-1|pid:[2]' }).start();
    await waitFor(() => counts.at(-1) === 2, { what: 'the second node counted at a heartbeat' });
  });

  it('says until when a node may work on without a heartbeat: two beats before it could expire', async () => {
    const presence = node('box:me', { pid: process.pid, heartbeatMs: 5000 });
    await presence.start();
    expect(presence.workableUntil).toBe(clock.now() + 20_000);
  });
});
