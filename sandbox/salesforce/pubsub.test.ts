// The sandbox's Pub/Sub API as the real salesforce-pubsub-api-client sees it: change events for
// every Event write, Avro payloads and field bitmaps decoded by the client, replay presets, the
// 72-hour retention, GAP events, authentication and a disabled CDC topic.
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
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
  let newToken: () => Promise<string>;
  const clients: PubSubApiClient[] = [];

  beforeAll(async () => {
    org = await startSalesforceSandbox({ autoApprove: true, pubSub: true, pubSubKeepaliveMs: 1000 });
    org.addConnectedApp({ clientId: 'app', clientSecret: 's', callbackUrls: ['http://cb'] });
    ownerId = org.addUser({ username: 'rep@acme.example', email: 'rep@acme.example' }).Id;
    const dispatcher = new Agent({
      connect: { ca: [...rootCertificates, readFileSync(org.caFile ?? '', 'utf8')] },
    });
    newToken = async () => {
      const authorize = await undiciFetch(
        `${org.url}/services/oauth2/authorize?response_type=code&client_id=app&redirect_uri=${encodeURIComponent('http://cb')}&scope=api`,
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
  });

  async function subscribe(start: { replayId?: number; earliest?: boolean } = {}, token = accessToken) {
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
    await until(() => true);
    return { events, errors };
  }

  it('delivers create, update, delete and undelete as the client decodes them', async () => {
    const { events } = await subscribe();
    await until(() => true, 200);
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
    const { events } = await subscribe();
    await until(() => true, 200);
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

  it('goes down for a while (open streams end, new ones are refused), and can put every event past retention', async () => {
    const open = await subscribe();
    await until(() => true, 200);
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

/** Waits until `condition` holds (or `minMs` passed when it already does), up to 5 s. */
async function until(condition: () => boolean, minMs = 0): Promise<void> {
  const start = Date.now();
  while (Date.now() - start < 5000) {
    if (condition() && Date.now() - start >= minMs) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('condition not met within 5 s');
}
