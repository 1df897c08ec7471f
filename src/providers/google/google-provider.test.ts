import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CalendarItem } from '../../domain/calendar-item.ts';
import { PermanentError, RetryableError } from '../../lib/errors.ts';
import { ItemNotFoundError, MailboxNotFoundError } from '../calendar-provider.ts';
import { googleEventIdFor } from './google-event-id.ts';
import { GoogleProvider } from './google-provider.ts';
import { GoogleTokenSource } from './google-token-source.ts';

const privateKeyPem = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();

interface Seen {
  method: string;
  url: URL;
  headers: Headers;
  body: unknown;
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const apiError = (status: number, reason: string, message: string, headers: Record<string, string> = {}) =>
  json(
    { error: { code: status, message, errors: [{ domain: 'calendar', reason, message }] } },
    status,
    headers,
  );

/**
 * Google in a function: a token endpoint (each token names its number) and the Calendar API,
 * whose answers the test scripts; every request is kept.
 */
function fakeGoogle(api: (request: Seen) => Response | Promise<Response>, token?: () => Response) {
  const calls: Seen[] = [];
  let tokens = 0;
  const fetchImpl: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    // gaxios sends JSON as a string and the token form as URLSearchParams.
    const body = init?.body;
    const text = typeof body === 'string' ? body : body instanceof URLSearchParams ? body.toString() : '';
    if (url.pathname === '/token') {
      tokens += 1;
      return token?.() ?? json({ access_token: `tok-${tokens}`, expires_in: 3600, token_type: 'Bearer' });
    }
    const request = {
      method: init?.method ?? 'GET',
      url,
      headers: new Headers(init?.headers),
      body: text === '' ? undefined : (JSON.parse(text) as unknown),
    };
    calls.push(request);
    // As fetch does: the call's signal (timeout, or the job given up) ends it.
    const signal = init?.signal;
    signal?.throwIfAborted();
    return new Promise<Response>((resolve, reject) => {
      signal?.addEventListener('abort', () => reject(signal.reason as Error));
      Promise.resolve(api(request)).then(resolve, reject);
    });
  };
  const source = new GoogleTokenSource(
    {
      serviceAccountEmail: 'sync@acme.iam.gserviceaccount.com',
      privateKeyPem,
      privateKeyId: 'key-1',
      tokenUrl: 'https://sandbox.test/token',
      clientId: '1043928',
    },
    fetchImpl,
  );
  const provider = new GoogleProvider({
    tokens: source,
    calendarBaseUrl: 'https://calendar.test',
    fetch: fetchImpl,
    timeoutMs: 200,
    random: () => 0.5,
  });
  return { provider, calls, tokenRequests: () => tokens };
}

const events = '/calendar/v3/calendars/primary/events';
const mailbox = 'jane@acme.example';
const item: CalendarItem = {
  salesforceEventId: '00U5g0000000001EAA',
  subject: 'Review',
  body: 'Notes',
  location: null,
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
};
const id = googleEventIdFor(item.salesforceEventId);
const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error as Error,
  );

describe('GoogleProvider writes', () => {
  it('creates the event under the id derived from the Salesforce id, as the mailbox', async () => {
    const google = fakeGoogle(() => json({ id }));
    expect(await google.provider.create(mailbox, item, { idempotencyKey: 'k' })).toEqual({
      itemId: id,
      changeKey: null,
    });
    const [insert] = google.calls;
    expect(insert?.method).toBe('POST');
    expect(insert?.url.pathname).toBe(events);
    expect(insert?.url.searchParams.get('sendUpdates')).toBe('none');
    expect(insert?.headers.get('authorization')).toBe('Bearer tok-1');
    expect(insert?.body).toMatchObject({
      id,
      summary: 'Review',
      start: { dateTime: '2026-11-25T08:00:00Z', timeZone: 'Europe/Berlin' },
      extendedProperties: { private: { salesforceEventId: '00U5g0000000001EAA' } },
    });
    // A new event leaves out what it does not have; only a patch sends null to clear.
    expect(JSON.stringify(insert?.body)).not.toContain('null');
  });

  it('writes an event that already has the id whole and confirmed (a lost answer, or one deleted since)', async () => {
    const google = fakeGoogle((request) =>
      request.method === 'POST'
        ? apiError(409, 'duplicate', 'The requested identifier already exists.')
        : json({ id }),
    );
    const attendees = [{ email: 'boss@acme.example', name: null, type: 'required' as const }];
    expect(await google.provider.create(mailbox, { ...item, attendees }, { idempotencyKey: 'k' })).toEqual({
      itemId: id,
      changeKey: null,
    });
    const patch = google.calls[1];
    expect(patch?.method).toBe('PATCH');
    expect(patch?.url.pathname).toBe(`${events}/${id}`);
    expect(patch?.url.searchParams.get('sendUpdates')).toBe('all');
    expect(patch?.body).toMatchObject({ status: 'confirmed', summary: 'Review' });
  });

  it('updates whole and confirmed; a missing item is ItemNotFoundError', async () => {
    const google = fakeGoogle((request) =>
      request.url.pathname.endsWith('/gone') ? apiError(404, 'notFound', 'Not Found') : json({ id }),
    );
    expect(await google.provider.update(mailbox, { itemId: id, changeKey: null }, item)).toEqual({
      itemId: id,
      changeKey: null,
    });
    expect(google.calls[0]?.body).toMatchObject({ status: 'confirmed', location: null });
    await expect(
      google.provider.update(mailbox, { itemId: 'gone', changeKey: null }, item),
    ).rejects.toBeInstanceOf(ItemNotFoundError);
  });

  it('counts an item already deleted (410) or never there (404) as deleted', async () => {
    const answers = [
      new Response(null, { status: 204 }),
      apiError(410, 'deleted', 'Resource has been deleted'),
      apiError(404, 'notFound', 'Not Found'),
    ];
    const google = fakeGoogle(() => answers.shift() ?? json({}));
    for (let i = 0; i < 3; i++) await google.provider.delete(mailbox, { itemId: id, changeKey: null });
    expect(google.calls.map((c) => [c.method, c.url.searchParams.get('sendUpdates')])).toEqual([
      ['DELETE', 'all'],
      ['DELETE', 'all'],
      ['DELETE', 'all'],
    ]);
  });
});

