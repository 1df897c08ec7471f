// Graph JSON batching as the provider does it, against the Graph sandbox (which checks $batch as
// Graph does): calls made together travel in one HTTP request and each keeps its own answer; a
// lone call goes as itself; the calls of a batch lost on the wire, or too slow, go again alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CalendarItem } from '../../src/domain/calendar-item.ts';
import { RetryableError } from '../../src/lib/errors.ts';
import { ItemNotFoundError } from '../../src/providers/calendar-provider.ts';
import { GraphProvider } from '../../src/providers/graph/graph-provider.ts';
import { salesforceIdProperty } from '../../src/providers/graph/to-graph-event.ts';
import { startGraphUnderTest, type GraphUnderTest } from '../support/graph-under-test.ts';
import { waitFor } from '../support/wait-for.ts';

const first = 'rep@acme.example';
const second = 'lead@acme.example';

function item(n: number): CalendarItem {
  return {
    salesforceEventId: `00U5g00000000${String(n).padStart(2, '0')}EAA`,
    subject: `Review ${n}`,
    body: 'Notes',
    location: null,
    timing: {
      kind: 'timed',
      start: Date.UTC(2026, 11, 10, 8 + (n % 8)),
      end: Date.UTC(2026, 11, 10, 9 + (n % 8)),
      timeZone: 'Europe/Berlin',
    },
    showAs: 'busy',
    sensitivity: 'normal',
    reminderMinutesBeforeStart: null,
    attendees: [],
    recurrence: null,
  };
}

