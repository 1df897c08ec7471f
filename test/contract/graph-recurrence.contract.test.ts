// Recurring Events written by the Graph provider land in Outlook with the occurrences Salesforce
// has: each Lightning rule is read (parseRrule), written through the GraphProvider to the Graph
// sandbox, and the series the sandbox expands as Outlook does (instances) is compared, one
// occurrence for one, with an independent RFC 5545 expansion (the rrule package) of the rule.
import { RRule } from 'rrule';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphSandbox } from '../../sandbox/graph/index.ts';
import type { CalendarItem } from '../../src/domain/calendar-item.ts';
import { parseRrule } from '../../src/domain/rrule.ts';
import { instantsOf, localDateTime } from '../../src/domain/time-zones.ts';
import { OccurrenceCannotMoveError } from '../../src/providers/calendar-provider.ts';
import type { GraphProvider } from '../../src/providers/graph/graph-provider.ts';
import type { GraphTokenSource } from '../../src/providers/graph/graph-token-source.ts';
import { startGraphUnderTest } from '../support/graph-under-test.ts';

let counter = 0;

describe('recurring Events through the Graph provider, as Outlook expands them', () => {
  let graph: GraphSandbox;
  let provider: GraphProvider;
  let tokens: GraphTokenSource;
  let fetchImpl: typeof fetch;

  beforeAll(async () => {
    ({ graph, provider, tokens, fetchImpl } = await startGraphUnderTest());
  });
  afterAll(() => graph.close());

  /** Every occurrence (local wall-clock start, in `zone`) the sandbox lists for the series, a page at a time. */
  async function outlookOccurrences(itemId: string, zone: string): Promise<string[]> {
    const starts: string[] = [];
    let url: string | undefined =
      `${graph.url}/v1.0/users/rep%40acme.example/events/${encodeURIComponent(itemId)}/instances` +
      '?startDateTime=2026-01-01T00:00:00Z&endDateTime=2032-01-01T00:00:00Z&$top=100';
    while (url !== undefined) {
      const response = await fetchImpl(url, { headers: { authorization: `Bearer ${await tokens.token()}` } });
      expect(response.status).toBe(200);
      const page = (await response.json()) as {
        '@odata.nextLink'?: string;
        value: { start: { dateTime: string; timeZone: string } }[];
      };
      for (const occurrence of page.value) {
        expect(occurrence.start.timeZone).toBe('UTC');
        starts.push(
          localDateTime(Date.parse(`${occurrence.start.dateTime.slice(0, 19)}Z`), zone).slice(0, 16),
        );
      }
      url = page['@odata.nextLink'];
    }
    return starts;
  }

  it.each([
    ['RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,SU;WKST=SU;COUNT=8', '2027-01-03T09:00', 'Europe/Berlin'],
    ['RRULE:FREQ=WEEKLY;INTERVAL=3;BYDAY=MO,SU;COUNT=6', '2027-01-03T09:00', 'Europe/Berlin'],
    ['RRULE:FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20270415T070000Z', '2027-03-16T09:00', 'Europe/Berlin'],
    ['RRULE:FREQ=DAILY;INTERVAL=3;UNTIL=20270410', '2027-03-20T08:30', 'America/New_York'],
    ['RRULE:FREQ=MONTHLY;BYDAY=TH;BYSETPOS=2;COUNT=6', '2027-01-14T15:00', 'America/New_York'],
    ['RRULE:FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20271231T235959Z', '2027-01-29T10:00', 'Asia/Kolkata'],
    ['RRULE:FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=12;COUNT=5', '2027-01-12T11:00', 'Australia/Sydney'],
    ['RRULE:FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=15;COUNT=3', '2027-03-15T09:00', 'Europe/London'],
    ['RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH;COUNT=3', '2027-11-25T12:00', 'America/Chicago'],
  ])('%s from %s in %s: the occurrences Salesforce has', async (rule, start, zone) => {
    const startMs = instantsOf(`${start}:00`, zone)[0] ?? Number.NaN;
    const recurrence = parseRrule(rule, {
      startDate: start.slice(0, 10),
      timeZone: zone,
      startTime: `${start.slice(11)}:00`,
    });
    if ('problem' in recurrence) throw new Error(recurrence.problem);
    const item: CalendarItem = {
      salesforceEventId: `00U5g00000Recur${String(++counter).padStart(3, '0')}`,
      subject: rule,
      body: '',
      location: null,
      timing: { kind: 'timed', start: startMs, end: startMs + 3_600_000, timeZone: zone },
      showAs: 'busy',
      sensitivity: 'normal',
      reminderMinutesBeforeStart: 15,
      attendees: [],
      recurrence,
    };
    expect(provider.cannotWrite(item)).toBeUndefined();
    const { itemId } = await provider.create('rep@acme.example', item, {
      idempotencyKey: `${rule}-${start}`,
    });
    // The rule as Salesforce expands it: wall-clock times in its zone (rrule's "floating" dates).
    // A UTC UNTIL names an instant, so it becomes that instant's wall-clock time there; a date
    // UNTIL admits that whole day.
    const until = /UNTIL=(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})Z)?/.exec(rule);
    const salesforce = new RRule({
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
    expect(salesforce.length).toBeGreaterThan(2);
    expect(await outlookOccurrences(itemId, zone)).toEqual(salesforce);
  });

  it('an all-day weekly series keeps its dates across DST', async () => {
    const recurrence = parseRrule('RRULE:FREQ=WEEKLY;BYDAY=FR;COUNT=4', {
      startDate: '2027-03-19',
      timeZone: 'Europe/Berlin',
    });
    if ('problem' in recurrence) throw new Error(recurrence.problem);
    const { itemId } = await provider.create(
      'rep@acme.example',
      {
        salesforceEventId: '00U5g00000RecurAll',
        subject: 'Fridays off',
        body: '',
        location: null,
        timing: {
          kind: 'all-day',
          startDate: '2027-03-19',
          endDate: '2027-03-20',
          timeZone: 'Europe/Berlin',
        },
        showAs: 'oof',
        sensitivity: 'normal',
        reminderMinutesBeforeStart: null,
        attendees: [],
        recurrence,
      },
      { idempotencyKey: 'all-day-fridays' },
    );
    const response = await fetchImpl(
      `${graph.url}/v1.0/users/rep%40acme.example/events/${encodeURIComponent(itemId)}/instances` +
        '?startDateTime=2027-03-01T00:00:00Z&endDateTime=2027-05-01T00:00:00Z',
      { headers: { authorization: `Bearer ${await tokens.token()}` } },
    );
    const { value } = (await response.json()) as {
      value: { isAllDay: boolean; start: { dateTime: string }; end: { dateTime: string } }[];
    };
    expect(value.map((o) => [o.isAllDay, o.start.dateTime, o.end.dateTime])).toEqual(
      ['03-19', '03-26', '04-02', '04-09'].map((d) => [
        true,
        `2027-${d}T00:00:00.0000000`,
        `2027-${d.slice(0, 3)}${String(Number(d.slice(3)) + 1).padStart(2, '0')}T00:00:00.0000000`,
      ]),
    );
  });

  it('names each occurrence by its date in the series zone, changes one and cancels another through the provider', async () => {
    const zone = 'Europe/Berlin';
    const recurrence = parseRrule('RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=5', {
      startDate: '2027-03-22',
      timeZone: zone,
      startTime: '09:00:00',
    });
    if ('problem' in recurrence) throw new Error(recurrence.problem);
    const start = instantsOf('2027-03-22T09:00:00', zone)[0] ?? Number.NaN;
    const series: CalendarItem = {
      salesforceEventId: '00U5g00000RecurInst',
      subject: 'Weekly',
      body: '',
      location: null,
      timing: { kind: 'timed', start, end: start + 1_800_000, timeZone: zone },
      showAs: 'busy',
      sensitivity: 'normal',
      reminderMinutesBeforeStart: null,
      attendees: [],
      recurrence,
    };
    const ref = await provider.create('rep@acme.example', series, { idempotencyKey: 'instances' });
    const window = { from: start - 86_400_000, to: start + 40 * 86_400_000, timeZone: zone };
    const listed = await provider.instances.list('rep@acme.example', ref, window);
    // Across the change to summer time, each occurrence keeps its Monday.
    expect(listed.map((i) => i.date).sort()).toEqual([
      '2027-03-22',
      '2027-03-29',
      '2027-04-05',
      '2027-04-12',
      '2027-04-19',
    ]);
    const second = listed.find((i) => i.date === '2027-03-29')!;
    const movedStart = instantsOf('2027-03-30T14:00:00', zone)[0] ?? Number.NaN;
    await provider.instances.change('rep@acme.example', second.id, {
      ...series,
      subject: 'Moved to Tuesday',
      recurrence: null,
      timing: { kind: 'timed', start: movedStart, end: movedStart + 1_800_000, timeZone: zone },
    });
    await provider.instances.cancel('rep@acme.example', listed.find((i) => i.date === '2027-04-12')!.id);
    await provider.instances.cancel('rep@acme.example', listed.find((i) => i.date === '2027-04-12')!.id);
    const after = await provider.instances.list('rep@acme.example', ref, window);
    // The moved occurrence keeps its original date as its name; the cancelled one is gone.
    expect(after.map((i) => i.date).sort()).toEqual(['2027-03-22', '2027-03-29', '2027-04-05', '2027-04-19']);
    const tooFar = instantsOf('2027-04-06T09:00:00', zone)[0] ?? Number.NaN;
    await expect(
      provider.instances.change('rep@acme.example', second.id, {
        ...series,
        recurrence: null,
        timing: { kind: 'timed', start: tooFar, end: tooFar + 1_800_000, timeZone: zone },
      }),
    ).rejects.toBeInstanceOf(OccurrenceCannotMoveError);
  });
});
