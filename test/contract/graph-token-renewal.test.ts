// Graph tokens are got ahead of the calls that need them: a batch asks for one before it reads
// Salesforce (so the two overlap), and the token in hand is renewed in the background from five
// minutes before it expires, so no call waits for the hourly renewal. A token with under a minute
// left is not used: the call waits for a new one.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { graphTokenSource, startGraphUnderTest, type GraphUnderTest } from '../support/graph-under-test.ts';
import { waitFor } from '../support/wait-for.ts';

describe('Graph token renewal', () => {
  let under: GraphUnderTest;
  beforeEach(async () => {
    under = await startGraphUnderTest();
  });
  afterEach(async () => {
    vi.useRealTimers();
    await under.graph.close();
  });

  it('prepare() starts getting a token without waiting, and the calls then use it', async () => {
    const { graph, provider, tokens } = under;
    expect(graph.stats().tokenRequests).toBe(0);
    provider.prepare();
    await waitFor(() => graph.stats().tokenRequests === 1, { what: 'the token asked for' });
    const token = await tokens.token();
    provider.prepare();
    expect(await tokens.token()).toBe(token);
    expect(graph.stats().tokenRequests).toBe(1);
  });

  it('renews the token in the background before it expires, and waits only for one about to expire', async () => {
    const { graph, tokens } = under;
    // The clock moves by hand (Date only: timers and sockets keep real time).
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    const first = await tokens.token();
    expect(graph.stats().tokenRequests).toBe(1);

    // 56 minutes on (the token, good for an hour, has 4 minutes left): used at once, renewed meanwhile.
    vi.setSystemTime(start + 56 * 60_000);
    expect(await tokens.token()).toBe(first);
    await waitFor(() => graph.stats().tokenRequests === 2, { what: 'the token renewed in the background' });
    const second = await waitFor(
      async () => {
        const token = await tokens.token();
        return token === first ? undefined : token;
      },
      { what: 'the renewed token in use' },
    );
    expect(graph.stats().tokenRequests).toBe(2);

    // Then 30 seconds before the renewed token expires: not used, the call waits for a new one.
    vi.setSystemTime(start + 56 * 60_000 + 3599_000 - 30_000);
    const third = await tokens.token();
    expect(graph.stats().tokenRequests).toBe(3);
    expect([first, second]).not.toContain(third);
  });

  it('after a failed background renewal keeps the token in hand and tries again 30 seconds later, not at every call', async () => {
    const { graph } = under;
    // The sign-in endpoint out of reach while `down`: its requests fail before they leave.
    let down = false;
    let attempts = 0;
    const fetchImpl: typeof fetch = (input, init) => {
      if (String(input instanceof Request ? input.url : input).includes('/token')) {
        attempts++;
        if (down) return Promise.reject(new TypeError('fetch failed'));
      }
      return under.fetchImpl(input, init);
    };
    const tokens = graphTokenSource(graph, fetchImpl);
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    const first = await tokens.token();
    expect(attempts).toBe(1);

    down = true;
    vi.setSystemTime(start + 56 * 60_000);
    // Every call goes on with the token in hand; one renewal is tried, and fails.
    for (let call = 0; call < 5; call++) expect(await tokens.token()).toBe(first);
    await waitFor(() => attempts === 2, { what: 'one renewal tried' });
    // Calls go on (each after a turn of the event loop, while the failure comes back): no other try.
    for (let call = 0; call < 20; call++) {
      expect(await tokens.token()).toBe(first);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(attempts).toBe(2);

    // 30 seconds on, and the endpoint back: the next call tries again, and the new token is used.
    down = false;
    vi.setSystemTime(start + 56 * 60_000 + 31_000);
    expect(await tokens.token()).toBe(first);
    await waitFor(async () => (await tokens.token()) !== first, { what: 'the renewed token in use' });
    expect(attempts).toBe(3);
  });
});
