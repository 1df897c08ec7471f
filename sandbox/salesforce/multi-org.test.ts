// Several sandbox orgs in one process behind one Pub/Sub API endpoint, as a service with several
// tenants meets Salesforce: the real salesforce-pubsub-api-client subscribes to each org's change
// events at the shared endpoint, each call is routed by its tenantid and authenticated against
// that org alone, each org counts and breaks only its own streams, and the launcher lists every
// org before the one Pub/Sub line.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { fileURLToPath } from 'node:url';
import PubSubApiClient from 'salesforce-pubsub-api-client';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/support/wait-for.ts';
import { startSalesforceOrgs, type SalesforceSandbox } from './index.ts';
import { testAccessToken } from './test-sign-in.ts';

interface Received {
  replayId: number;
  payload: { ChangeEventHeader: { changeType: string; recordIds: string[] }; [field: string]: unknown };
}

interface GrpcError {
  code?: number;
  details?: string;
}

const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

const authErrorCode = 'sfdc.platform.eventbus.grpc.service.auth.error';

describe('several sandbox orgs at one Pub/Sub API endpoint', () => {
  let orgs: SalesforceSandbox[];
  let first: SalesforceSandbox;
  let second: SalesforceSandbox;
  let dispatcher: Agent;
  const owners = new Map<SalesforceSandbox, string>();
  const tokens = new Map<SalesforceSandbox, string>();
  const clients: PubSubApiClient[] = [];

  beforeAll(async () => {
    orgs = await startSalesforceOrgs(2, { autoApprove: true, pubSub: true, pubSubKeepaliveMs: 1000 });
    [first, second] = orgs as [SalesforceSandbox, SalesforceSandbox];
    dispatcher = new Agent({
      connect: { ca: [...rootCertificates, readFileSync(first.caFile ?? '', 'utf8')] },
    });
    for (const org of orgs) {
      owners.set(org, org.addUser({ username: 'rep@acme.example', email: 'rep@acme.example' }).Id);
      tokens.set(
        org,
        await testAccessToken(org, {
          username: 'rep@acme.example',
          fetch: (url, init) => undiciFetch(url, { ...init, dispatcher } as never),
        }),
      );
    }
  });
  afterAll(async () => {
    // The orgs first: the client's close() drops its listeners from a stream that is still open,
    // and the stream's end would then be an unhandled error.
    await Promise.all(orgs.map((org) => org.close()));
    for (const client of clients) client.close();
    await dispatcher.close();
  });

  /**
   * Subscribes (from the latest event) as the client would to `org`: by default with its id as
   * the tenantid, its instance URL and a token of its own.
   */
  async function subscribe(
    org: SalesforceSandbox,
    call: { token?: string; instanceUrl?: string; tenantId?: string; endpoint?: string } = {},
  ) {
    const client = new PubSubApiClient(
      {
        authType: 'user-supplied',
        accessToken: call.token ?? tokens.get(org) ?? '',
        instanceUrl: call.instanceUrl ?? org.url,
        organizationId: call.tenantId ?? org.orgId,
        pubSubEndpoint: call.endpoint ?? org.pubSubEndpoint ?? '',
        rejectUnauthorizedSsl: false,
      },
      quiet,
    );
    clients.push(client);
    await client.connect();
    const events: Received[] = [];
    const errors: GrpcError[] = [];
    client.subscribe(
      '/data/EventChangeEvent',
      (_info: unknown, type: string, data: unknown) => {
        if (type === 'event') events.push(data as Received);
        if (type === 'error') errors.push(data as GrpcError);
      },
      null,
    );
    return { events, errors };
  }

  const createEvent = (org: SalesforceSandbox, subject: string) =>
    org.createEvent(owners.get(org) ?? '', {
      Subject: subject,
      StartDateTime: '2026-12-01T09:00:00Z',
      DurationInMinutes: 30,
    });
  const subjects = (events: Received[]) => events.map((e) => e.payload['Subject']);

  it('starts orgs of their own (URL, id, record ids) behind one endpoint', () => {
    expect(first.url).not.toBe(second.url);
    expect(first.orgId).toBe('00D5g0000000001EAA');
    expect(second.orgId.slice(0, 15)).not.toBe(first.orgId.slice(0, 15));
    expect(owners.get(second)).not.toBe(owners.get(first));
    expect(second.pubSubEndpoint).toBe(first.pubSubEndpoint);
    expect(second.caFile).toBe(first.caFile);
  });

  it("delivers each org's changes to its own subscribers only, and counts each org's own", async () => {
    const before = { first: first.stats(), second: second.stats() };
    const secondsA = await subscribe(second);
    const secondsB = await subscribe(second);
    await waitFor(() => second.stats().cdcSubscribers === before.second.cdcSubscribers + 2);
    // Org 2's subscriptions are none of org 1's business.
    expect(first.stats()).toMatchObject({
      cdcSubscribers: before.first.cdcSubscribers,
      cdcFetchRequests: before.first.cdcFetchRequests,
    });
    const firsts = await subscribe(first);
    await waitFor(() => first.stats().cdcSubscribers === before.first.cdcSubscribers + 1);
    expect(second.stats().cdcSubscribers).toBe(before.second.cdcSubscribers + 2);

    const inSecond = createEvent(second, 'Org 2 review');
    await waitFor(() => secondsA.events.length >= 1 && secondsB.events.length >= 1);
    const inFirst = createEvent(first, 'Org 1 standup');
    await waitFor(() => firsts.events.length >= 1);
    // Had org 2's change reached org 1's subscriber, it would have come before org 1's own.
    expect(subjects(firsts.events)).toEqual(['Org 1 standup']);
    expect(firsts.events[0]?.payload.ChangeEventHeader.recordIds).toEqual([inFirst.Id]);
    expect(subjects(secondsA.events)).toEqual(['Org 2 review']);
    expect(subjects(secondsB.events)).toEqual(['Org 2 review']);
    expect(secondsA.events[0]?.payload.ChangeEventHeader.recordIds).toEqual([inSecond.Id]);
    expect(inSecond.Id).not.toBe(inFirst.Id);
    expect(first.stats().cdcDelivered - before.first.cdcDelivered).toBe(1);
    expect(second.stats().cdcDelivered - before.second.cdcDelivered).toBe(2);
    expect(first.stats().cdcFetchRequests).toBeGreaterThan(before.first.cdcFetchRequests);
  });

  it("refuses another org's token, another org's instance URL and an unknown tenantid", async () => {
    const subscribersBefore = first.stats().cdcSubscribers;
    const refused = [
      await subscribe(first, { token: tokens.get(second) ?? '' }),
      await subscribe(first, { instanceUrl: second.url }),
      await subscribe(first, { tenantId: '00D5z0000000001AAA' }),
    ];
    await waitFor(() => refused.every((r) => r.errors.length > 0));
    for (const { errors, events } of refused) {
      expect(errors[0]?.code).toBe(16); // UNAUTHENTICATED
      expect(errors[0]?.details).toMatch(
        new RegExp(`^${authErrorCode.replaceAll('.', '\\.')}: authentication exception: `),
      );
      expect(events).toEqual([]);
    }
    expect(first.stats().cdcSubscribers).toBe(subscribersBefore);
  });

  it("breaks and takes down one org's streams, leaving the other org's", async () => {
    const subscribed = {
      first: first.stats().cdcSubscribers + 1,
      second: second.stats().cdcSubscribers + 1,
    };
    const firsts = await subscribe(first);
    const seconds = await subscribe(second);
    await waitFor(
      () =>
        first.stats().cdcSubscribers === subscribed.first &&
        second.stats().cdcSubscribers === subscribed.second,
    );
    createEvent(first, 'Org 1 before the break');
    createEvent(second, 'Org 2 before the break');
    await waitFor(() => firsts.events.length >= 1 && seconds.events.length >= 1);

    first.breakStreams();
    await waitFor(() => firsts.errors.length > 0);
    expect(firsts.errors[0]?.code).toBe(14); // UNAVAILABLE
    createEvent(second, 'Org 2 after the break');
    await waitFor(() => seconds.events.length >= 2);
    expect(seconds.errors).toEqual([]);
    expect(second.stats().cdcSubscribers).toBe(subscribed.second);
    // Every subscription of org 1 ended, those of the earlier tests too.
    expect(first.stats().cdcSubscribers).toBe(0);

    first.pubSubOutage(60_000);
    const refused = await subscribe(first);
    const welcome = await subscribe(second);
    await waitFor(() => refused.errors.length > 0 && second.stats().cdcSubscribers === subscribed.second + 1);
    expect(refused.errors[0]?.code).toBe(14);
    createEvent(second, 'Org 2 during org 1’s outage');
    await waitFor(() => welcome.events.length >= 1);
    expect(subjects(welcome.events)).toEqual(['Org 2 during org 1’s outage']);
  });

  it('keeps serving the other orgs while one closes, and stops the endpoint with the last', async () => {
    const pair = await startSalesforceOrgs(2, { autoApprove: true, pubSub: true });
    const [closing, staying] = pair as [SalesforceSandbox, SalesforceSandbox];
    try {
      const endpoint = staying.pubSubEndpoint ?? '';
      staying.addUser({ username: 'rep@acme.example', email: 'rep@acme.example' });
      const token = await testAccessToken(staying, {
        username: 'rep@acme.example',
        fetch: (url, init) => undiciFetch(url, { ...init, dispatcher } as never),
      });
      await closing.close();
      await closing.close(); // a second close counts once
      const live = await subscribe(staying, { token });
      await waitFor(() => staying.stats().cdcSubscribers === 1);
      expect(live.errors).toEqual([]);

      await staying.close();
      const gone = await subscribe(staying, { token, endpoint });
      await waitFor(() => gone.errors.length > 0);
      expect(gone.errors[0]?.code).toBe(14); // UNAVAILABLE: nothing listens any more
    } finally {
      await Promise.all(pair.map((org) => org.close()));
    }
  });
});

