// Recurring events in the Google sandbox through @googleapis/calendar: series expanded in their
// own zone's wall-clock time, instance ids and originalStartTime, changing and cancelling one
// instance, what list and instances return for them, what a change to the series does to its
// exceptions, the recurrence Google refuses, and list's own parameters (windows, order, pages,
// sync tokens).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { calendar_v3 } from '@googleapis/calendar';
import { failure, googleClients, scopes, type GoogleClients } from './google-test-clients.ts';
import { startGoogleSandbox, type GoogleSandbox } from './index.ts';

const rep = 'rep@acme.example';
/** Weekly on Mondays at 09:00 Berlin time, four times, across the end of summer time (2026-10-25). */
const weekly = (id: string, overrides: calendar_v3.Schema$Event = {}): calendar_v3.Schema$Event => ({
  id,
  summary: 'Stand-up',
  start: { dateTime: '2026-10-19T09:00:00', timeZone: 'Europe/Berlin' },
  end: { dateTime: '2026-10-19T09:30:00', timeZone: 'Europe/Berlin' },
  recurrence: ['RRULE:FREQ=WEEKLY;COUNT=4'],
  extendedProperties: { private: { sfEventId: id } },
  ...overrides,
});

describe('Google sandbox recurring events', () => {
  let google: GoogleSandbox;
  let clients: GoogleClients;
  let api: calendar_v3.Calendar;

  beforeAll(async () => {
    google = await startGoogleSandbox({ startTime: Date.parse('2026-10-01T00:00:00Z') });
    google.addUser(rep);
    const key = google.addServiceAccount({ clientEmail: 'sync@acme-sync.iam.gserviceaccount.com' });
    google.delegate(key.client_id, [scopes.events]);
    clients = googleClients(google);
    api = clients.api(clients.jwt(key, { subject: rep }));
  });
  afterAll(async () => {
    await clients.close();
    await google.close();
  });

  const calendarId = 'primary';
  const instances = async (
    eventId: string,
    extra: Omit<calendar_v3.Params$Resource$Events$Instances, 'calendarId' | 'eventId'> = {},
  ) => (await api.events.instances({ calendarId, eventId, ...extra })).data.items ?? [];

  it('expands a series in its zone’s wall-clock time, naming instances by their original UTC start', async () => {
    await api.events.insert({ calendarId, requestBody: weekly('standup001') });
    const found = await instances('standup001');
    expect(found.map((i) => [i.id, i.start?.dateTime])).toEqual([
      ['standup001_20261019T070000Z', '2026-10-19T09:00:00+02:00'],
      ['standup001_20261026T080000Z', '2026-10-26T09:00:00+01:00'],
      ['standup001_20261102T080000Z', '2026-11-02T09:00:00+01:00'],
      ['standup001_20261109T080000Z', '2026-11-09T09:00:00+01:00'],
    ]);
    expect(found[1]).toMatchObject({
      recurringEventId: 'standup001',
      originalStartTime: { dateTime: '2026-10-26T09:00:00+01:00', timeZone: 'Europe/Berlin' },
      summary: 'Stand-up',
      iCalUID: 'standup001@google.com',
      extendedProperties: { private: { sfEventId: 'standup001' } },
    });
    expect(found[1]).not.toHaveProperty('recurrence');
    expect(
      (await api.events.get({ calendarId, eventId: 'standup001_20261102T080000Z' })).data.end?.dateTime,
    ).toBe('2026-11-02T09:30:00+01:00');
    // Not an occurrence of the series: no such event.
    expect(
      (await failure(api.events.get({ calendarId, eventId: 'standup001_20261103T080000Z' }))).status,
    ).toBe(404);
    expect(
      (await failure(api.events.get({ calendarId, eventId: 'standup001_20261116T080000Z' }))).status,
    ).toBe(404);
  });

  it('names an all-day series’ instances by date', async () => {
    await api.events.insert({
      calendarId,
      requestBody: {
        id: 'offsite001',
        start: { date: '2026-11-02' },
        end: { date: '2026-11-03' },
        recurrence: ['RRULE:FREQ=DAILY;COUNT=2'],
      },
    });
    expect((await instances('offsite001')).map((i) => [i.id, i.start, i.end, i.originalStartTime])).toEqual([
      ['offsite001_20261102', { date: '2026-11-02' }, { date: '2026-11-03' }, { date: '2026-11-02' }],
      ['offsite001_20261103', { date: '2026-11-03' }, { date: '2026-11-04' }, { date: '2026-11-03' }],
    ]);
  });

  it('changes one instance into an exception that may move anywhere, listed as an item of its own', async () => {
    await api.events.insert({ calendarId, requestBody: weekly('moved0001') });
    const id = 'moved0001_20261026T080000Z';
    const changed = await api.events.patch({
      calendarId,
      eventId: id,
      requestBody: {
        summary: 'Stand-up (moved)',
        start: { dateTime: '2026-11-05T15:00:00+01:00' },
        end: { dateTime: '2026-11-05T15:30:00+01:00' },
      },
    });
    expect(changed.data).toMatchObject({
      id,
      summary: 'Stand-up (moved)',
      start: { dateTime: '2026-11-05T15:00:00+01:00', timeZone: 'Europe/Berlin' },
      recurringEventId: 'moved0001',
      originalStartTime: { dateTime: '2026-10-26T09:00:00+01:00', timeZone: 'Europe/Berlin' },
    });
    expect((await instances('moved0001')).map((i) => [i.id, i.summary])).toEqual([
      ['moved0001_20261019T070000Z', 'Stand-up'],
      [id, 'Stand-up (moved)'],
      ['moved0001_20261102T080000Z', 'Stand-up'],
      ['moved0001_20261109T080000Z', 'Stand-up'],
    ]);
    const listed = await api.events.list({ calendarId, privateExtendedProperty: ['sfEventId=moved0001'] });
    expect(listed.data.items?.map((e) => [e.id, e.recurringEventId ?? null])).toEqual([
      ['moved0001', null],
      [id, 'moved0001'],
    ]);
    const single = await api.events.list({
      calendarId,
      singleEvents: true,
      orderBy: 'startTime',
      timeMin: '2026-11-03T00:00:00Z',
      privateExtendedProperty: ['sfEventId=moved0001'],
    });
    expect(single.data.items?.map((e) => e.id)).toEqual([id, 'moved0001_20261109T080000Z']);
    expect(google.events(rep).find((e) => e['id'] === id)).toMatchObject({
      recurringEventId: 'moved0001',
      summary: 'Stand-up (moved)',
    });
  });

  it('cancels one instance: gone from instances and expanded lists, still listed as cancelled beside its series', async () => {
    await api.events.insert({ calendarId, requestBody: weekly('cancel001') });
    const id = 'cancel001_20261102T080000Z';
    expect((await api.events.delete({ calendarId, eventId: id })).status).toBe(204);
    expect((await instances('cancel001')).map((i) => i.id)).not.toContain(id);
    expect((await instances('cancel001', { showDeleted: true })).find((i) => i.id === id)).toEqual({
      kind: 'calendar#event',
      etag: expect.any(String) as string,
      id,
      status: 'cancelled',
      recurringEventId: 'cancel001',
      originalStartTime: { dateTime: '2026-11-02T09:00:00+01:00', timeZone: 'Europe/Berlin' },
    });
    const list = (extra: Partial<calendar_v3.Params$Resource$Events$List>) =>
      api.events
        .list({ calendarId, privateExtendedProperty: ['sfEventId=cancel001'], ...extra })
        .then((r) => r.data.items ?? []);
    // "Cancelled instances of recurring events ... will still be included if showDeleted and singleEvents are both False."
    expect((await list({})).map((e) => [e.id, e.status])).toEqual([
      ['cancel001', 'confirmed'],
      [id, 'cancelled'],
    ]);
    expect((await list({ singleEvents: true })).map((e) => e.id)).not.toContain(id);
    expect((await list({ singleEvents: true, showDeleted: true })).find((e) => e.id === id)?.status).toBe(
      'cancelled',
    );
    expect((await failure(api.events.delete({ calendarId, eventId: id }, { retry: false }))).status).toBe(
      410,
    );
    expect((await api.events.get({ calendarId, eventId: id })).data.status).toBe('cancelled');
    await api.events.patch({ calendarId, eventId: id, requestBody: { status: 'confirmed' } });
    expect((await instances('cancel001')).map((i) => i.id)).toContain(id);
  });

  it('keeps exceptions at occurrences the changed series still has, drops the others, and passes its other changes on', async () => {
    await api.events.insert({ calendarId, requestBody: weekly('reshape01') });
    await api.events.patch({
      calendarId,
      eventId: 'reshape01_20261019T070000Z',
      requestBody: { summary: 'First' },
    });
    await api.events.delete({ calendarId, eventId: 'reshape01_20261109T080000Z' });
    await api.events.patch({
      calendarId,
      eventId: 'reshape01',
      requestBody: { summary: 'Daily sync', location: 'Room 2' },
    });
    expect(
      (await instances('reshape01', { showDeleted: true })).map((i) => [
        i.summary ?? null,
        i.location ?? null,
        i.status,
      ]),
    ).toEqual([
      ['First', 'Room 2', 'confirmed'],
      ['Daily sync', 'Room 2', 'confirmed'],
      ['Daily sync', 'Room 2', 'confirmed'],
      [null, null, 'cancelled'],
    ]);
    await api.events.patch({
      calendarId,
      eventId: 'reshape01',
      requestBody: { recurrence: ['RRULE:FREQ=WEEKLY;COUNT=3'] },
    });
    expect(
      google
        .events(rep)
        .filter((e) => e['recurringEventId'] === 'reshape01')
        .map((e) => e['id']),
    ).toEqual(['reshape01_20261019T070000Z']);
    await api.events.patch({
      calendarId,
      eventId: 'reshape01',
      requestBody: { start: { dateTime: '2026-10-19T10:00:00' }, end: { dateTime: '2026-10-19T10:30:00' } },
    });
    expect(google.events(rep).filter((e) => e['recurringEventId'] === 'reshape01')).toEqual([]);
    expect((await instances('reshape01')).map((i) => i.id)).toEqual([
      'reshape01_20261019T080000Z',
      'reshape01_20261026T090000Z',
      'reshape01_20261102T090000Z',
    ]);
  });

  it('honours EXDATE, RDATE and UNTIL', async () => {
    await api.events.insert({
      calendarId,
      requestBody: weekly('rules0001', {
        recurrence: [
          'RRULE:FREQ=WEEKLY;UNTIL=20261102T235959Z',
          'EXDATE;TZID=Europe/Berlin:20261026T090000',
          'RDATE;TZID=Europe/Berlin:20261028T090000',
        ],
      }),
    });
    expect((await instances('rules0001')).map((i) => i.start?.dateTime)).toEqual([
      '2026-10-19T09:00:00+02:00',
      '2026-10-28T09:00:00+01:00',
      '2026-11-02T09:00:00+01:00',
    ]);
  });

  it.each<[string, calendar_v3.Schema$Event, string]>([
    [
      'a timed series without a time zone',
      { start: { dateTime: '2026-10-19T09:00:00+02:00' } },
      'Missing time zone definition for start time.',
    ],
    ['an unknown frequency', { recurrence: ['RRULE:FREQ=FORTNIGHTLY'] }, 'Invalid recurrence rule.'],
    ['a made-up weekday', { recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=XX'] }, 'Invalid recurrence rule.'],
    [
      'COUNT with UNTIL',
      { recurrence: ['RRULE:FREQ=DAILY;COUNT=2;UNTIL=20261231T000000Z'] },
      'Invalid recurrence rule.',
    ],
    [
      'a DTSTART line',
      { recurrence: ['DTSTART:20261019T090000Z', 'RRULE:FREQ=DAILY'] },
      'Invalid recurrence rule.',
    ],
    ['only exclusions', { recurrence: ['EXDATE:20261026T080000Z'] }, 'Invalid recurrence rule.'],
  ])('refuses %s', async (_case, overrides, message) => {
    expect(
      await failure(api.events.insert({ calendarId, requestBody: weekly('refused01', overrides) })),
    ).toMatchObject({
      status: 400,
      message,
    });
  });

  it('refuses a recurrence on one instance', async () => {
    await api.events.insert({ calendarId, requestBody: weekly('instance01') });
    const patch = api.events.patch({
      calendarId,
      eventId: 'instance01_20261026T080000Z',
      requestBody: { recurrence: ['RRULE:FREQ=DAILY'] },
    });
    expect((await failure(patch)).status).toBe(400);
  });

  it('checks list’s parameters as Google does, and pages', async () => {
    const list = (params: Partial<calendar_v3.Params$Resource$Events$List>) =>
      api.events.list({ calendarId, ...params }, { retry: false });
    expect(await failure(list({ orderBy: 'startTime' }))).toMatchObject({
      status: 400,
      message: 'The requested ordering is not available for the particular query.',
    });
    expect((await failure(list({ timeMin: '2026-10-19T00:00:00' }))).status).toBe(400);
    expect(
      await failure(list({ timeMin: '2026-10-20T00:00:00Z', timeMax: '2026-10-19T00:00:00Z' })),
    ).toMatchObject({
      reason: 'timeRangeEmpty',
    });
    expect((await failure(list({ maxResults: 0 }))).status).toBe(400);
    const pages: string[][] = [];
    let pageToken: string | undefined;
    do {
      const page = (
        await list({ singleEvents: true, maxResults: 3, ...(pageToken === undefined ? {} : { pageToken }) })
      ).data;
      pages.push((page.items ?? []).map((e) => e.id ?? ''));
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken !== undefined);
    const all = (await list({ singleEvents: true })).data.items?.map((e) => e.id);
    expect(pages.flat()).toEqual(all);
    expect(pages[0]).toHaveLength(3);
  });

  it('gives a sync token on the last page and, for it, only what changed since', async () => {
    const first = (await api.events.list({ calendarId })).data;
    expect(first.nextSyncToken).toBeDefined();
    await api.events.insert({ calendarId, requestBody: weekly('changed01') });
    await api.events.delete({ calendarId, eventId: 'standup001' });
    const changes = (await api.events.list({ calendarId, syncToken: first.nextSyncToken! })).data.items ?? [];
    expect(changes.map((e) => [e.id, e.status])).toEqual([
      ['standup001', 'cancelled'],
      ['changed01', 'confirmed'],
    ]);
    expect(
      (await failure(api.events.list({ calendarId, syncToken: 'garbage' }, { retry: false }))).status,
    ).toBe(410);
  });
});
