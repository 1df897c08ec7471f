// The sandbox org's REST API as a client sees it over HTTP: SOQL, paging, reads, replication
// endpoints, limits, sessions, Event semantics, the control API and the launcher.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSalesforceSandbox, type SalesforceSandbox } from './index.ts';
import { testAccessToken } from './test-sign-in.ts';

const day = 86_400_000;

describe('sandbox REST API', () => {
  let org: SalesforceSandbox;
  let token: string;
  let ownerId: string;
  let inviteeId: string;

  beforeAll(async () => {
    org = await startSalesforceSandbox({
      autoApprove: true,
      dailyApiLimit: 2000,
      startTime: Date.UTC(2026, 10, 24, 8),
    });
    org.addConnectedApp({ clientId: 'app', clientSecret: 'secret', callbackUrls: ['http://cb'] });
    ownerId = org.addUser({
      username: 'rep@acme.example',
      email: 'rep@acme.example',
      timeZoneSidKey: 'Europe/Berlin',
    }).Id;
    inviteeId = org.addUser({
      username: 'boss@acme.example',
      email: 'boss@acme.example',
      firstName: 'Big',
      lastName: 'Boss',
    }).Id;
    token = await testAccessToken(org, { clientSecret: 'secret' });
  });
  afterAll(() => org.close());

  const api = (path: string, init: RequestInit = {}, bearer = token) =>
    fetch(`${org.url}/services/data/v66.0${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${bearer}`,
        'content-type': 'application/json',
        ...(init.headers as Record<string, string> | undefined),
      },
    });
  const query = async (soql: string, all = false) =>
    (await (await api(`/${all ? 'queryAll' : 'query'}?q=${encodeURIComponent(soql)}`)).json()) as {
      totalSize: number;
      done: boolean;
      nextRecordsUrl?: string;
      records: Record<string, unknown>[];
    };

  it('answers IN lists of ids as Salesforce does: 15-character ids, NOT IN, and null for a reference', async () => {
    const [a, b, c] = ['In A', 'In B', 'In C'].map((Subject) =>
      org.createEvent(ownerId, { Subject, StartDateTime: '2026-11-30T09:00:00Z', DurationInMinutes: 30 }),
    ) as [{ Id: string }, { Id: string }, { Id: string }];
    const subjects = async (where: string) =>
      (await query(`SELECT Subject FROM Event WHERE ${where} ORDER BY Subject`)).records.map(
        (r) => r['Subject'],
      );
    expect(await subjects(`Id IN ('${a.Id.slice(0, 15)}', '${b.Id}')`)).toEqual(['In A', 'In B']);
    expect(await subjects(`Subject LIKE 'In _' AND Id NOT IN ('${a.Id}', '${b.Id.slice(0, 15)}')`)).toEqual([
      'In C',
    ]);
    expect(await subjects(`Subject LIKE 'In _' AND WhatId IN (null, '${c.Id}')`)).toEqual([
      'In A',
      'In B',
      'In C',
    ]);
  });

  it('derives timed and all-day fields as Salesforce does', async () => {
    const timed = org.createEvent(ownerId, {
      Subject: 'Late call',
      StartDateTime: '2026-11-24T23:30:00Z',
      EndDateTime: '2026-11-25T00:15:00Z',
    });
    const allDay = org.createEvent(ownerId, {
      Subject: 'Offsite',
      IsAllDayEvent: true,
      ActivityDate: '2026-11-26',
      DurationInMinutes: 2880,
    });
    const { records } = await query(
      `SELECT Id, ActivityDate, ActivityDateTime, DurationInMinutes, StartDateTime, EndDateTime, ShowAs FROM Event WHERE Id IN ('${timed.Id}', '${allDay.Id}') ORDER BY Subject`,
    );
    expect(records).toEqual([
      expect.objectContaining({
        ActivityDate: '2026-11-25',
        ActivityDateTime: '2026-11-24T23:30:00.000+0000',
        DurationInMinutes: 45,
        ShowAs: 'Busy',
      }),
      expect.objectContaining({
        ActivityDate: '2026-11-26',
        StartDateTime: '2026-11-26T00:00:00.000+0000',
        EndDateTime: '2026-11-27T00:00:00.000+0000',
        DurationInMinutes: 2880,
        ActivityDateTime: null,
      }),
    ]);
    expect(records[0]?.['attributes']).toEqual({
      type: 'Event',
      url: `/services/data/v66.0/sobjects/Event/${timed.Id}`,
    });
  });

  it('creates, updates and deletes Events through sObject calls, refusing End before Start', async () => {
    const created = await api('/sobjects/Event', {
      method: 'POST',
      body: JSON.stringify({ Subject: 'Demo', StartDateTime: '2026-11-27T10:00:00Z', DurationInMinutes: 30 }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect(
      (await api(`/sobjects/Event/${id}`, { method: 'PATCH', body: JSON.stringify({ Subject: 'Demo v2' }) }))
        .status,
    ).toBe(204);
    expect(
      await (await api(`/sobjects/Event/${id}?fields=Subject,EndDateTime,OwnerId`)).json(),
    ).toMatchObject({
      Subject: 'Demo v2',
      EndDateTime: '2026-11-27T10:30:00.000+0000',
      OwnerId: expect.any(String) as string,
    });
    const bad = await api(`/sobjects/Event/${id}`, {
      method: 'PATCH',
      body: JSON.stringify({ EndDateTime: '2026-11-27T09:00:00Z' }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual([
      {
        message: "End Date Time: End time can't be before start time",
        errorCode: 'FIELD_INTEGRITY_EXCEPTION',
        fields: ['EndDateTime'],
      },
    ]);
    expect((await api(`/sobjects/Event/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(`/sobjects/Event/${id}`)).status).toBe(404);
    expect((await query(`SELECT Id, IsDeleted FROM Event WHERE Id = '${id}'`, true)).records).toEqual([
      expect.objectContaining({ IsDeleted: true }),
    ]);
    expect((await query(`SELECT Id FROM Event WHERE Id = '${id}'`)).totalSize).toBe(0);
    const unchecked = org.createEvent(
      ownerId,
      { Subject: 'Broken', StartDateTime: '2026-11-27T10:00:00Z', EndDateTime: '2026-11-27T09:00:00Z' },
      { unchecked: true },
    );
    expect(unchecked['DurationInMinutes']).toBe(-60);
  });

  it('turns invitees into EventRelation rows and child Events, and answers relationship fields', async () => {
    const contact = org.addContact({ firstName: 'Cara', lastName: 'Client', email: 'cara@client.example' });
    const parent = org.createEvent(ownerId, {
      Subject: 'Kickoff',
      StartDateTime: '2026-11-30T09:00:00Z',
      EndDateTime: '2026-11-30T10:00:00Z',
      invitees: [inviteeId, contact.id],
    });
    const relations = await query(
      `SELECT RelationId, Relation.Name, Relation.Email, Relation.Type, IsInvitee, Status FROM EventRelation WHERE EventId = '${parent.Id}' ORDER BY Relation.Name`,
    );
    expect(relations.records.map((r) => [r['Relation'], r['IsInvitee'], r['Status']])).toEqual([
      [expect.objectContaining({ Name: 'Big Boss', Email: 'boss@acme.example', Type: 'User' }), true, 'New'],
      [
        expect.objectContaining({ Name: 'Cara Client', Email: 'cara@client.example', Type: 'Contact' }),
        true,
        'New',
      ],
    ]);
    const children = await query(
      `SELECT Id, OwnerId, IsChild, Owner.Email FROM Event WHERE Subject = 'kickoff' AND IsChild = true`,
    );
    expect(children.records).toEqual([
      expect.objectContaining({
        OwnerId: inviteeId,
        IsChild: true,
        Owner: expect.objectContaining({ Email: 'boss@acme.example' }) as unknown,
      }),
    ]);
    org.updateEvent(parent.Id, { Subject: 'Kickoff (moved)' });
    expect((await query(`SELECT Id FROM Event WHERE Subject = 'Kickoff (moved)'`)).totalSize).toBe(2);
  });

  it('pages large results with nextRecordsUrl', async () => {
    for (let i = 0; i < 2500; i++)
      org.createEvent(ownerId, {
        Subject: `Bulk ${i}`,
        StartDateTime: '2026-12-01T09:00:00Z',
        DurationInMinutes: 15,
      });
    const first = (await (
      await api(`/query?q=${encodeURIComponent("SELECT Id FROM Event WHERE Subject LIKE 'Bulk%'")}`, {
        headers: { 'sforce-query-options': 'batchSize=1000' },
      })
    ).json()) as { totalSize: number; done: boolean; nextRecordsUrl: string; records: unknown[] };
    expect([first.totalSize, first.done, first.records.length]).toEqual([2500, false, 1000]);
    const ids = [...first.records];
    let next: string | undefined = first.nextRecordsUrl;
    while (next !== undefined) {
      const page = (await (
        await fetch(`${org.url}${next}`, {
          headers: { authorization: `Bearer ${token}`, 'sforce-query-options': 'batchSize=1000' },
        })
      ).json()) as { nextRecordsUrl?: string; records: unknown[] };
      ids.push(...page.records);
      next = page.nextRecordsUrl;
    }
    expect(ids).toHaveLength(2500);
  });

  it('filters on SystemModstamp and reports updated and deleted Events', async () => {
    const since = new Date(org.clock.now()).toISOString();
    org.clock.advance(60_000);
    const event = org.createEvent(ownerId, {
      Subject: 'Watermark',
      StartDateTime: '2026-12-02T09:00:00Z',
      DurationInMinutes: 30,
    });
    const changed = await query(
      `SELECT Id FROM Event WHERE SystemModstamp > ${since} ORDER BY SystemModstamp, Id`,
    );
    expect(changed.records.map((r) => r['Id'])).toEqual([event.Id]);
    org.clock.advance(60_000);
    org.deleteEvent(event.Id);
    org.clock.advance(120_000);
    const end = new Date(org.clock.now()).toISOString();
    const updated = (await (await api(`/sobjects/Event/updated/?start=${since}&end=${end}`)).json()) as {
      ids: string[];
    };
    expect(updated.ids).toEqual([]);
    const deleted = (await (await api(`/sobjects/Event/deleted/?start=${since}&end=${end}`)).json()) as {
      deletedRecords: { id: string }[];
    };
    expect(deleted.deletedRecords.map((d) => d.id)).toEqual([event.Id]);
    org.undeleteEvent(event.Id);
    expect((await query(`SELECT Id FROM Event WHERE Id = '${event.Id}'`)).totalSize).toBe(1);
    expect((await api('/sobjects/Event/updated/?start=x&end=y')).status).toBe(400);
  });

  it('reads many Events by id in one composite call, null where missing (more in rest-strictness.test.ts)', async () => {
    const a = org.createEvent(ownerId, {
      Subject: 'A',
      StartDateTime: '2026-12-03T09:00:00Z',
      DurationInMinutes: 30,
    });
    const response = await api('/composite/sobjects/Event', {
      method: 'POST',
      body: JSON.stringify({ ids: [a.Id, '00U000000000000AAA'], fields: ['Id', 'Subject'] }),
    });
    expect(await response.json()).toEqual([expect.objectContaining({ Id: a.Id, Subject: 'A' }), null]);
  });

  it('refuses unknown fields and objects, and malformed SOQL, as Salesforce does', async () => {
    const failures = await Promise.all(
      [
        'SELECT Foo FROM Event',
        'SELECT Id FROM Widget',
        'SELECT Id FROM',
        "SELECT Id FROM Event WHERE StartDateTime > '2026-11-24'",
      ].map(async (soql) => {
        const response = await api(`/query?q=${encodeURIComponent(soql)}`);
        return [response.status, ((await response.json()) as { errorCode: string }[])[0]?.errorCode];
      }),
    );
    expect(failures).toEqual([
      [400, 'INVALID_FIELD'],
      [400, 'INVALID_TYPE'],
      [400, 'MALFORMED_QUERY'],
      [400, 'INVALID_QUERY_FILTER_OPERATOR'],
    ]);
  });

  it('counts API calls in Sforce-Limit-Info, past the daily limit in a burst, and refuses them until 24 hours pass', async () => {
    const response = await api('/limits');
    const [, used, max] =
      /api-usage=(\d+)\/(\d+)/.exec(response.headers.get('sforce-limit-info') ?? '') ?? [];
    expect(Number(max)).toBe(2000);
    // Half the limit again is allowed before calls are refused (see rest-strictness.test.ts).
    let last = response;
    for (let i = Number(used); i < 3000; i++) last = await api('/limits');
    expect(last.headers.get('sforce-limit-info')).toBe('api-usage=3000/2000');
    const refused = await api('/limits');
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual([
      { message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' },
    ]);
    org.clock.advance(day);
    token = await testAccessToken(org, { clientSecret: 'secret' }); // the old session died of idleness meanwhile
    expect((await api('/limits')).status).toBe(200);
  });

  it('answers INVALID_SESSION_ID for an idle, a revoked and an unknown token', async () => {
    const idle = await testAccessToken(org, { clientSecret: 'secret' });
    org.clock.advance(2 * 3_600_000);
    const revoked = await testAccessToken(org, { clientSecret: 'secret' });
    await fetch(`${org.url}/services/oauth2/revoke?token=${encodeURIComponent(revoked)}`);
    for (const bearer of [idle, revoked, 'nope']) {
      const response = await api('/limits', {}, bearer);
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual([
        { message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' },
      ]);
    }
    token = await testAccessToken(org, { clientSecret: 'secret' });
  });

  it('injects faults on demand', async () => {
    org.injectFaults({ failNext: { count: 2, status: 503, paths: '/query' } });
    expect((await api('/query?q=SELECT+Id+FROM+User')).status).toBe(503);
    expect((await api('/limits')).status).toBe(200);
    expect((await api('/query?q=SELECT+Id+FROM+User')).status).toBe(503);
    expect((await api('/query?q=SELECT+Id+FROM+User')).status).toBe(200);
  });

  it('lets other processes drive the org through the control API', async () => {
    const control = (path: string, method: string, body?: unknown) =>
      fetch(`${org.url}/__sandbox${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const created = (await (
      await control('/events', 'POST', {
        ownerId,
        Subject: 'From control',
        StartDateTime: '2026-12-04T09:00:00Z',
        DurationInMinutes: 60,
      })
    ).json()) as { Id: string; EndDateTime: string };
    expect(created.EndDateTime).toBe('2026-12-04T10:00:00.000+0000');
    expect((await control(`/events/${created.Id}`, 'PATCH', { Subject: 'Edited' })).status).toBe(200);
    expect((await control(`/events/${created.Id}`, 'DELETE')).status).toBe(204);
    expect((await control(`/events/${created.Id}/undelete`, 'POST')).status).toBe(200);
    expect((await control('/events', 'POST', { Subject: 'no owner' })).status).toBe(400);
    const before = org.clock.now();
    await control('/clock', 'POST', { advanceMs: 1000 });
    expect(org.clock.now() - before).toBeGreaterThanOrEqual(1000);
    expect(await (await control('/tokens/status', 'POST', { token })).json()).toEqual({ active: true });
  });
});

describe('sandbox launcher', () => {
  it('prints where it listens and serves until stopped', async () => {
    const main = fileURLToPath(new URL('./main.ts', import.meta.url));
    const child = spawn(process.execPath, [main, '--auto-approve']);
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /listening on (http:\/\/\S+)/.exec(out);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
    });
    expect((await fetch(`${url}/__sandbox/state`)).status).toBe(200);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
