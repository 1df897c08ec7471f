// Lightning event series in the sandbox org, as a real client (jsforce) and the real Pub/Sub
// client see them: the series record (GroupEventType 3) and one Event per occurrence, edits of an
// occurrence (exceptions) and of the series (shared values, or every occurrence remade),
// single deletes, DELETE …/fromThisEventOnwards (answered at once, committed afterwards) and its
// refusals, invitees' copies of each occurrence, DST and all-day series, and the change events
// of one series write.
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Connection } from '@jsforce/jsforce-node';
import PubSubApiClient from 'salesforce-pubsub-api-client';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSalesforceSandbox, type SalesforceSandbox } from './index.ts';
import { testAccessToken } from './test-sign-in.ts';
import { OrgData } from './org-data.ts';
import { SandboxClock } from './sandbox-clock.ts';

type Row = Record<string, unknown> & { Id: string };

const seriesFields = [
  'Id',
  'Subject',
  'Location',
  'ShowAs',
  'OwnerId',
  'StartDateTime',
  'EndDateTime',
  'ActivityDateTime',
  'ActivityDate',
  'DurationInMinutes',
  'IsAllDayEvent',
  'IsChild',
  'IsGroupEvent',
  'GroupEventType',
  'IsRecurrence2',
  'Recurrence2PatternText',
  'Recurrence2PatternTimeZone',
  'Recurrence2PatternStartDate',
  'Recurrence2PatternVersion',
  'IsRecurrence2Exception',
  'IsRecurrence2Exclusion',
  'ActivityRecurrence2Id',
  'ReminderDateTime',
].join(', ');

const deletionAnswer = {
  success: 'We’re deleting the selected events from the series. Wait for all events to be removed.',
};

/** What a jsforce call rejected with: its errorCode and the error Salesforce sent. */
async function failure(call: Promise<unknown>): Promise<{ errorCode: string; data: unknown }> {
  const error = (await call.then(
    () => undefined,
    (e: unknown) => e,
  )) as { errorCode?: string; data?: unknown } | undefined;
  if (error === undefined) throw new Error('the call succeeded');
  return { errorCode: String(error.errorCode), data: error.data };
}

