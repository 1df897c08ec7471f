// The Google Calendar provider against the Google sandbox, for what the shared provider contract
// (google.contract.test.ts) leaves out: the event id derived from the Salesforce id and how a
// repeated create, an update and a delete meet what Google keeps; the rate-limit backoff per
// mailbox against the sandbox's throttling and its real per-user and per-project quotas; a token
// Google stops taking; the token endpoint's refusals, never with a secret in the message; that the
// provider retries nothing itself; timeouts, a call given up and an unreachable Google; and series
// instances (listed over several pages, changed with their own fields only). Every answer comes
// from the sandbox's token endpoint and Calendar API over HTTPS, as the real provider meets them.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  startGoogleSandbox,
  type GoogleSandbox,
  type GoogleServiceAccountKey,
} from '../../sandbox/google/index.ts';
import type { Attendee, CalendarItem } from '../../src/domain/calendar-item.ts';
import { parseRrule } from '../../src/domain/rrule.ts';
import { instantsOf } from '../../src/domain/time-zones.ts';
import { PermanentError, RetryableError } from '../../src/lib/errors.ts';
import { createOutboundFetch } from '../../src/lib/outbound-fetch.ts';
import {
  ItemNotFoundError,
  MailboxAccessDeniedError,
  MailboxNotFoundError,
} from '../../src/providers/calendar-provider.ts';
import { googleEventIdFor } from '../../src/providers/google/google-event-id.ts';
import { GoogleProvider } from '../../src/providers/google/google-provider.ts';
import {
  GoogleTokenSource,
  type GoogleServiceAccount,
} from '../../src/providers/google/google-token-source.ts';
import { waitFor } from '../support/wait-for.ts';

const scope = 'https://www.googleapis.com/auth/calendar.events';
/** Small quotas, so a test meets them in a few dozen requests (each test starts a fresh minute). */
const perUserPerMinute = 20;
const perProjectPerMinute = 50;

let google: GoogleSandbox;
let key: GoogleServiceAccountKey;
let outbound: typeof fetch;

/** What went to the token endpoint and came back, to check that no message ever carries it. */
const secrets = { assertions: [] as string[], accessTokens: [] as string[] };

/** The service's outbound fetch (trusting the sandboxes' CA), noting the token endpoint's traffic. */
const observed: typeof fetch = async (input, init) => {
  const url = input instanceof Request ? input.url : String(input);
  const body = init?.body;
  if (url.endsWith('/token')) {
    const form = new URLSearchParams(typeof body === 'string' || body instanceof URLSearchParams ? body : '');
    secrets.assertions.push(form.get('assertion') ?? '');
  }
  const response = await outbound(input, init);
  if (url.endsWith('/token') && response.ok) {
    const granted = (await response.clone().json()) as { access_token?: string };
    if (granted.access_token !== undefined) secrets.accessTokens.push(granted.access_token);
  }
  return response;
};