describe('sandbox launcher with several orgs', () => {
  const main = fileURLToPath(new URL('./main.ts', import.meta.url));

  /** Starts the launcher and collects its stdout lines up to and including the Pub/Sub line. */
  function launch(args: string[]) {
    const child = spawn(process.execPath, [main, ...args]);
    const lines = new Promise<string[]>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (/Pub\/Sub API: \S+\n/.test(out)) resolve(out.trimEnd().split('\n'));
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
    });
    const stop = async () => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      return exited;
    };
    return { child, lines, stop };
  }

  it('with --orgs 2 prints both orgs, then the CA and one Pub/Sub line, and serves both', async () => {
    const launched = launch(['--orgs', '2', '--pubsub', '--auto-approve']);
    try {
      const lines = await launched.lines;
      expect(lines).toHaveLength(6);
      const orgs = [0, 2].map((at) => {
        const url = /^Salesforce sandbox listening on (https:\/\/127\.0\.0\.1:\d+)$/.exec(
          lines[at] ?? '',
        )?.[1];
        expect(url).toBeDefined();
        const orgId = new RegExp(`^  org (00D\\w{15}); control API at ${url}/__sandbox/state$`).exec(
          lines[at + 1] ?? '',
        )?.[1];
        expect(orgId).toBeDefined();
        return { url: url ?? '', orgId: orgId ?? '' };
      });
      expect(orgs[0]?.url).not.toBe(orgs[1]?.url);
      expect(orgs[0]?.orgId).not.toBe(orgs[1]?.orgId);
      const caFile = /^ {2}TLS CA certificate: (\S+ca\.crt)$/.exec(lines[4] ?? '')?.[1];
      expect(caFile).toBeDefined();
      expect(lines[5]).toMatch(/^ {2}Pub\/Sub API: localhost:\d+$/);

      const dispatcher = new Agent({
        connect: { ca: [...rootCertificates, readFileSync(caFile ?? '', 'utf8')] },
      });
      try {
        for (const { url, orgId } of orgs) {
          const state = await undiciFetch(`${url}/__sandbox/state`, { dispatcher });
          expect(((await state.json()) as { orgId: string }).orgId).toBe(orgId);
        }
      } finally {
        await dispatcher.close();
      }
    } finally {
      expect(await launched.stop()).toBe(0);
    }
  });

  it('with one org (the default) prints what it always has', async () => {
    const launched = launch(['--pubsub']);
    try {
      const lines = await launched.lines;
      expect(lines).toHaveLength(4);
      expect(lines[0]).toMatch(/^Salesforce sandbox listening on https:\/\/127\.0\.0\.1:\d+$/);
      expect(lines[1]).toMatch(
        /^ {2}org 00D5g0000000001EAA; control API at https:\/\/\S+\/__sandbox\/state$/,
      );
      expect(lines[2]).toMatch(/^ {2}TLS CA certificate: \S+$/);
      expect(lines[3]).toMatch(/^ {2}Pub\/Sub API: localhost:\d+$/);
    } finally {
      expect(await launched.stop()).toBe(0);
    }
  });

  it('refuses an --orgs that is not a whole number from 1 to 50', async () => {
    for (const orgs of ['0', '51', '2.5', 'two']) {
      const child = spawn(process.execPath, [main, '--orgs', orgs]);
      let err = '';
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      const code = await new Promise((resolve) => child.once('exit', resolve));
      expect(code).toBe(2);
      expect(err).toContain('--orgs takes a whole number from 1 to 50');
    }
  });
});
