// A Lightning series, end to end through the product's own steps, against independent expanders
// on both sides: random series are created in the sandbox org, which makes one occurrence record
// per occurrence (expanded by the rrule package, as Salesforce's RFC 5545 rules are); the series
// record is mapped and written through the Graph provider to the Graph sandbox, which expands it
// as Outlook does; and the calendar's occurrences (its instances) must equal Salesforce's
// occurrence records one for one, over five years: the same local start times, and each record
// matched with exactly one calendar occurrence by the product's own matching (plan-series.ts).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrgData } from '../../sandbox/salesforce/org-data.ts';
import { SandboxClock } from '../../sandbox/salesforce/sandbox-clock.ts';
import { schemas, toWire, type SObjectRecord } from '../../sandbox/salesforce/sobject-schema.ts';
import { mapEvent } from '../../src/domain/map-event.ts';
import { planSeriesInstances } from '../../src/domain/plan-series.ts';
import { parseSalesforceEvent, type SalesforceEvent } from '../../src/domain/salesforce-event.ts';
import { instantsOf, localDateTime } from '../../src/domain/time-zones.ts';
import { seriesDesired } from '../../src/domain/series-desired.ts';
import { contentDigest } from '../../src/lib/content-digest.ts';
import { startGraphUnderTest } from '../support/graph-under-test.ts';
import type { CalendarProvider, SeriesInstances } from '../../src/providers/calendar-provider.ts';

const zones = [
  'America/New_York',
  'Europe/London',
  'Europe/Berlin',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
  'Pacific/Apia',
  'America/Sao_Paulo',
];
const days = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'] as const;
const mailbox = 'rep@acme.example';

interface Drawn {
  zone: string;
  /** Local start, YYYY-MM-DDTHH:mm:00. */
  start: string;
  rule: string;
}

/** A rule whose first occurrence is its start, as Salesforce's series editor makes them. */
const series: fc.Arbitrary<Drawn> = fc
  .record({
    zone: fc.constantFrom(...zones),
    dayOfYear: fc.integer({ min: 0, max: 364 }),
    quarterHour: fc.integer({ min: 6 * 4, max: 20 * 4 }),
    kind: fc.constantFrom('daily', 'weekly', 'monthly', 'monthly-position', 'yearly', 'yearly-position'),
    interval: fc.integer({ min: 1, max: 4 }),
    extraDays: fc.subarray([...days], { maxLength: 3 }),
    end: fc.oneof(
      fc.record({ kind: fc.constant('count' as const), count: fc.integer({ min: 1, max: 40 }) }),
      fc.record({ kind: fc.constant('until' as const), days: fc.integer({ min: 0, max: 900 }) }),
      fc.record({ kind: fc.constant('never' as const) }),
    ),
    weekStart: fc.option(fc.constantFrom(...days), { nil: undefined }),
  })
  .map((d) => {
    const date = new Date(Date.UTC(2027, 0, 1) + d.dayOfYear * 86_400_000);
    const iso = date.toISOString().slice(0, 10);
    const time = `${String(Math.floor(d.quarterHour / 4)).padStart(2, '0')}:${String((d.quarterHour % 4) * 15).padStart(2, '0')}`;
    const weekday = days[date.getUTCDay()] ?? 'MO';
    const nth = Math.ceil(date.getUTCDate() / 7);
    const last = new Date(date.getTime() + 7 * 86_400_000).getUTCMonth() !== date.getUTCMonth();
    const position = nth === 5 || (last && nth === 4) ? -1 : nth;
    const parts: string[] = [];
    switch (d.kind) {
      case 'daily':
        parts.push('FREQ=DAILY');
        break;
      case 'weekly':
        parts.push('FREQ=WEEKLY', `BYDAY=${[...new Set([weekday, ...d.extraDays])].join(',')}`);
        break;
      case 'monthly':
        parts.push('FREQ=MONTHLY', `BYMONTHDAY=${date.getUTCDate()}`);
        break;
      case 'monthly-position':
        parts.push('FREQ=MONTHLY', `BYDAY=${weekday}`, `BYSETPOS=${position}`);
        break;
      case 'yearly':
        parts.push('FREQ=YEARLY', `BYMONTH=${date.getUTCMonth() + 1}`, `BYMONTHDAY=${date.getUTCDate()}`);
        break;
      case 'yearly-position':
        parts.push(
          'FREQ=YEARLY',
          `BYMONTH=${date.getUTCMonth() + 1}`,
          `BYDAY=${weekday}`,
          `BYSETPOS=${position}`,
        );
        break;
    }
    parts.push(`INTERVAL=${d.interval}`);
    if (d.weekStart !== undefined) parts.push(`WKST=${d.weekStart}`);
    if (d.end.kind === 'count') parts.push(`COUNT=${d.end.count}`);
    if (d.end.kind === 'until') {
      // As Salesforce writes it: the last day's end in the series' zone, in UTC.
      const lastDay = new Date(date.getTime() + d.end.days * 86_400_000).toISOString().slice(0, 10);
      const until = instantsOf(`${lastDay}T23:59:00`, d.zone)[0] ?? Date.parse(`${lastDay}T23:59:00Z`);
      parts.push(`UNTIL=${new Date(until).toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`);
    }
    return { zone: d.zone, start: `${iso}T${time}:00`, rule: `RRULE:${parts.join(';')}` };
  });

