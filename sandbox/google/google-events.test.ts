// The Google sandbox's events as @googleapis/calendar meets them: the insert/get/patch/list/
// delete round trip, client-chosen ids and their rules, deleted events that keep their id (and
// come back with PATCH status "confirmed"), finding an event by a private extended property,
// all-day events, the checks Google makes on a write, and the notifications sendUpdates sends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { calendar_v3 } from '@googleapis/calendar';
import type { JWT } from 'google-auth-library';
import { failure, googleClients, scopes, type GoogleClients } from './google-test-clients.ts';
import { startGoogleSandbox, type GoogleSandbox } from './index.ts';

const rep = 'rep@acme.example';
const colleague = 'colleague@acme.example';
const event = (overrides: calendar_v3.Schema$Event = {}): calendar_v3.Schema$Event => ({
  summary: 'Pipeline review',
  start: { dateTime: '2026-11-25T09:00:00', timeZone: 'Europe/Berlin' },
  end: { dateTime: '2026-11-25T10:00:00', timeZone: 'Europe/Berlin' },
  ...overrides,
});

describe('Google sandbox events', () => {
  let google: GoogleSandbox;
  let clients: GoogleClients;
  let api: calendar_v3.Calendar;
  let jwt: JWT;

  beforeAll(async () => {
    google = await startGoogleSandbox();
    google.addUser(rep);
    google.addUser(colleague);
    const key = google.addServiceAccount({ clientEmail: 'sync@acme-sync.iam.gserviceaccount.com' });
    google.delegate(key.client_id, [scopes.events]);
    clients = googleClients(google);
    jwt = clients.jwt(key, { subject: rep });
    api = clients.api(jwt);
  });
  afterAll(async () => {
    await clients.close();
    await google.close();
  });

  const insert = (body: calendar_v3.Schema$Event, sendUpdates?: string) =>
    api.events.insert({
      calendarId: 'primary',
      requestBody: body,
      ...(sendUpdates === undefined ? {} : { sendUpdates }),
    });

  it('inserts, reads, patches, lists and deletes an event, returned as Google returns it', async () => {
    const created = (await insert(event({ extendedProperties: { private: { sfid: '00U1' } } }))).data;
    expect(created).toMatchObject({
      kind: 'calendar#event',
      status: 'confirmed',
      summary: 'Pipeline review',
      creator: { email: rep, self: true },
      organizer: { email: rep, self: true },
      start: { dateTime: '2026-11-25T09:00:00+01:00', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2026-11-25T10:00:00+01:00', timeZone: 'Europe/Berlin' },
      iCalUID: `${created.id}@google.com`,
      sequence: 0,
      reminders: { useDefault: true },
      eventType: 'default',
    });
    expect(created.id).toMatch(/^[0-9a-v]{26}$/);
    expect(created.etag).toMatch(/^"\d+"$/);
    expect(created).not.toHaveProperty('transparency');
    expect(created).not.toHaveProperty('visibility');
    const id = created.id!;
    expect((await api.events.get({ calendarId: rep, eventId: id })).data).toEqual(created);
    const patched = (
      await api.events.patch({
        calendarId: 'primary',
        eventId: id,
        requestBody: {
          location: 'Room 4',
          transparency: 'transparent',
          extendedProperties: { private: { extra: 'x' } },
        },
      })
    ).data;
    expect(patched).toMatchObject({
      summary: 'Pipeline review',
      location: 'Room 4',
      transparency: 'transparent',
      sequence: 1,
      extendedProperties: { private: { sfid: '00U1', extra: 'x' } },
    });
    expect(patched.etag).not.toBe(created.etag);
    const cleared = (
      await api.events.patch({
        calendarId: 'primary',
        eventId: id,
        requestBody: {
          location: null,
          extendedProperties: { private: { extra: null } },
        } as unknown as calendar_v3.Schema$Event,
      })
    ).data;
    expect(cleared).not.toHaveProperty('location');
    expect(cleared.extendedProperties).toEqual({ private: { sfid: '00U1' } });
    const listed = (await api.events.list({ calendarId: 'primary' })).data;
    expect(listed).toMatchObject({
      kind: 'calendar#events',
      summary: rep,
      accessRole: 'owner',
      timeZone: 'UTC',
    });
    expect(listed.items?.map((e) => e.id)).toContain(id);
    expect((await api.events.delete({ calendarId: 'primary', eventId: id })).status).toBe(204);
    expect((await api.events.get({ calendarId: 'primary', eventId: id })).data.status).toBe('cancelled');
    expect((await api.events.list({ calendarId: 'primary' })).data.items?.map((e) => e.id)).not.toContain(id);
    expect(
      (await api.events.list({ calendarId: 'primary', showDeleted: true })).data.items?.find(
        (e) => e.id === id,
      )?.status,
    ).toBe('cancelled');
    expect(await failure(api.events.get({ calendarId: 'primary', eventId: 'nosuchevent' }))).toEqual({
      status: 404,
      reason: 'notFound',
      message: 'Not Found',
    });
  });

  it('takes a client id of 5 to 1024 base32hex characters, once per calendar', async () => {
    expect((await insert(event({ id: 'salesforce00u1' }))).data.id).toBe('salesforce00u1');
    for (const id of ['abcd', 'UPPERCASE1', 'has-dash-1', 'wxyz12345', 'a'.repeat(1025)])
      expect(await failure(insert(event({ id })))).toEqual({
        status: 400,
        reason: 'invalid',
        message: 'Invalid resource id value.',
      });
    expect(await failure(insert(event({ id: 'salesforce00u1' })))).toEqual({
      status: 409,
      reason: 'duplicate',
      message: 'The requested identifier already exists.',
    });
    // Ids are per calendar: another user may use the same one.
    expect(google.events(colleague)).toEqual([]);
  });

  it('keeps a deleted event’s id: get answers cancelled, a second delete 410, an insert 409, PATCH confirmed undeletes', async () => {
    const id = 'deleted00u2';
    await insert(event({ id, summary: 'Will be deleted' }));
    await api.events.delete({ calendarId: 'primary', eventId: id });
    expect((await api.events.get({ calendarId: 'primary', eventId: id })).data).toMatchObject({
      id,
      status: 'cancelled',
      summary: 'Will be deleted',
    });
    expect(
      await failure(api.events.delete({ calendarId: 'primary', eventId: id }, { retry: false })),
    ).toEqual({
      status: 410,
      reason: 'deleted',
      message: 'Resource has been deleted',
    });
    expect((await failure(insert(event({ id })))).status).toBe(409);
    const back = await api.events.patch({
      calendarId: 'primary',
      eventId: id,
      requestBody: { status: 'confirmed', summary: 'Back' },
    });
    expect(back.data).toMatchObject({ id, status: 'confirmed', summary: 'Back' });
    expect((await api.events.list({ calendarId: 'primary' })).data.items?.map((e) => e.id)).toContain(id);
  });

  it('finds exactly the stamped event by privateExtendedProperty, and leaves cancelled ones out', async () => {
    const stamp = (value: string) => ({ extendedProperties: { private: { sfEventId: value } } });
    const wanted = (await insert(event(stamp('00U9')))).data.id;
    await insert(event(stamp('00U10')));
    await insert(event({ extendedProperties: { shared: { sfEventId: '00U9' } } }));
    const gone = (await insert(event(stamp('00U11')))).data.id!;
    await api.events.delete({ calendarId: 'primary', eventId: gone });
    const find = async (...constraints: string[]) =>
      (
        await api.events.list({ calendarId: 'primary', privateExtendedProperty: constraints })
      ).data.items?.map((e) => e.id);
    expect(await find('sfEventId=00U9')).toEqual([wanted]);
    expect(await find('sfEventId=00U11')).toEqual([]);
    // "You can repeat these fields multiple times and the constraints are OR'ed together."
    expect(await find('sfEventId=00U9', 'sfEventId=00U10')).toHaveLength(2);
    expect(
      (
        await api.events.list({
          calendarId: 'primary',
          privateExtendedProperty: ['sfEventId=00U11'],
          showDeleted: true,
        })
      ).data.items?.map((e) => e.id),
    ).toEqual([gone]);
  });

  it('keeps an all-day event’s end date exclusive, and refuses an end on the start date', async () => {
    const allDay = (
      await insert({ summary: 'Offsite', start: { date: '2026-11-26' }, end: { date: '2026-11-28' } })
    ).data;
    expect(allDay).toMatchObject({ start: { date: '2026-11-26' }, end: { date: '2026-11-28' } });
    const window = (timeMin: string, timeMax: string) =>
      api.events
        .list({ calendarId: 'primary', timeMin, timeMax, singleEvents: true })
        .then((r) => r.data.items?.map((e) => e.id));
    expect(await window('2026-11-27T12:00:00Z', '2026-11-27T13:00:00Z')).toContain(allDay.id);
    expect(await window('2026-11-28T00:00:00Z', '2026-11-29T00:00:00Z')).not.toContain(allDay.id);
    expect(
      await failure(insert({ start: { date: '2026-11-26' }, end: { date: '2026-11-26' } })),
    ).toMatchObject({
      status: 400,
      reason: 'timeRangeEmpty',
    });
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      'an end before the start',
      { end: { dateTime: '2026-11-25T08:00:00', timeZone: 'Europe/Berlin' } },
      'The specified time range is empty.',
    ],
    ['no end', { end: undefined }, 'Missing end time.'],
    [
      'a date with a dateTime',
      { end: { date: '2026-11-26' } },
      'Start and end times must either both be date or both be dateTime.',
    ],
    [
      'an unknown time zone',
      { start: { dateTime: '2026-11-25T09:00:00', timeZone: 'Mars/Olympus' } },
      'Invalid time zone definition for start time.',
    ],
    [
      'a local time without a zone',
      { start: { dateTime: '2026-11-25T09:00:00' } },
      'Missing time zone definition for start time.',
    ],
    [
      'six reminders',
      {
        reminders: {
          useDefault: false,
          overrides: [1, 2, 3, 4, 5, 6].map((minutes) => ({ method: 'popup', minutes })),
        },
      },
      'The maximum number of override reminders is 5.',
    ],
    [
      'default reminders with overrides',
      { reminders: { useDefault: true, overrides: [{ method: 'email', minutes: 30 }] } },
      'Cannot specify both default reminders and overrides at the same time.',
    ],
    [
      'a reminder four weeks and a minute ahead',
      { reminders: { useDefault: false, overrides: [{ method: 'popup', minutes: 40321 }] } },
      'Invalid reminder minutes value.',
    ],
    ['an attendee without an address', { attendees: [{ displayName: 'Nobody' }] }, 'Missing attendee email.'],
    ['a made-up visibility', { visibility: 'secret' }, 'Invalid visibility value.'],
  ])('refuses %s', async (_case, overrides, message) => {
    expect(await failure(insert(event(overrides as calendar_v3.Schema$Event)))).toMatchObject({
      status: 400,
      message,
    });
  });

  it('refuses an unknown sendUpdates value and a body that is not JSON', async () => {
    expect(await failure(insert(event(), 'everyone'))).toMatchObject({
      status: 400,
      reason: 'invalidParameter',
    });
    const { access_token: token } = await jwt.authorize();
    const response = await clients.fetch('/calendar/v3/calendars/primary/events', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(response.status).toBe(400);
  });

  it('drops an extended property key over 44 characters and truncates a value over 1,024, as Google says it does', async () => {
    const created = await insert(
      event({ extendedProperties: { private: { ['k'.repeat(45)]: 'dropped', kept: 'v'.repeat(1100) } } }),
    );
    expect(created.data.extendedProperties).toEqual({ private: { kept: 'v'.repeat(1024) } });
    const tooMany = Object.fromEntries(Array.from({ length: 301 }, (_, i) => [`key${i}`, 'x']));
    expect((await failure(insert(event({ extendedProperties: { private: tooMany } })))).status).toBe(400);
  });

  it('records the e-mails sendUpdates would send: all, externalOnly (outside the domain), none', async () => {
    const attendees = [{ email: rep }, { email: colleague }, { email: 'buyer@customer.example' }];
    const all = (await insert(event({ attendees }), 'all')).data;
    expect(all.attendees).toContainEqual({
      email: rep,
      responseStatus: 'needsAction',
      organizer: true,
      self: true,
    });
    const external = (await insert(event({ attendees }), 'externalOnly')).data.id!;
    await insert(event({ attendees }), 'none');
    await insert(event({ attendees }));
    await api.events.patch({
      calendarId: 'primary',
      eventId: all.id!,
      sendUpdates: 'all',
      requestBody: { summary: 'Moved' },
    });
    await api.events.delete({ calendarId: 'primary', eventId: external, sendUpdates: 'externalOnly' });
    expect(google.notifications(rep)).toEqual([
      { eventId: all.id, kind: 'invitation', to: [colleague, 'buyer@customer.example'] },
      { eventId: external, kind: 'invitation', to: ['buyer@customer.example'] },
      { eventId: all.id, kind: 'update', to: [colleague, 'buyer@customer.example'] },
      { eventId: external, kind: 'cancellation', to: ['buyer@customer.example'] },
    ]);
  });

  it('answers with only the fields a partial-response mask asks for, and refuses a field events do not have', async () => {
    const created = await api.events.insert({ calendarId: 'primary', fields: 'id', requestBody: event() });
    expect(Object.keys(created.data)).toEqual(['id']);
    const listed = await api.events.list({
      calendarId: 'primary',
      maxResults: 1,
      fields: 'items(id,start/timeZone),nextPageToken',
    });
    expect(Object.keys(listed.data).sort()).toEqual(['items', 'nextPageToken']);
    expect(Object.keys(listed.data.items?.[0] ?? {}).sort()).toEqual(['id', 'start']);
    expect(Object.keys(listed.data.items?.[0]?.start ?? {})).toEqual(['timeZone']);
    const refused = api.events.list({ calendarId: 'primary', fields: 'items(id,colour)' }, { retry: false });
    expect(await failure(refused)).toMatchObject({ status: 400, reason: 'invalidParameter' });
  });

  it('refuses a sequence below the event’s, and replaces the whole event on update', async () => {
    const id = (await insert(event({ location: 'Room 1', sequence: 3 }))).data.id!;
    expect(
      await failure(api.events.patch({ calendarId: 'primary', eventId: id, requestBody: { sequence: 1 } })),
    ).toMatchObject({
      status: 400,
    });
    const updated = (
      await api.events.update({
        calendarId: 'primary',
        eventId: id,
        requestBody: event({ summary: 'Replaced' }),
      })
    ).data;
    expect(updated).toMatchObject({ summary: 'Replaced', sequence: 4 });
    expect(updated).not.toHaveProperty('location');
  });
});
