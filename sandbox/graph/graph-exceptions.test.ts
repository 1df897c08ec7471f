// One instance of a series changed or cancelled on its own, as Microsoft's own Graph client sees
// it: a PATCH on an occurrence id makes an exception (same id, type exception, originalStart
// kept) listed at its own time by instances and calendarView; a DELETE cancels the occurrence;
// moving it onto or past a neighbour's day is refused with ErrorOccurrenceCrossingBoundary; an
// instance takes no recurrence; the series' later changes reach the properties an exception did
// not set, and a change to its recurrence or times drops every exception and cancellation; the
// series' delete takes them all; and the same through $batch.
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import {
  BatchRequestContent,
  BatchResponseContent,
  Client,
  PageIterator,
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
  subject: string;
  seriesMasterId: string | null;
  originalStart?: string;
  start: { dateTime: string; timeZone: string };
  end: { dateTime: string; timeZone: string };
  location: { displayName: string };
  [property: string]: unknown;
}

/** Generous: the suite must hold on a busy two-core machine. */
const timeout = 60_000;

describe('Graph sandbox: exceptions and cancelled occurrences of a series', () => {
  let graph: GraphSandbox;
  let token: string;
  let dispatcher: Agent;
  const original = globalThis.fetch;
  let mailboxCount = 0;

  beforeAll(async () => {
    graph = await startGraphSandbox({ startTime: Date.UTC(2027, 0, 4, 8) });
    graph.addApp({ tenantId: 'contoso', clientId: 'app', clientSecret: 'secret' });
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
  }, timeout);
  afterAll(async () => {
    globalThis.fetch = original;
    await graph.close();
    await dispatcher.close();
  });

  const sdk = () =>
    Client.initWithMiddleware({
      baseUrl: `${graph.url}/`,
      defaultVersion: 'v1.0',
      customHosts: new Set([new URL(graph.url).hostname]),
      authProvider: { getAccessToken: () => Promise.resolve(token) },
      fetchOptions: { dispatcher } as unknown as RequestInit,
    });
  const refusal = (call: Promise<unknown>) =>
    call.then(
      () => undefined,
      (error: unknown) => {
        const e = error as { statusCode: number; code: string; message: string };
        return { statusCode: e.statusCode, code: e.code, message: e.message };
      },
    );
  /** A mailbox of the test's own, so that its calendarView holds only its series. */
  const mailbox = () => graph.addMailbox(`series${++mailboxCount}@acme.example`).address;

  const zone = 'W. Europe Standard Time';
  /** A weekly series on Tuesdays, 09:00-10:00 in Berlin (08:00Z in winter), eight of them: 01-12 … 03-02. */
  const weekly = {
    subject: 'Pipeline review',
    location: { displayName: 'Room 1' },
    start: { dateTime: '2027-01-12T09:00:00', timeZone: zone },
    end: { dateTime: '2027-01-12T10:00:00', timeZone: zone },
    recurrence: {
      pattern: { type: 'weekly', interval: 1, daysOfWeek: ['tuesday'] },
      range: { type: 'numbered', startDate: '2027-01-12', numberOfOccurrences: 8 },
    },
  };
  const window = 'startDateTime=2027-01-01T00:00:00Z&endDateTime=2027-04-01T00:00:00Z';

  const createSeries = async (address: string, body: unknown = weekly) =>
    (await sdk().api(`/users/${address}/events`).post(body)) as Event;
  /** Every page of a list the SDK's PageIterator follows. */
  const all = async (address: string, path: string, prefer?: string) => {
    let request = sdk().api(`/users/${address}${path}`);
    if (prefer !== undefined) request = request.header('Prefer', prefer);
    const found: Event[] = [];
    await new PageIterator(
      sdk(),
      (await request.get()) as PageCollection,
      (event) => found.push(event as Event) > 0,
      prefer === undefined ? undefined : { headers: { Prefer: prefer } },
    ).iterate();
    return found;
  };
  const instances = (address: string, masterId: string) =>
    all(address, `/events/${masterId}/instances?${window}`);
  const calendarView = (address: string) => all(address, `/calendarView?${window}`);
  const byOriginalStart = (events: Event[]) =>
    [...events].sort((a, b) => ((a.originalStart ?? '') < (b.originalStart ?? '') ? -1 : 1));
  const read = (address: string, id: string) =>
    sdk().api(`/users/${address}/events/${id}`).get() as Promise<Event>;
  const patch = (address: string, id: string, body: unknown) =>
    sdk().api(`/users/${address}/events/${id}`).patch(body) as Promise<Event>;
  const remove = (address: string, id: string) =>
    sdk().api(`/users/${address}/events/${id}`).delete() as Promise<void>;
  const notFound = { statusCode: 404, code: 'ErrorItemNotFound' };

  it(
    'turns a PATCHed occurrence into an exception, listed by instances and calendarView at its new time',
    async () => {
      const address = mailbox();
      const master = await createSeries(address);
      const listed = byOriginalStart(await instances(address, master.id));
      expect(listed.map((e) => [e.type, e.start.dateTime])).toEqual(
        ['12', '19', '26']
          .map((d) => ['occurrence', `2027-01-${d}T08:00:00.0000000`])
          .concat(
            ['02', '09', '16', '23'].map((d) => ['occurrence', `2027-02-${d}T08:00:00.0000000`]),
            [['occurrence', '2027-03-02T08:00:00.0000000']],
          ),
      );
      const third = listed[2]!;

      const changed = await patch(address, third.id, {
        subject: 'Pipeline review (moved)',
        start: { dateTime: '2027-01-26T10:00:00', timeZone: zone },
        end: { dateTime: '2027-01-26T11:00:00', timeZone: zone },
      });
      // Answered as read, with the zones written (a write's own response), same id, originalStart kept.
      expect(changed).toMatchObject({
        id: third.id,
        type: 'exception',
        seriesMasterId: master.id,
        originalStart: '2027-01-26T08:00:00Z',
        subject: 'Pipeline review (moved)',
        recurrence: null,
        start: { dateTime: '2027-01-26T10:00:00.0000000', timeZone: zone },
        end: { dateTime: '2027-01-26T11:00:00.0000000', timeZone: zone },
        location: { displayName: 'Room 1' },
      });
      expect(await read(address, third.id)).toMatchObject({
        id: third.id,
        type: 'exception',
        originalStart: '2027-01-26T08:00:00Z',
        start: { dateTime: '2027-01-26T09:00:00.0000000', timeZone: 'UTC' },
      });

      const after = await instances(address, master.id);
      expect(after).toHaveLength(8);
      // Exceptions first, as in the List instances example.
      expect(after[0]).toMatchObject({
        id: third.id,
        type: 'exception',
        subject: 'Pipeline review (moved)',
        start: { dateTime: '2027-01-26T09:00:00.0000000', timeZone: 'UTC' },
        end: { dateTime: '2027-01-26T10:00:00.0000000', timeZone: 'UTC' },
      });
      expect(after.slice(1).every((e) => e.type === 'occurrence' && e.subject === 'Pipeline review')).toBe(
        true,
      );

      const view = await calendarView(address);
      expect(view.map((e) => e.id)).toEqual(listed.map((e) => e.id));
      expect(view[2]).toMatchObject({
        type: 'exception',
        start: { dateTime: '2027-01-26T09:00:00.0000000' },
      });
      // A window that holds only the new time finds it; one that holds only the old time does not.
      const narrow = (from: string, to: string) =>
        all(address, `/calendarView?startDateTime=${from}&endDateTime=${to}`);
      expect((await narrow('2027-01-26T09:30:00Z', '2027-01-26T12:00:00Z')).map((e) => e.id)).toEqual([
        third.id,
      ]);
      expect(await narrow('2027-01-26T07:00:00Z', '2027-01-26T09:00:00Z')).toEqual([]);

      // Changed again: what it was given before stays, the new property joins it.
      expect(await patch(address, third.id, { showAs: 'tentative' })).toMatchObject({
        type: 'exception',
        subject: 'Pipeline review (moved)',
        showAs: 'tentative',
        start: { dateTime: '2027-01-26T10:00:00.0000000', timeZone: zone },
      });
    },
    timeout,
  );

  it(
    'cancels an occurrence by DELETE: gone from instances and calendarView, its id unknown',
    async () => {
      const address = mailbox();
      const master = await createSeries(address);
      const listed = byOriginalStart(await instances(address, master.id));
      const [, second, third] = listed as [Event, Event, Event];
      await patch(address, third.id, { subject: 'Changed, then cancelled' });

      await remove(address, second.id);
      await remove(address, third.id);
      const after = await instances(address, master.id);
      expect(after.map((e) => e.id).sort()).toEqual(
        listed
          .filter((e) => e.id !== second.id && e.id !== third.id)
          .map((e) => e.id)
          .sort(),
      );
      expect((await calendarView(address)).map((e) => e.id)).not.toContain(second.id);
      for (const id of [second.id, third.id]) {
        expect(await refusal(read(address, id))).toMatchObject(notFound);
        expect(await refusal(patch(address, id, { subject: 'Back?' }))).toMatchObject(notFound);
        expect(await refusal(remove(address, id))).toMatchObject(notFound);
      }
      // The series itself is still there.
      expect(await read(address, master.id)).toMatchObject({ type: 'seriesMaster' });
    },
    timeout,
  );

  it(
    'answers 404 ErrorItemNotFound for an occurrence id of a date the series does not fall on, or of no series',
    async () => {
      const address = mailbox();
      const master = await createSeries(address);
      const single = (await sdk()
        .api(`/users/${address}/events`)
        .post({ ...weekly, recurrence: undefined })) as Event;
      for (const id of [
        `${master.id}_20270113`, // a Wednesday
        `${master.id}_20270309`, // after the eighth
        `${single.id}_20270112`, // not a series
        'AAMkunknown_20270112',
      ]) {
        expect(await refusal(read(address, id))).toMatchObject(notFound);
        expect(await refusal(patch(address, id, { subject: 'x' }))).toMatchObject(notFound);
        expect(await refusal(remove(address, id))).toMatchObject(notFound);
      }
      // An occurrence id read in another mailbox is unknown there.
      const first = (await instances(address, master.id))[0]!;
      expect(await refusal(read(mailbox(), first.id))).toMatchObject(notFound);
    },
    timeout,
  );

  it(
    "refuses to move an occurrence onto or past its neighbours' days with 400 ErrorOccurrenceCrossingBoundary",
    async () => {
      const address = mailbox();
      const master = await createSeries(address);
      const listed = byOriginalStart(await instances(address, master.id));
      const third = listed[2]!; // Tuesday 01-26, between 01-19 and 02-02
      const to = (date: string, hour = '09') => ({
        start: { dateTime: `${date}T${hour}:00:00`, timeZone: zone },
        end: { dateTime: `${date}T${hour}:59:00`, timeZone: zone },
      });
      const crossing = {
        statusCode: 400,
        code: 'ErrorOccurrenceCrossingBoundary',
        message: 'Modified occurrence is crossing or overlapping adjacent occurrence.',
      };
      for (const date of ['2027-02-02', '2027-02-03', '2027-01-19', '2027-01-18'])
        expect(await refusal(patch(address, third.id, to(date)))).toMatchObject(crossing);
      // Days are the series' (Berlin) days: late on 02-01 and early on 01-20 are between the neighbours.
      expect(await patch(address, third.id, to('2027-02-01', '23'))).toMatchObject({ type: 'exception' });
      expect(await patch(address, third.id, to('2027-01-20', '00'))).toMatchObject({ type: 'exception' });
      // The first occurrence has no previous one: it may move back any number of days.
      expect(await patch(address, listed[0]!.id, to('2027-01-02'))).toMatchObject({ type: 'exception' });

      // A neighbour that was moved counts where it is now; a cancelled one where it was.
      const fifth = listed[4]!; // 02-09
      await patch(address, listed[5]!.id, to('2027-02-12')); // 02-16 moved back to 02-12
      expect(await refusal(patch(address, fifth.id, to('2027-02-12')))).toMatchObject(crossing);
      expect(await patch(address, fifth.id, to('2027-02-11'))).toMatchObject({ type: 'exception' });
      await remove(address, listed[6]!.id); // 02-23 cancelled
      expect(await refusal(patch(address, listed[7]!.id, to('2027-02-23')))).toMatchObject(crossing);
      // A refused move changed nothing.
      expect(await read(address, listed[7]!.id)).toMatchObject({ type: 'occurrence' });
    },
    timeout,
  );

  it(
    'refuses a recurrence in the PATCH of an instance with 400 ErrorInvalidRequest',
    async () => {
      const address = mailbox();
      const master = await createSeries(address);
      const first = byOriginalStart(await instances(address, master.id))[0]!;
      for (const recurrence of [weekly.recurrence, null])
        expect(
          await refusal(patch(address, first.id, { subject: 'With a pattern', recurrence })),
        ).toMatchObject({
          statusCode: 400,
          code: 'ErrorInvalidRequest',
        });
      expect(await read(address, first.id)).toMatchObject({ type: 'occurrence', subject: 'Pipeline review' });
      // The properties Graph checks are checked on an instance too.
      expect(await refusal(patch(address, first.id, { showAs: 'sleeping' }))).toMatchObject({
        statusCode: 400,
        code: 'ErrorInvalidRequest',
      });
      expect(
        await refusal(patch(address, first.id, { end: { dateTime: '2027-01-12T08:00:00', timeZone: zone } })),
      ).toMatchObject({ statusCode: 400 });
    },
    timeout,
  );

  it(
    'shows a change to the series on its occurrences, and on exceptions in the properties they did not set',
    async () => {
      const address = mailbox();
      const master = await createSeries(address);
      const [first, second] = byOriginalStart(await instances(address, master.id)) as [Event, Event];
      await patch(address, first.id, { location: { displayName: 'Room 9' } });
      await patch(address, second.id, { subject: 'Own subject' });

      await patch(address, master.id, { subject: 'Pipeline review v2', location: { displayName: 'Room 2' } });
      const after = byOriginalStart(await instances(address, master.id));
      expect(after[0]).toMatchObject({
        type: 'exception',
        subject: 'Pipeline review v2',
        location: { displayName: 'Room 9' },
      });
      expect(after[1]).toMatchObject({
        type: 'exception',
        subject: 'Own subject',
        location: { displayName: 'Room 2' },
      });
      for (const occurrence of after.slice(2))
        expect(occurrence).toMatchObject({
          type: 'occurrence',
          subject: 'Pipeline review v2',
          location: { displayName: 'Room 2' },
        });
      // The series' recurrence written again unchanged keeps them.
      await patch(address, master.id, { recurrence: weekly.recurrence, subject: 'Pipeline review v3' });
      expect(
        byOriginalStart(await instances(address, master.id))
          .map((e) => e.type)
          .slice(0, 3),
      ).toEqual(['exception', 'exception', 'occurrence']);
    },
    timeout,
  );

  it(
    "drops every exception and cancellation when the series' recurrence, start or end changes",
    async () => {
      const address = mailbox();
      const master = await createSeries(address);
      const listed = byOriginalStart(await instances(address, master.id));
      const exceptionAndCancellation = async () => {
        const now = byOriginalStart(await instances(address, master.id));
        await patch(address, now[0]!.id, { subject: 'Own subject' });
        await remove(address, now[1]!.id);
        expect((await instances(address, master.id)).map((e) => e.type).sort()).toEqual([
          'exception',
          ...Array<string>(now.length - 2).fill('occurrence'),
        ]);
      };

      await exceptionAndCancellation();
      await patch(address, master.id, {
        recurrence: { ...weekly.recurrence, range: { ...weekly.recurrence.range, numberOfOccurrences: 6 } },
      });
      let after = byOriginalStart(await instances(address, master.id));
      expect(after.map((e) => [e.id, e.type, e.subject])).toEqual(
        listed.slice(0, 6).map((e) => [e.id, 'occurrence', 'Pipeline review']),
      );

      await exceptionAndCancellation();
      await patch(address, master.id, {
        start: { dateTime: '2027-01-12T14:00:00', timeZone: zone },
        end: { dateTime: '2027-01-12T15:00:00', timeZone: zone },
      });
      after = byOriginalStart(await instances(address, master.id));
      expect(after).toHaveLength(6);
      expect(
        after.every((e) => e.type === 'occurrence' && e.start.dateTime.endsWith('T13:00:00.0000000')),
      ).toBe(true);
      expect(after.map((e) => e.originalStart)).toEqual(
        ['12', '19', '26']
          .map((d) => `2027-01-${d}T13:00:00Z`)
          .concat(['02', '09', '16'].map((d) => `2027-02-${d}T13:00:00Z`)),
      );
    },
    timeout,
  );

  it(
    'deletes the series with its exceptions when the master is deleted',
    async () => {
      const address = mailbox();
      const master = await createSeries(address);
      const [first, second] = byOriginalStart(await instances(address, master.id)) as [Event, Event];
      await patch(address, first.id, { subject: 'Own subject' });
      await remove(address, second.id);
      await remove(address, master.id);
      for (const id of [master.id, first.id, second.id])
        expect(await refusal(read(address, id))).toMatchObject(notFound);
      expect(await refusal(instances(address, master.id))).toMatchObject(notFound);
      expect(await calendarView(address)).toEqual([]);
    },
    timeout,
  );

  it(
    "gives every instance the series' @odata.etag, new with any change to one of them; a stale If-Match is refused",
    async () => {
      const address = mailbox();
      const master = await createSeries(address);
      const listed = byOriginalStart(await instances(address, master.id));
      expect(new Set(listed.map((e) => e['@odata.etag']))).toEqual(new Set([master['@odata.etag']]));
      const [first, second, third] = listed as [Event, Event, Event];

      const changed = (await sdk()
        .api(`/users/${address}/events/${first.id}`)
        .header('If-Match', first['@odata.etag'])
        .patch({ subject: 'Own subject' })) as Event;
      expect(changed['@odata.etag']).not.toBe(first['@odata.etag']);
      expect((await read(address, master.id))['@odata.etag']).toBe(changed['@odata.etag']);
      expect((await read(address, second.id))['@odata.etag']).toBe(changed['@odata.etag']);

      const stale = { statusCode: 412, code: 'ErrorIrresolvableConflict' };
      const withIfMatch = (id: string, etag: string) =>
        sdk().api(`/users/${address}/events/${id}`).header('If-Match', etag);
      // One at a time, each refused before the next is sent.
      for (const request of [
        () => withIfMatch(second.id, second['@odata.etag']).patch({ subject: 'x' }),
        () => withIfMatch(first.id, first['@odata.etag']).patch({ subject: 'x' }),
        () => withIfMatch(third.id, third['@odata.etag']).delete(),
        () => withIfMatch(master.id, master['@odata.etag']).patch({ subject: 'x' }),
      ])
        expect(await refusal(request() as Promise<unknown>)).toMatchObject(stale);
      await withIfMatch(third.id, changed['@odata.etag']).delete();
      expect(await refusal(read(address, third.id))).toMatchObject(notFound);
      expect(await read(address, first.id)).toMatchObject({ subject: 'Own subject' });
    },
    timeout,
  );

  it(
    'changes and cancels occurrences inside $batch, each sub-request answered as a direct one',
    async () => {
      const address = mailbox();
      const master = await createSeries(address);
      const listed = byOriginalStart(await instances(address, master.id));
      const [first, second, third, fourth] = listed as [Event, Event, Event, Event];
      const write = (method: string, id: string, body?: unknown) =>
        new Request(`${graph.url}/users/${address}/events/${id}`, {
          method,
          ...(body === undefined
            ? {}
            : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
        });
      // Four at most: the sub-requests run side by side against the mailbox's concurrency limit.
      const content = new BatchRequestContent([
        {
          id: 'move',
          request: write('PATCH', first.id, {
            subject: 'Moved in a batch',
            start: { dateTime: '2027-01-13T09:00:00', timeZone: zone },
            end: { dateTime: '2027-01-13T10:00:00', timeZone: zone },
          }),
        },
        { id: 'cancel', request: write('DELETE', second.id) },
        {
          id: 'cross',
          request: write('PATCH', third.id, {
            start: { dateTime: '2027-02-02T09:00:00', timeZone: zone },
            end: { dateTime: '2027-02-02T10:00:00', timeZone: zone },
          }),
        },
        { id: 'pattern', request: write('PATCH', fourth.id, { recurrence: weekly.recurrence }) },
      ]);
      const responses = new BatchResponseContent(
        (await sdk()
          .api('/$batch')
          .post(await content.getContent())) as ConstructorParameters<typeof BatchResponseContent>[0],
      );
      const moved = responses.getResponseById('move');
      expect(moved.status).toBe(200);
      expect(await moved.json()).toMatchObject({
        id: first.id,
        type: 'exception',
        subject: 'Moved in a batch',
      });
      expect(responses.getResponseById('cancel').status).toBe(204);
      const crossed = responses.getResponseById('cross');
      expect(crossed.status).toBe(400);
      expect(((await crossed.json()) as { error: { code: string } }).error.code).toBe(
        'ErrorOccurrenceCrossingBoundary',
      );
      const patterned = responses.getResponseById('pattern');
      expect(patterned.status).toBe(400);
      expect(((await patterned.json()) as { error: { code: string } }).error.code).toBe(
        'ErrorInvalidRequest',
      );

      const after = await instances(address, master.id);
      expect(after.map((e) => [e.id, e.type])).toEqual([
        [first.id, 'exception'],
        ...listed.slice(2).map((e) => [e.id, 'occurrence']),
      ]);
      expect(after[0]?.start.dateTime).toBe('2027-01-13T08:00:00.0000000');

      // A read of the cancelled one inside a batch is 404, like a direct one.
      const reread = new BatchRequestContent([
        { id: 'gone', request: new Request(`${graph.url}/users/${address}/events/${second.id}`) },
        { id: 'there', request: new Request(`${graph.url}/users/${address}/events/${first.id}`) },
      ]);
      const reads = new BatchResponseContent(
        (await sdk()
          .api('/$batch')
          .post(await reread.getContent())) as ConstructorParameters<typeof BatchResponseContent>[0],
      );
      expect(reads.getResponseById('gone').status).toBe(404);
      expect(await reads.getResponseById('there').json()).toMatchObject({ type: 'exception' });
    },
    timeout,
  );
});
