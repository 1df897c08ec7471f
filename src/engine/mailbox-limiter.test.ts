import { describe, expect, it } from 'vitest';
import { MailboxLimiter } from './mailbox-limiter.ts';

const one = { maxConcurrentPerMailbox: 1, requestsPerWindow: { count: 1000, windowMs: 60_000 } };

/** A piece of work that ends when the test says. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, work: () => opened.then(() => 'done') };
}

describe('MailboxLimiter', () => {
  it('runs no more than the mailbox allows, the rest in line', async () => {
    const limiter = new MailboxLimiter();
    const first = gate();
    let firstDone = false;
    const a = limiter.run('m', one, undefined, () => first.work().finally(() => (firstDone = true)));
    const b = limiter.run('m', one, undefined, () => Promise.resolve(firstDone));
    first.open();
    await a;
    expect(await b).toBe(true); // b started only once a was done
  });

  it('lets a caller that gives up leave the line without holding up those behind it', async () => {
    const limiter = new MailboxLimiter();
    const first = gate();
    const a = limiter.run('m', one, undefined, first.work);
    const giveUp = new AbortController();
    const b = limiter.run('m', one, giveUp.signal, () => Promise.resolve('b ran'));
    const c = limiter.run('m', one, undefined, () => Promise.resolve('c ran'));
    giveUp.abort(new Error('given up'));
    await expect(b).rejects.toThrow('given up');
    first.open();
    expect(await a).toBe('done');
    expect(await c).toBe('c ran');
  });

  it('counts the request window from when each request ended, so the provider never counts one too many', async () => {
    let now = 0;
    const limiter = new MailboxLimiter(() => now);
    const perSecond = { maxConcurrentPerMailbox: 4, requestsPerWindow: { count: 1, windowMs: 1000 } };
    // The first request starts at 0 and reaches the provider late (a token is fetched first): it ends at 300.
    await limiter.run('m', perSecond, undefined, () => {
      now = 300;
      return Promise.resolve();
    });
    // A second later than the first started, but not than it ended: a window counted from the
    // start would let the second request go now, and the provider would count two in one second.
    now = 1200;
    const started: number[] = [];
    const second = limiter.run('m', perSecond, undefined, () => {
      started.push(now);
      return Promise.resolve();
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([]);
    now = 1300;
    await second;
    expect(started).toEqual([1300]);
  });
});