/** Waits until `condition` holds, checking every 25 ms, for up to 20 s (a busy machine is slow). */
async function until(condition: () => boolean | Promise<boolean>, what = 'condition'): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${what} not met within 20 s`);
}

describe('Lightning event series over REST', () => {
  let org: SalesforceSandbox;
  let token: string;
  let ownerId: string;
  let colleagueId: string;
  let contactId: string;
  let conn: Connection;

  beforeAll(async () => {
    org = await startSalesforceSandbox({ autoApprove: true, startTime: Date.UTC(2026, 10, 24, 8) });
    ownerId = org.addUser({
      username: 'rep@acme.example',
      email: 'rep@acme.example',
      timeZoneSidKey: 'Europe/Berlin',
    }).Id;
    colleagueId = org.addUser({ username: 'pa@acme.example', email: 'pa@acme.example' }).Id;
    contactId = org.addContact({ lastName: 'Customer', email: 'c@customer.example' }).id;
    token = await testAccessToken(org, { username: 'rep@acme.example' });
    conn = new Connection({ instanceUrl: org.url, accessToken: token, version: '66.0' });
  });
  afterAll(() => org.close());

  const query = async (where: string): Promise<Row[]> =>
    (await conn.query<Row>(`SELECT ${seriesFields} FROM Event WHERE ${where}`)).records;
  /** The series record and the occurrence records of the series named by `subject`, occurrences by start. */
  const seriesBySubject = async (subject: string) => {
    const rows = await query(`Subject = '${subject}' AND IsChild = false`);
    return {
      series: rows.filter((r) => r['GroupEventType'] === '3'),
      occurrences: rows
        .filter((r) => r['GroupEventType'] !== '3')
        .sort((a, b) => String(a['StartDateTime']).localeCompare(String(b['StartDateTime']))),
    };
  };
  const createSeries = async (fields: Record<string, unknown>) =>
    (await conn.sobject('Event').create({
      StartDateTime: '2026-12-01T09:00:00Z',
      EndDateTime: '2026-12-01T10:00:00Z',
      IsRecurrence2: true,
      Recurrence2PatternText: 'RRULE:FREQ=WEEKLY;BYDAY=TU;INTERVAL=1;COUNT=4',
      Recurrence2PatternTimeZone: 'Europe/Berlin',
      ...fields,
    })) as { id: string; success: boolean; errors: unknown[] };
  /** The same series made in the org by its owner (invitees are EventRelation rows, not a REST field). */
  const createSeriesInOrg = (fields: Record<string, unknown>) =>
    org.createEvent(ownerId, {
      StartDateTime: '2026-12-01T09:00:00Z',
      EndDateTime: '2026-12-01T10:00:00Z',
      IsRecurrence2: true,
      Recurrence2PatternText: 'RRULE:FREQ=WEEKLY;BYDAY=TU;INTERVAL=1;COUNT=4',
      Recurrence2PatternTimeZone: 'Europe/Berlin',
      ...fields,
    }).Id;
  const deleteOnwards = (id: string, viaConn = conn) =>
    viaConn.request({
      method: 'DELETE',
      url: `/services/data/v66.0/sobjects/Event/${id}/fromThisEventOnwards`,
    });

  it('creates a series record (GroupEventType 3) and one Event per occurrence, answering with the first occurrence', async () => {
    const answer = await createSeries({ Subject: 'Weekly sync', Location: 'Room 1', ShowAs: 'Busy' });
    expect(answer).toEqual({ id: expect.stringMatching(/^00U/) as unknown, success: true, errors: [] });
    const { series, occurrences } = await seriesBySubject('Weekly sync');
    expect(series).toHaveLength(1);
    const seriesKey = series[0]?.['ActivityRecurrence2Id'];
    expect(seriesKey).toMatch(/^828[A-Za-z0-9]{15}$/);
    expect(series[0]).toMatchObject({
      GroupEventType: '3',
      IsRecurrence2: true,
      Recurrence2PatternText: 'RRULE:FREQ=WEEKLY;BYDAY=TU;INTERVAL=1;COUNT=4',
      Recurrence2PatternTimeZone: 'Europe/Berlin',
      Recurrence2PatternStartDate: '2026-12-01T09:00:00.000+0000',
      Recurrence2PatternVersion: '1',
      StartDateTime: '2026-12-01T09:00:00.000+0000',
      EndDateTime: '2026-12-01T10:00:00.000+0000',
      DurationInMinutes: 60,
      IsChild: false,
      IsRecurrence2Exception: false,
      Subject: 'Weekly sync',
      Location: 'Room 1',
    });
    expect(occurrences.map((o) => [o['StartDateTime'], o['EndDateTime'], o['ActivityDate']])).toEqual([
      ['2026-12-01T09:00:00.000+0000', '2026-12-01T10:00:00.000+0000', '2026-12-01'],
      ['2026-12-08T09:00:00.000+0000', '2026-12-08T10:00:00.000+0000', '2026-12-08'],
      ['2026-12-15T09:00:00.000+0000', '2026-12-15T10:00:00.000+0000', '2026-12-15'],
      ['2026-12-22T09:00:00.000+0000', '2026-12-22T10:00:00.000+0000', '2026-12-22'],
    ]);
    expect(occurrences[0]?.Id).toBe(answer.id);
    for (const occurrence of occurrences) {
      expect(occurrence).toMatchObject({
        GroupEventType: '0',
        IsRecurrence2: true,
        IsRecurrence2Exception: false,
        IsRecurrence2Exclusion: false,
        // Every record of the series carries its pattern and the id of its ActivityRecurrence2
        // (Change Data Capture Developer Guide, Recurring Activities).
        ActivityRecurrence2Id: seriesKey,
        Recurrence2PatternText: 'RRULE:FREQ=WEEKLY;BYDAY=TU;INTERVAL=1;COUNT=4',
        Recurrence2PatternVersion: '1',
        Subject: 'Weekly sync',
        Location: 'Room 1',
        ShowAs: 'Busy',
        DurationInMinutes: 60,
        OwnerId: ownerId,
        IsChild: false,
      });
      expect(occurrence['ActivityDateTime']).toBe(occurrence['StartDateTime']);
    }
    // The series' records, by the ActivityRecurrence2 they share.
    const members = await query(`ActivityRecurrence2Id = '${String(seriesKey)}' AND GroupEventType != '3'`);
    expect(members.map((r) => r.Id).sort()).toEqual(occurrences.map((o) => o.Id).sort());
    expect(org.getSeries(answer.id)?.occurrences.map((o) => o.Id)).toEqual(occurrences.map((o) => o.Id));
  });

  it('refuses a series without a pattern, with a pattern it cannot expand, or starting off its pattern', async () => {
    expect(await failure(createSeries({ Subject: 'No rule', Recurrence2PatternText: null }))).toEqual({
      errorCode: 'REQUIRED_FIELD_MISSING',
      data: {
        message: 'Required fields are missing: [Recurrence2PatternText]',
        errorCode: 'REQUIRED_FIELD_MISSING',
        fields: ['Recurrence2PatternText'],
      },
    });
    for (const pattern of [
      'RRULE:FREQ=HOURLY;COUNT=3',
      'FREQ=WEEKLY;BYDAY=TU',
      'RRULE:FREQ=WEEKLY;BYDAY=XX;COUNT=2',
      'RRULE:FREQ=WEEKLY;COUNT=2;UNTIL=20261231T000000Z',
      'RRULE:FREQ=DAILY;INTERVAL=0',
      // 1 December 2026 is a Tuesday: a Monday series cannot start on it.
      'RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=2',
    ]) {
      expect(
        await failure(createSeries({ Subject: 'Bad rule', Recurrence2PatternText: pattern })),
      ).toMatchObject({
        errorCode: 'FIELD_INTEGRITY_EXCEPTION',
        data: { fields: ['Recurrence2PatternText'] },
      });
    }
    expect(
      await failure(createSeries({ Subject: 'Bad zone', Recurrence2PatternTimeZone: 'Mars/Olympus' })),
    ).toMatchObject({ errorCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST' });
    expect(
      await failure(createSeries({ Subject: 'Own key', ActivityRecurrence2Id: '828000000000001AAA' })),
    ).toMatchObject({
      errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE',
      data: { fields: ['ActivityRecurrence2Id'] },
    });
    expect(await seriesBySubject('Bad rule')).toEqual({ series: [], occurrences: [] });
  });

  it('makes an occurrence edited on its own an exception, and refuses a pattern on an occurrence', async () => {
    await createSeries({ Subject: 'Coaching' });
    const { occurrences } = await seriesBySubject('Coaching');
    const [, second, third] = occurrences;
    await conn.sobject('Event').update({ Id: second?.Id ?? '', Subject: 'Coaching (with Ana)' });
    await conn.sobject('Event').update({
      Id: third?.Id ?? '',
      StartDateTime: '2026-12-16T13:00:00Z',
      EndDateTime: '2026-12-16T14:00:00Z',
    });
    const after = await query(`Id IN ('${occurrences.map((o) => o.Id).join("','")}')`);
    const byId = new Map(after.map((r) => [r.Id, r]));
    expect(byId.get(second?.Id ?? '')).toMatchObject({
      Subject: 'Coaching (with Ana)',
      IsRecurrence2Exception: true,
    });
    expect(byId.get(third?.Id ?? '')).toMatchObject({
      StartDateTime: '2026-12-16T13:00:00.000+0000',
      ActivityDate: '2026-12-16',
      IsRecurrence2Exception: true,
    });
    expect(byId.get(occurrences[0]?.Id ?? '')?.['IsRecurrence2Exception']).toBe(false);
    expect((await seriesBySubject('Coaching')).series[0]?.['Subject']).toBe('Coaching');

    for (const field of ['Recurrence2PatternText', 'Recurrence2PatternTimeZone', 'IsRecurrence2']) {
      const value =
        field === 'IsRecurrence2' ? false : field === 'Recurrence2PatternText' ? 'RRULE:FREQ=DAILY' : 'UTC';
      expect(
        await failure(conn.sobject('Event').update({ Id: second?.Id ?? '', [field]: value })),
      ).toMatchObject({
        errorCode: 'FIELD_INTEGRITY_EXCEPTION',
        data: { fields: [field] },
      });
    }
    expect(
      await failure(conn.sobject('Event').update({ Id: second?.Id ?? '', IsRecurrence2Exception: false })),
    ).toMatchObject({ errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE' });
  });

  it('passes a subject-only series edit to the occurrences that are not exceptions, keeping their ids', async () => {
    await createSeries({ Subject: 'Standup' });
    const before = await seriesBySubject('Standup');
    const [first, second] = before.occurrences;
    await conn.sobject('Event').update({ Id: second?.Id ?? '', Location: 'Kitchen' }); // now an exception
    await conn
      .sobject('Event')
      .update({ Id: before.series[0]?.Id ?? '', Subject: 'Daily standup', Location: 'Hall' });
    const after = await seriesBySubject('Daily standup');
    expect(after.series.map((r) => r.Id)).toEqual(before.series.map((r) => r.Id));
    expect(after.occurrences.map((o) => o.Id)).toEqual(
      before.occurrences.filter((o) => o.Id !== second?.Id).map((o) => o.Id),
    );
    for (const occurrence of after.occurrences) expect(occurrence['Location']).toBe('Hall');
    const exception = await conn.sobject('Event').retrieve(second?.Id ?? '');
    expect(exception).toMatchObject({
      Subject: 'Standup',
      Location: 'Kitchen',
      IsRecurrence2Exception: true,
    });
    expect(after.occurrences[0]?.Id).toBe(first?.Id);
  });

  it('replaces every occurrence (exceptions too) with new records when the series’ time or pattern changes', async () => {
    await createSeries({ Subject: 'Review' });
    const before = await seriesBySubject('Review');
    await conn
      .sobject('Event')
      .update({ Id: before.occurrences[1]?.Id ?? '', Subject: 'Review', Location: 'Moved' });
    const seriesId = before.series[0]?.Id ?? '';
    await conn.sobject('Event').update({
      Id: seriesId,
      StartDateTime: '2026-12-01T14:00:00Z',
      EndDateTime: '2026-12-01T14:30:00Z',
    });
    const retimed = await seriesBySubject('Review');
    expect(retimed.series.map((r) => r.Id)).toEqual([seriesId]);
    expect(retimed.series[0]).toMatchObject({
      Recurrence2PatternStartDate: '2026-12-01T14:00:00.000+0000',
      DurationInMinutes: 30,
    });
    expect(retimed.occurrences.map((o) => o['StartDateTime'])).toEqual([
      '2026-12-01T14:00:00.000+0000',
      '2026-12-08T14:00:00.000+0000',
      '2026-12-15T14:00:00.000+0000',
      '2026-12-22T14:00:00.000+0000',
    ]);
    const oldIds = new Set(before.occurrences.map((o) => o.Id));
    expect(retimed.occurrences.some((o) => oldIds.has(o.Id))).toBe(false);
    expect(
      retimed.occurrences.every((o) => o['IsRecurrence2Exception'] === false && o['Location'] === null),
    ).toBe(true);
    expect((await failure(conn.sobject('Event').retrieve(before.occurrences[1]?.Id ?? ''))).errorCode).toBe(
      'ENTITY_IS_DELETED',
    );

    await conn.sobject('Event').update({
      Id: seriesId,
      Recurrence2PatternText: 'RRULE:FREQ=WEEKLY;BYDAY=TU,TH;INTERVAL=2;COUNT=3',
    });
    const repatterned = await seriesBySubject('Review');
    expect(repatterned.occurrences.map((o) => o['StartDateTime'])).toEqual([
      '2026-12-01T14:00:00.000+0000',
      '2026-12-03T14:00:00.000+0000',
      '2026-12-15T14:00:00.000+0000',
    ]);
    expect(
      repatterned.occurrences.every(
        (o) => o['Recurrence2PatternText'] === 'RRULE:FREQ=WEEKLY;BYDAY=TU,TH;INTERVAL=2;COUNT=3',
      ),
    ).toBe(true);
    expect(repatterned.occurrences.some((o) => retimed.occurrences.some((r) => r.Id === o.Id))).toBe(false);
  });

  it('deletes one occurrence alone; deleting the series record deletes every occurrence', async () => {
    await createSeries({ Subject: 'Lunch' });
    const before = await seriesBySubject('Lunch');
    await conn.sobject('Event').destroy(before.occurrences[2]?.Id ?? '');
    const after = await seriesBySubject('Lunch');
    expect(after.series).toHaveLength(1);
    expect(after.occurrences.map((o) => o.Id)).toEqual(
      before.occurrences.filter((_, i) => i !== 2).map((o) => o.Id),
    );
    const deleted = await conn.query<Row>(
      `SELECT Id, IsDeleted FROM Event WHERE Id = '${before.occurrences[2]?.Id ?? ''}'`,
      { scanAll: true },
    );
    expect(deleted.records[0]?.['IsDeleted']).toBe(true);

    await conn.sobject('Event').destroy(before.series[0]?.Id ?? '');
    expect(await seriesBySubject('Lunch')).toEqual({ series: [], occurrences: [] });
    // Undeleted, the series record brings back the occurrences deleted with it, not the one deleted before.
    org.undeleteEvent(before.series[0]?.Id ?? '');
    expect((await seriesBySubject('Lunch')).occurrences.map((o) => o.Id)).toEqual(
      after.occurrences.map((o) => o.Id),
    );
  });

  it('deletes from a middle occurrence onwards after answering, and cuts the pattern before it', async () => {
    await createSeries({ Subject: 'Planning' });
    const before = await seriesBySubject('Planning');
    const third = before.occurrences[2]?.Id ?? '';
    expect(await deleteOnwards(third)).toEqual(deletionAnswer);
    await until(async () => (await seriesBySubject('Planning')).occurrences.length === 2, 'the deletions');
    const after = await seriesBySubject('Planning');
    expect(after.occurrences.map((o) => o.Id)).toEqual(before.occurrences.slice(0, 2).map((o) => o.Id));
    // COUNT gives way to UNTIL = the previous occurrence's start, in UTC.
    const cut = 'RRULE:FREQ=WEEKLY;BYDAY=TU;INTERVAL=1;UNTIL=20261208T090000Z';
    expect(after.series[0]).toMatchObject({
      Recurrence2PatternText: cut,
      Recurrence2PatternStartDate: '2026-12-01T09:00:00.000+0000',
    });
    expect(after.occurrences.every((o) => o['Recurrence2PatternText'] === cut)).toBe(true);
    expect((await failure(conn.sobject('Event').retrieve(before.occurrences[3]?.Id ?? ''))).errorCode).toBe(
      'ENTITY_IS_DELETED',
    );
  });

  it('deletes the whole series from its first occurrence onwards', async () => {
    const { id } = await createSeries({ Subject: 'Offsite prep' });
    expect(await deleteOnwards(id)).toEqual(deletionAnswer);
    await until(
      async () =>
        (await conn.query(`SELECT COUNT() FROM Event WHERE Subject = 'Offsite prep'`)).totalSize === 0,
      'the series deleted',
    );
  });

  it('refuses DELETE …/fromThisEventOnwards for what Salesforce does not take', async () => {
    const first = createSeriesInOrg({ Subject: 'Refusals', invitees: [colleagueId] });
    const { series, occurrences } = await seriesBySubject('Refusals');
    const refusal = async (id: string) => (await failure(deleteOnwards(id))).data;
    const single = (await conn.sobject('Event').create({
      Subject: 'Single',
      StartDateTime: '2026-12-01T09:00:00Z',
      DurationInMinutes: 30,
    })) as { id: string };
    expect(await refusal(single.id)).toMatchObject({
      errorCode: 'INVALID_OPERATION',
      message: expect.stringContaining('IsRecurrence2 is false') as unknown,
    });
    expect(await refusal(series[0]?.Id ?? '')).toMatchObject({
      errorCode: 'INVALID_OPERATION',
      message: expect.stringContaining('series record') as unknown,
    });
    const child = await query(`IsChild = true AND Subject = 'Refusals'`);
    expect(child.length).toBe(4);
    expect(await refusal(child[0]?.Id ?? '')).toMatchObject({
      errorCode: 'INVALID_OPERATION',
      message: expect.stringContaining('child event') as unknown,
    });
    org.updateEvent(occurrences[3]?.Id ?? '', { IsRecurrence2Exclusion: true }, { unchecked: true });
    expect(await refusal(occurrences[3]?.Id ?? '')).toMatchObject({
      errorCode: 'INVALID_OPERATION',
      message: expect.stringContaining('IsRecurrence2Exclusion') as unknown,
    });
    // The first occurrence moved to the day before the series began.
    await conn.sobject('Event').update({
      Id: first,
      StartDateTime: '2026-11-30T09:00:00Z',
      EndDateTime: '2026-11-30T10:00:00Z',
    });
    expect(await refusal(first)).toMatchObject({
      errorCode: 'INVALID_OPERATION',
      message: expect.stringContaining('Recurrence2PatternStartDate') as unknown,
    });
    // Plain HTTP: unknown, deleted, and another method.
    const http = (id: string, method = 'DELETE') =>
      fetch(`${org.url}/services/data/v66.0/sobjects/Event/${id}/fromThisEventOnwards`, {
        method,
        headers: { authorization: `Bearer ${token}` },
      });
    const unknown = await http('00U5g00000ZZZZZAAA');
    expect([unknown.status, await unknown.json()]).toEqual([
      404,
      [{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }],
    ]);
    await conn.sobject('Event').destroy(occurrences[2]?.Id ?? '');
    const deleted = await http(occurrences[2]?.Id ?? '');
    expect([deleted.status, ((await deleted.json()) as { errorCode: string }[])[0]?.errorCode]).toEqual([
      404,
      'ENTITY_IS_DELETED',
    ]);
    const get = await http(occurrences[1]?.Id ?? '', 'GET');
    expect([get.status, await get.json()]).toEqual([
      405,
      [{ errorCode: 'METHOD_NOT_ALLOWED', message: "HTTP Method 'GET' not allowed. Allowed are DELETE" }],
    ]);
    // Nothing was deleted by any of them.
    expect((await seriesBySubject('Refusals')).occurrences).toHaveLength(3);
    const ok = await http(occurrences[1]?.Id ?? '');
    expect([ok.status, await ok.json()]).toEqual([200, deletionAnswer]);
    await until(async () => (await seriesBySubject('Refusals')).occurrences.length === 1, 'the deletions');
  });

  it('gives each invited user a child copy of every occurrence, and the series record its invitees', async () => {
    createSeriesInOrg({ Subject: 'Account review', invitees: [colleagueId, contactId] });
    const { series, occurrences } = await seriesBySubject('Account review');
    const seriesKey = String(series[0]?.['ActivityRecurrence2Id']);
    const children = await query(`IsChild = true AND ActivityRecurrence2Id = '${seriesKey}'`);
    expect(children).toHaveLength(4);
    expect(children.every((c) => c['OwnerId'] === colleagueId && c['IsGroupEvent'] === true)).toBe(true);
    expect(children.map((c) => c['StartDateTime']).sort()).toEqual(
      occurrences.map((o) => o['StartDateTime']),
    );
    const relations = (
      await conn.query<Row>(
        `SELECT Id, EventId, RelationId FROM EventRelation WHERE RelationId IN ('${colleagueId}','${contactId}')`,
      )
    ).records.filter((r) => [series[0]?.Id, ...occurrences.map((o) => o.Id)].includes(String(r['EventId'])));
    expect(relations).toHaveLength(2 * 5);
    expect(occurrences.every((o) => o['IsGroupEvent'] === true && o['GroupEventType'] === '1')).toBe(true);
    // An occurrence's edit reaches its own copies only.
    await conn.sobject('Event').update({ Id: occurrences[0]?.Id ?? '', Subject: 'Account review (moved)' });
    const followed = await query(
      `IsChild = true AND ActivityRecurrence2Id = '${seriesKey}' AND Subject = 'Account review (moved)'`,
    );
    expect(followed).toHaveLength(1);
    expect(followed[0]?.['IsRecurrence2Exception']).toBe(true);
  });

  it('keeps the local start time of a weekly series in Europe/Berlin across the late-March change', async () => {
    await createSeries({
      Subject: 'Spring series',
      StartDateTime: '2027-03-16T08:00:00Z', // 09:00 in Berlin (CET)
      EndDateTime: '2027-03-16T08:45:00Z',
      Recurrence2PatternText: 'RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=4',
      Recurrence2PatternTimeZone: 'Europe/Berlin',
    });
    const { occurrences } = await seriesBySubject('Spring series');
    expect(occurrences.map((o) => [o['StartDateTime'], o['EndDateTime']])).toEqual([
      ['2027-03-16T08:00:00.000+0000', '2027-03-16T08:45:00.000+0000'],
      ['2027-03-23T08:00:00.000+0000', '2027-03-23T08:45:00.000+0000'],
      // Summer time from 28 March: 09:00 in Berlin is 07:00 UTC.
      ['2027-03-30T07:00:00.000+0000', '2027-03-30T07:45:00.000+0000'],
      ['2027-04-06T07:00:00.000+0000', '2027-04-06T07:45:00.000+0000'],
    ]);
  });

  it('makes an all-day series of dates, and cuts it with an UNTIL date', async () => {
    const { id } = await createSeries({
      Subject: 'Holidays',
      StartDateTime: undefined,
      EndDateTime: undefined,
      IsAllDayEvent: true,
      ActivityDate: '2026-12-24',
      DurationInMinutes: 1440,
      Recurrence2PatternText: 'RRULE:FREQ=DAILY;INTERVAL=1;COUNT=3',
      Recurrence2PatternTimeZone: 'America/New_York',
    });
    const { series, occurrences } = await seriesBySubject('Holidays');
    expect(series[0]).toMatchObject({
      IsAllDayEvent: true,
      ActivityDate: '2026-12-24',
      Recurrence2PatternStartDate: '2026-12-24T00:00:00.000+0000',
    });
    expect(
      occurrences.map((o) => [
        o['ActivityDate'],
        o['StartDateTime'],
        o['EndDateTime'],
        o['ActivityDateTime'],
      ]),
    ).toEqual([
      ['2026-12-24', '2026-12-24T00:00:00.000+0000', '2026-12-24T00:00:00.000+0000', null],
      ['2026-12-25', '2026-12-25T00:00:00.000+0000', '2026-12-25T00:00:00.000+0000', null],
      ['2026-12-26', '2026-12-26T00:00:00.000+0000', '2026-12-26T00:00:00.000+0000', null],
    ]);
    expect(occurrences[0]?.Id).toBe(id);
    expect(occurrences.every((o) => o['DurationInMinutes'] === 1440 && o['IsAllDayEvent'] === true)).toBe(
      true,
    );
    await deleteOnwards(occurrences[2]?.Id ?? '');
    await until(async () => (await seriesBySubject('Holidays')).occurrences.length === 2, 'the deletion');
    expect((await seriesBySubject('Holidays')).series[0]?.['Recurrence2PatternText']).toBe(
      'RRULE:FREQ=DAILY;INTERVAL=1;UNTIL=20261225',
    );
  });

  it('expands a rule without COUNT or UNTIL over five years', async () => {
    await createSeries({ Subject: 'Forever', Recurrence2PatternText: 'RRULE:FREQ=MONTHLY;BYMONTHDAY=1' });
    const { occurrences } = await seriesBySubject('Forever');
    expect(occurrences).toHaveLength(61);
    expect(occurrences.at(-1)?.['StartDateTime']).toBe('2031-12-01T09:00:00.000+0000');
  });
});

describe('a series fromThisEventOnwards, in the org', () => {
  it('answers before the deletions and commits them afterwards, in one transaction', async () => {
    const data = new OrgData(new SandboxClock(Date.UTC(2026, 10, 24)), { seriesDeletionDelayMs: 5 });
    const owner = data.addUser({
      username: 'o@acme.example',
      email: 'o@acme.example',
      timeZoneSidKey: 'UTC',
    }).Id;
    const transactions: string[][] = [];
    data.onEventWrite((t) => transactions.push(t.changes.map((c) => `${c.changeType}:${c.records.length}`)));
    const first = data.createEvent(owner, {
      Subject: 'Async',
      StartDateTime: '2026-12-01T09:00:00Z',
      DurationInMinutes: 30,
      IsRecurrence2: true,
      Recurrence2PatternText: 'RRULE:FREQ=DAILY;COUNT=5',
    });
    const series = data.seriesOf(first.Id);
    const third = series?.occurrences[2]?.Id ?? '';
    const committed = data.deleteFromThisEventOnwards(owner, third);
    // Accepted, not yet done.
    expect(data.seriesOf(first.Id)?.occurrences).toHaveLength(5);
    await committed;
    expect(data.seriesOf(first.Id)?.occurrences).toHaveLength(2);
    expect(data.seriesOf(first.Id)?.series['Recurrence2PatternText']).toBe(
      'RRULE:FREQ=DAILY;UNTIL=20261202T090000Z',
    );
    expect(transactions).toEqual([
      ['CREATE:1', 'CREATE:1', 'CREATE:1', 'CREATE:1', 'CREATE:1', 'CREATE:1'],
      ['UPDATE:3', 'DELETE:3'],
    ]);
  });
});

interface Received {
  replayId: number;
  payload: {
    ChangeEventHeader: {
      changeType: string;
      recordIds: string[];
      changedFields: string[];
      transactionKey: string;
      sequenceNumber: number;
      commitNumber: number;
    };
    [field: string]: unknown;
  };
}

describe('Lightning event series over change data capture', () => {
  let org: SalesforceSandbox;
  let ownerId: string;
  let client: PubSubApiClient | undefined;

  beforeAll(async () => {
    org = await startSalesforceSandbox({ autoApprove: true, pubSub: true, pubSubKeepaliveMs: 1000 });
    ownerId = org.addUser({
      username: 'rep@acme.example',
      email: 'rep@acme.example',
      timeZoneSidKey: 'Europe/Berlin',
    }).Id;
  });
  afterAll(async () => {
    await org.close();
    client?.close();
  });

  it('publishes the series record’s CREATE first, then each occurrence’s, in one transaction', async () => {
    const dispatcher = new Agent({
      connect: { ca: [...rootCertificates, readFileSync(org.caFile ?? '', 'utf8')] },
    });
    const token = await testAccessToken(org, {
      username: 'rep@acme.example',
      fetch: (url, init) => undiciFetch(url, { ...init, dispatcher } as never),
    });
    client = new PubSubApiClient(
      {
        authType: 'user-supplied',
        accessToken: token,
        instanceUrl: org.url,
        organizationId: org.orgId,
        pubSubEndpoint: org.pubSubEndpoint ?? '',
        rejectUnauthorizedSsl: false,
      },
      { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    );
    await client.connect();
    const events: Received[] = [];
    // From the earliest retained event: nothing is missed, however long the subscription takes.
    client.subscribeFromEarliestEvent(
      '/data/EventChangeEvent',
      (_info: unknown, type: string, data: unknown) => {
        if (type === 'event') events.push(data as Received);
      },
      null,
    );
    const first = org.createEvent(ownerId, {
      Subject: 'Board prep',
      StartDateTime: '2026-12-02T09:00:00Z',
      DurationInMinutes: 60,
      IsRecurrence2: true,
      Recurrence2PatternText: 'RRULE:FREQ=WEEKLY;BYDAY=WE;COUNT=3',
    });
    const series = org.getSeries(first.Id);
    await until(() => events.length >= 4, 'four change events');
    const ordered = [...events].sort((a, b) => a.replayId - b.replayId);
    const headers = ordered.map((e) => e.payload.ChangeEventHeader);
    expect(headers.map((h) => [h.changeType, h.sequenceNumber, h.recordIds])).toEqual([
      ['CREATE', 1, [series?.series.Id]],
      ['CREATE', 2, [series?.occurrences[0]?.Id]],
      ['CREATE', 3, [series?.occurrences[1]?.Id]],
      ['CREATE', 4, [series?.occurrences[2]?.Id]],
    ]);
    expect(new Set(headers.map((h) => h.transactionKey)).size).toBe(1);
    expect(new Set(headers.map((h) => h.commitNumber)).size).toBe(1);
    const key = series?.series['ActivityRecurrence2Id'];
    expect(ordered[0]?.payload).toMatchObject({
      GroupEventType: '3',
      Recurrence2PatternText: 'RRULE:FREQ=WEEKLY;BYDAY=WE;COUNT=3',
      Recurrence2PatternVersion: '1',
      ActivityRecurrence2Id: key,
      IsRecurrence2: true,
    });
    expect(ordered[1]?.payload).toMatchObject({
      GroupEventType: '0',
      ActivityRecurrence2Id: key,
      IsRecurrence2Exception: false,
      StartDateTime: Date.parse('2026-12-02T09:00:00Z'),
    });

    // A subject-only series edit: one UPDATE for the series record and its occurrences alike.
    org.updateEvent(series?.series.Id ?? '', { Subject: 'Board prep (draft)' });
    await until(() => events.length >= 5, 'the update');
    const update = [...events].sort((a, b) => a.replayId - b.replayId)[4];
    expect(update?.payload.ChangeEventHeader).toMatchObject({ changeType: 'UPDATE', sequenceNumber: 1 });
    expect(update?.payload.ChangeEventHeader.recordIds.sort()).toEqual(
      [series?.series.Id, ...(series?.occurrences.map((o) => o.Id) ?? [])].sort(),
    );
    expect(update?.payload.ChangeEventHeader.changedFields.sort()).toEqual(['LastModifiedDate', 'Subject']);

    // A pattern change: the series record's UPDATE, the old occurrences' DELETE, the new ones' CREATEs.
    org.updateEvent(series?.series.Id ?? '', {
      Recurrence2PatternText: 'RRULE:FREQ=WEEKLY;BYDAY=WE;COUNT=2',
    });
    await until(() => events.length >= 9, 'the series remade');
    const remade = [...events]
      .sort((a, b) => a.replayId - b.replayId)
      .slice(5)
      .map((e) => e.payload.ChangeEventHeader);
    expect(remade.map((h) => [h.changeType, h.sequenceNumber, h.recordIds.length])).toEqual([
      ['UPDATE', 1, 1],
      ['DELETE', 2, 3],
      ['CREATE', 3, 1],
      ['CREATE', 4, 1],
    ]);
    expect(new Set(remade.map((h) => h.transactionKey)).size).toBe(1);
  });
});