describe('GoogleProvider errors', () => {
  it('backs a throttled mailbox off 1 s, 2 s, 4 s … unless Google says when, and starts again after a success', async () => {
    const answers = [
      apiError(403, 'rateLimitExceeded', 'Rate Limit Exceeded'),
      apiError(429, 'rateLimitExceeded', 'Rate Limit Exceeded'),
      apiError(403, 'userRateLimitExceeded', 'User Rate Limit Exceeded', { 'retry-after': '7' }),
      json({ id }),
      apiError(403, 'rateLimitExceeded', 'Rate Limit Exceeded'),
    ];
    const google = fakeGoogle(() => answers.shift() ?? json({ id }));
    const waits: (number | undefined)[] = [];
    for (let i = 0; i < 5; i++) {
      const failure = await failureOf(google.provider.update(mailbox, { itemId: id, changeKey: null }, item));
      if (failure !== undefined) {
        expect(failure).toBeInstanceOf(RetryableError);
        waits.push((failure as RetryableError).retryAfterMs);
      }
    }
    expect(waits).toEqual([1500, 2500, 7000, 1500]);
  });

  it('renews the token after a 401', async () => {
    const answers = [apiError(401, 'authError', 'Invalid Credentials'), json({ id })];
    const google = fakeGoogle(() => answers.shift() ?? json({ id }));
    const failure = await failureOf(google.provider.update(mailbox, { itemId: id, changeKey: null }, item));
    expect(failure).toBeInstanceOf(RetryableError);
    expect(failure?.message).toMatch(/the token will be renewed/);
    await google.provider.update(mailbox, { itemId: id, changeKey: null }, item);
    expect(google.tokenRequests()).toBe(2);
    expect(google.calls[1]?.headers.get('authorization')).toBe('Bearer tok-2');
  });

  it("names the token endpoint's refusals: missing delegation, a user the domain does not have", async () => {
    const missing = fakeGoogle(
      () => json({ id }),
      () =>
        json(
          {
            error: 'unauthorized_client',
            error_description: 'Client is unauthorized to retrieve access tokens using this method.',
          },
          401,
        ),
    );
    const failure = await failureOf(missing.provider.create(mailbox, item, { idempotencyKey: 'k' }));
    expect(failure).toBeInstanceOf(PermanentError);
    expect(failure?.message).toMatch(/not delegated the scope .* for client id 1043928/);
    const ghost = fakeGoogle(
      () => json({ id }),
      () => json({ error: 'invalid_grant', error_description: 'Invalid email or User ID' }, 400),
    );
    await expect(ghost.provider.checkAccess('ghost@acme.example')).rejects.toBeInstanceOf(
      MailboxNotFoundError,
    );
    await expect(ghost.provider.findBySalesforceId('ghost@acme.example', 'x')).rejects.toBeInstanceOf(
      MailboxNotFoundError,
    );
    expect(ghost.calls).toHaveLength(0);
  });

  it('retries nothing itself: an outage is one request and a RetryableError', async () => {
    const google = fakeGoogle(() => apiError(503, 'backendError', 'Backend Error', { 'retry-after': '3' }));
    const failure = await failureOf(google.provider.delete(mailbox, { itemId: id, changeKey: null }));
    expect(failure).toBeInstanceOf(RetryableError);
    expect((failure as RetryableError).retryAfterMs).toBe(3000);
    expect(google.calls).toHaveLength(1);
  });

  it('is retryable when Google cannot be reached, does not answer in time, or the job is given up', async () => {
    const unreachable = fakeGoogle(() => Promise.reject(new TypeError('fetch failed')));
    expect(
      (await failureOf(unreachable.provider.update(mailbox, { itemId: id, changeKey: null }, item)))?.message,
    ).toBe('updating the calendar item: cannot reach Google (fetch failed)');
    const silent = fakeGoogle(() => new Promise<Response>(() => undefined));
    const late = await failureOf(silent.provider.delete(mailbox, { itemId: id, changeKey: null }));
    expect(late).toBeInstanceOf(RetryableError);
    expect(late?.message).toBe('deleting the calendar item: Google did not answer in time');
    const given = fakeGoogle(() => json({ id }));
    const signal = AbortSignal.abort();
    expect(
      await failureOf(given.provider.create(mailbox, item, { idempotencyKey: 'k', signal })),
    ).toBeInstanceOf(RetryableError);
    expect(given.calls).toHaveLength(0);
  });
});

