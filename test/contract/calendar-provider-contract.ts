// The contract every CalendarProvider must keep, as one suite each provider runs against its own
// sandbox: create, update, delete and find by Salesforce id; a create retried after a lost
// response makes one item; throttling surfaces as a retryable error with the server's delay.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CalendarItem } from '../../src/domain/calendar-item.ts';
import { RetryableError } from '../../src/lib/errors.ts';
import { ItemNotFoundError, type CalendarProvider } from '../../src/providers/calendar-provider.ts';

export interface ProviderHarness {
  provider: CalendarProvider;
  mailbox: string;
  /** What the mailbox holds, as its sandbox sees it. */
  items(): Promise<{ itemId: string; salesforceEventId: string | undefined; subject: string }[]>;
  /** The next request fails after its change was made (the response is lost). */
  loseNextResponse(): void;
  /** The next request is throttled. */
  throttleNext(): void;
  close(): Promise<void>;
}

let counter = 0;
export function sampleItem(overrides: Partial<CalendarItem> = {}): CalendarItem {
  counter++;
  return {
    salesforceEventId: `00U5g00000Contr${String(counter).padStart(3, '0')}`,
    subject: `Contract meeting ${counter}`,
    body: 'Agenda',
    location: 'Room 1',
    timing: {
      kind: 'timed',
      start: Date.UTC(2026, 11, 1, 9),
      end: Date.UTC(2026, 11, 1, 10),
      timeZone: 'Europe/Berlin',
    },
    showAs: 'busy',
    sensitivity: 'normal',
    reminderMinutesBeforeStart: 15,
    attendees: [],
    recurrence: null,
    ...overrides,
  };
}

export function describeProviderContract(name: string, start: () => Promise<ProviderHarness>): void {
  describe(`CalendarProvider contract: ${name}`, () => {
    let h: ProviderHarness;
    beforeAll(async () => {
      h = await start();
    });
    afterAll(() => h.close());
    const itemsOf = async (salesforceEventId: string) =>
      (await h.items()).filter((i) => i.salesforceEventId === salesforceEventId);

    it('creates an item stamped with the Salesforce id, and finds it by that id', async () => {
      const item = sampleItem();
      const ref = await h.provider.create(h.mailbox, item, { idempotencyKey: `${item.salesforceEventId}-1` });
      expect(await itemsOf(item.salesforceEventId)).toEqual([
        { itemId: ref.itemId, salesforceEventId: item.salesforceEventId, subject: item.subject },
      ]);
      expect(await h.provider.findBySalesforceId(h.mailbox, item.salesforceEventId)).toMatchObject({
        itemId: ref.itemId,
      });
      expect(await h.provider.findBySalesforceId(h.mailbox, '00U5g00000Nowhere')).toBeUndefined();
    });

    it('updates an item, and says so when the item is gone', async () => {
      const item = sampleItem();
      const ref = await h.provider.create(h.mailbox, item, { idempotencyKey: `${item.salesforceEventId}-1` });
      await h.provider.update(h.mailbox, ref, { ...item, subject: 'Moved to Friday' });
      expect((await itemsOf(item.salesforceEventId)).map((i) => i.subject)).toEqual(['Moved to Friday']);
      await h.provider.delete(h.mailbox, ref);
      await expect(h.provider.update(h.mailbox, ref, item)).rejects.toBeInstanceOf(ItemNotFoundError);
    });

    it('deletes an item, and a second delete is no error', async () => {
      const item = sampleItem();
      const ref = await h.provider.create(h.mailbox, item, { idempotencyKey: `${item.salesforceEventId}-1` });
      await h.provider.delete(h.mailbox, ref);
      await h.provider.delete(h.mailbox, ref);
      expect(await itemsOf(item.salesforceEventId)).toEqual([]);
    });

    it('makes one item when a create is retried after its response was lost', async () => {
      const item = sampleItem();
      h.loseNextResponse();
      await expect(
        h.provider.create(h.mailbox, item, { idempotencyKey: `${item.salesforceEventId}-1` }),
      ).rejects.toBeInstanceOf(RetryableError);
      await h.provider.create(h.mailbox, item, { idempotencyKey: `${item.salesforceEventId}-1` });
      expect(await itemsOf(item.salesforceEventId)).toHaveLength(1);
    });

    it('reports throttling as retryable, with the delay the server asked for', async () => {
      h.throttleNext();
      const error = await h.provider.findBySalesforceId(h.mailbox, 'x').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RetryableError);
      expect((error as RetryableError).retryAfterMs).toBeGreaterThanOrEqual(1000);
    });
  });
}
