// Named leases: one holder at a time, renewable by its holder, taken over once expired.
import { expect, it } from 'vitest';
import { acquireLease, leaseHolder, releaseLease } from '../../src/store/leases-repository.ts';
import { describeEachBackend } from '../support/test-databases.ts';

describeEachBackend('leases', (database) => {
  const db = () => database.store.db;
  const t0 = 1_800_000_000_000;

  it('has one holder at a time; another node takes over when it expires', async () => {
    expect(await acquireLease(db(), { name: 'cdc:a', holder: 'node-1', ttlMs: 30_000, now: t0 })).toBe(true);
    expect(await acquireLease(db(), { name: 'cdc:a', holder: 'node-2', ttlMs: 30_000, now: t0 + 1000 })).toBe(
      false,
    );
    expect(
      await acquireLease(db(), { name: 'cdc:a', holder: 'node-1', ttlMs: 30_000, now: t0 + 20_000 }),
    ).toBe(true);
    expect(
      await acquireLease(db(), { name: 'cdc:a', holder: 'node-2', ttlMs: 30_000, now: t0 + 49_999 }),
    ).toBe(false);
    expect(await leaseHolder(db(), 'cdc:a', t0 + 49_999)).toBe('node-1');
    expect(
      await acquireLease(db(), { name: 'cdc:a', holder: 'node-2', ttlMs: 30_000, now: t0 + 50_000 }),
    ).toBe(true);
    expect(await leaseHolder(db(), 'cdc:a', t0 + 50_000)).toBe('node-2');
  });

  it('is free at once after its holder releases it, and only its holder can', async () => {
    await acquireLease(db(), { name: 'poll:b', holder: 'node-1', ttlMs: 30_000, now: t0 });
    await releaseLease(db(), 'poll:b', 'node-2');
    expect(await leaseHolder(db(), 'poll:b', t0)).toBe('node-1');
    await releaseLease(db(), 'poll:b', 'node-1');
    expect(await acquireLease(db(), { name: 'poll:b', holder: 'node-2', ttlMs: 30_000, now: t0 + 1 })).toBe(
      true,
    );
  });

  it('gives a contested lease to exactly one of many nodes', async () => {
    const nodes = Array.from({ length: 8 }, () => database.open({ poolSize: 1 }));
    const results = await Promise.all(
      nodes.map((node, i) =>
        acquireLease(node.db, { name: 'cdc:contested', holder: `node-${i}`, ttlMs: 30_000, now: t0 }),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });
});