describe('GoogleProvider reads', () => {
  it('finds an item by its Salesforce id, the series for an occurrence changed on its own', async () => {
    const answers = [
      json({ items: [{ id: 'abc_20261125T080000Z', recurringEventId: 'abc' }] }),
      json({ items: [{ id: 'def' }] }),
      json({ items: [] }),
      apiError(404, 'notFound', 'Not Found'),
    ];
    const google = fakeGoogle(() => answers.shift() ?? json({}));
    expect(await google.provider.findBySalesforceId(mailbox, '00U5g0000000001EAA')).toEqual({
      itemId: 'abc',
      changeKey: null,
    });
    expect(await google.provider.findBySalesforceId(mailbox, '00U5g0000000001EAA')).toEqual({
      itemId: 'def',
      changeKey: null,
    });
    expect(await google.provider.findBySalesforceId(mailbox, '00U5g0000000001EAA')).toBeUndefined();
    await expect(google.provider.findBySalesforceId(mailbox, '00U5g0000000001EAA')).rejects.toBeInstanceOf(
      MailboxNotFoundError,
    );
    const query = google.calls[0]?.url.searchParams;
    expect(query?.get('privateExtendedProperty')).toBe('salesforceEventId=00U5g0000000001EAA');
    expect(query?.get('showDeleted')).toBe('false');
    expect(query?.get('maxResults')).toBe('2');
  });

  it("checks access with the service account's own token, or the mailbox's calendar and Google's clock", async () => {
    const google = fakeGoogle(() => json({ items: [] }, 200, { date: 'Wed, 25 Nov 2026 08:00:00 GMT' }));
    expect(await google.provider.checkAccess()).toEqual({ serverTime: undefined });
    expect(google.calls).toHaveLength(0);
    expect(await google.provider.checkAccess(mailbox)).toEqual({ serverTime: Date.UTC(2026, 10, 25, 8) });
    expect(google.calls[0]?.url.searchParams.get('maxResults')).toBe('1');
  });

  it("lists a series' occurrences on every page, named by their original date in the series' zone", async () => {
    const google = fakeGoogle((request) =>
      request.url.searchParams.get('pageToken') === null
        ? json({
            items: [
              {
                id: 's_20261125T070000Z',
                originalStartTime: { dateTime: '2026-11-25T07:00:00Z', timeZone: 'America/New_York' },
              },
              { id: 's_20261202T070000Z', originalStartTime: { dateTime: '2026-12-02T02:00:00-05:00' } },
            ],
            nextPageToken: 'p2',
          })
        : json({ items: [{ id: 's_20261209', originalStartTime: { date: '2026-12-09' } }] }),
    );
    const window = { from: Date.UTC(2026, 10, 20), to: Date.UTC(2026, 11, 31), timeZone: 'America/New_York' };
    expect(await google.provider.instances.list(mailbox, { itemId: 's', changeKey: null }, window)).toEqual([
      { id: 's_20261125T070000Z', date: '2026-11-25' },
      { id: 's_20261202T070000Z', date: '2026-12-02' },
      { id: 's_20261209', date: '2026-12-09' },
    ]);
    expect(google.calls[0]?.url.pathname).toBe(`${events}/s/instances`);
    expect(google.calls[0]?.url.searchParams.get('timeMin')).toBe('2026-11-20T00:00:00.000Z');
    expect(google.calls[0]?.url.searchParams.get('showDeleted')).toBe('false');
    expect(google.calls[1]?.url.searchParams.get('pageToken')).toBe('p2');
  });

  it('changes an occurrence with its own fields only; one gone is ItemNotFoundError', async () => {
    const google = fakeGoogle((request) =>
      request.url.pathname.endsWith('/gone')
        ? apiError(410, 'deleted', 'Resource has been deleted')
        : json({ id: 'x' }),
    );
    await google.provider.instances.change(mailbox, 's_20261125T070000Z', item);
    expect(google.calls[0]?.method).toBe('PATCH');
    expect(Object.keys(google.calls[0]?.body as object).sort()).toEqual([
      'description',
      'end',
      'location',
      'reminders',
      'start',
      'summary',
      'transparency',
      'visibility',
    ]);
    await expect(google.provider.instances.change(mailbox, 'gone', item)).rejects.toBeInstanceOf(
      ItemNotFoundError,
    );
    await google.provider.instances.cancel(mailbox, 'gone');
  });
});
