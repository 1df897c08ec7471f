// The sandbox's Pub/Sub API as the real salesforce-pubsub-api-client sees it: change events for
// every Event write, Avro payloads and field bitmaps decoded by the client, the header as the
// CDC developer guide describes it (changeOrigin of a jsforce write, changedFields, one
// transactionKey per transaction), replay presets, the 72-hour retention, GAP events,
// authentication and a disabled CDC topic.
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Connection } from '@jsforce/jsforce-node';
import { setDispatcher } from '@jsforce/jsforce-node/lib/request.js';
import PubSubApiClient from 'salesforce-pubsub-api-client';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSalesforceSandbox, type SalesforceSandbox } from './index.ts';

interface Received {
  replayId: number;
  payload: {
    ChangeEventHeader: {
      changeType: string;
      recordIds: string[];
      changedFields: string[];
      nulledFields: string[];
      commitTimestamp: number;
      commitNumber: number;
      changeOrigin: string;
      transactionKey: string;
      sequenceNumber: number;
    };
    [field: string]: unknown;
  };
}

const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

describe('sandbox Pub/Sub API', () => {
  let org: SalesforceSandbox;
  let accessToken: string;
  let ownerId: string;
  let newToken: (username?: string) => Promise<string>;
  const clients: PubSubApiClient[] = [];

  beforeAll(async () => {
    org = await startSalesforceSandbox({ autoApprove: true, pubSub: true, pubSubKeepaliveMs: 1000 });
    org.addConnectedApp({ clientId: 'app', clientSecret: 's', callbackUrls: ['http://cb'] });
    ownerId = org.addUser({ username: 'rep@acme.example', email: 'rep@acme.example' }).Id;
    const dispatcher = new Agent({
      connect: { ca: [...rootCertificates, readFileSync(org.caFile ?? '', 'utf8')] },
    });
    // jsforce makes its requests with its own undici (8), which takes this Agent of the project's
    // undici (7) at run time; only their type declarations differ.
    setDispatcher(dispatcher as unknown as Parameters<typeof setDispatcher>[0]);
    newToken = async (username = 'rep@acme.example') => {
      const authorize = await undiciFetch(
        `${org.url}/services/oauth2/authorize?response_type=code&client_id=app&redirect_uri=${encodeURIComponent('http://cb')}&scope=api&login_hint=${encodeURIComponent(username)}`,
        { redirect: 'manual', dispatcher },
      );
      const code = new URL(authorize.headers.get('location') ?? '').searchParams.get('code') ?? '';
      const token = await undiciFetch(`${org.url}/services/oauth2/token`, {
        method: 'POST',
        dispatcher,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          client_id: 'app',
          client_secret: 's',
          redirect_uri: 'http://cb',
        }).toString(),
      });
      return ((await token.json()) as { access_token: string }).access_token;
    };
    accessToken = await newToken();
  });
  afterAll(async () => {
    await org.close();
    for (const client of clients) client.close();
    // jsforce keeps its dispatcher per process: the next test file in this worker gets its own default.
    setDispatcher(undefined);
  });

  async function connectedClient(token = accessToken): Promise<PubSubApiClient> {
    const client = new PubSubApiClient(
      {
        authType: 'user-supplied',
        accessToken: token,
        instanceUrl: org.url,
        organizationId: org.orgId,
        pubSubEndpoint: org.pubSubEndpoint ?? '',
        rejectUnauthorizedSsl: false,
      },
      quiet,
    );
    clients.push(client);
    await client.connect();
    return client;
  }

  async function subscribe(start: { replayId?: number; earliest?: boolean } = {}, token = accessToken) {
    const subscribersBefore = org.stats().cdcSubscribers;
    const client = await connectedClient(token);
    const events: Received[] = [];
    const errors: unknown[] = [];
    const callback = (_info: unknown, type: string, data: unknown) => {
      if (type === 'event') events.push(data as Received);
      if (type === 'error') errors.push(data);
    };
    if (start.replayId !== undefined)
      client.subscribeFromReplayId('/data/EventChangeEvent', callback, null, start.replayId);
    else if (start.earliest === true)
      client.subscribeFromEarliestEvent('/data/EventChangeEvent', callback, null);
    else client.subscribe('/data/EventChangeEvent', callback, null);
    /** Whether the sandbox has started this stream (it has taken its position in the event log). */
    const subscribed = () => org.stats().cdcSubscribers > subscribersBefore;
    return { events, errors, subscribed };
  }

  it('delivers create, update, delete and undelete as the client decodes them', async () => {
    const { events, subscribed } = await subscribe();
    await until(subscribed);
    const event = org.createEvent(ownerId, {
      Subject: 'Standup',
      StartDateTime: '2026-12-01T09:00:00Z',
      DurationInMinutes: 15,
      Location: 'Room 1',
    });
    org.updateEvent(event.Id, { Subject: 'Standup (moved)', Location: null });
    org.deleteEvent(event.Id);
    org.undeleteEvent(event.Id);
    await until(() => events.length >= 4);
    expect(events.map((e) => e.payload.ChangeEventHeader.changeType)).toEqual([
      'CREATE',
      'UPDATE',
      'DELETE',
      'UNDELETE',
    ]);
    const [created, updated] = events;
    expect(created?.payload).toMatchObject({
      Subject: 'Standup',
      Location: 'Room 1',
      StartDateTime: Date.parse('2026-12-01T09:00:00Z'),
      IsChild: false,
    });
    expect(created?.payload.ChangeEventHeader.recordIds).toEqual([event.Id]);
    expect(updated?.payload.ChangeEventHeader.changedFields).toEqual(
      expect.arrayContaining(['Subject', 'Location', 'LastModifiedDate']),
    );
    expect(updated?.payload.ChangeEventHeader.nulledFields).toEqual(['Location']);
    expect(updated?.payload).toMatchObject({ Subject: 'Standup (moved)', StartDateTime: null });
    expect(events.map((e) => e.replayId)).toEqual([...events.map((e) => e.replayId)].sort((a, b) => a - b));
  });

  it('names the API and the client of each write in changeOrigin', async () => {
    const { events, subscribed } = await subscribe();
    await until(subscribed);
    const tagged = new Connection({
      instanceUrl: org.url,
      accessToken,
      version: '66.0',
      callOptions: { client: 'instant-sync-tests' },
    });
    const plain = new Connection({ instanceUrl: org.url, accessToken, version: '62.0' });
    const created = (await tagged.sobject('Event').create({
      Subject: 'From jsforce',
      StartDateTime: '2026-12-05T09:00:00Z',
      DurationInMinutes: 30,
    })) as { id: string };
    await plain.sobject('Event').update({ Id: created.id, Subject: 'Edited by jsforce' });
    org.updateEvent(created.id, { Subject: 'Edited in the org' });
    await until(() => events.length >= 3);
    expect(inReplayOrder(events).map((e) => e.payload.ChangeEventHeader.changeOrigin)).toEqual([
      'com/salesforce/api/rest/66.0;client=instant-sync-tests',
      'com/salesforce/api/rest/62.0',
      '',
    ]);
  });

  it('lists no changed fields on CREATE and UNDELETE, and numbers one transaction’s events under one transactionKey', async () => {
    const { events, subscribed } = await subscribe();
    await until(subscribed);
    const invitees = ['a', 'b'].map(
      (name) => org.addUser({ username: `${name}@acme.example`, email: `${name}@acme.example` }).Id,
    );
    const parent = org.createEvent(ownerId, {
      Subject: 'Team sync',
      StartDateTime: '2026-12-06T09:00:00Z',
      DurationInMinutes: 30,
      invitees,
    });
    org.deleteEvent(parent.Id);
    org.undeleteEvent(parent.Id);
    await until(() => events.length >= 7);
    const headers = inReplayOrder(events).map((e) => e.payload.ChangeEventHeader);
    const created = headers.slice(0, 3);
    expect(created.map((h) => [h.changeType, h.sequenceNumber, h.changedFields])).toEqual([
      ['CREATE', 1, []],
      ['CREATE', 2, []],
      ['CREATE', 3, []],
    ]);
    expect(created[0]?.recordIds).toEqual([parent.Id]);
    expect(new Set(created.map((h) => h.transactionKey)).size).toBe(1);
    expect(new Set(created.map((h) => h.commitNumber)).size).toBe(1);
    expect(inReplayOrder(events)[0]?.payload).toMatchObject({ Subject: 'Team sync', IsGroupEvent: true });
    const [deleted, ...undeleted] = headers.slice(3);
    expect([deleted?.changeType, deleted?.recordIds.length, deleted?.sequenceNumber]).toEqual([
      'DELETE',
      3,
      1,
    ]);
    expect(deleted?.transactionKey).not.toBe(created[0]?.transactionKey);
    expect(undeleted.map((h) => [h.changeType, h.sequenceNumber, h.changedFields])).toEqual([
      ['UNDELETE', 1, []],
      ['UNDELETE', 2, []],
      ['UNDELETE', 3, []],
    ]);
    expect(new Set(undeleted.map((h) => h.transactionKey)).size).toBe(1);
  });

  it('lists LastModifiedDate with every UPDATE, LastModifiedById only when someone else saved last, SystemModstamp never', async () => {
    const { events, subscribed } = await subscribe();
    await until(subscribed);
    const colleague = org.addUser({ username: 'pa@acme.example', email: 'pa@acme.example' }).Id;
    const rep = new Connection({ instanceUrl: org.url, accessToken, version: '66.0' });
    const assistant = new Connection({
      instanceUrl: org.url,
      accessToken: await newToken('pa@acme.example'),
      version: '66.0',
    });
    const { id } = (await rep.sobject('Event').create({
      Subject: 'Review',
      StartDateTime: '2026-12-07T09:00:00Z',
      DurationInMinutes: 30,
    })) as { id: string };
    await rep.sobject('Event').update({ Id: id, Subject: 'Review (1)' });
    await assistant.sobject('Event').update({ Id: id, Subject: 'Review (2)' });
    await until(() => events.length >= 3);
    const [, byOwner, byColleague] = inReplayOrder(events);
    expect(byOwner?.payload.ChangeEventHeader.changedFields.sort()).toEqual(['LastModifiedDate', 'Subject']);
    expect(byColleague?.payload.ChangeEventHeader.changedFields.sort()).toEqual([
      'LastModifiedById',
      'LastModifiedDate',
      'Subject',
    ]);
    expect(byColleague?.payload).toMatchObject({ LastModifiedById: colleague, Subject: 'Review (2)' });
    expect(byColleague?.payload['SystemModstamp']).toBeUndefined();
  });

  it('replays after a replay id, from the earliest retained event, and refuses one past retention', async () => {
    const first = org.createEvent(ownerId, {
      Subject: 'One',
      StartDateTime: '2026-12-02T09:00:00Z',
      DurationInMinutes: 15,
    });
    org.updateEvent(first.Id, { Subject: 'Two' });
    const earliest = await subscribe({ earliest: true });
    await until(() => earliest.events.length >= 2);
    const all = earliest.events.map((e) => e.replayId);
    const resumed = await subscribe({ replayId: all.at(-2) ?? 0 });
    await until(() => resumed.events.length >= 1);
    expect(resumed.events.map((e) => e.replayId)).toEqual([all.at(-1)]);

    org.clock.advance(73 * 3_600_000);
    accessToken = await newToken(); // the old session died of idleness meanwhile
    org.createEvent(ownerId, {
      Subject: 'After the gap',
      StartDateTime: '2026-12-03T09:00:00Z',
      DurationInMinutes: 15,
    });
    const expired = await subscribe({ replayId: all.at(-1) ?? 0 });
    await until(() => expired.errors.length > 0);
    expect(String((expired.errors[0] as { details?: string }).details)).toContain('replayid.corrupted');
  });

  it('publishes GAP events with ids and no fields', async () => {
    const { events, subscribed } = await subscribe();
    await until(subscribed);
    org.emitGap('GAP_UPDATE', ['00U5g0000000009AAA']);
    org.emitGap('GAP_OVERFLOW', []);
    await until(() => events.length >= 2);
    expect(
      events.map((e) => [
        e.payload.ChangeEventHeader.changeType,
        e.payload.ChangeEventHeader.recordIds,
        e.payload['Subject'],
      ]),
    ).toEqual([
      ['GAP_UPDATE', ['00U5g0000000009AAA'], null],
      ['GAP_OVERFLOW', [], null],
    ]);
  });

  it('keeps at most 100 events pending across all the requests of a subscription, as Salesforce does', async () => {
    const client = await connectedClient();
    const events: Received[] = [];
    let keepalives = 0;
    const requestsBefore = org.stats().cdcFetchRequests;
    client.subscribe(
      '/data/EventChangeEvent',
      (_info: unknown, type: string, data: unknown) => {
        if (type === 'event') events.push(data as Received);
        if (type === 'grpcKeepAlive' && events.length > 0) keepalives++;
      },
      100,
    );
    // 100 more asked on the same subscription: the server counts 100 pending in all.
    client.requestAdditionalEvents('/data/EventChangeEvent', 100);
    await until(() => org.stats().cdcFetchRequests >= requestsBefore + 2);
    for (let n = 0; n < 150; n++)
      org.createEvent(ownerId, {
        Subject: `Backlog ${n}`,
        StartDateTime: '2026-12-04T09:00:00Z',
        DurationInMinutes: 15,
      });
    // The stream goes quiet (a keepalive after a second) once what was asked is delivered.
    await until(() => keepalives > 0);
    expect(events).toHaveLength(100);
  });

  it('goes down for a while (open streams end, new ones are refused), and can put every event past retention', async () => {
    const open = await subscribe();
    await until(open.subscribed);
    org.createEvent(ownerId, {
      Subject: 'Before the outage',
      StartDateTime: '2026-12-04T09:00:00Z',
      DurationInMinutes: 15,
    });
    await until(() => open.events.length >= 1);
    org.pubSubOutage(60_000);
    await until(() => open.errors.length > 0);
    expect(String((open.errors[0] as { details?: string }).details)).toContain('unavailable');
    const refused = await subscribe();
    await until(() => refused.errors.length > 0);
    expect((refused.errors[0] as { code?: number }).code).toBe(14); // UNAVAILABLE
    org.pubSubOutage(1);
    await until(() => true, 10);

    org.expireChangeEvents();
    const late = await subscribe({ replayId: open.events[0]?.replayId ?? 0 });
    await until(() => late.errors.length > 0);
    expect(String((late.errors[0] as { details?: string }).details)).toContain('replayid.corrupted');
  });

  it('refuses a dead token and a topic that CDC does not cover', async () => {
    const dead = await subscribe({}, 'not-a-token');
    await until(() => dead.errors.length > 0);
    expect(String((dead.errors[0] as { details?: string }).details)).toContain('auth.error');
    org.setCdcEnabled(false);
    const off = await subscribe();
    await until(() => off.errors.length > 0);
    expect(String((off.errors[0] as { details?: string }).details)).toContain('topic.not.found');
    org.setCdcEnabled(true);
  });
});

/**
 * Events in the order Salesforce committed them: the client decodes each FetchResponse on its
 * own, so events of separate responses can reach the callback out of replay order.
 */
function inReplayOrder(events: Received[]): Received[] {
  return [...events].sort((a, b) => a.replayId - b.replayId);
}

/** Waits until `condition` holds (or `minMs` passed when it already does), up to 20 s (a busy machine). */
async function until(condition: () => boolean, minMs = 0): Promise<void> {
  const start = Date.now();
  while (Date.now() - start < 20_000) {
    if (condition() && Date.now() - start >= minMs) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('condition not met within 20 s');
}