/** A provider with its sandbox: what the test writes through, and how it reads the calendar's occurrences. */
interface CalendarUnderTest {
  provider: CalendarProvider & { instances: SeriesInstances };
  /** The series' occurrences as the calendar shows them: local wall-clock starts in `zone`, sorted. */
  starts(itemId: string, zone: string): Promise<string[]>;
  close(): Promise<void>;
}

/** Microsoft 365: the Graph provider against the Graph sandbox, occurrences read from `instances`. */
async function graphCalendar(): Promise<CalendarUnderTest> {
  const { graph, provider, tokens, fetchImpl } = await startGraphUnderTest(mailbox);
  return {
    provider,
    async starts(itemId, zone) {
      const starts: string[] = [];
      let url: string | undefined =
        `${graph.url}/v1.0/users/${encodeURIComponent(mailbox)}/events/${encodeURIComponent(itemId)}/instances` +
        '?startDateTime=2026-12-01T00:00:00Z&endDateTime=2045-01-01T00:00:00Z&$top=1000&$select=start';
      while (url !== undefined) {
        const response = await fetchImpl(url, {
          headers: { authorization: `Bearer ${await tokens.token()}` },
        });
        expect(response.status).toBe(200);
        const page = (await response.json()) as {
          '@odata.nextLink'?: string;
          value: { start: { dateTime: string } }[];
        };
        for (const o of page.value)
          starts.push(localDateTime(Date.parse(`${o.start.dateTime.slice(0, 19)}Z`), zone).slice(0, 16));
        url = page['@odata.nextLink'];
      }
      return starts.sort();
    },
    close: () => graph.close(),
  };
}

/** Every provider that keeps series: each new one adds its line here. */
const calendars = [{ name: 'Microsoft 365 (Graph)', start: graphCalendar }];

