// The contract every CalendarProvider must keep, as one suite each provider runs against its own
// sandbox (as Hono's router implementations share one test suite): create, update, delete and
// find by Salesforce id; a create retried after a lost response makes one item; throttling
// surfaces as a retryable error; a missing mailbox is said so; and field fidelity — times in the
// seven zones of the property tests, all-day dates, every recurrence frequency the domain
// accepts, attendees, private, show-as and reminders — checked against what the provider
// declares in its capabilities. A provider that cannot do a case declares the skip and why.
import { RRule } from 'rrule';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CalendarItem, ShowAs } from '../../src/domain/calendar-item.ts';
import { parseRrule } from '../../src/domain/rrule.ts';
import { instantsOf, localDateTime } from '../../src/domain/time-zones.ts';
import { RetryableError } from '../../src/lib/errors.ts';
import {
  ItemNotFoundError,
  MailboxNotFoundError,
  OccurrenceCannotMoveError,
  type CalendarProvider,
} from '../../src/providers/calendar-provider.ts';

/** An item as the calendar shows it, in the service's words (each harness reads its sandbox). */
export interface ShownItem {
  itemId: string;
  salesforceEventId: string | undefined;
  subject: string;
  body: string;
  /** Null when the calendar shows none (an empty location). */
  location: string | null;
  timing:
    { kind: 'timed'; start: number; end: number } | { kind: 'all-day'; startDate: string; endDate: string };
  showAs: ShowAs;
  private: boolean;
  reminderMinutes: number | null;
  attendees: { email: string; optional: boolean }[];
}

/** The cases of the suite, by name, for a harness to declare what it skips. */
export type ContractCase =
  | 'lost-response'
  | 'throttling'
  | 'mailbox-not-found'
  | 'times'
  | 'all-day'
  | 'recurrence'
  | 'attendees'
  | 'private'
  | 'show-as'
  | 'reminders'
  | 'instances';