/** The provider (and its token source) as the service builds it, with options a test needs. */
function connect(
  options: {
    account?: Partial<GoogleServiceAccount>;
    timeoutMs?: number;
    tokenTimeoutMs?: number;
    calendarBaseUrl?: string;
  } = {},
) {
  const tokens = new GoogleTokenSource(
    {
      serviceAccountEmail: key.client_email,
      privateKeyPem: key.private_key,
      privateKeyId: key.private_key_id,
      tokenUrl: key.token_uri,
      clientId: key.client_id,
      ...options.account,
    },
    observed,
    options.tokenTimeoutMs === undefined ? {} : { timeoutMs: options.tokenTimeoutMs },
  );
  const provider = new GoogleProvider({
    tokens,
    calendarBaseUrl: options.calendarBaseUrl ?? google.url,
    fetch: observed,
    // The backoff's jitter, fixed: half a second on top of each wait.
    random: () => 0.5,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  return { provider, tokens };
}

let users = 0;
/** A new user of the domain, so each test has calendars (and quotas) of its own. */
function newMailbox(name: string): string {
  users++;
  const mailbox = `${name}-${users}@acme.example`;
  google.addUser(mailbox);
  return mailbox;
}

let serial = 0;
function sampleItem(overrides: Partial<CalendarItem> = {}): CalendarItem {
  serial++;
  return {
    salesforceEventId: `00U5g00000Prov${String(serial).padStart(4, '0')}`,
    subject: 'Review',
    body: 'Notes',
    location: 'Room 1',
    timing: {
      kind: 'timed',
      start: Date.UTC(2026, 10, 25, 8),
      end: Date.UTC(2026, 10, 25, 9),
      timeZone: 'Europe/Berlin',
    },
    showAs: 'busy',
    sensitivity: 'normal',
    reminderMinutesBeforeStart: 15,
    attendees: [],
    recurrence: null,
    ...overrides,
  };
}

/** A series from a Lightning rule, starting at a local time in `zone`, half an hour long. */
function seriesItem(
  rule: string,
  local: string,
  zone: string,
  overrides: Partial<CalendarItem> = {},
): CalendarItem {
  const recurrence = parseRrule(rule, {
    startDate: local.slice(0, 10),
    timeZone: zone,
    startTime: `${local.slice(11)}:00`,
  });
  if ('problem' in recurrence) throw new Error(recurrence.problem);
  const start = instantsOf(`${local}:00`, zone)[0] ?? Number.NaN;
  return sampleItem({
    timing: { kind: 'timed', start, end: start + 1_800_000, timeZone: zone },
    recurrence,
    ...overrides,
  });
}

const create = (provider: GoogleProvider, mailbox: string, item: CalendarItem) =>
  provider.create(mailbox, item, { idempotencyKey: `${item.salesforceEventId}-1` });

/** The event as the sandbox keeps it (the shape the API returns). */
const storedEvent = (mailbox: string, id: string) => google.events(mailbox).find((e) => e['id'] === id);

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error as Error,
  );

/** One 429 for `mailbox`, and the failure it makes. */
async function throttledOnce(provider: GoogleProvider, mailbox: string): Promise<Error> {
  google.failNext('429', { afterCommit: false, user: mailbox });
  return failureOf(provider.findBySalesforceId(mailbox, '00U5g00000Nowhere'));
}

const lead: Attendee = { email: 'lead@customer.example', name: 'Lea Lead', type: 'required' };

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  google = await startGoogleSandbox({
    requestsPerMinutePerUser: perUserPerMinute,
    requestsPerMinutePerProject: perProjectPerMinute,
  });
  key = google.addServiceAccount({ clientEmail: 'sync@acme-sync.iam.gserviceaccount.com' });
  google.delegate(key.client_id, [scope]);
  outbound = createOutboundFetch({ extraCaPem: readFileSync(google.caFile, 'utf8') });
});
afterAll(() => google.close());
// A fresh quota minute for every test (tokens live an hour, and each test signs its own in).
beforeEach(() => google.clock.advance(61_000));