describe.each(calendars)(
  'Lightning series: Salesforce occurrence records = $name occurrences',
  ({ start: open }) => {
    let calendar: CalendarUnderTest;
    let provider: CalendarUnderTest['provider'];
    let org: OrgData;
    let ownerId: string;
    let counter = 0;

    beforeAll(async () => {
      calendar = await open();
      provider = calendar.provider;
    });
    /** A fresh org for each series, so that no case pays for the records of the ones before. */
    const newOrg = () => {
      org = new OrgData(new SandboxClock(Date.UTC(2026, 11, 1)));
      ownerId = String(org.addUser({ username: mailbox, email: mailbox, timeZoneSidKey: 'UTC' }).Id);
    };
    afterAll(() => calendar.close());

    const fields = schemas['Event']?.fields ?? {};
    /** A sandbox record as the REST API returns it. */
    const rest = (record: SObjectRecord): Record<string, unknown> =>
      Object.fromEntries(
        Object.entries(record).map(([name, value]) => {
          const type = fields[name];
          return [name, type === undefined ? value : toWire(type, value)];
        }),
      );
    const parsed = (record: SObjectRecord): SalesforceEvent => {
      const event = parseSalesforceEvent(rest(record));
      if ('problem' in event) throw new Error(event.problem);
      return event;
    };

    it('holds for random series in seven zones, every frequency, interval, week start and end', async () => {
      let compared = 0;
      await fc.assert(
        fc.asyncProperty(series, async ({ zone, start, rule }) => {
          const startMs = instantsOf(start, zone)[0];
          fc.pre(startMs !== undefined);
          newOrg();
          const first = org.createEvent(ownerId, {
            Subject: `Series ${++counter}`,
            StartDateTime: new Date(startMs).toISOString(),
            EndDateTime: new Date(startMs + 45 * 60_000).toISOString(),
            IsRecurrence2: true,
            Recurrence2PatternText: rule,
            Recurrence2PatternTimeZone: zone,
          });
          // The series record and its occurrence records share one ActivityRecurrence2Id.
          const key = first['ActivityRecurrence2Id'];
          const family = org
            .records('Event')
            .filter(
              (r) => r['ActivityRecurrence2Id'] === key && r['IsChild'] !== true && r['IsDeleted'] !== true,
            );
          const seriesRecord = family.find((r) => r['GroupEventType'] === '3');
          if (seriesRecord === undefined) throw new Error('no series record');
          const records = family.filter((r) => r !== seriesRecord);
          const context = {
            ownerTimeZone: zone,
            invitees: [],
            invitationPolicy: 'none' as const,
            internalDomains: [],
          };
          const mapped = mapEvent(parsed(seriesRecord), context);
          if (mapped.kind === 'skip') throw new Error(`${rule}: ${mapped.reason}`);
          // Day 29 to 31 visiting a shorter month: Outlook would show other dates, the product skips it.
          fc.pre(provider.cannotWrite(mapped.item) === undefined);
          const desired = seriesDesired({
            seriesItem: mapped.item,
            seriesHash: 'h',
            digest: contentDigest,
            occurrences: records.map((r) => ({ event: parsed(r) })),
            knownSlots: new Map(),
            context,
          });
          // The series as the product writes it (a pattern without an end ends with the last record).
          const ref = await provider.create(mailbox, desired.item, { idempotencyKey: `oracle-${counter}` });
          // Compared over five years from the start (the sandbox makes records that far for a
          // pattern without an end).
          const horizon = `${Number(start.slice(0, 4)) + 5}${start.slice(4, 16)}`;
          const within = (starts: string[]) => starts.filter((t) => t < horizon).sort();
          const salesforce = within(
            records.map((r) => localDateTime(Number(r['StartDateTime']), zone).slice(0, 16)),
          );
          expect(within(await calendar.starts(ref.itemId, zone)), `${rule} from ${start} in ${zone}`).toEqual(
            salesforce,
          );
          // The product's matching pairs every record with its own calendar occurrence.
          const listed = await provider.instances.list(mailbox, ref, desired.window);
          const plan = planSeriesInstances(listed, desired.occurrences, {});
          expect(plan.cancel).toEqual([]);
          expect(plan.change).toEqual([]);
          expect(plan.unplaced).toEqual([]);
          expect(plan.members).toHaveLength(records.length);
          compared++;
        }),
        { numRuns: 200, seed: 20261202 },
      );
      expect(compared).toBeGreaterThan(140);
    }, 600_000);
  },
);
