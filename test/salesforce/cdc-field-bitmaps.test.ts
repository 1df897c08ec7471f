// The service's reading of CDC field bitmaps agrees with salesforce-pubsub-api-client's: both
// subscribe to the sandbox org's Pub/Sub API, the same Event writes arrive, and the changed,
// nulled and diff field names each decodes from the same header are equal (and are the fields the
// writes touched).
import { readFileSync } from 'node:fs';
import PubSubApiClient from 'salesforce-pubsub-api-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSalesforceSandbox, type SalesforceSandbox } from '../../sandbox/salesforce/index.ts';
import { decodeFieldBitmaps } from '../../src/intake/cdc/field-bitmaps.ts';
import { PubSubSubscriber, type PubSubEvent } from '../../src/intake/cdc/pubsub-client.ts';
import { createOutboundFetch } from '../../src/lib/outbound-fetch.ts';
import { sandboxOrgSession } from '../support/sandbox-org-session.ts';
import { waitFor } from '../support/wait-for.ts';

interface Header {
  changeType: string;
  changedFields: string[];
  nulledFields: string[];
  diffFields: string[];
}

const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

describe('CDC field bitmaps', () => {
  let org: SalesforceSandbox;
  let accessToken: string;
  let ownerId: string;
  let library: PubSubApiClient | undefined;
  let ours: PubSubSubscriber | undefined;

  beforeAll(async () => {
    org = await startSalesforceSandbox({ autoApprove: true, pubSub: true, pubSubKeepaliveMs: 1000 });
    org.addConnectedApp({ clientId: 'app', clientSecret: 's', callbackUrls: ['http://cb'] });
    ownerId = org.addUser({ username: 'rep@acme.example', email: 'rep@acme.example' }).Id;
    ({ accessToken } = await sandboxOrgSession(
      { loginUrl: org.url, clientId: 'app', clientSecret: 's', redirectUri: 'http://cb' },
      createOutboundFetch({ extraCaPem: readFileSync(org.caFile ?? '', 'utf8') }),
    ));
  });
  afterAll(async () => {
    ours?.close();
    // The library's close() drops its error listeners: the org goes first, so no status arrives after.
    await org.close();
    library?.close();
  });

  it('decodes the names salesforce-pubsub-api-client decodes, for every write', async () => {
    library = new PubSubApiClient(
      {
        authType: 'user-supplied',
        accessToken,
        instanceUrl: org.url,
        organizationId: org.orgId,
        pubSubEndpoint: org.pubSubEndpoint ?? '',
        rejectUnauthorizedSsl: false,
      },
      quiet,
    );
    await library.connect();
    const decodedByLibrary: Header[] = [];
    library.subscribe(
      '/data/EventChangeEvent',
      (_info: unknown, type: string, data: unknown) => {
        if (type === 'event')
          decodedByLibrary.push(
            (data as { payload: { ChangeEventHeader: Header } }).payload.ChangeEventHeader,
          );
      },
      null,
    );
    ours = new PubSubSubscriber({
      endpoint: org.pubSubEndpoint ?? '',
      accessToken,
      instanceUrl: org.url,
      orgId: org.orgId,
      extraCaPem: readFileSync(org.caFile ?? '', 'utf8'),
    });
    const received: PubSubEvent[] = [];
    ours.subscribe(
      '/data/EventChangeEvent',
      { preset: 'latest' },
      {
        onEvents: (events) => received.push(...events),
        onEnd: () => undefined,
      },
    );
    await waitFor(() => org.stats().cdcSubscribers === 2, { what: 'both subscriptions' });

    const event = org.createEvent(ownerId, {
      Subject: 'Standup',
      StartDateTime: '2026-12-01T09:00:00Z',
      DurationInMinutes: 15,
      Location: 'Room 1',
      Description: 'Daily',
    });
    org.updateEvent(event.Id, { Subject: 'Standup (moved)', Location: null });
    org.updateEvent(event.Id, {
      StartDateTime: '2026-12-01T10:00:00Z',
      DurationInMinutes: 30,
      IsPrivate: true,
      Description: null,
    });
    org.updateEvent(event.Id, {
      ShowAs: 'Free',
      IsReminderSet: true,
      ReminderDateTime: '2026-12-01T09:45:00Z',
    });
    await waitFor(() => decodedByLibrary.length >= 4 && received.length >= 4, { what: 'four change events' });

    const decodedByUs = received.map((e) => {
      const header = e.payload['ChangeEventHeader'] as Header;
      return {
        changeType: header.changeType,
        changedFields: decodeFieldBitmaps(header.changedFields, e.schemaFields),
        nulledFields: decodeFieldBitmaps(header.nulledFields, e.schemaFields),
        diffFields: decodeFieldBitmaps(header.diffFields, e.schemaFields),
      };
    });
    expect(decodedByUs).toEqual(
      decodedByLibrary.map((h) => ({
        changeType: h.changeType,
        changedFields: h.changedFields,
        nulledFields: h.nulledFields,
        diffFields: h.diffFields,
      })),
    );
    const updates = decodedByUs.slice(1);
    expect(updates.map((u) => u.changedFields.filter((f) => !f.startsWith('LastModified')).sort())).toEqual([
      ['Location', 'Subject'],
      ['ActivityDateTime', 'Description', 'DurationInMinutes', 'EndDateTime', 'IsPrivate', 'StartDateTime'],
      ['IsReminderSet', 'ReminderDateTime', 'ShowAs'],
    ]);
    expect(updates.map((u) => u.nulledFields)).toEqual([['Location'], ['Description'], []]);
  });
});