describe('Google provider writes', { timeout: 60_000 }, () => {
  it("creates the event under the id derived from the Salesforce id, in the owner's calendar, signed in as the owner", async () => {
    const { provider } = connect();
    const mailbox = newMailbox('jane');
    const owner = mailbox.replace('jane', 'Jane');
    const item = sampleItem({
      attendees: [lead, { email: 'cc@customer.example', name: null, type: 'optional' }],
    });
    const id = googleEventIdFor(item.salesforceEventId);
    const assertionsBefore = secrets.assertions.length;
    expect(await create(provider, owner, item)).toEqual({ itemId: id, changeKey: null });
    expect(google.events(mailbox)).toHaveLength(1);
    expect(storedEvent(mailbox, id)).toMatchObject({
      id,
      status: 'confirmed',
      summary: 'Review',
      description: 'Notes',
      location: 'Room 1',
      start: { dateTime: '2026-11-25T09:00:00+01:00', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2026-11-25T10:00:00+01:00', timeZone: 'Europe/Berlin' },
      organizer: { email: mailbox, self: true },
      reminders: { useDefault: false, overrides: [{ method: 'popup', minutes: 15 }] },
      attendees: [
        expect.objectContaining({ email: 'lead@customer.example', displayName: 'Lea Lead' }),
        expect.objectContaining({ email: 'cc@customer.example', optional: true }),
      ],
      extendedProperties: { private: { salesforceEventId: item.salesforceEventId } },
    });
    // Attendees are told (sendUpdates=all); an Event without attendees tells nobody.
    expect(google.notifications(mailbox)).toEqual([
      { eventId: id, kind: 'invitation', to: ['lead@customer.example', 'cc@customer.example'] },
    ]);
    // One assertion, for the owner as the Salesforce user names them, with the one scope.
    const assertions = secrets.assertions.slice(assertionsBefore);
    expect(assertions).toHaveLength(1);
    const claims = JSON.parse(
      Buffer.from(assertions[0]?.split('.')[1] ?? '', 'base64url').toString(),
    ) as Record<string, unknown>;
    expect(claims).toMatchObject({
      iss: key.client_email,
      sub: owner,
      scope,
      aud: 'https://oauth2.googleapis.com/token',
    });
    expect(Number(claims['exp']) - Number(claims['iat'])).toBe(3600);
    // A new event leaves out what it does not have.
    const plain = sampleItem({ location: null });
    await create(provider, mailbox, plain);
    const stored = storedEvent(mailbox, googleEventIdFor(plain.salesforceEventId));
    expect(stored).toMatchObject({ status: 'confirmed' });
    expect(stored).not.toHaveProperty('location');
    expect(stored).not.toHaveProperty('recurrence');
    expect(google.notifications(mailbox)).toHaveLength(1);
  });

  it('writes the event whole and confirmed when its id is taken: a create repeated after a lost answer, a create after a delete', async () => {
    const { provider } = connect();
    const mailbox = newMailbox('lost');
    const item = sampleItem({ attendees: [lead] });
    const id = googleEventIdFor(item.salesforceEventId);
    google.failNext('503', { afterCommit: true, user: mailbox });
    expect(await failureOf(create(provider, mailbox, item))).toBeInstanceOf(RetryableError);
    expect(google.events(mailbox)).toHaveLength(1);
    // The retry carries what changed in Salesforce since: the existing event takes all of it.
    await create(provider, mailbox, { ...item, subject: 'Review, moved', location: null });
    expect(google.events(mailbox)).toHaveLength(1);
    expect(storedEvent(mailbox, id)).toMatchObject({ status: 'confirmed', summary: 'Review, moved' });
    expect(storedEvent(mailbox, id)).not.toHaveProperty('location');
    // Deleted since (Google keeps it, cancelled, under its id): created again, it is back.
    await provider.delete(mailbox, { itemId: id, changeKey: null });
    expect(storedEvent(mailbox, id)).toMatchObject({ status: 'cancelled' });
    expect(await create(provider, mailbox, { ...item, subject: 'Back again' })).toEqual({
      itemId: id,
      changeKey: null,
    });
    expect(google.events(mailbox)).toHaveLength(1);
    expect(storedEvent(mailbox, id)).toMatchObject({
      status: 'confirmed',
      summary: 'Back again',
      location: 'Room 1',
    });
    expect(google.notifications(mailbox).map((n) => [n.kind, n.to])).toEqual([
      ['invitation', ['lead@customer.example']],
      ['update', ['lead@customer.example']],
      ['cancellation', ['lead@customer.example']],
      ['update', ['lead@customer.example']],
    ]);
  });

  it('updates the event whole and confirmed, also one its owner deleted; one never there is ItemNotFoundError', async () => {
    const { provider } = connect();
    const mailbox = newMailbox('update');
    const item = sampleItem();
    const ref = await create(provider, mailbox, item);
    await provider.update(mailbox, ref, {
      ...item,
      subject: 'Moved',
      location: null,
      reminderMinutesBeforeStart: null,
      showAs: 'free',
      sensitivity: 'private',
    });
    const updated = storedEvent(mailbox, ref.itemId);
    expect(updated).toMatchObject({
      status: 'confirmed',
      summary: 'Moved',
      transparency: 'transparent',
      visibility: 'private',
      reminders: { useDefault: false },
    });
    expect(updated).not.toHaveProperty('location');
    expect((updated?.['reminders'] as { overrides?: unknown[] }).overrides ?? []).toEqual([]);
    await provider.delete(mailbox, ref);
    await provider.update(mailbox, ref, { ...item, subject: 'Still on' });
    expect(storedEvent(mailbox, ref.itemId)).toMatchObject({
      status: 'confirmed',
      summary: 'Still on',
      location: 'Room 1',
    });
    const never = { itemId: googleEventIdFor('00U5g00000Nowhere'), changeKey: null };
    expect(await failureOf(provider.update(mailbox, never, item))).toBeInstanceOf(ItemNotFoundError);
    expect(google.events(mailbox)).toHaveLength(1);
  });

  it('counts an event deleted twice, or never there, as deleted, and tells its attendees once', async () => {
    const { provider } = connect();
    const mailbox = newMailbox('delete');
    const ref = await create(provider, mailbox, sampleItem({ attendees: [lead] }));
    await provider.delete(mailbox, ref);
    await provider.delete(mailbox, ref);
    await provider.delete(mailbox, { itemId: googleEventIdFor('00U5g00000Nowhere'), changeKey: null });
    expect(google.events(mailbox)).toEqual([
      expect.objectContaining({ id: ref.itemId, status: 'cancelled' }),
    ]);
    expect(google.notifications(mailbox).map((n) => n.kind)).toEqual(['invitation', 'cancellation']);
  });
});

describe('Google provider throttling and failures', { timeout: 60_000 }, () => {
  it('backs a throttled mailbox off 1 s, 2 s, 4 s … on its own, and from the start again after a success', async () => {
    const { provider } = connect();
    const mailbox = newMailbox('throttled');
    const neighbour = newMailbox('neighbour');
    const throttled = async (who: string) => {
      google.failNext('429', { afterCommit: false, user: who });
      const failure = await failureOf(provider.findBySalesforceId(who, '00U5g00000Nowhere'));
      expect(failure).toBeInstanceOf(RetryableError);
      expect(failure.message).toMatch(/Google answered 429 rateLimitExceeded/);
      return (failure as RetryableError).retryAfterMs;
    };
    expect([await throttled(mailbox), await throttled(mailbox), await throttled(mailbox)]).toEqual([
      1500, 2500, 4500,
    ]);
    expect(await throttled(neighbour)).toBe(1500);
    expect(await provider.findBySalesforceId(mailbox, '00U5g00000Nowhere')).toBeUndefined();
    expect(await throttled(mailbox)).toBe(1500);
    expect(await throttled(neighbour)).toBe(2500);
  });

  it("meets the sandbox's per-user and per-project quotas as retryable, with the mailbox's backoff", async () => {
    const { provider } = connect();
    const find = (mailbox: string) => provider.findBySalesforceId(mailbox, '00U5g00000Nowhere');
    const busy = newMailbox('busy');
    for (let i = 0; i < perUserPerMinute; i++) await find(busy);
    const throttledBefore = google.stats().throttled;
    const over = await failureOf(find(busy));
    expect(over).toBeInstanceOf(RetryableError);
    expect(over.message).toMatch(/Google answered 403 userRateLimitExceeded \(User Rate Limit Exceeded\)/);
    expect((over as RetryableError).retryAfterMs).toBe(1500);
    expect(((await failureOf(find(busy))) as RetryableError).retryAfterMs).toBe(2500);
    expect(google.stats().throttled - throttledBefore).toBe(2);
    // The minute slides on: the mailbox may call again, and its backoff starts over.
    google.clock.advance(61_000);
    await find(busy);
    expect(((await throttledOnce(provider, busy)) as RetryableError).retryAfterMs).toBe(1500);
    // The project's quota, met by the third of three mailboxes.
    google.clock.advance(61_000);
    const [first, second, third] = [newMailbox('p1'), newMailbox('p2'), newMailbox('p3')];
    for (let i = 0; i < perUserPerMinute; i++) await find(first);
    for (let i = 0; i < perUserPerMinute; i++) await find(second);
    for (let i = 2 * perUserPerMinute; i < perProjectPerMinute; i++) await find(third);
    const project = await failureOf(find(third));
    expect(project).toBeInstanceOf(RetryableError);
    expect(project.message).toMatch(/Google answered 403 rateLimitExceeded \(Rate Limit Exceeded\)/);
    expect((project as RetryableError).retryAfterMs).toBe(1500);
  });

  it('signs in again when Google no longer takes the token the library still holds', async () => {
    const { provider } = connect();
    const mailbox = newMailbox('lapsed');
    const ref = await create(provider, mailbox, sampleItem());
    const tokenRequests = google.stats().tokenRequests;
    // An hour on at Google: the token is dead there, though the library's clock says otherwise.
    google.clock.advance(3_600_000 + 1000);
    const failure = await failureOf(provider.update(mailbox, ref, sampleItem({ subject: 'Later' })));
    expect(failure).toBeInstanceOf(RetryableError);
    expect(failure.message).toMatch(/Google answered 401 authError .*; the token will be renewed$/);
    expect(google.stats().tokenRequests).toBe(tokenRequests);
    await provider.update(mailbox, ref, sampleItem({ subject: 'Later' }));
    expect(google.stats().tokenRequests).toBe(tokenRequests + 1);
    expect(storedEvent(mailbox, ref.itemId)).toMatchObject({ summary: 'Later' });
  });

  it('retries nothing itself: a failed call is one request and a RetryableError', async () => {
    const { provider } = connect();
    const mailbox = newMailbox('outage');
    const ref = await create(provider, mailbox, sampleItem());
    for (const kind of ['500', '503', 'reset'] as const) {
      google.failNext(kind, { afterCommit: false, user: mailbox });
      const requests = google.stats().requests;
      const failure = await failureOf(provider.delete(mailbox, ref));
      expect(failure, kind).toBeInstanceOf(RetryableError);
      expect(failure.message, kind).toMatch(
        kind === 'reset'
          ? /^deleting the calendar item: cannot reach Google \(/
          : new RegExp(`^deleting the calendar item: Google answered ${kind} backendError`),
      );
      expect(google.stats().requests - requests, kind).toBe(1);
    }
    expect(storedEvent(mailbox, ref.itemId)).toMatchObject({ status: 'confirmed' });
  });

  it('is retryable when Google does not answer in time, and when the job is given up before or during a call', async () => {
    const mailbox = newMailbox('slow');
    const { provider } = connect({ timeoutMs: 3000 });
    const ref = await create(provider, mailbox, sampleItem());
    google.failNext('timeout', { afterCommit: false, user: mailbox, hangMs: 60_000 });
    const late = await failureOf(provider.delete(mailbox, ref));
    expect(late).toBeInstanceOf(RetryableError);
    expect(late.message).toBe('deleting the calendar item: Google did not answer in time');
    expect(storedEvent(mailbox, ref.itemId)).toMatchObject({ status: 'confirmed' });

    // Given up before the call: nothing is sent, not even for a token.
    const fresh = connect();
    const before = google.stats();
    const given = await failureOf(
      fresh.provider.create(mailbox, sampleItem(), {
        idempotencyKey: 'given-up',
        signal: AbortSignal.abort(),
      }),
    );
    expect(given).toBeInstanceOf(RetryableError);
    expect(google.stats()).toMatchObject({ requests: before.requests, tokenRequests: before.tokenRequests });

    // Given up while Google holds the call.
    await fresh.provider.findBySalesforceId(mailbox, '00U5g00000Nowhere');
    google.failNext('timeout', { afterCommit: false, user: mailbox, hangMs: 60_000 });
    const controller = new AbortController();
    const requests = google.stats().requests;
    const pending = failureOf(
      fresh.provider.update(mailbox, ref, sampleItem({ subject: 'Never' }), { signal: controller.signal }),
    );
    await waitFor(() => google.stats().requests > requests, { what: 'the update to reach the sandbox' });
    controller.abort();
    expect(await pending).toBeInstanceOf(RetryableError);
    expect(storedEvent(mailbox, ref.itemId)).toMatchObject({ summary: 'Review' });
  });

  it('is retryable when the Calendar API or the token endpoint cannot be reached', async () => {
    const mailbox = newMailbox('offline');
    const port = await closedPort();
    const calendarDown = connect({ calendarBaseUrl: `https://127.0.0.1:${port}` });
    const failure = await failureOf(
      calendarDown.provider.update(mailbox, { itemId: 'abcde', changeKey: null }, sampleItem()),
    );
    expect(failure).toBeInstanceOf(RetryableError);
    expect(failure.message).toMatch(/^updating the calendar item: cannot reach Google \(.*fetch failed/);
    const tokensDown = connect({ account: { tokenUrl: `https://127.0.0.1:${port}/token` } });
    const refused = await failureOf(tokensDown.tokens.token(mailbox));
    expect(refused).toBeInstanceOf(RetryableError);
    expect(refused.message).toMatch(
      new RegExp(`^getting a Google token for ${mailbox}: cannot reach Google \\(.*fetch failed`),
    );
  });

  it('is retryable when the token endpoint fails, drops the connection or does not answer in time, each asked once', async () => {
    const mailbox = newMailbox('signin-down');
    const { provider, tokens } = connect({ tokenTimeoutMs: 3000 });
    const before = google.stats().tokenRequests;
    google.failNextTokenRequest('503');
    const unavailable = await failureOf(tokens.token(mailbox));
    expect(unavailable).toBeInstanceOf(RetryableError);
    expect(unavailable.message).toBe(
      `cannot get a Google token for ${mailbox}: HTTP 503 (The service is currently unavailable.)`,
    );
    google.failNextTokenRequest('503');
    const inCall = await failureOf(create(provider, mailbox, sampleItem()));
    expect(inCall).toBeInstanceOf(RetryableError);
    // Met inside a call, the token endpoint's outage is still the sign-in's, not the Calendar API's.
    expect(inCall.message).toBe(
      `cannot get a Google token for ${mailbox}: HTTP 503 (The service is currently unavailable.)`,
    );
    google.failNextTokenRequest('reset');
    const reset = await failureOf(tokens.token(mailbox));
    expect(reset).toBeInstanceOf(RetryableError);
    expect(reset.message).toMatch(
      new RegExp(`^getting a Google token for ${mailbox}: cannot reach Google \\(`),
    );
    google.failNextTokenRequest('timeout', { hangMs: 60_000 });
    const late = await failureOf(tokens.token(mailbox));
    expect(late).toBeInstanceOf(RetryableError);
    expect(late.message).toBe(`getting a Google token for ${mailbox}: Google did not answer in time`);
    // Once each: the library's own retries are off.
    expect(google.stats().tokenRequests - before).toBe(4);
    await create(provider, mailbox, sampleItem());
    expect(google.stats().tokenRequests - before).toBe(5);
  });
});

describe('Google provider sign-in', { timeout: 60_000 }, () => {
  /** Every message must leave out the key, the assertions signed and the tokens Google gave. */
  const expectNoSecret = (message: string, privateKeyPem: string) => {
    expect(message).not.toContain('PRIVATE KEY');
    for (const line of privateKeyPem.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----')))
      expect(message).not.toContain(line.slice(0, 24));
    for (const assertion of secrets.assertions) {
      const [, claims = '', signature = ''] = assertion.split('.');
      expect(message).not.toContain(claims.slice(0, 24));
      expect(message).not.toContain(signature.slice(0, 24));
    }
    for (const token of secrets.accessTokens) expect(message).not.toContain(token.slice(8, 32));
  };

  it("names the token endpoint's refusals: no delegation, a user the domain does not have, a key Google does not know, a scope it does not take", async () => {
    const mailbox = newMailbox('refused');
    const requests = google.stats().requests;
    const tokenRequestsBefore = google.stats().tokenRequests;
    const failures: { failure: Error; pem: string }[] = [];
    const attempt = async (call: Promise<unknown>, pem: string) => {
      const failure = await failureOf(call);
      failures.push({ failure, pem });
      return failure;
    };

    // A service account whose client id the Admin console never delegated the scope.
    const undelegated = google.addServiceAccount({ clientEmail: 'other@acme-sync.iam.gserviceaccount.com' });
    const other = connect({
      account: {
        serviceAccountEmail: undelegated.client_email,
        privateKeyPem: undelegated.private_key,
        privateKeyId: undelegated.private_key_id,
        clientId: undelegated.client_id,
      },
    });
    const missing = await attempt(create(other.provider, mailbox, sampleItem()), undelegated.private_key);
    // A refusal of the mailbox: its Events wait on it until access is granted (never retried blindly).
    expect(missing).toBeInstanceOf(MailboxAccessDeniedError);
    expect(missing.message).toContain(
      `the service account is not delegated the scope ${scope} in the Admin console (Security → API controls → Domain-wide delegation) for client id ${undelegated.client_id}`,
    );

    // A user the Workspace domain does not have: the mailbox's problem, found before any Calendar request.
    const { provider } = connect();
    const ghost = 'ghost@acme.example';
    for (const call of [
      () => provider.checkAccess(ghost),
      () => provider.findBySalesforceId(ghost, '00U5g00000Nowhere'),
    ]) {
      const failure = await attempt(call(), key.private_key);
      expect(failure).toBeInstanceOf(MailboxNotFoundError);
      expect(failure.message).toMatch(/no user ghost@acme\.example in the Workspace domain/);
    }

    // A key Google does not have for the account (deleted or replaced), or an account it does not have.
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    for (const account of [
      { privateKeyPem: stranger, privateKeyId: 'b'.repeat(40) },
      {
        privateKeyPem: stranger,
        privateKeyId: 'c'.repeat(40),
        serviceAccountEmail: 'gone@acme-sync.iam.gserviceaccount.com',
      },
    ]) {
      const failure = await attempt(connect({ account }).tokens.token(mailbox), stranger);
      expect(failure).toBeInstanceOf(PermanentError);
      expect(failure.message).toMatch(
        /^Google refused the service account's key \(invalid_grant \((Invalid JWT Signature\.|Invalid grant: account not found)\)\): a deleted or replaced key/,
      );
    }

    // A scope Google does not take.
    const badScope = connect({ account: { scopes: [scope, 'calendar'] } });
    const scoped = await attempt(badScope.tokens.token(mailbox), key.private_key);
    expect(scoped).toBeInstanceOf(PermanentError);
    expect(scoped.message).toMatch(new RegExp(`^Google refused a token for ${mailbox}: invalid_scope`));

    // One token request each (the library's retries are off), no Calendar request at all.
    expect(google.stats().tokenRequests - tokenRequestsBefore).toBe(failures.length);
    expect(google.stats().requests).toBe(requests);
    expect(secrets.assertions.length).toBeGreaterThan(0);
    expect(secrets.accessTokens.length).toBeGreaterThan(0);
    for (const { failure, pem } of failures) expectNoSecret(failure.message, pem);
  });

  it('checks access as the service account itself, without a Calendar request, and as a mailbox, with Google’s clock', async () => {
    const { provider, tokens } = connect();
    const mailbox = newMailbox('access');
    const before = google.stats();
    expect(await provider.checkAccess()).toEqual({ serverTime: undefined });
    expect(google.stats()).toMatchObject({
      requests: before.requests,
      tokenRequests: before.tokenRequests + 1,
    });
    // That token acts as the service account: its own calendar, empty.
    const own = await observed(`${google.url}/calendar/v3/calendars/primary/events`, {
      headers: { authorization: `Bearer ${await tokens.token()}` },
    });
    expect(own.status).toBe(200);
    expect(((await own.json()) as { items: unknown[] }).items).toEqual([]);
    const requests = google.stats().requests;
    const { serverTime } = await provider.checkAccess(mailbox);
    expect(google.stats().requests - requests).toBe(1);
    expect(serverTime).toBeDefined();
    expect(Math.abs((serverTime ?? 0) - Date.now())).toBeLessThan(60_000);
  });

  it('signs in once per mailbox and reuses the token, however many calls ask at once', async () => {
    const { provider, tokens } = connect();
    const mailbox = newMailbox('shared');
    const before = google.stats().tokenRequests;
    const together = await Promise.all([1, 2, 3, 4, 5].map(() => tokens.token(mailbox.toUpperCase())));
    expect(new Set(together).size).toBe(1);
    await Promise.all([1, 2, 3].map(() => provider.findBySalesforceId(mailbox, '00U5g00000Nowhere')));
    expect(await tokens.token(mailbox)).toBe(together[0]);
    expect(google.stats().tokenRequests - before).toBe(1);
  });

  it('keeps a bounded number of mailboxes, dropping the least recently used', () => {
    const tokens = new GoogleTokenSource(
      {
        serviceAccountEmail: key.client_email,
        privateKeyPem: key.private_key,
        privateKeyId: key.private_key_id,
        tokenUrl: key.token_uri,
      },
      observed,
      { maxMailboxes: 2 },
    );
    const a = tokens.client('a@acme.example');
    tokens.client('b@acme.example');
    expect(tokens.client('A@acme.example')).toBe(a);
    tokens.client('c@acme.example'); // b goes: a was used since
    expect(tokens.client('a@acme.example')).toBe(a);
    const b = tokens.client('b@acme.example');
    tokens.forget('b@acme.example');
    expect(tokens.client('b@acme.example')).not.toBe(b);
  });
});

describe('Google provider series', { timeout: 60_000 }, () => {
  it('finds the series for an occurrence changed on its own', async () => {
    const { provider } = connect();
    const mailbox = newMailbox('found');
    const zone = 'Europe/Berlin';
    const series = seriesItem('RRULE:FREQ=DAILY;COUNT=5', '2027-03-01T09:00', zone);
    const ref = await create(provider, mailbox, series);
    const window = { from: Date.UTC(2027, 1, 28), to: Date.UTC(2027, 2, 10), timeZone: zone };
    const [, second] = await provider.instances.list(mailbox, ref, window);
    await provider.instances.change(mailbox, second!.id, {
      ...series,
      subject: 'Just this once',
      recurrence: null,
    });
    expect(await provider.findBySalesforceId(mailbox, series.salesforceEventId)).toEqual(ref);
    // An occurrence stamped on its own (another client wrote the property on it) still stands for its series.
    const token = await connect().tokens.token(mailbox);
    const stamped = await observed(
      `${google.url}/calendar/v3/calendars/primary/events/${second!.id}?sendUpdates=none`,
      {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ extendedProperties: { private: { salesforceEventId: '00U5g00000Single' } } }),
      },
    );
    expect(stamped.status).toBe(200);
    expect(await provider.findBySalesforceId(mailbox, '00U5g00000Single')).toEqual(ref);
  });

  it("lists a long series' occurrences over several pages, each named by its date in the window's zone", async () => {
    const { provider } = connect();
    const mailbox = newMailbox('long');
    const zone = 'America/New_York';
    // 22:30 in New York is the next day in UTC: the date is New York's.
    const series = seriesItem('RRULE:FREQ=DAILY;UNTIL=20350319', '2027-01-01T22:30', zone);
    const ref = await create(provider, mailbox, series);
    const start = series.timing.kind === 'timed' ? series.timing.start : 0;
    const requests = google.stats().requests;
    const listed = await provider.instances.list(mailbox, ref, {
      from: start - 86_400_000,
      to: start + 3001 * 86_400_000,
      timeZone: zone,
    });
    // Google pages at 2,500 at most: two pages.
    expect(google.stats().requests - requests).toBe(2);
    expect(listed).toHaveLength(3000);
    expect(new Set(listed.map((i) => i.id)).size).toBe(3000);
    const dates = listed.map((i) => i.date);
    expect(dates[0]).toBe('2027-01-01');
    expect(dates[1]).toBe('2027-01-02');
    expect(dates.at(-1)).toBe(new Date(Date.UTC(2027, 0, 1) + 2999 * 86_400_000).toISOString().slice(0, 10));
    expect(listed[0]?.id).toBe(`${ref.itemId}_20270102T033000Z`);
    // A window holds what falls in it; an all-day series is named by its dates.
    const week = await provider.instances.list(mailbox, ref, {
      from: Date.UTC(2027, 5, 10, 12),
      to: Date.UTC(2027, 5, 17, 12),
      timeZone: zone,
    });
    expect(week.map((i) => i.date)).toEqual([
      '2027-06-10',
      '2027-06-11',
      '2027-06-12',
      '2027-06-13',
      '2027-06-14',
      '2027-06-15',
      '2027-06-16',
    ]);
    const allDayRule = parseRrule('RRULE:FREQ=WEEKLY;BYDAY=FR;COUNT=3', {
      startDate: '2027-03-19',
      timeZone: 'Pacific/Honolulu',
    });
    if ('problem' in allDayRule) throw new Error(allDayRule.problem);
    const allDay = await create(
      provider,
      mailbox,
      sampleItem({
        timing: {
          kind: 'all-day',
          startDate: '2027-03-19',
          endDate: '2027-03-20',
          timeZone: 'Pacific/Honolulu',
        },
        recurrence: allDayRule,
      }),
    );
    expect(
      await provider.instances.list(mailbox, allDay, {
        from: Date.UTC(2027, 2, 1),
        to: Date.UTC(2027, 3, 30),
        timeZone: 'Pacific/Kiritimati',
      }),
    ).toEqual([
      { id: `${allDay.itemId}_20270319`, date: '2027-03-19' },
      { id: `${allDay.itemId}_20270326`, date: '2027-03-26' },
      { id: `${allDay.itemId}_20270402`, date: '2027-04-02' },
    ]);
    expect(
      await failureOf(
        provider.instances.list(
          mailbox,
          { itemId: googleEventIdFor('00U5g00000Nowhere'), changeKey: null },
          {
            from: Date.UTC(2027, 0, 1),
            to: Date.UTC(2027, 1, 1),
            timeZone: zone,
          },
        ),
      ),
    ).toBeInstanceOf(ItemNotFoundError);
  });

  it("changes an occurrence with its own fields only: the series' attendees, stamp and later changes still reach it", async () => {
    const { provider } = connect();
    const mailbox = newMailbox('occurrence');
    const zone = 'Europe/Berlin';
    const series = seriesItem('RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4', '2027-03-22T09:00', zone, {
      attendees: [lead],
    });
    const ref = await create(provider, mailbox, series);
    const window = { from: Date.UTC(2027, 2, 20), to: Date.UTC(2027, 4, 1), timeZone: zone };
    const second = (await provider.instances.list(mailbox, ref, window))[1]!;
    const moved = instantsOf('2027-03-30T14:00:00', zone)[0] ?? Number.NaN;
    // The occurrence as Salesforce has it, without the series' attendees: those stay the series'.
    await provider.instances.change(mailbox, second.id, {
      ...series,
      subject: 'Moved to Tuesday',
      location: 'Room 2',
      attendees: [],
      recurrence: null,
      timing: { kind: 'timed', start: moved, end: moved + 1_800_000, timeZone: zone },
    });
    const extra: Attendee = { email: 'extra@customer.example', name: null, type: 'required' };
    await provider.update(mailbox, ref, { ...series, subject: 'Weekly', attendees: [lead, extra] });
    const occurrence = storedEvent(mailbox, second.id);
    expect(occurrence).toMatchObject({
      recurringEventId: ref.itemId,
      summary: 'Moved to Tuesday',
      location: 'Room 2',
      start: { dateTime: '2027-03-30T14:00:00+02:00' },
      extendedProperties: { private: { salesforceEventId: series.salesforceEventId } },
    });
    expect((occurrence?.['attendees'] as { email: string }[]).map((a) => a.email)).toEqual([
      'lead@customer.example',
      'extra@customer.example',
    ]);
    expect(occurrence).not.toHaveProperty('recurrence');
  });

  it('says an occurrence its series does not have is ItemNotFoundError when changed, and cancelled when cancelled', async () => {
    const { provider } = connect();
    const mailbox = newMailbox('gone');
    const zone = 'Europe/Berlin';
    const series = seriesItem('RRULE:FREQ=DAILY;COUNT=3', '2027-05-03T09:00', zone);
    const ref = await create(provider, mailbox, series);
    // 10:00 in Berlin (08:00Z) on a day of the series, which is at 09:00: not an occurrence (404).
    const never = `${ref.itemId}_20270503T080000Z`;
    const failure = await failureOf(
      provider.instances.change(mailbox, never, { ...series, subject: 'Changed', recurrence: null }),
    );
    expect(failure).toBeInstanceOf(ItemNotFoundError);
    await provider.instances.cancel(mailbox, never);
    expect(google.events(mailbox)).toEqual([
      expect.objectContaining({ id: ref.itemId, status: 'confirmed' }),
    ]);
  });
});
