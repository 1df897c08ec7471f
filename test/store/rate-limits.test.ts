// Shared rate-limit counters: concurrent attempts from many connections each get their own count
// (so a limit of 5 admits exactly 5), a window that ended starts again, a success hands its hit
// back, and counters of long-ended windows are removed.
import { expect, it } from 'vitest';
import {
  hitRateLimit,
  peekRateLimit,
  pruneRateLimits,
  refundRateLimit,
  reserveRateLimit,
} from '../../src/store/rate-limits-repository.ts';
import { describeEachBackend } from '../support/test-databases.ts';

describeEachBackend('rate limits', (database) => {
  const db = () => database.store.db;
  const t0 = 1_800_000_000_000;
  const limit = { limit: 5, windowMs: 60_000 };

  it('admits exactly the limit of many concurrent attempts from separate connections', async () => {
    const nodes = Array.from({ length: 6 }, () => database.open({ poolSize: 2 }));
    try {
      const decisions = await Promise.all(
        Array.from({ length: 48 }, (_, i) =>
          reserveRateLimit(nodes[i % nodes.length]!.db, 'signin:203.0.113.7', { ...limit, now: t0 + i }),
        ),
      );
      expect(decisions.filter((d) => d.allowed)).toHaveLength(5);
      expect(decisions.map((d) => d.hit.hits).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 48 }, (_, i) => i + 1),
      );
      expect(Math.max(...decisions.map((d) => d.retryAfterSeconds))).toBeLessThanOrEqual(60);
    } finally {
      await Promise.all(nodes.map((node) => node.close()));
    }
  });

  it('starts a new window once the old one ended, and hands back a hit', async () => {
    const first = await hitRateLimit(db(), 'bearer:a', { now: t0, windowMs: 60_000 });
    expect(first).toEqual({ hits: 1, windowStartedAt: t0 });
    const second = await hitRateLimit(db(), 'bearer:a', { now: t0 + 59_999, windowMs: 60_000 });
    expect(second).toEqual({ hits: 2, windowStartedAt: t0 });
    await refundRateLimit(db(), 'bearer:a', second);
    expect(await peekRateLimit(db(), 'bearer:a', { now: t0 + 59_999, windowMs: 60_000 })).toEqual({
      hits: 1,
      windowStartedAt: t0,
    });
    const later = await hitRateLimit(db(), 'bearer:a', { now: t0 + 60_000, windowMs: 60_000 });
    expect(later).toEqual({ hits: 1, windowStartedAt: t0 + 60_000 });
    // A refund for the old window does not touch the new one.
    await refundRateLimit(db(), 'bearer:a', second);
    expect((await peekRateLimit(db(), 'bearer:a', { now: t0 + 60_000, windowMs: 60_000 }))?.hits).toBe(1);
    // A delivery's cost counts whole.
    const heavy = await reserveRateLimit(db(), 'webhook:t', {
      limit: 100,
      windowMs: 60_000,
      now: t0,
      cost: 101,
    });
    expect(heavy.allowed).toBe(false);
  });

  it('removes counters whose window ended long ago', async () => {
    await hitRateLimit(db(), 'connect:old', { now: t0 - 90_000_000, windowMs: 600_000 });
    await hitRateLimit(db(), 'connect:new', { now: t0, windowMs: 600_000 });
    expect(await pruneRateLimits(db(), t0 - 86_400_000)).toBe(1);
    expect(await peekRateLimit(db(), 'connect:new', { now: t0, windowMs: 600_000 })).toBeDefined();
  });
});
