// The sandbox org's Change Data Capture allocations as Salesforce documents them, seen through a
// plain @grpc/grpc-js client of the Pub/Sub API (so every status, its `error-code` trailer and
// every FetchResponse, keepalives included, are visible): the event delivery allocation, spent by
// every event delivered to every subscription and by the org's other subscribers, ends a stream
// with the documented error and refuses new ones until the rolling 24 hours free it; the limits
// resource reports it; at most 5 entities are selected; an outage can refuse with a chosen status.
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/support/wait-for.ts';
import { startSalesforceSandbox, type SalesforceSandbox } from './index.ts';
import { testAccessToken } from './test-sign-in.ts';

const topic = '/data/EventChangeEvent';
const day = 86_400_000;
const limitErrorCode = 'sfdc.platform.eventbus.grpc.subscription.limit.exceeded';
const limitMessage = 'You have exceeded the event delivery limit for your org.';

interface FetchResponse {
  events?: { replayId: Buffer }[];
}

type SubscribeCall = grpc.ClientDuplexStream<unknown, FetchResponse>;

interface PubSubStub extends grpc.Client {
  Subscribe(metadata: grpc.Metadata): SubscribeCall;
}

type PubSubStubConstructor = new (endpoint: string, credentials: grpc.ChannelCredentials) => PubSubStub;

const PubSubStub = (
  grpc.loadPackageDefinition(
    protoLoader.loadSync(fileURLToPath(new URL('./pubsub/pubsub_api.proto', import.meta.url)), {}),
  ) as unknown as { eventbus: { v1: { PubSub: PubSubStubConstructor } } }
).eventbus.v1.PubSub;

/** How a subscription ended: its status, details and Salesforce's error code (the trailer). */
interface Ended {
  code: grpc.status;
  details: string;
  errorCode: string | undefined;
}