describe('Graph batching', () => {
  let under: GraphUnderTest;
  beforeAll(async () => {
    under = await startGraphUnderTest(first);
    under.graph.addMailbox(second);
    // Long enough that requests sent one by one would overlap less than a batch's do.
    under.graph.setLatency(20);
  });
  afterAll(() => under.graph.close());

  /** The provider with a patience of 300 ms for a batch's answer. */
  const patientProvider = () =>
    new GraphProvider({
      tokens: under.tokens,
      graphBaseUrl: under.graph.url,
      request: under.request,
      batchPatienceMs: 300,
    });

  /**
   * Creates Events n and n + 1 together, one in each mailbox (so they go as one $batch), and
   * expects that one request was all Graph got: the batch was waited for, no call sent again.
   */
  const expectWaitedForBatch = async (provider: GraphProvider, n: number, key: string) => {
    const before = under.graph.stats();
    const refs = await Promise.all([
      provider.create(first, item(n), { idempotencyKey: `${key}-${n}` }),
      provider.create(second, item(n + 1), { idempotencyKey: `${key}-${n + 1}` }),
    ]);
    expect(under.graph.stats().httpRequests - before.httpRequests).toBe(1);
    expect(refs.map((r) => r.itemId).every((id) => id !== '')).toBe(true);
  };

  const stamps = (mailbox: string) =>
    under.graph
      .events(mailbox)
      .map(
        (e) =>
          (e['singleValueExtendedProperties'] as { id: string; value: string }[]).find(
            (p) => p.id === salesforceIdProperty,
          )?.value,
      );

  it('hands a call to the HTTP client in the turn it was made, before the loop checks for more', async () => {
    // The HTTP client writes on a kept-alive connection only in the loop's check phase: a call
    // handed over later than that phase's first callbacks leaves a whole turn later.
    let handedBeforeCheck: boolean | undefined;
    let checked = false;
    const provider = new GraphProvider({
      tokens: under.tokens,
      graphBaseUrl: under.graph.url,
      request: (url, init) => {
        handedBeforeCheck ??= !checked;
        return under.request(url, init);
      },
    });
    await provider.create(first, item(9), { idempotencyKey: 'create-in-turn' });
    checked = false;
    handedBeforeCheck = undefined;
    setImmediate(() => (checked = true));
    await provider.create(first, item(10), { idempotencyKey: 'create-in-turn-2' });
    expect(handedBeforeCheck).toBe(true);
  });

  it('sends calls made together in one $batch, and hands each call its own item', async () => {
    const before = under.graph.stats();
    const items = [1, 2, 3, 4, 5, 6, 7, 8].map(item);
    const refs = await Promise.all(
      items.map((it, i) =>
        under.provider.create(i % 2 === 0 ? first : second, it, { idempotencyKey: `create-${i}` }),
      ),
    );
    const after = under.graph.stats();
    expect(after.requests - before.requests).toBe(8);
    expect(after.httpRequests - before.httpRequests).toBe(1);
    expect(new Set(refs.map((r) => r.itemId)).size).toBe(8);
    expect(stamps(first)).toEqual(
      expect.arrayContaining(items.filter((_, i) => i % 2 === 0).map((i) => i.salesforceEventId)),
    );
    expect(stamps(second)).toEqual(
      expect.arrayContaining(items.filter((_, i) => i % 2 === 1).map((i) => i.salesforceEventId)),
    );
    // Each ref names the item its own call made.
    for (const [i, ref] of refs.entries()) {
      const found = await under.provider.findBySalesforceId(
        i % 2 === 0 ? first : second,
        items[i]!.salesforceEventId,
      );
      expect(found?.itemId).toBe(ref.itemId);
    }
  });

  it('sends a lone call as itself, without a batch', async () => {
    const before = under.graph.stats();
    await under.provider.create(first, item(20), { idempotencyKey: 'lone' });
    const after = under.graph.stats();
    expect([after.requests - before.requests, after.httpRequests - before.httpRequests]).toEqual([1, 1]);
  });

  it('sends calls made together for one mailbox each as itself: none waits for the slowest of a batch', async () => {
    const before = under.graph.stats();
    const refs = await Promise.all(
      [11, 12, 13, 14].map((n) => under.provider.create(first, item(n), { idempotencyKey: `alone-${n}` })),
    );
    const after = under.graph.stats();
    expect([after.requests - before.requests, after.httpRequests - before.httpRequests]).toEqual([4, 4]);
    expect(new Set(refs.map((r) => r.itemId)).size).toBe(4);
  });

  it("gives each call of a batch its own answer: one refused, one throttled with Graph's Retry-After, one done", async () => {
    const kept = await under.provider.create(first, item(30), { idempotencyKey: 'kept' });
    under.graph.failNext('429', { afterCommit: false, mailbox: second });
    const before = under.graph.stats();
    const [missing, throttled, updated] = await Promise.allSettled([
      under.provider.update(first, { itemId: 'AAMkAGNoSuchItem', changeKey: null }, item(31)),
      under.provider.create(second, item(32), { idempotencyKey: 'throttled' }),
      under.provider.update(first, kept, { ...item(30), subject: 'Review 30, moved' }),
    ]);
    expect(under.graph.stats().httpRequests - before.httpRequests).toBe(1);
    expect(missing.status === 'rejected' && missing.reason).toBeInstanceOf(ItemNotFoundError);
    expect(throttled.status === 'rejected' && throttled.reason).toBeInstanceOf(RetryableError);
    expect(throttled.status === 'rejected' && (throttled.reason as RetryableError).retryAfterMs).toBe(1000);
    expect(updated.status).toBe('fulfilled');
    expect(under.graph.events(first).find((e) => e['id'] === kept.itemId)?.['subject']).toBe(
      'Review 30, moved',
    );
  });

  it('sends the calls of a batch that keeps them waiting again, each as itself: a hung call holds up only its own', async () => {
    const patient = patientProvider();
    // The call to the second mailbox hangs for a minute (longer than this test may take) inside the batch.
    under.graph.failNext('timeout', { afterCommit: false, mailbox: second, hangMs: 60_000 });
    const before = under.graph.stats();
    const refs = await Promise.all([
      patient.create(first, item(50), { idempotencyKey: 'patient-50' }),
      patient.create(first, item(51), { idempotencyKey: 'patient-51' }),
      patient.create(second, item(52), { idempotencyKey: 'patient-52' }),
    ]);
    // One batch, then each call alone; Graph had made the first mailbox's items in the batch: the
    // calls sent again return them (their transactionId), none is made twice.
    expect(under.graph.stats().httpRequests - before.httpRequests).toBe(4);
    expect(new Set(refs.map((r) => r.itemId)).size).toBe(3);
    for (const n of [50, 51])
      expect(stamps(first).filter((s) => s === item(n).salesforceEventId)).toHaveLength(1);
    expect(stamps(second).filter((s) => s === item(52).salesforceEventId)).toHaveLength(1);
  });

  it('takes an answer that came while the process was busy past the patience, instead of sending every call again', async () => {
    const patient = patientProvider();
    await under.tokens.token();
    const before = under.graph.stats();
    const calls = Promise.all([
      patient.create(first, item(60), { idempotencyKey: 'busy-60' }),
      patient.create(second, item(61), { idempotencyKey: 'busy-61' }),
    ]);
    await waitFor(() => under.graph.stats().httpRequests > before.httpRequests, { what: 'the batch sent' });
    // This process is busy for twice the patience (a burst on a full machine): Graph's answer
    // (20 ms) is in the socket by the time the patience's timer fires.
    const busyUntil = performance.now() + 600;
    while (performance.now() < busyUntil);
    const refs = await calls;
    expect(under.graph.stats().httpRequests - before.httpRequests).toBe(1);
    expect(refs.map((r) => r.itemId).every((id) => id !== '')).toBe(true);
  });

  it('waits for a batch that is late because Graph is slow for every batch, instead of sending each call again', async () => {
    const patient = new GraphProvider({
      tokens: under.tokens,
      graphBaseUrl: under.graph.url,
      request: under.request,
      batchPatienceMs: 500,
    });
    await under.tokens.token();
    under.graph.setLatency(700); // every call, in this batch or any other
    try {
      // No batch answered promptly since: not a hung call, so nothing is sent again.
      await expectWaitedForBatch(patient, 70, 'slow');
    } finally {
      under.graph.setLatency(20);
    }
  });

  it('waits past four times the patience for a batch when Graph has been answering more slowly than that', async () => {
    // As when four workers start on two cores: the first wave's answers take seconds, and the last
    // batches of it are no more hung than the first.
    const patient = patientProvider(); // patience 300 ms: given up at 1.2 s when nothing says otherwise
    await under.tokens.token();
    under.graph.setLatency(1600);
    try {
      // Graph's latest answer took 1.6 s (a lone call, which goes as itself and has no patience).
      await patient.create(first, item(81), { idempotencyKey: 'slow-wave-81' });
      // The batch was waited for (1.6 s, past 1.2 s but not four times Graph's 1.6 s): no call sent again.
      await expectWaitedForBatch(patient, 82, 'slow-wave');
    } finally {
      under.graph.setLatency(20);
    }
  });

  it('waits for a batch that is only as late as Graph has been answering, though a later call was answered promptly', async () => {
    // As when four workers start on two cores with 500 calls each: answers take more than the
    // patience for a while, and a lone call now and then comes back quickly.
    const patient = patientProvider(); // patience 300 ms
    await under.tokens.token();
    under.graph.setLatency(400);
    try {
      // Graph's answers of late: three of about 400 ms, then four quick ones (one mailbox's calls
      // made together go alone): most were quick, but nine in ten took up to 400 ms.
      await Promise.all(
        [71, 72, 73].map((n) => patient.create(first, item(n), { idempotencyKey: `late-${n}` })),
      );
      under.graph.setLatency(20);
      await Promise.all(
        [77, 78, 79, 80].map((n) => patient.create(first, item(n), { idempotencyKey: `late-${n}` })),
      );
      under.graph.setLatency(400);
      const before = under.graph.stats();
      const batch = Promise.all([
        patient.create(first, item(74), { idempotencyKey: 'late-74' }),
        patient.create(second, item(75), { idempotencyKey: 'late-75' }),
      ]);
      await waitFor(() => under.graph.stats().requests - before.requests === 2, {
        what: 'the batch handled',
      });
      under.graph.setLatency(20);
      // Sent after the batch and answered promptly: alone, the sign of a hung call in the batch.
      await patient.create(first, item(76), { idempotencyKey: 'late-76' });
      const refs = await batch;
      // The batch, past its patience but not four times Graph's 400 ms late, was waited for (it
      // would have been given up at its patience's first look, 300 ms, for the prompt call, with
      // the median of Graph's latest answers, 20 ms, as the measure).
      expect(under.graph.stats().httpRequests - before.httpRequests).toBe(2);
      expect(refs.map((r) => r.itemId).every((id) => id !== '')).toBe(true);
    } finally {
      under.graph.setLatency(20);
    }
  });

  it('sends each call of a batch whose connection dropped again alone: none fails for another, none is made twice', async () => {
    // Dropped after the second mailbox's create was stored: the batch gets no answer at all.
    under.graph.failNext('reset', { afterCommit: true, mailbox: second });
    const before = under.graph.stats();
    const refs = await Promise.all([
      under.provider.create(first, item(40), { idempotencyKey: 'dropped-40' }),
      under.provider.create(second, item(41), { idempotencyKey: 'dropped-41' }),
    ]);
    expect(under.graph.stats().httpRequests - before.httpRequests).toBe(3);
    expect(refs.map((r) => r.itemId).every((id) => id !== '')).toBe(true);
    // The create Graph stored before the drop is found again by its transactionId, not made twice.
    expect(stamps(first).filter((s) => s === item(40).salesforceEventId)).toHaveLength(1);
    expect(stamps(second).filter((s) => s === item(41).salesforceEventId)).toHaveLength(1);
  });
});
