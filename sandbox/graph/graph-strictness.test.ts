// The Graph sandbox refuses what Graph refuses and answers as Graph answers, as Microsoft's own
// Graph client (and the wire) see it: recurrence patterns and ranges checked per type, series
// expanded by instances and calendarView as Outlook expands them, times in UTC or the preferred
// zone, pages of 10 with @odata.nextLink, If-Match against the change key, $batch with its own
// rules and the mailbox's throttling, and the properties a real event read carries.
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import {
  BatchRequestContent,
  BatchResponseContent,
  Client,
  PageIterator,
  ResponseType,
  type PageCollection,
} from '@microsoft/microsoft-graph-client';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGraphSandbox, type GraphSandbox } from './index.ts';

interface Event {
  '@odata.etag': string;
  id: string;
  changeKey: string;
  type: string;
  seriesMasterId: string | null;
  originalStart?: string;
  iCalUId: string;
  start: { dateTime: string; timeZone: string };
  end: { dateTime: string; timeZone: string };
  [property: string]: unknown;
}
interface Page {
  '@odata.context': string;
  '@odata.nextLink'?: string;
  value: Event[];
}

describe("Graph sandbox, as strict as Graph, through Microsoft's own Graph client", () => {
  let graph: GraphSandbox;
  let token: string;
  let dispatcher: Agent;
  const original = globalThis.fetch;

  beforeAll(async () => {
    graph = await startGraphSandbox({ startTime: Date.UTC(2027, 0, 4, 8) });
    graph.addApp({ tenantId: 'contoso', clientId: 'app', clientSecret: 'secret' });
    for (const name of ['rep', 'series', 'pager', 'batch', 'busy']) graph.addMailbox(`${name}@acme.example`);
    dispatcher = new Agent({ connect: { ca: [...rootCertificates, readFileSync(graph.caFile, 'utf8')] } });
    const response = await undiciFetch(`${graph.url}/contoso/oauth2/v2.0/token`, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'app',
        client_secret: 'secret',
        scope: `${graph.url}/.default`,
      }).toString(),
    });
    token = ((await response.json()) as { access_token: string }).access_token;
    // The SDK calls the global fetch; undici's takes the dispatcher with the sandbox's CA.
    globalThis.fetch = undiciFetch as unknown as typeof fetch;
  });
  afterAll(async () => {
    globalThis.fetch = original;
    await graph.close();
    await dispatcher.close();
  });

  /** A Graph SDK client against the sandbox (the token goes only to hosts named in customHosts). */
  const sdk = () =>
    Client.initWithMiddleware({
      baseUrl: `${graph.url}/`,
      defaultVersion: 'v1.0',
      customHosts: new Set([new URL(graph.url).hostname]),
      authProvider: { getAccessToken: () => Promise.resolve(token) },
      fetchOptions: { dispatcher } as unknown as RequestInit,
    });
  /** The status, code and message a call was refused with. */
  const refusal = (call: Promise<unknown>) =>
    call.then(
      () => undefined,
      (error: unknown) => {
        const e = error as { statusCode: number; code: string; message: string };
        return { statusCode: e.statusCode, code: e.code, message: e.message };
      },
    );
  /** A plain request on the wire, for what the SDK would retry or shape itself. */
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    undiciFetch(`${graph.url}/v1.0${path}`, {
      method,
      dispatcher,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const meeting = (overrides: Record<string, unknown> = {}) => ({
    subject: 'Pipeline review',
    start: { dateTime: '2027-01-12T09:00:00', timeZone: 'W. Europe Standard Time' },
    end: { dateTime: '2027-01-12T10:00:00', timeZone: 'W. Europe Standard Time' },
    ...overrides,
  });
  const series = (
    start: string,
    pattern: Record<string, unknown>,
    range: Record<string, unknown>,
    zone = 'W. Europe Standard Time',
  ) =>
    meeting({
      subject: `Series from ${start}`,
      start: { dateTime: `${start}T09:00:00`, timeZone: zone },
      end: { dateTime: `${start}T10:00:00`, timeZone: zone },
      recurrence: { pattern, range: { startDate: start, ...range } },
    });
  const create = async (mailbox: string, body: unknown) =>
    (await sdk().api(`/users/${mailbox}/events`).post(body)) as Event;
  /** The occurrences of a series in a window, every page of them. */
  const instances = async (id: string, from: string, to: string, prefer?: string) => {
    let request = sdk().api(
      `/users/series@acme.example/events/${id}/instances?startDateTime=${from}&endDateTime=${to}`,
    );
    if (prefer !== undefined) request = request.header('Prefer', prefer);
    const found: Event[] = [];
    const iterator = new PageIterator(
      sdk(),
      (await request.get()) as PageCollection,
      // The iterator goes on while the callback returns true.
      (event) => found.push(event as Event) > 0,
      prefer === undefined ? undefined : { headers: { Prefer: prefer } },
    );
    await iterator.iterate();
    return found;
  };

  describe('recurrence patterns and ranges, checked per type', () => {
    const weekly = { type: 'weekly', interval: 1, daysOfWeek: ['tuesday'] };
    const noEnd = { type: 'noEnd', startDate: '2027-01-12' };
    it.each([
      ['an unknown pattern type', { ...weekly, type: 'hourly' }, noEnd, 'ErrorInvalidRequest'],
      ['weekly without daysOfWeek', { type: 'weekly', interval: 1 }, noEnd, 'ErrorPropertyValidationFailure'],
      [
        'relativeMonthly without daysOfWeek',
        { type: 'relativeMonthly', interval: 1, index: 'second' },
        noEnd,
        'ErrorPropertyValidationFailure',
      ],
      [
        'relativeYearly without month',
        { type: 'relativeYearly', interval: 1, daysOfWeek: ['tuesday'], index: 'second' },
        noEnd,
        'ErrorPropertyValidationFailure',
      ],
      [
        'absoluteMonthly without dayOfMonth',
        { type: 'absoluteMonthly', interval: 1 },
        noEnd,
        'ErrorPropertyValidationFailure',
      ],
      [
        'absoluteYearly without month',
        { type: 'absoluteYearly', interval: 1, dayOfMonth: 12 },
        noEnd,
        'ErrorPropertyValidationFailure',
      ],
      [
        'absoluteMonthly on day 32',
        { type: 'absoluteMonthly', interval: 1, dayOfMonth: 32 },
        noEnd,
        'ErrorPropertyValidationFailure',
      ],
      ['an interval of 0', { ...weekly, interval: 0 }, noEnd, 'ErrorPropertyValidationFailure'],
      ['no interval', { type: 'daily' }, noEnd, 'ErrorPropertyValidationFailure'],
      ['an index Graph does not know', { ...weekly, index: 'fifth' }, noEnd, 'ErrorInvalidRequest'],
      [
        'a day that is no day, where the type ignores days',
        { type: 'daily', interval: 1, daysOfWeek: ['funday'] },
        noEnd,
        'ErrorInvalidRequest',
      ],
      ['a property a pattern does not have', { ...weekly, weekOfMonth: 2 }, noEnd, 'RequestBodyRead'],
      ['an unknown range type', weekly, { ...noEnd, type: 'forever' }, 'ErrorInvalidRequest'],
      ['no startDate', weekly, { type: 'noEnd' }, 'ErrorPropertyValidationFailure'],
      [
        'an endDate range without endDate',
        weekly,
        { ...noEnd, type: 'endDate' },
        'ErrorPropertyValidationFailure',
      ],
      [
        'an endDate before startDate',
        weekly,
        { ...noEnd, type: 'endDate', endDate: '2027-01-01' },
        'ErrorPropertyValidationFailure',
      ],
      [
        'a numbered range of 0',
        weekly,
        { ...noEnd, type: 'numbered', numberOfOccurrences: 0 },
        'ErrorPropertyValidationFailure',
      ],
      [
        'a startDate that is no date',
        weekly,
        { type: 'noEnd', startDate: '2027-02-30' },
        'ErrorInvalidRequest',
      ],
    ])('refuses %s', async (_what, pattern, range, code) => {
      expect(
        await refusal(create('rep@acme.example', meeting({ recurrence: { pattern, range } }))),
      ).toMatchObject({ statusCode: 400, code });
    });

    it("takes the create example's series as Graph does, and returns it with every property filled in", async () => {
      // user-post-events, "Create a recurring event": days in any case, no firstDayOfWeek, no recurrenceTimeZone.
      const created = await create('rep@acme.example', {
        subject: "Let's go for lunch",
        start: { dateTime: '2027-09-06T12:00:00', timeZone: 'Pacific Standard Time' },
        end: { dateTime: '2027-09-06T14:00:00', timeZone: 'Pacific Standard Time' },
        recurrence: {
          pattern: { type: 'weekly', interval: 1, daysOfWeek: ['Monday'] },
          range: { type: 'endDate', startDate: '2027-09-06', endDate: '2027-12-31' },
        },
        attendees: [
          { emailAddress: { address: 'AdeleV@contoso.example', name: 'Adele Vance' }, type: 'Required' },
        ],
      });
      expect(created).toMatchObject({
        type: 'seriesMaster',
        recurrence: {
          pattern: {
            type: 'weekly',
            interval: 1,
            month: 0,
            dayOfMonth: 0,
            daysOfWeek: ['monday'],
            firstDayOfWeek: 'sunday',
            index: 'first',
          },
          range: {
            type: 'endDate',
            startDate: '2027-09-06',
            endDate: '2027-12-31',
            recurrenceTimeZone: 'Pacific Standard Time',
            numberOfOccurrences: 0,
          },
        },
        attendees: [{ type: 'required', status: { response: 'none' } }],
      });
    });
  });

  describe('series expanded as Outlook expands them', () => {
    it('needs both startDateTime and endDateTime, for instances and calendarView', async () => {
      const { id } = await create(
        'series@acme.example',
        series('2027-01-12', { type: 'daily', interval: 1 }, { type: 'noEnd' }),
      );
      for (const path of [
        `/users/series@acme.example/events/${id}/instances?startDateTime=2027-01-01T00:00:00`,
        '/users/series@acme.example/calendarView?endDateTime=2027-02-01T00:00:00',
        '/users/series@acme.example/calendarView',
      ])
        expect(await refusal(sdk().api(path).get())).toMatchObject({
          statusCode: 400,
          code: 'ErrorInvalidParameter',
          message:
            'This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.',
        });
      expect(
        await refusal(
          sdk()
            .api('/users/series@acme.example/calendarView?startDateTime=yesterday&endDateTime=2027-02-01')
            .get(),
        ),
      ).toMatchObject({ statusCode: 400, code: 'ErrorInvalidParameter' });
    });

    it('counts the weeks of an interval from firstDayOfWeek', async () => {
      // Every other week on Monday and Sunday, from Sunday 3 January 2027.
      const pattern = { type: 'weekly', interval: 2, daysOfWeek: ['monday', 'sunday'] };
      const dates = async (firstDayOfWeek: string) => {
        const { id } = await create(
          'series@acme.example',
          series('2027-01-03', { ...pattern, firstDayOfWeek }, { type: 'numbered', numberOfOccurrences: 4 }),
        );
        return (await instances(id, '2027-01-01T00:00:00Z', '2027-03-01T00:00:00Z')).map((e) =>
          e.start.dateTime.slice(0, 10),
        );
      };
      // Weeks from Sunday: 3-9 January, then 17-23; from Monday: 28 December-3 January, then 11-17.
      expect(await dates('sunday')).toEqual(['2027-01-03', '2027-01-04', '2027-01-17', '2027-01-18']);
      expect(await dates('monday')).toEqual(['2027-01-03', '2027-01-11', '2027-01-17', '2027-01-25']);
    });

    it('puts day 29-31 on the last day of a shorter month, and counts it', async () => {
      const monthly = await create(
        'series@acme.example',
        series(
          '2027-01-31',
          { type: 'absoluteMonthly', interval: 1, dayOfMonth: 31 },
          { type: 'numbered', numberOfOccurrences: 4 },
        ),
      );
      expect(
        (await instances(monthly.id, '2027-01-01T00:00:00Z', '2028-01-01T00:00:00Z')).map((e) =>
          e.start.dateTime.slice(0, 10),
        ),
      ).toEqual(['2027-01-31', '2027-02-28', '2027-03-31', '2027-04-30']);
      const yearly = await create(
        'series@acme.example',
        series(
          '2028-02-29',
          { type: 'absoluteYearly', interval: 1, dayOfMonth: 29, month: 2 },
          { type: 'numbered', numberOfOccurrences: 3 },
        ),
      );
      expect(
        (await instances(yearly.id, '2028-01-01T00:00:00Z', '2032-01-01T00:00:00Z')).map((e) =>
          e.start.dateTime.slice(0, 10),
        ),
      ).toEqual(['2028-02-29', '2029-02-28', '2030-02-28']);
    });

    it('reads several daysOfWeek in a relative pattern as "the index-th of any of these days"', async () => {
      const second = await create(
        'series@acme.example',
        series(
          '2027-01-01',
          { type: 'relativeMonthly', interval: 1, daysOfWeek: ['thursday', 'friday'], index: 'second' },
          { type: 'numbered', numberOfOccurrences: 3 },
        ),
      );
      // January 2027 starts on a Friday: Fri 1, Thu 7; February on a Monday: Thu 4, Fri 5; March: Thu 4, Fri 5.
      expect(
        (await instances(second.id, '2027-01-01T00:00:00Z', '2027-06-01T00:00:00Z')).map((e) =>
          e.start.dateTime.slice(0, 10),
        ),
      ).toEqual(['2027-01-07', '2027-02-05', '2027-03-05']);
      const lastWeekendDay = await create(
        'series@acme.example',
        series(
          '2027-01-01',
          {
            type: 'relativeYearly',
            interval: 1,
            daysOfWeek: ['saturday', 'sunday'],
            index: 'last',
            month: 10,
          },
          { type: 'numbered', numberOfOccurrences: 2 },
        ),
      );
      // 31 October 2027 is a Sunday, 2028's a Tuesday (its last weekend day: Sunday the 29th).
      expect(
        (await instances(lastWeekendDay.id, '2027-01-01T00:00:00Z', '2029-01-01T00:00:00Z')).map((e) =>
          e.start.dateTime.slice(0, 10),
        ),
      ).toEqual(['2027-10-31', '2028-10-29']);
    });

    it("keeps the recurrence zone's wall-clock time across DST, and ends on endDate inclusive", async () => {
      const master = await create(
        'series@acme.example',
        series(
          '2027-03-22',
          { type: 'weekly', interval: 1, daysOfWeek: ['monday'], firstDayOfWeek: 'monday' },
          { type: 'endDate', endDate: '2027-04-05' },
        ),
      );
      const utc = await instances(master.id, '2027-03-01T00:00:00Z', '2027-05-01T00:00:00Z');
      // Berlin moves to summer time on 28 March 2027: 09:00 there is 08:00, then 07:00 UTC.
      expect(utc.map((e) => [e.start.dateTime, e.start.timeZone])).toEqual([
        ['2027-03-22T08:00:00.0000000', 'UTC'],
        ['2027-03-29T07:00:00.0000000', 'UTC'],
        ['2027-04-05T07:00:00.0000000', 'UTC'],
      ]);
      expect(utc.map((e) => e.originalStart)).toEqual([
        '2027-03-22T08:00:00Z',
        '2027-03-29T07:00:00Z',
        '2027-04-05T07:00:00Z',
      ]);
      const berlin = await instances(
        master.id,
        '2027-03-01T00:00:00Z',
        '2027-05-01T00:00:00Z',
        'outlook.timezone="W. Europe Standard Time"',
      );
      expect(berlin.map((e) => e.start.dateTime.slice(11, 16))).toEqual(['09:00', '09:00', '09:00']);
      expect(utc[0]).toMatchObject({
        type: 'occurrence',
        seriesMasterId: master.id,
        recurrence: null,
        '@odata.etag': master['@odata.etag'],
      });
      expect(new Set(utc.map((e) => e.iCalUId)).size).toBe(3);
      // An occurrence is read again by its id.
      expect(await sdk().api(`/users/series@acme.example/events/${utc[1]?.id}`).get()).toMatchObject({
        id: utc[1]?.id,
        type: 'occurrence',
        originalStart: '2027-03-29T07:00:00Z',
      });
    });

    it('lists single events and occurrences in calendarView, by start, a page at a time', async () => {
      graph.addMailbox('view@acme.example');
      await create('view@acme.example', meeting({ subject: 'One-off' }));
      await create(
        'view@acme.example',
        meeting({
          subject: 'Daily standup',
          start: { dateTime: '2027-01-08T08:30:00', timeZone: 'W. Europe Standard Time' },
          end: { dateTime: '2027-01-08T08:45:00', timeZone: 'W. Europe Standard Time' },
          recurrence: {
            pattern: { type: 'daily', interval: 1 },
            range: { type: 'noEnd', startDate: '2027-01-08' },
          },
        }),
      );
      const first = (await sdk()
        .api(
          '/users/view@acme.example/calendarView?startDateTime=2027-01-10T00:00:00Z&endDateTime=2027-01-24T00:00:00Z',
        )
        .get()) as Page;
      expect(first['@odata.context']).toMatch(
        /\/v1\.0\/\$metadata#users\('view%40acme\.example'\)\/calendarView$/,
      );
      expect(first.value).toHaveLength(10);
      expect(first['@odata.nextLink']).toContain('$skip=10');
      const all: Event[] = [];
      await new PageIterator(sdk(), first, (e) => all.push(e as Event) > 0).iterate();
      expect(all).toHaveLength(15);
      expect(all.map((e) => e.subject)).toContain('One-off');
      expect(all.find((e) => e.subject === 'One-off')?.type).toBe('singleInstance');
      const starts = all.map((e) => e.start.dateTime);
      expect(starts).toEqual([...starts].sort());
    });
  });

  describe('times: UTC unless a zone is preferred', () => {
    it('returns start and end in UTC, or in the Prefer: outlook.timezone zone with Preference-Applied', async () => {
      const created = await create('rep@acme.example', meeting({ subject: 'In Berlin' }));
      // A write's response keeps the zone written (the create example on user-post-events).
      expect(created.start).toEqual({
        dateTime: '2027-01-12T09:00:00.0000000',
        timeZone: 'W. Europe Standard Time',
      });
      const read = (await sdk().api(`/users/rep@acme.example/events/${created.id}`).get()) as Event;
      expect(read).toMatchObject({
        start: { dateTime: '2027-01-12T08:00:00.0000000', timeZone: 'UTC' },
        end: { dateTime: '2027-01-12T09:00:00.0000000', timeZone: 'UTC' },
        originalStartTimeZone: 'W. Europe Standard Time',
        originalEndTimeZone: 'W. Europe Standard Time',
      });
      const raw = (await sdk()
        .api(`/users/rep@acme.example/events/${created.id}`)
        .header('Prefer', 'outlook.timezone="Eastern Standard Time"')
        .responseType(ResponseType.RAW)
        .get()) as Response;
      expect(raw.headers.get('preference-applied')).toBe('outlook.timezone="Eastern Standard Time"');
      expect(((await raw.json()) as Event).start).toEqual({
        dateTime: '2027-01-12T03:00:00.0000000',
        timeZone: 'Eastern Standard Time',
      });
    });

    it('keeps an all-day event at midnight in whatever zone is asked for', async () => {
      const created = await create(
        'rep@acme.example',
        meeting({
          subject: 'Offsite',
          isAllDay: true,
          start: { dateTime: '2027-01-14T00:00:00', timeZone: 'Tokyo Standard Time' },
          end: { dateTime: '2027-01-15T00:00:00', timeZone: 'Tokyo Standard Time' },
        }),
      );
      const read = (await sdk().api(`/users/rep@acme.example/events/${created.id}`).get()) as Event;
      expect([read.start, read.end]).toEqual([
        { dateTime: '2027-01-14T00:00:00.0000000', timeZone: 'UTC' },
        { dateTime: '2027-01-15T00:00:00.0000000', timeZone: 'UTC' },
      ]);
    });
  });

  describe('paging', () => {
    it('pages events 10 at a time with @odata.nextLink, $top up to 1,000', async () => {
      for (let i = 0; i < 23; i++) await create('pager@acme.example', meeting({ subject: `Meeting ${i}` }));
      const first = (await sdk().api('/users/pager@acme.example/events').get()) as Page;
      expect(first.value).toHaveLength(10);
      expect(first['@odata.nextLink']).toBe(`${graph.url}/v1.0/users/pager@acme.example/events?$skip=10`);
      const subjects: string[] = [];
      await new PageIterator(
        sdk(),
        first,
        (e) => subjects.push(String((e as Event)['subject'])) > 0,
      ).iterate();
      expect(subjects).toEqual(Array.from({ length: 23 }, (_, i) => `Meeting ${i}`));
      const five = (await sdk().api('/users/pager@acme.example/events').top(5).get()) as Page;
      expect(five.value).toHaveLength(5);
      expect(five['@odata.nextLink']).toMatch(/\$top=5&\$skip=5$/);
      const all = (await sdk().api('/users/pager@acme.example/events').top(1000).get()) as Page;
      expect(all.value).toHaveLength(23);
      expect(all['@odata.nextLink']).toBeUndefined();
      expect(await refusal(sdk().api('/users/pager@acme.example/events?$top=ten').get())).toMatchObject({
        statusCode: 400,
        code: 'RequestBroker--ParseUri',
      });
    });
  });

  describe('If-Match', () => {
    it('refuses a PATCH or DELETE whose @odata.etag is stale with 412 ErrorIrresolvableConflict', async () => {
      const created = await create('rep@acme.example', meeting({ subject: 'Draft' }));
      const updated = (await sdk()
        .api(`/users/rep@acme.example/events/${created.id}`)
        .header('If-Match', created['@odata.etag'])
        .patch({ subject: 'Final' })) as Event;
      expect(updated.changeKey).not.toBe(created.changeKey);
      expect(updated['@odata.etag']).toBe(`W/"${updated.changeKey}"`);
      for (const request of [
        sdk()
          .api(`/users/rep@acme.example/events/${created.id}`)
          .header('If-Match', created['@odata.etag'])
          .patch({ subject: 'Lost' }),
        sdk()
          .api(`/users/rep@acme.example/events/${created.id}`)
          .header('If-Match', created['@odata.etag'])
          .delete(),
      ])
        expect(await refusal(request)).toMatchObject({ statusCode: 412, code: 'ErrorIrresolvableConflict' });
      await sdk()
        .api(`/users/rep@acme.example/events/${created.id}`)
        .header('If-Match', updated['@odata.etag'])
        .delete();
      expect(await refusal(sdk().api(`/users/rep@acme.example/events/${created.id}`).get())).toMatchObject({
        statusCode: 404,
        code: 'ErrorItemNotFound',
      });
    });
  });

  describe('$batch', () => {
    const post = (id: string, body: unknown = meeting({ subject: `Batched ${id}` })) => ({
      id,
      method: 'POST',
      url: '/users/batch@acme.example/events',
      headers: { 'Content-Type': 'application/json' },
      body,
    });
    const batch = async (requests: unknown[]) => {
      const response = await call('POST', '/$batch', { requests });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };

    it('refuses a batch of 21, duplicate ids (whatever their case), and a body without Content-Type', async () => {
      const before = graph.events('batch@acme.example').length;
      expect(
        await batch(
          Array.from({ length: 21 }, (_, i) => ({
            id: String(i),
            method: 'GET',
            url: '/users/batch@acme.example/events',
          })),
        ),
      ).toMatchObject({ status: 400 });
      expect(await batch([post('a'), post('A')])).toMatchObject({
        status: 400,
        body: { error: { code: 'BadRequest', message: 'Request Id A has to be unique in a batch.' } },
      });
      expect(await batch([post('1'), { ...post('2'), headers: {} }])).toMatchObject({
        status: 400,
        body: { error: { message: 'Write request id : 2 does not contain Content-Type header or body.' } },
      });
      expect(graph.events('batch@acme.example')).toHaveLength(before);
    });

    it("answers each request with its own status, and a bad one fails alone; headers are the request's own", async () => {
      const content = new BatchRequestContent([
        {
          id: '1',
          request: new Request(`${graph.url}/users/batch@acme.example/events`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify(meeting({ subject: 'Fine' })),
          }),
        },
        {
          id: '2',
          dependsOn: ['1'],
          request: new Request(`${graph.url}/users/batch@acme.example/events`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify(meeting({ showAs: 'sleeping' })),
          }),
        },
        {
          id: '3',
          // After the first, so that there is an event to list (the SDK wants every dependsOn alike).
          dependsOn: ['1'],
          request: new Request(`${graph.url}/users/batch@acme.example/events?$top=1`, {
            headers: { Prefer: 'outlook.timezone="Tokyo Standard Time"' },
          }),
        },
      ]);
      const responses = new BatchResponseContent(
        (await sdk()
          .api('/$batch')
          .post(await content.getContent())) as ConstructorParameters<typeof BatchResponseContent>[0],
      );
      expect(responses.getResponseById('1').status).toBe(201);
      const refused = responses.getResponseById('2');
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('ErrorInvalidRequest');
      const listed = responses.getResponseById('3');
      expect(listed.headers.get('preference-applied')).toBe('outlook.timezone="Tokyo Standard Time"');
      expect(((await listed.json()) as Page).value[0]?.start.timeZone).toBe('Tokyo Standard Time');
    });

    it('runs dependsOn in order, and fails a request whose dependency failed with 424', async () => {
      const { status, body } = await batch([
        { id: '3', method: 'GET', url: '/users/batch@acme.example/events/unknown', dependsOn: ['2'] },
        { ...post('2'), dependsOn: ['1'] },
        post('1', meeting({ subject: 'First of a chain' })),
        { id: '4', method: 'GET', url: '/users/batch@acme.example/events/unknown' },
        { id: '5', method: 'DELETE', url: '/users/batch@acme.example/events/also-unknown', dependsOn: ['4'] },
      ]);
      expect(status).toBe(200);
      const byId = new Map(
        (body['responses'] as { id: string; status: number }[]).map((r) => [r.id, r.status]),
      );
      expect(Object.fromEntries(byId)).toEqual({ '1': 201, '2': 201, '3': 404, '4': 404, '5': 424 });
      expect(
        await batch([{ id: '1', method: 'GET', url: '/users/batch@acme.example/events', dependsOn: ['9'] }]),
      ).toMatchObject({ status: 400 });
    });

    it("counts each request against the mailbox's throttling, as a direct one", async () => {
      const served = graph.stats().requests;
      graph.setLatency(150);
      const { body } = await batch(
        Array.from({ length: 8 }, (_, i) => ({
          id: String(i),
          method: 'GET',
          url: '/users/busy@acme.example/events',
        })),
      );
      graph.setLatency(0);
      const responses = body['responses'] as {
        status: number;
        headers: Record<string, string>;
        body: { error?: { code: string } };
      }[];
      expect(responses.filter((r) => r.status === 200)).toHaveLength(4);
      const throttled = responses.filter((r) => r.status === 429);
      expect(throttled).toHaveLength(4);
      expect(throttled[0]?.headers['Retry-After']).toBe('1');
      expect(throttled[0]?.body.error?.code).toBe('ApplicationThrottled');
      expect(graph.stats().requests - served).toBe(8);
    });
  });

  describe('what an event read carries', () => {
    it('returns the properties a real event has, as the Graph client reads them', async () => {
      const created = await create(
        'rep@acme.example',
        meeting({ subject: 'Complete', body: { contentType: 'text', content: 'Bring <notes>' } }),
      );
      const read = (await sdk().api(`/users/rep@acme.example/events/${created.id}`).get()) as Event;
      expect(read['@odata.context']).toBe(
        `${graph.url}/v1.0/$metadata#users('rep%40acme.example')/events/$entity`,
      );
      expect(read).toMatchObject({
        '@odata.etag': `W/"${created.changeKey}"`,
        id: created.id,
        changeKey: created.changeKey,
        type: 'singleInstance',
        seriesMasterId: null,
        isOrganizer: true,
        responseStatus: { response: 'organizer', time: '0001-01-01T00:00:00Z' },
        organizer: { emailAddress: { address: 'rep@acme.example' } },
        bodyPreview: 'Bring <notes>',
        body: { contentType: 'html', content: expect.stringContaining('Bring &lt;notes&gt;') as unknown },
        webLink: expect.stringMatching(/^https:\/\/outlook\.office365\.com\/owa\/\?itemid=/) as unknown,
        iCalUId: expect.stringMatching(/^040000008200E00074C5B7101A82E00800000000[0-9A-F]+$/) as unknown,
        locations: [],
      });
      expect(read['createdDateTime']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
      expect(read['lastModifiedDateTime']).toMatch(/\.\d{7}Z$/);
      expect(
        (
          (await sdk()
            .api(`/users/rep@acme.example/events/${created.id}`)
            .header('Prefer', 'outlook.body-content-type="text"')
            .get()) as Event
        )['body'],
      ).toEqual({ contentType: 'text', content: 'Bring <notes>' });
    });

    it('applies $select, keeping @odata.etag and id, and refuses a property events do not have', async () => {
      const created = await create('rep@acme.example', meeting({ subject: 'Selected' }));
      const read = (await sdk()
        .api(`/users/rep@acme.example/events/${created.id}`)
        .select(['subject'])
        .get()) as Event;
      expect(read).toEqual({
        '@odata.context': `${graph.url}/v1.0/$metadata#users('rep%40acme.example')/events(subject)/$entity`,
        '@odata.etag': created['@odata.etag'],
        id: created.id,
        subject: 'Selected',
      });
      expect(
        await refusal(sdk().api(`/users/rep@acme.example/events/${created.id}`).select(['colour']).get()),
      ).toMatchObject({ statusCode: 400, code: 'RequestBroker--ParseUri' });
    });
  });
});
