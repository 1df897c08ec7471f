// The sandbox org refuses and answers what Salesforce refuses and answers, as a real client
// (jsforce) and the wire see it: query totals on every page and reusable next-page locators,
// ENTITY_IS_DELETED for a record in the recycle bin and null for it in a collection read, field
// limits on Event writes, the limits resource and its permission, the daily limit's tolerance,
// SELECT COUNT(), and JSON errors for resources that do not exist.
import { Connection } from '@jsforce/jsforce-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSalesforceSandbox, type SalesforceSandbox } from './index.ts';
import { jsforceFailure as failure, testAccessToken } from './test-sign-in.ts';

const day = 86_400_000;

interface QueryPage {
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
  records: Record<string, unknown>[];
}

describe('sandbox REST API, as strict as Salesforce', () => {
  let org: SalesforceSandbox;
  let token: string;
  let ownerId: string;
  let conn: Connection;

  beforeAll(async () => {
    org = await startSalesforceSandbox({ autoApprove: true, startTime: Date.UTC(2026, 10, 24, 8) });
    ownerId = org.addUser({ username: 'rep@acme.example', email: 'rep@acme.example' }).Id;
    token = await testAccessToken(org, { username: 'rep@acme.example' });
    conn = new Connection({ instanceUrl: org.url, accessToken: token, version: '66.0' });
  });
  afterAll(() => org.close());

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${org.url}${path.startsWith('/services') ? '' : '/services/data/v66.0'}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        ...(init.headers as Record<string, string> | undefined),
      },
    });
  const event = (fields: Record<string, unknown> = {}) =>
    org.createEvent(ownerId, {
      Subject: 'Meeting',
      StartDateTime: '2026-12-01T09:00:00Z',
      DurationInMinutes: 30,
      ...fields,
    });

  describe('query paging', () => {
    beforeAll(() => {
      for (let i = 0; i < 2500; i++) event({ Subject: `Paged ${i}` });
    });

    it('reports the query’s totalSize on every page and points nextRecordsUrl at the next record', async () => {
      const soql = encodeURIComponent("SELECT Id FROM Event WHERE Subject LIKE 'Paged%'");
      const options = { headers: { 'sforce-query-options': 'batchSize=1000' } };
      const first = (await (await api(`/query?q=${soql}`, options)).json()) as QueryPage;
      expect(first).toMatchObject({ totalSize: 2500, done: false });
      expect(first.records).toHaveLength(1000);
      expect(first.nextRecordsUrl).toMatch(/^\/services\/data\/v66\.0\/query\/0r8[A-Za-z0-9]{15}-1000$/);
      const second = (await (await api(first.nextRecordsUrl ?? '', options)).json()) as QueryPage;
      expect(second).toMatchObject({ totalSize: 2500, done: false });
      expect(second.nextRecordsUrl).toBe(first.nextRecordsUrl?.replace(/-1000$/, '-2000'));
      const last = (await (await api(second.nextRecordsUrl ?? '', options)).json()) as QueryPage;
      expect([last.totalSize, last.done, last.records.length, last.nextRecordsUrl]).toEqual([
        2500,
        true,
        500,
        undefined,
      ]);
      // The cursor lives on (2 days): a page asked again is answered again.
      const again = (await (await api(second.nextRecordsUrl ?? '', options)).json()) as QueryPage;
      expect(again.records).toEqual(last.records);
    });

    it('lets jsforce fetch every page and keep the total, and refuses an unknown or expired locator', async () => {
      const result = await conn.query("SELECT Id FROM Event WHERE Subject LIKE 'Paged%'", {
        autoFetch: true,
        maxFetch: 10_000,
      });
      expect([result.totalSize, result.records.length, result.done]).toEqual([2500, 2500, true]);

      const unknown = await api('/query/0r8000000000000AAA-2000');
      expect(unknown.status).toBe(400);
      expect(await unknown.json()).toEqual([
        { message: 'invalid query locator', errorCode: 'INVALID_QUERY_LOCATOR' },
      ]);
      const first = (await (
        await api(`/query?q=${encodeURIComponent("SELECT Id FROM Event WHERE Subject LIKE 'Paged%'")}`)
      ).json()) as QueryPage;
      org.clock.advance(2 * day);
      token = await testAccessToken(org, { username: 'rep@acme.example' }); // the session idled out meanwhile
      conn = new Connection({ instanceUrl: org.url, accessToken: token, version: '66.0' });
      expect((await api(first.nextRecordsUrl ?? '')).status).toBe(400);
    });
  });

  describe('deleted records', () => {
    it('answers ENTITY_IS_DELETED for a record in the recycle bin, NOT_FOUND for one that never was', async () => {
      const deleted = event();
      org.deleteEvent(deleted.Id);
      const read = await api(`/sobjects/Event/${deleted.Id}`);
      expect(read.status).toBe(404);
      expect(await read.json()).toEqual([
        { message: 'entity is deleted', errorCode: 'ENTITY_IS_DELETED', fields: [] },
      ]);
      expect(await failure(conn.sobject('Event').retrieve(deleted.Id))).toEqual({
        errorCode: 'ENTITY_IS_DELETED',
        data: { message: 'entity is deleted', errorCode: 'ENTITY_IS_DELETED', fields: [] },
      });
      expect((await failure(conn.sobject('Event').update({ Id: deleted.Id, Subject: 'x' }))).errorCode).toBe(
        'ENTITY_IS_DELETED',
      );
      expect((await failure(conn.sobject('Event').destroy(deleted.Id))).errorCode).toBe('ENTITY_IS_DELETED');

      const never = await api('/sobjects/Event/00U5g00000ZZZZZAAA');
      expect(never.status).toBe(404);
      expect(await never.json()).toEqual([
        { message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' },
      ]);
      // A 15-character id names the same record as its 18-character form.
      const live = event({ Subject: 'Fifteen' });
      expect(
        await (await api(`/sobjects/Event/${live.Id.slice(0, 15)}?fields=Subject`)).json(),
      ).toMatchObject({
        Subject: 'Fifteen',
      });
    });

    it('reads a deleted or missing id as null in an sObject Collections read, and refuses an unknown field', async () => {
      const live = event({ Subject: 'Kept' });
      const deleted = event({ Subject: 'Binned' });
      org.deleteEvent(deleted.Id);
      const ids = [live.Id, deleted.Id, '00U5g00000ZZZZZAAA', ownerId];
      expect(await conn.sobject('Event').retrieve(ids, { fields: ['Id', 'Subject'] })).toEqual([
        expect.objectContaining({ Id: live.Id, Subject: 'Kept' }),
        null,
        null,
        null,
      ]);
      const viaGet = await api(`/composite/sobjects/Event?ids=${ids.join(',')}&fields=Subject`);
      expect(((await viaGet.json()) as unknown[]).map((r) => r === null)).toEqual([false, true, true, true]);

      const unknownField = await api('/composite/sobjects/Event', {
        method: 'POST',
        body: JSON.stringify({ ids: [deleted.Id], fields: ['Id', 'Widget'] }),
      });
      expect(unknownField.status).toBe(400);
      expect(((await unknownField.json()) as { errorCode: string }[])[0]?.errorCode).toBe('INVALID_FIELD');
    });
  });

  describe('Event writes', () => {
    const create = (fields: Record<string, unknown>) =>
      conn.sobject('Event').create({
        Subject: 'Checked',
        StartDateTime: '2026-12-02T09:00:00Z',
        DurationInMinutes: 60,
        ...fields,
      });

    it('refuses Subject and Location over 255 characters and Description over 32,000 with STRING_TOO_LONG', async () => {
      expect(await create({ Subject: 's'.repeat(255), Location: 'l'.repeat(255) })).toMatchObject({
        success: true,
      });
      expect(await failure(create({ Subject: 's'.repeat(256) }))).toEqual({
        errorCode: 'STRING_TOO_LONG',
        data: {
          message: `Subject: data value too large: ${'s'.repeat(256)} (max length=255)`,
          errorCode: 'STRING_TOO_LONG',
          fields: ['Subject'],
        },
      });
      expect(await failure(create({ Location: 'l'.repeat(256) }))).toMatchObject({
        data: { errorCode: 'STRING_TOO_LONG', fields: ['Location'] },
      });
      expect(await create({ Description: 'd'.repeat(32_000) })).toMatchObject({ success: true });
      expect(await failure(create({ Description: 'd'.repeat(32_001) }))).toMatchObject({
        data: { errorCode: 'STRING_TOO_LONG', fields: ['Description'] },
      });
      const kept = event();
      expect(
        await failure(conn.sobject('Event').update({ Id: kept.Id, Subject: 'x'.repeat(300) })),
      ).toMatchObject({
        errorCode: 'STRING_TOO_LONG',
      });
    });

    it('takes only ShowAs values of the restricted picklist', async () => {
      for (const showAs of ['Busy', 'OutOfOffice', 'Free'])
        expect(await create({ ShowAs: showAs })).toMatchObject({ success: true });
      expect(await failure(create({ ShowAs: 'Tentative' }))).toEqual({
        errorCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
        data: {
          message: 'Show Time As: bad value for restricted picklist field: Tentative',
          errorCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
          fields: ['ShowAs'],
        },
      });
    });

    it('needs DurationInMinutes to agree with Start and End, and an Event to last at most 14 days unless it recurs', async () => {
      expect(await create({ EndDateTime: '2026-12-02T10:00:00Z', DurationInMinutes: 60 })).toMatchObject({
        success: true,
      });
      expect(
        await failure(create({ EndDateTime: '2026-12-02T10:00:00Z', DurationInMinutes: 45 })),
      ).toMatchObject({ data: { errorCode: 'FIELD_INTEGRITY_EXCEPTION', fields: ['DurationInMinutes'] } });
      expect(await create({ DurationInMinutes: 14 * 1440 })).toMatchObject({ success: true });
      expect(await failure(create({ DurationInMinutes: 14 * 1440 + 1 }))).toEqual({
        errorCode: 'FIELD_INTEGRITY_EXCEPTION',
        data: {
          message: 'Duration must be between 0 and 20160 minutes',
          errorCode: 'FIELD_INTEGRITY_EXCEPTION',
          fields: ['DurationInMinutes'],
        },
      });
      expect(
        await failure(create({ EndDateTime: '2026-12-20T09:00:00Z', DurationInMinutes: null })),
      ).toMatchObject({ errorCode: 'FIELD_INTEGRITY_EXCEPTION' });
      expect(
        await failure(
          create({ IsAllDayEvent: true, ActivityDate: '2026-12-01', EndDateTime: '2026-12-15T00:00:00Z' }),
        ),
      ).toMatchObject({ errorCode: 'FIELD_INTEGRITY_EXCEPTION' });
      expect(
        await create({
          DurationInMinutes: 20 * 1440,
          IsRecurrence2: true,
          Recurrence2PatternText: 'RRULE:FREQ=MONTHLY;COUNT=3',
        }),
      ).toMatchObject({ success: true });
    });

    it('holds Events to a day when the org has no multiday events', async () => {
      const strict = await startSalesforceSandbox({ autoApprove: true, multidayEvents: false });
      try {
        const owner = strict.addUser({ username: 'one@acme.example', email: 'one@acme.example' }).Id;
        expect(() =>
          strict.createEvent(owner, { StartDateTime: '2026-12-01T09:00:00Z', DurationInMinutes: 1441 }),
        ).toThrow('Duration must be between 0 and 1440 minutes');
      } finally {
        await strict.close();
      }
    });
  });

  describe('SELECT COUNT()', () => {
    it('answers the number of matching rows and no records', async () => {
      for (let i = 0; i < 3; i++) event({ Subject: 'Countable' });
      const response = await api(
        `/query?q=${encodeURIComponent("SELECT COUNT() FROM Event WHERE Subject = 'Countable'")}`,
      );
      expect(await response.json()).toEqual({ totalSize: 3, done: true, records: [] });
      expect(await conn.sobject('Event').count({ Subject: 'Countable' })).toBe(3);
      const limited = await api(
        `/query?q=${encodeURIComponent("SELECT COUNT() FROM Event WHERE Subject = 'Countable' LIMIT 2")}`,
      );
      expect(((await limited.json()) as QueryPage).totalSize).toBe(2);
      for (const soql of [
        'SELECT COUNT() FROM Event ORDER BY Subject',
        'SELECT COUNT(), Id FROM Event',
        'SELECT Id, COUNT() FROM Event',
      ]) {
        const refused = await api(`/query?q=${encodeURIComponent(soql)}`);
        expect([refused.status, ((await refused.json()) as { errorCode: string }[])[0]?.errorCode]).toEqual([
          400,
          'MALFORMED_QUERY',
        ]);
      }
    });
  });

  describe('resources that do not exist', () => {
    it('answers NOT_FOUND in JSON after checking the session, and METHOD_NOT_ALLOWED for a wrong method', async () => {
      for (const path of ['/nope', '/sobjects/Widget/001000000000000AAA', '/services/data/v66.0']) {
        const response = await api(path);
        expect(response.status).toBe(404);
        expect(response.headers.get('content-type')).toMatch(/^application\/json/);
        expect(await response.json()).toEqual([
          { message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' },
        ]);
      }
      expect((await failure(conn.request('/services/data/v66.0/sobjects/Widget/describe'))).errorCode).toBe(
        'NOT_FOUND',
      );
      const anonymous = await fetch(`${org.url}/services/data/v66.0/nope`);
      expect(anonymous.status).toBe(401);
      const put = await api(`/sobjects/Event/${event().Id}`, { method: 'PUT', body: '{}' });
      expect(put.status).toBe(405);
      expect(await put.json()).toEqual([
        {
          errorCode: 'METHOD_NOT_ALLOWED',
          message: "HTTP Method 'PUT' not allowed. Allowed are HEAD,GET,PATCH,DELETE",
        },
      ]);
    });
  });
});