describe('sandbox CDC allocations', () => {
  let org: SalesforceSandbox;
  let dispatcher: Agent;
  let stub: PubSubStub;
  let token: string;
  let ownerId: string;
  const calls: SubscribeCall[] = [];

  beforeEach(async () => {
    org = await startSalesforceSandbox({
      autoApprove: true,
      pubSub: true,
      pubSubKeepaliveMs: 1000,
      cdcDeliveryAllocation: 10_000,
    });
    const ca = readFileSync(org.caFile ?? '', 'utf8');
    dispatcher = new Agent({ connect: { ca: [...rootCertificates, ca] } });
    stub = new PubSubStub(org.pubSubEndpoint ?? '', grpc.credentials.createSsl(Buffer.from(ca)));
    ownerId = org.addUser({ username: 'rep@acme.example', email: 'rep@acme.example' }).Id;
    token = await signIn();
  });
  afterEach(async () => {
    // Cancelled first, so no stream is left for the org's close to end under a closed client.
    for (const call of calls.splice(0)) call.cancel();
    stub.close();
    await org.close();
    await dispatcher.close();
  });

  const signIn = () =>
    testAccessToken(org, {
      username: 'rep@acme.example',
      fetch: (url, init) => undiciFetch(url, { ...init, dispatcher } as never),
    });

  /** A JSON call to the org (its control API or, with the token, its REST API). */
  async function call(method: string, path: string, body?: unknown) {
    const response = await undiciFetch(`${org.url}${path}`, {
      method,
      dispatcher,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
  }

  const deliveryLimit = async () =>
    ((await call('GET', '/services/data/v66.0/limits')).body as Record<string, unknown>)[
      'DailyDeliveredPlatformEvents'
    ];

  /**
   * Subscribes to Event's change events with `numRequested` (100 by default) from the latest
   * event, or after `replayId`; collects the replay ids delivered, keepalives, and how it ended.
   */
  function subscribe(from: { replayId?: bigint } = {}) {
    const metadata = new grpc.Metadata();
    metadata.set('accesstoken', token);
    metadata.set('instanceurl', org.url);
    metadata.set('tenantid', org.orgId);
    const stream = stub.Subscribe(metadata);
    calls.push(stream);
    const seen = { replayIds: [] as bigint[], keepalives: 0, ended: undefined as Ended | undefined };
    stream.on('data', (response: FetchResponse) => {
      const events = response.events ?? [];
      if (events.length === 0) seen.keepalives++;
      for (const event of events) seen.replayIds.push(event.replayId.readBigUInt64BE());
    });
    stream.on('error', (error: grpc.ServiceError) => {
      const errorCode = error.metadata.get('error-code')[0];
      seen.ended = {
        code: error.code,
        details: error.details,
        errorCode: errorCode === undefined ? undefined : String(errorCode),
      };
    });
    const replayId = Buffer.alloc(8);
    if (from.replayId !== undefined) replayId.writeBigUInt64BE(from.replayId);
    stream.write({
      topicName: topic,
      replayPreset: from.replayId === undefined ? 'LATEST' : 'CUSTOM',
      ...(from.replayId === undefined ? {} : { replayId }),
      numRequested: 100,
    });
    return seen;
  }

  /** Subscribes, and waits until the org has started the subscription (it has its position). */
  async function subscribed(from: { replayId?: bigint } = {}) {
    const before = org.stats().cdcSubscribers;
    const seen = subscribe(from);
    await waitFor(() => org.stats().cdcSubscribers > before || seen.ended !== undefined);
    expect(seen.ended).toBeUndefined();
    return seen;
  }

  const createEvents = (count: number, subject = 'Review') => {
    for (let n = 1; n <= count; n++)
      org.createEvent(ownerId, {
        Subject: `${subject} ${n}`,
        StartDateTime: '2026-12-01T09:00:00Z',
        DurationInMinutes: 30,
      });
  };

  const expectLimitExceeded = (ended: Ended | undefined) => {
    expect(ended?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(ended?.errorCode).toBe(limitErrorCode);
    expect(ended?.details).toContain(`${limitErrorCode}: ${limitMessage}`);
  };

  it('delivers what remains of the allocation, then ends the subscription with the documented error', async () => {
    const seen = await subscribed();
    org.setCdcDeliveryAllocation(3);
    createEvents(5);
    await waitFor(() => seen.ended !== undefined);
    expect(seen.replayIds).toHaveLength(3);
    expectLimitExceeded(seen.ended);
    expect(org.stats()).toMatchObject({ cdcDelivered: 3, cdcDeliveriesUsed: 3, cdcSubscribers: 0 });
    expect(org.cdcDeliveryAllocation()).toEqual({ max: 3, used: 3, remaining: 0 });
  });

  it('refuses a new subscription while none of the allocation remains', async () => {
    org.setCdcDeliveryAllocation(0);
    const seen = subscribe();
    await waitFor(() => seen.ended !== undefined);
    expectLimitExceeded(seen.ended);
    expect(org.stats().cdcSubscribers).toBe(0);
    // An add-on bought: the allocation grows and subscriptions are taken again.
    expect((await call('PUT', '/__sandbox/cdc/allocation', { max: 100_000 })).body).toEqual({
      max: 100_000,
      used: 0,
      remaining: 100_000,
    });
    await subscribed();
  });

  it('counts each event once per subscription it reaches, and no keepalive; the limits resource reports it', async () => {
    expect(await deliveryLimit()).toEqual({ Max: 10_000, Remaining: 10_000 });
    const first = await subscribed();
    const second = await subscribed();
    createEvents(2);
    await waitFor(() => first.replayIds.length === 2 && second.replayIds.length === 2);
    // Idle after them, each stream gets keepalives (empty FetchResponses), which count for nothing.
    const keepalives = { first: first.keepalives, second: second.keepalives };
    await waitFor(() => first.keepalives > keepalives.first && second.keepalives > keepalives.second);
    expect(org.stats().cdcDeliveriesUsed).toBe(4);
    expect(await deliveryLimit()).toEqual({ Max: 10_000, Remaining: 9996 });

    // 3 deliveries left for two subscribers of 2 events: 3 go, the fourth ends its stream.
    org.setCdcDeliveryAllocation(7);
    createEvents(2);
    await waitFor(() => [first, second].some((s) => s.ended !== undefined));
    await waitFor(() => first.replayIds.length + second.replayIds.length === 7);
    expect(org.stats().cdcDeliveriesUsed).toBe(7);
    expect(await deliveryLimit()).toEqual({ Max: 7, Remaining: 0 });
    org.setCdcDeliveryAllocation(5);
    expect(await deliveryLimit()).toEqual({ Max: 5, Remaining: 0 });
  });

  it("counts the deliveries to the org's other subscribers recorded through the control API", async () => {
    const recorded = await call('POST', '/__sandbox/cdc/deliveries', { count: 9999 });
    expect(recorded).toEqual({ status: 200, body: { max: 10_000, used: 9999, remaining: 1 } });
    expect(await deliveryLimit()).toEqual({ Max: 10_000, Remaining: 1 });
    const seen = await subscribed();
    createEvents(2);
    await waitFor(() => seen.ended !== undefined);
    expect(seen.replayIds).toHaveLength(1);
    expectLimitExceeded(seen.ended);
    for (const count of [0, -1, 1.5, '2']) {
      expect((await call('POST', '/__sandbox/cdc/deliveries', { count })).status).toBe(400);
    }
    expect((await call('PUT', '/__sandbox/cdc/allocation', { max: -1 })).status).toBe(400);
    expect(org.stats().cdcDeliveriesUsed).toBe(10_000);
  });

  it('frees the allocation as the 24 hours roll on: a subscription resumes from its replay id with the events published meanwhile', async () => {
    org.setCdcDeliveryAllocation(2);
    const seen = await subscribed();
    createEvents(3, 'Before');
    await waitFor(() => seen.ended !== undefined);
    expectLimitExceeded(seen.ended);
    const [, last] = seen.replayIds;
    expect(seen.replayIds).toHaveLength(2);
    createEvents(2, 'Meanwhile');
    const early = subscribe({ replayId: last ?? 0n });
    await waitFor(() => early.ended !== undefined);
    expectLimitExceeded(early.ended);

    // Nearly a day on, the deliveries are still in the window.
    await call('POST', '/__sandbox/clock', { advanceMs: day - 120_000 });
    expect(org.cdcDeliveryAllocation().remaining).toBe(0);
    await call('POST', '/__sandbox/clock', { advanceMs: 120_000 });
    expect(org.cdcDeliveryAllocation()).toEqual({ max: 2, used: 0, remaining: 2 });
    org.setCdcDeliveryAllocation(10);
    token = await signIn(); // the old session died of idleness meanwhile
    expect(await deliveryLimit()).toEqual({ Max: 10, Remaining: 10 });
    const resumed = await subscribed({ replayId: last ?? 0n });
    await waitFor(() => resumed.replayIds.length === 3);
    expect(resumed.replayIds).toEqual([1n, 2n, 3n].map((n) => (last ?? 0n) + n));
    expect(resumed.ended).toBeUndefined();
    expect(org.stats().cdcDeliveriesUsed).toBe(3);
  });

  it('selects at most 5 entities for change data capture, and without Event its topic is not found', async () => {
    expect((await call('GET', '/__sandbox/cdc/entities')).body).toEqual({ entities: ['Event'], limit: 5 });
    const five = ['Event', 'Account', 'Contact', 'Lead', 'Opportunity'];
    expect(await call('PUT', '/__sandbox/cdc/entities', { entities: five })).toEqual({
      status: 200,
      body: { entities: five, limit: 5 },
    });
    const sixth = await call('PUT', '/__sandbox/cdc/entities', { entities: [...five, 'Case'] });
    expect(sixth.status).toBe(400);
    expect((sixth.body as { error: string }).error).toMatch(/can select up to 5 entities/);
    expect((await call('GET', '/__sandbox/cdc/entities')).body).toEqual({ entities: five, limit: 5 });
    // The same entity named twice is one.
    expect((await call('PUT', '/__sandbox/cdc/entities', { entities: [...five, 'account'] })).status).toBe(
      200,
    );
    expect((await call('PUT', '/__sandbox/cdc/entities', { entities: ['Not an entity'] })).status).toBe(400);

    const others = ['Account', 'Contact', 'Lead', 'Opportunity', 'Case'];
    await call('PUT', '/__sandbox/cdc/entities', { entities: others });
    const off = subscribe();
    await waitFor(() => off.ended !== undefined);
    expect(off.ended?.code).toBe(grpc.status.NOT_FOUND);
    expect(off.ended?.errorCode).toBe('sfdc.platform.eventbus.grpc.service.topic.not.found');
    // Event would be a sixth entity.
    const refused = await call('PUT', '/__sandbox/cdc', { enabled: true });
    expect(refused.status).toBe(400);
    expect((refused.body as { error: string }).error).toMatch(/can select up to 5 entities/);
    expect(() => org.setCdcEnabled(true)).toThrow(/can select up to 5 entities/);

    await call('PUT', '/__sandbox/cdc/entities', { entities: others.slice(1) });
    expect((await call('PUT', '/__sandbox/cdc', { enabled: true })).status).toBe(204);
    expect(org.cdcEntities().entities).toEqual([...others.slice(1), 'Event']);
    await subscribed();
  });

  it('refuses subscriptions for a while with the status, error code and details an outage is given', async () => {
    const open = await subscribed();
    const outage = await call('POST', '/__sandbox/cdc/outage', {
      ms: 60_000,
      code: 'PERMISSION_DENIED',
      errorCode: 'sfdc.platform.eventbus.grpc.service.auth.error',
      details: 'the user lacks the permission to subscribe',
    });
    expect(outage.status).toBe(204);
    const refused = subscribe();
    await waitFor(() => open.ended !== undefined && refused.ended !== undefined);
    for (const { ended } of [open, refused]) {
      expect(ended?.code).toBe(grpc.status.PERMISSION_DENIED);
      expect(ended?.errorCode).toBe('sfdc.platform.eventbus.grpc.service.auth.error');
      expect(ended?.details).toContain(
        'sfdc.platform.eventbus.grpc.service.auth.error: the user lacks the permission to subscribe',
      );
    }
    expect((await call('POST', '/__sandbox/cdc/outage', { ms: 1000, code: 'OK' })).status).toBe(400);

    // Without an error code: the status and details alone.
    await call('POST', '/__sandbox/cdc/outage', { ms: 60_000, code: 'INTERNAL' });
    const internal = subscribe();
    await waitFor(() => internal.ended !== undefined);
    expect(internal.ended).toMatchObject({ code: grpc.status.INTERNAL, errorCode: undefined });
  });
});
