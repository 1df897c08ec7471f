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
});