describe('sandbox limits resource and daily API limit', () => {
  let org: SalesforceSandbox;

  beforeAll(async () => {
    org = await startSalesforceSandbox({
      autoApprove: true,
      dailyApiLimit: 20,
      sessionTimeoutMs: 10 * day,
      startTime: Date.UTC(2026, 10, 24, 8),
    });
    org.addUser({ username: 'admin@acme.example', email: 'admin@acme.example' });
    org.addUser({
      username: 'viewer@acme.example',
      email: 'viewer@acme.example',
      permissions: { manageUsers: false },
    });
    org.addUser({
      username: 'rep@acme.example',
      email: 'rep@acme.example',
      permissions: { viewSetupAndConfiguration: false, manageUsers: false },
    });
  });
  afterAll(() => org.close());

  it('lists every documented limit to a user with View Setup and Configuration, storage only with Manage Users', async () => {
    const admin = new Connection({
      instanceUrl: org.url,
      accessToken: await testAccessToken(org, { username: 'admin@acme.example' }),
      version: '66.0',
    });
    const limits = (await admin.limits()) as unknown as Record<string, { Max: number; Remaining: number }>;
    for (const name of [
      'DailyApiRequests',
      'DailyAsyncApexExecutions',
      'DailyBulkApiBatches',
      'DailyBulkV2QueryJobs',
      'DailyDurableStreamingApiEvents',
      'DailyStandardVolumePlatformEvents',
      'DataStorageMB',
      'FileStorageMB',
      'HourlyPublishedPlatformEvents',
      'MassEmail',
      'SingleEmail',
      'StreamingApiConcurrentClients',
    ]) {
      expect(limits[name], name).toEqual({
        Max: expect.any(Number) as number,
        Remaining: expect.any(Number) as number,
      });
    }
    expect(Object.keys(limits)).toHaveLength(50);
    expect(limits['DailyApiRequests']).toEqual({ Max: 20, Remaining: 19 });

    const viewer = await fetch(`${org.url}/services/data/v66.0/limits`, {
      headers: { authorization: `Bearer ${await testAccessToken(org, { username: 'viewer@acme.example' })}` },
    });
    const seen = (await viewer.json()) as Record<string, unknown>;
    expect([seen['DailyApiRequests'] !== undefined, seen['DataStorageMB'], seen['FileStorageMB']]).toEqual([
      true,
      undefined,
      undefined,
    ]);

    const rep = new Connection({
      instanceUrl: org.url,
      accessToken: await testAccessToken(org, { username: 'rep@acme.example' }),
      version: '66.0',
    });
    expect(await failure(rep.limits())).toEqual({
      errorCode: 'API_DISABLED_FOR_ORG',
      data: { message: 'limits resource is not enabled', errorCode: 'API_DISABLED_FOR_ORG' },
    });
  });

  it('lets a burst run past the daily limit, refuses at the tolerance, and stays refused until the 24 hours are back under the limit', async () => {
    const token = await testAccessToken(org, { username: 'admin@acme.example' });
    const call = () =>
      fetch(`${org.url}/services/data/v66.0/query?q=SELECT+Id+FROM+User`, {
        headers: { authorization: `Bearer ${token}` },
      });
    const usageOf = (response: Response) => response.headers.get('sforce-limit-info');
    // The first test's calls were made now; 12 hours on, a burst uses the rest and more.
    org.clock.advance(day / 2);
    let last = await call();
    const earlier = Number(/api-usage=(\d+)/.exec(usageOf(last) ?? '')?.[1]) - 1;
    expect(earlier).toBeGreaterThan(0);
    for (let used = earlier + 1; used < 30; used++) {
      last = await call();
      expect(last.status).toBe(200);
    }
    expect(usageOf(last)).toBe('api-usage=30/20');
    const limits = await fetch(`${org.url}/services/data/v66.0/limits`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(limits.status).toBe(403);
    const refused = await call();
    expect(refused.status).toBe(403);
    expect(usageOf(refused)).toBe('api-usage=30/20');
    expect(await refused.json()).toEqual([
      { message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' },
    ]);
    // The earlier calls leave the 24 hours: the burst alone is under the tolerance but still over
    // the limit, so calls stay refused.
    org.clock.advance(day / 2 + 1);
    expect((await call()).status).toBe(403);
    // The burst leaves too: back under the limit, calls are answered again.
    org.clock.advance(day / 2);
    const answered = await call();
    expect([answered.status, usageOf(answered)]).toEqual([200, 'api-usage=1/20']);
  });
});