export interface ProviderHarness {
  provider: CalendarProvider;
  mailbox: string;
  /** An address the provider has no mailbox for. */
  missingMailbox: string;
  /** What the mailbox holds, as its sandbox shows it (live items only). */
  items(): Promise<ShownItem[]>;
  /**
   * The occurrences the calendar shows for a series item, as local start times in `zone`
   * (YYYY-MM-DDTHH:mm; for an all-day series YYYY-MM-DD), in order.
   */
  occurrences(itemId: string, zone: string): Promise<string[]>;
  /** The next request fails after its change was made (the response is lost). */
  loseNextResponse(): void;
  /** The next request is throttled. */
  throttleNext(): void;
  /** Cases this provider does not run, each with the reason. */
  skips?: Partial<Record<ContractCase, string>>;
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

/** The zones of the property tests: half-hour, quarter-hour and southern offsets, DST both ways. */
const zones = [
  'America/New_York',
  'Europe/London',
  'Europe/Berlin',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
  'Pacific/Apia',
  'America/Sao_Paulo',
];

/** A rule per frequency, with intervals, positions, counts and ends, as Lightning writes them. */
const rules: Record<string, { rule: string; start: string; zone: string }[]> = {
  daily: [
    {
      rule: 'RRULE:FREQ=DAILY;INTERVAL=3;UNTIL=20270410',
      start: '2027-03-20T08:30',
      zone: 'America/New_York',
    },
  ],
  weekly: [
    {
      rule: 'RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,SU;WKST=SU;COUNT=8',
      start: '2027-01-03T09:00',
      zone: 'Europe/Berlin',
    },
    {
      rule: 'RRULE:FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20270415T070000Z',
      start: '2027-03-16T09:00',
      zone: 'Europe/Berlin',
    },
    {
      rule: 'RRULE:FREQ=WEEKLY;INTERVAL=3;BYDAY=MO,SU;COUNT=6',
      start: '2027-01-03T09:00',
      zone: 'Europe/Berlin',
    },
  ],
  monthly: [
    {
      rule: 'RRULE:FREQ=MONTHLY;BYDAY=TH;BYSETPOS=2;COUNT=6',
      start: '2027-01-14T15:00',
      zone: 'America/New_York',
    },
    {
      rule: 'RRULE:FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20271231T235959Z',
      start: '2027-01-29T10:00',
      zone: 'Asia/Kolkata',
    },
    {
      rule: 'RRULE:FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=12;COUNT=5',
      start: '2027-01-12T11:00',
      zone: 'Australia/Sydney',
    },
  ],
  yearly: [
    {
      rule: 'RRULE:FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=15;COUNT=3',
      start: '2027-03-15T09:00',
      zone: 'Europe/London',
    },
    {
      rule: 'RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH;COUNT=3',
      start: '2027-11-25T12:00',
      zone: 'America/Chicago',
    },
  ],
};

/** The rule as Salesforce expands it: wall-clock starts in its zone (YYYY-MM-DDTHH:mm). */
function salesforceOccurrences(rule: string, start: string, zone: string): string[] {
  // A UTC UNTIL names an instant, so it becomes that instant's wall-clock time there; a date
  // UNTIL admits that whole day.
  const until = /UNTIL=(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})Z)?/.exec(rule);
  return new RRule({
    ...RRule.parseString(rule.replace(/^RRULE:/, '')),
    dtstart: new Date(`${start}:00Z`),
    ...(until === null
      ? {}
      : {
          until: new Date(
            until[4] === undefined
              ? `${until[1]}-${until[2]}-${until[3]}T23:59:59Z`
              : `${localDateTime(Date.parse(`${until[1]}-${until[2]}-${until[3]}T${until[4]}:${until[5]}:${until[6]}Z`), zone)}Z`,
          ),
        }),
  })
    .all((_, i) => i < 400)
    .map((d) => d.toISOString().slice(0, 16));
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
    const caps = () => h.provider.capabilities;
    /** Runs a case unless the harness declares it skipped (the reason shows in the test's name). */
    const check = (kase: ContractCase, title: string, body: () => Promise<void>) =>
      it(title, async (context) => {
        const reason = h.skips?.[kase];
        if (reason !== undefined) context.skip(`${kase}: ${reason}`);
        await body();
      });
    /** Writes the item and answers what the calendar shows for it. */
    const written = async (item: CalendarItem): Promise<ShownItem> => {
      expect(h.provider.cannotWrite(item)).toBeUndefined();
      await h.provider.create(h.mailbox, item, { idempotencyKey: `${item.salesforceEventId}-1` });
      const shown = await itemsOf(item.salesforceEventId);
      expect(shown).toHaveLength(1);
      return shown[0]!;
    };

    it('creates an item stamped with the Salesforce id, and finds it by that id', async () => {
      const item = sampleItem();
      const ref = await h.provider.create(h.mailbox, item, { idempotencyKey: `${item.salesforceEventId}-1` });
      expect(await itemsOf(item.salesforceEventId)).toEqual([
        expect.objectContaining({
          itemId: ref.itemId,
          subject: item.subject,
          body: 'Agenda',
          location: 'Room 1',
        }),
      ]);
      expect(await h.provider.findBySalesforceId(h.mailbox, item.salesforceEventId)).toMatchObject({
        itemId: ref.itemId,
      });
      expect(await h.provider.findBySalesforceId(h.mailbox, '00U5g00000Nowhere')).toBeUndefined();
    });

    it('updates an item (a location removed is removed), and says so when the item is gone', async () => {
      const item = sampleItem();
      const ref = await h.provider.create(h.mailbox, item, { idempotencyKey: `${item.salesforceEventId}-1` });
      await h.provider.update(h.mailbox, ref, { ...item, subject: 'Moved to Friday', location: null });
      expect(await itemsOf(item.salesforceEventId)).toEqual([
        expect.objectContaining({ subject: 'Moved to Friday', location: null }),
      ]);
      // Its owner deletes it in the calendar: an update brings it back or says it is gone (the
      // engine then creates it again), never silently nothing.
      await h.provider.delete(h.mailbox, ref);
      expect(await h.provider.findBySalesforceId(h.mailbox, item.salesforceEventId)).toBeUndefined();
      const after = await h.provider
        .update(h.mailbox, ref, { ...item, subject: 'Still on' })
        .then(() => 'updated' as const)
        .catch((error: unknown) => error);
      if (after === 'updated')
        expect(await itemsOf(item.salesforceEventId)).toEqual([
          expect.objectContaining({ subject: 'Still on' }),
        ]);
      else expect(after).toBeInstanceOf(ItemNotFoundError);
    });

    it('deletes an item, and a second delete is no error', async () => {
      const item = sampleItem();
      const ref = await h.provider.create(h.mailbox, item, { idempotencyKey: `${item.salesforceEventId}-1` });
      await h.provider.delete(h.mailbox, ref);
      await h.provider.delete(h.mailbox, ref);
      expect(await itemsOf(item.salesforceEventId)).toEqual([]);
    });

    it('creates the item again after it was deleted (an Event undeleted in Salesforce)', async () => {
      const item = sampleItem();
      const first = await h.provider.create(h.mailbox, item, {
        idempotencyKey: `${item.salesforceEventId}-1`,
      });
      await h.provider.delete(h.mailbox, first);
      const again = await h.provider.create(
        h.mailbox,
        { ...item, subject: 'Back again' },
        {
          idempotencyKey: `${item.salesforceEventId}-2`,
        },
      );
      expect(await itemsOf(item.salesforceEventId)).toEqual([
        expect.objectContaining({ itemId: again.itemId, subject: 'Back again' }),
      ]);
    });

    check(
      'lost-response',
      'makes one item when a create is retried after its response was lost',
      async () => {
        const item = sampleItem();
        h.loseNextResponse();
        await expect(
          h.provider.create(h.mailbox, item, { idempotencyKey: `${item.salesforceEventId}-1` }),
        ).rejects.toBeInstanceOf(RetryableError);
        if (caps().idempotentCreate === null) {
          // No idempotency key: the engine marks a create pending before it calls, and finds the
          // item by its Salesforce id before it creates again (apply-plan.ts). The find must see it.
          const found = await h.provider.findBySalesforceId(h.mailbox, item.salesforceEventId);
          expect(found).toBeDefined();
          await h.provider.update(h.mailbox, found!, item);
        } else await h.provider.create(h.mailbox, item, { idempotencyKey: `${item.salesforceEventId}-1` });
        expect(await itemsOf(item.salesforceEventId)).toHaveLength(1);
      },
    );

    check('throttling', 'reports throttling as retryable, with a delay of at least a second', async () => {
      h.throttleNext();
      const error = await h.provider.findBySalesforceId(h.mailbox, 'x').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RetryableError);
      expect((error as RetryableError).retryAfterMs).toBeGreaterThanOrEqual(1000);
    });

    check(
      'mailbox-not-found',
      'says a mailbox does not exist, as a problem of the mailbox, not retried',
      async () => {
        await expect(
          h.provider.create(h.missingMailbox, sampleItem(), { idempotencyKey: 'missing-1' }),
        ).rejects.toBeInstanceOf(MailboxNotFoundError);
      },
    );

    it('checks its access, with and without a mailbox, and says when a mailbox cannot be read', async () => {
      await h.provider.checkAccess();
      const { serverTime } = await h.provider.checkAccess(h.mailbox);
      if (serverTime !== undefined) expect(Math.abs(serverTime - Date.now())).toBeLessThan(60_000);
      await expect(h.provider.checkAccess(h.missingMailbox)).rejects.toThrow();
    });

    check(
      'times',
      'keeps the instants of a timed item in each of the seven zones, across DST changes',
      async () => {
        for (const zone of zones)
          for (const local of ['2027-03-28T01:30:00', '2027-10-31T12:00:00', '2027-07-01T23:45:00']) {
            const start = instantsOf(local, zone)[0];
            if (start === undefined) continue; // a wall-clock time the zone skips
            const item = sampleItem({
              timing: { kind: 'timed', start, end: start + 5_400_000, timeZone: zone },
            });
            if (h.provider.cannotWrite(item) !== undefined) continue; // said so; the engine skips it
            expect((await written(item)).timing, `${local} in ${zone}`).toEqual({
              kind: 'timed',
              start,
              end: start + 5_400_000,
            });
          }
      },
    );

    check('all-day', 'keeps all-day dates, the end exclusive, never shifted', async () => {
      for (const zone of ['Pacific/Apia', 'America/New_York', 'Asia/Kolkata']) {
        const item = sampleItem({
          timing: { kind: 'all-day', startDate: '2027-03-27', endDate: '2027-03-30', timeZone: zone },
        });
        expect((await written(item)).timing).toEqual({
          kind: 'all-day',
          startDate: '2027-03-27',
          endDate: '2027-03-30',
        });
      }
    });

    check(
      'recurrence',
      'holds every recurrence frequency it declares with the occurrences Salesforce has',
      async () => {
        expect(caps().recurrence.length).toBeGreaterThan(0);
        for (const frequency of caps().recurrence)
          for (const { rule, start, zone } of rules[frequency] ?? []) {
            const startMs = instantsOf(`${start}:00`, zone)[0] ?? Number.NaN;
            const recurrence = parseRrule(rule, {
              startDate: start.slice(0, 10),
              timeZone: zone,
              startTime: `${start.slice(11)}:00`,
            });
            if ('problem' in recurrence) throw new Error(recurrence.problem);
            const item = sampleItem({
              subject: rule,
              timing: { kind: 'timed', start: startMs, end: startMs + 3_600_000, timeZone: zone },
              recurrence,
            });
            if (h.provider.cannotWrite(item) !== undefined) continue;
            const shown = await written(item);
            const expected = salesforceOccurrences(rule, start, zone);
            expect(expected.length).toBeGreaterThan(2);
            expect(await h.occurrences(shown.itemId, zone), rule).toEqual(expected);
          }
      },
    );

    check('recurrence', 'keeps an all-day weekly series on its dates across DST', async () => {
      const recurrence = parseRrule('RRULE:FREQ=WEEKLY;BYDAY=FR;COUNT=4', {
        startDate: '2027-03-19',
        timeZone: 'Europe/Berlin',
      });
      if ('problem' in recurrence) throw new Error(recurrence.problem);
      const shown = await written(
        sampleItem({
          timing: {
            kind: 'all-day',
            startDate: '2027-03-19',
            endDate: '2027-03-20',
            timeZone: 'Europe/Berlin',
          },
          recurrence,
        }),
      );
      expect(await h.occurrences(shown.itemId, 'Europe/Berlin')).toEqual([
        '2027-03-19',
        '2027-03-26',
        '2027-04-02',
        '2027-04-09',
      ]);
    });

    check(
      'attendees',
      'lists the attendees, optional ones as optional where the calendar tells them apart',
      async () => {
        const shown = await written(
          sampleItem({
            attendees: [
              { email: 'lead@customer.example', name: 'Lea Lead', type: 'required' },
              { email: 'cc@customer.example', name: null, type: 'optional' },
            ],
          }),
        );
        const optional = caps().attendeeTypes.includes('optional');
        expect(shown.attendees).toEqual([
          { email: 'lead@customer.example', optional: false },
          { email: 'cc@customer.example', optional },
        ]);
      },
    );

    check('private', 'marks a private Event private', async () => {
      expect((await written(sampleItem({ sensitivity: 'private' }))).private).toBe(caps().privateItems);
      expect((await written(sampleItem({ sensitivity: 'normal' }))).private).toBe(false);
    });

    check('show-as', 'shows each show-as value as it declares', async () => {
      for (const showAs of ['free', 'tentative', 'busy', 'oof', 'workingElsewhere'] as const)
        expect((await written(sampleItem({ showAs }))).showAs, showAs).toBe(caps().showAs[showAs]);
    });

    check('reminders', 'keeps the reminder (none, minutes, and the longest it takes)', async () => {
      expect((await written(sampleItem({ reminderMinutesBeforeStart: null }))).reminderMinutes).toBeNull();
      expect((await written(sampleItem({ reminderMinutesBeforeStart: 0 }))).reminderMinutes).toBe(0);
      expect((await written(sampleItem({ reminderMinutesBeforeStart: 90 }))).reminderMinutes).toBe(90);
      const long = Math.min(caps().maxReminderMinutes + 60, 60 * 24 * 60);
      expect((await written(sampleItem({ reminderMinutesBeforeStart: long }))).reminderMinutes).toBe(
        Math.min(long, caps().maxReminderMinutes),
      );
    });

    check('instances', 'names, changes and cancels single occurrences of a series', async () => {
      expect(caps().seriesInstances !== null).toBe(h.provider.instances !== undefined);
      const instances = h.provider.instances;
      if (instances === undefined) return;
      const zone = 'Europe/Berlin';
      const recurrence = parseRrule('RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=5', {
        startDate: '2027-03-22',
        timeZone: zone,
        startTime: '09:00:00',
      });
      if ('problem' in recurrence) throw new Error(recurrence.problem);
      const start = instantsOf('2027-03-22T09:00:00', zone)[0] ?? Number.NaN;
      const series = sampleItem({
        timing: { kind: 'timed', start, end: start + 1_800_000, timeZone: zone },
        recurrence,
      });
      const ref = await h.provider.create(h.mailbox, series, {
        idempotencyKey: `${series.salesforceEventId}-1`,
      });
      const window = { from: start - 86_400_000, to: start + 40 * 86_400_000, timeZone: zone };
      const listed = await instances.list(h.mailbox, ref, window);
      // Across the change to summer time, each occurrence keeps its Monday.
      expect(listed.map((i) => i.date).sort()).toEqual([
        '2027-03-22',
        '2027-03-29',
        '2027-04-05',
        '2027-04-12',
        '2027-04-19',
      ]);
      const second = listed.find((i) => i.date === '2027-03-29')!;
      const moved = instantsOf('2027-03-30T14:00:00', zone)[0] ?? Number.NaN;
      await instances.change(h.mailbox, second.id, {
        ...series,
        subject: 'Moved to Tuesday',
        recurrence: null,
        timing: { kind: 'timed', start: moved, end: moved + 1_800_000, timeZone: zone },
      });
      const cancelled = listed.find((i) => i.date === '2027-04-12')!;
      await instances.cancel(h.mailbox, cancelled.id);
      await instances.cancel(h.mailbox, cancelled.id);
      const after = await instances.list(h.mailbox, ref, window);
      // The moved occurrence keeps its original date as its name; the cancelled one is gone.
      expect(after.map((i) => i.date).sort()).toEqual([
        '2027-03-22',
        '2027-03-29',
        '2027-04-05',
        '2027-04-19',
      ]);
      expect(await h.occurrences(ref.itemId, zone)).toEqual([
        '2027-03-22T09:00',
        '2027-03-30T14:00',
        '2027-04-05T09:00',
        '2027-04-19T09:00',
      ]);
      // Past the next occurrence: done where the calendar allows it, refused as
      // OccurrenceCannotMoveError (the engine then shows it as an item of its own) where not.
      const tooFar = instantsOf('2027-04-06T09:00:00', zone)[0] ?? Number.NaN;
      const across = instances
        .change(h.mailbox, second.id, {
          ...series,
          recurrence: null,
          timing: { kind: 'timed', start: tooFar, end: tooFar + 1_800_000, timeZone: zone },
        })
        .then(() => 'moved' as const);
      if (caps().seriesInstances?.moveAcrossNeighbours === true) {
        expect(await across).toBe('moved');
        expect(await h.occurrences(ref.itemId, zone)).toEqual([
          '2027-03-22T09:00',
          '2027-04-05T09:00',
          '2027-04-06T09:00',
          '2027-04-19T09:00',
        ]);
      } else await expect(across).rejects.toBeInstanceOf(OccurrenceCannotMoveError);
    });
  });
}
