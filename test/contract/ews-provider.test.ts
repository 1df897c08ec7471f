// The Exchange Server (EWS) provider against the EWS sandbox, for what the shared provider
// contract leaves out: NTLM signed in once per pooled connection (and again, once, when a
// connection is lost), Basic on every request, a refused sign-in never showing the password,
// ErrorServerBusy's BackOffMilliseconds, an update whose ChangeKey Exchange wants read again,
// refused impersonation and a missing mailbox, a create whose answer was lost found by its
// Salesforce id, our own timeout, series occurrences walked by index, and the plugin's sandbox
// set-up. Every answer comes from the sandbox over HTTPS, as the real provider meets Exchange's.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEwsSandbox, type EwsSandbox } from '../../sandbox/ews/index.ts';
import type { CalendarItem } from '../../src/domain/calendar-item.ts';
import { PermanentError, RetryableError } from '../../src/lib/errors.ts';
import { createOutboundFetch } from '../../src/lib/outbound-fetch.ts';
import {
  ItemNotFoundError,
  OccurrenceCannotMoveError,
  MailboxAccessDeniedError,
  MailboxNotFoundError,
} from '../../src/providers/calendar-provider.ts';
import { EwsProvider } from '../../src/providers/ews/ews-provider.ts';
import { EwsTransport, type EwsTransportOptions } from '../../src/providers/ews/ews-transport.ts';
import { createEwsProvider, ewsPlugin } from '../../src/providers/ews/index.ts';

const owner = 'rep@contoso.example';
const service = { username: 'CONTOSO\\svc-instant-sync', password: 'Pa55 word: ünïcode & <xml>' };

let ews: EwsSandbox;
let ca: string;
const transports: EwsTransport[] = [];

/** The provider as the service builds it, over a transport a test may inspect. */
function connect(options: Partial<EwsTransportOptions> = {}, timeoutMs?: number) {
  const transport = new EwsTransport({
    url: `${ews.url}/EWS/Exchange.asmx`,
    ...service,
    auth: 'ntlm',
    extraCaPem: ca,
    ...options,
  });
  transports.push(transport);
  const provider = new EwsProvider({
    transport,
    url: `${ews.url}/EWS/Exchange.asmx`,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
  return { transport, provider };
}

let counter = 0;
function sampleItem(changes: Partial<CalendarItem> = {}): CalendarItem {
  counter += 1;
  return {
    salesforceEventId: `00U5g00000Ews${String(counter).padStart(5, '0')}`,
    subject: `Pipeline review ${counter}`,
    body: 'Agenda',
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
    ...changes,
  };
}

/** The owner's items stamped with this Salesforce id, as the sandbox keeps them. */
const stamped = (salesforceEventId: string) =>
  ews
    .items(owner)
    .filter((item) =>
      (item['ExtendedProperties'] as { PropertyName: string; Value: string }[]).some(
        (p) => p.PropertyName === 'SalesforceEventId' && p.Value === salesforceEventId,
      ),
    );

beforeAll(async () => {
  ews = await startEwsSandbox();
  ca = readFileSync(ews.caFile, 'utf8');
  ews.addAccount(service);
  ews.grantImpersonation(service.username);
  ews.addAccount({ username: 'svc-basic@contoso.example', password: 'basic-secret' });
  ews.grantImpersonation('svc-basic@contoso.example');
  ews.addAccount({ username: 'CONTOSO\\no-role', password: 'no-role-secret' });
  ews.addMailbox(owner, 'Rep');
});

afterAll(async () => {
  await Promise.all(transports.map((t) => t.close()));
  await ews.close();
});

describe('signing in', () => {
  it('runs the NTLM handshake once per pooled connection, then sends requests without credentials', async () => {
    const { transport, provider } = connect({ maxConnections: 3 });
    const before = ews.stats().authHandshakes;
    const item = sampleItem();
    const ref = await provider.create(owner, item, { idempotencyKey: 'k' });
    await provider.findBySalesforceId(owner, item.salesforceEventId);
    const updated = await provider.update(owner, ref, { ...item, subject: 'Changed' });
    await provider.checkAccess(owner);
    await provider.delete(owner, updated);
    expect(ews.stats().authHandshakes - before).toBe(1);
    // Twelve at once: the pool grows to its three connections, each signed in once.
    await Promise.all(
      Array.from({ length: 12 }, () => provider.create(owner, sampleItem(), { idempotencyKey: 'k' })),
    );
    expect(ews.stats().authHandshakes - before).toBe(3);
    expect(transport.handshakes).toBe(3);
  });

  it('signs in again, once, on the connection that replaces a lost one', async () => {
    const { transport, provider } = connect({ maxConnections: 1 });
    await provider.checkAccess(owner);
    ews.failNext('reset', { afterCommit: false, mailbox: owner });
    await expect(provider.checkAccess(owner)).rejects.toBeInstanceOf(RetryableError);
    await provider.checkAccess(owner);
    await provider.checkAccess(owner);
    expect(transport.handshakes).toBe(2);
  });

  it('sends Basic credentials with every request, with no handshake', async () => {
    const before = ews.stats().authHandshakes;
    const { transport, provider } = connect({
      username: 'svc-basic@contoso.example',
      password: 'basic-secret',
      auth: 'basic',
    });
    const item = sampleItem();
    await provider.create(owner, item, { idempotencyKey: 'k' });
    expect(await provider.findBySalesforceId(owner, item.salesforceEventId)).toBeDefined();
    expect(transport.handshakes).toBe(0);
    expect(ews.stats().authHandshakes).toBe(before);
  });

  it('refuses a wrong password permanently, naming what to check and never the password', async () => {
    for (const auth of ['ntlm', 'basic'] as const) {
      const { provider } = connect({ password: 'not-the-Pa55-word', auth });
      const failure = await provider.checkAccess().catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(PermanentError);
      expect((failure as Error).message).toMatch(/refused the service account's sign-in \(HTTP 401\)/);
      expect((failure as Error).message).not.toContain('not-the-Pa55-word');
    }
  });

  it('checks the sign-in alone and the right to a calendar, answering with the server clock', async () => {
    const { provider } = connect();
    const { serverTime } = await provider.checkAccess();
    expect(Math.abs((serverTime ?? 0) - ews.clock.now())).toBeLessThan(5_000);
    expect((await provider.checkAccess(owner)).serverTime).toBeDefined();
  });
});

describe("Exchange's refusals", () => {
  it("waits as long as ErrorServerBusy's BackOffMilliseconds says", async () => {
    const { provider } = connect();
    ews.failNext('server-busy', { afterCommit: false, mailbox: owner });
    const failure = await provider
      .create(owner, sampleItem(), { idempotencyKey: 'k' })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RetryableError);
    expect((failure as RetryableError).retryAfterMs).toBe(5000);
    expect((failure as Error).message).toMatch(/ErrorServerBusy/);
  });

  it('says the service account may not act as the owner, naming the ApplicationImpersonation role', async () => {
    const { provider } = connect({ username: 'CONTOSO\\no-role', password: 'no-role-secret' });
    const failure = await provider
      .create(owner, sampleItem(), { idempotencyKey: 'k' })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MailboxAccessDeniedError);
    expect((failure as Error).message).toMatch(/ErrorImpersonateUserDenied.*ApplicationImpersonation/);
    await expect(provider.checkAccess(owner)).rejects.toBeInstanceOf(MailboxAccessDeniedError);
  });

  it('says a mailbox Exchange does not have is missing', async () => {
    const { provider } = connect();
    const failure = await provider
      .create('nobody@contoso.example', sampleItem(), { idempotencyKey: 'k' })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MailboxNotFoundError);
    expect(failure).not.toBeInstanceOf(MailboxAccessDeniedError);
    expect((failure as Error).message).toMatch(/nobody@contoso\.example does not exist.*mailboxes map/);
  });

  it('ends a call Exchange does not answer in time, and the next call goes through', async () => {
    const { provider } = connect({ maxConnections: 1 }, 1_500);
    ews.failNext('timeout', { afterCommit: false, mailbox: owner, hangMs: 10_000 });
    const failure = await provider.checkAccess(owner).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RetryableError);
    expect((failure as Error).message).toMatch(/did not answer in time/);
    await provider.checkAccess(owner);
  });
});

describe('writing items', () => {
  it('finds a create whose answer was lost by its Salesforce id, so one item results', async () => {
    const { provider } = connect();
    const item = sampleItem();
    ews.failNext('500', { afterCommit: true, mailbox: owner });
    await expect(provider.create(owner, item, { idempotencyKey: 'k' })).rejects.toBeInstanceOf(
      RetryableError,
    );
    // What the engine does before creating again (apply-plan.ts: the create was marked pending).
    const found = await provider.findBySalesforceId(owner, item.salesforceEventId);
    expect(found).toBeDefined();
    await provider.update(owner, found!, { ...item, subject: 'After the lost answer' });
    expect(stamped(item.salesforceEventId).map((i) => i['Subject'])).toEqual(['After the lost answer']);
  });

  it('reads the current ChangeKey and updates once more when Exchange wants one, and overwrites with a stale one', async () => {
    const { provider } = connect();
    const item = sampleItem();
    const first = await provider.create(owner, item, { idempotencyKey: 'k' });
    const second = await provider.update(owner, first, { ...item, subject: 'Second' });
    expect(second.changeKey).not.toBe(first.changeKey);
    // No key at all: ErrorChangeKeyRequiredForWriteOperations, then GetItem and the update again.
    const third = await provider.update(owner, { ...first, changeKey: null }, { ...item, subject: 'Third' });
    // A stale key: AlwaysOverwrite writes Salesforce's version over what changed since.
    await provider.update(owner, first, { ...item, subject: 'Fourth', location: null });
    expect(third.changeKey).not.toBeNull();
    const [stored] = stamped(item.salesforceEventId);
    expect(stored).toMatchObject({ Subject: 'Fourth' });
    expect(stored?.['Location'] ?? null).toBeNull();
  });

  it('deletes an item (again without complaint) and says an update found it gone', async () => {
    const { provider } = connect();
    const item = sampleItem();
    const ref = await provider.create(owner, item, { idempotencyKey: 'k' });
    await provider.delete(owner, ref);
    await provider.delete(owner, ref);
    expect(stamped(item.salesforceEventId)).toEqual([]);
    await expect(provider.update(owner, ref, item)).rejects.toBeInstanceOf(ItemNotFoundError);
    expect(await provider.findBySalesforceId(owner, item.salesforceEventId)).toBeUndefined();
  });
});

describe('series occurrences', () => {
  it('walks a series by index, changes and cancels single occurrences, and names them by their original date', async () => {
    const { provider } = connect({}, 10_000);
    const series = sampleItem({
      recurrence: {
        frequency: 'daily',
        interval: 1,
        byDay: [],
        byMonthDay: null,
        byMonth: null,
        setPosition: null,
        weekStart: 'MO',
        startDate: '2026-11-25',
        end: { kind: 'count', count: 120 },
        timeZone: 'Europe/Berlin',
      },
    });
    const ref = await provider.create(owner, series, { idempotencyKey: 'k' });
    const window = { from: Date.UTC(2026, 10, 23), to: Date.UTC(2027, 3, 1), timeZone: 'Europe/Berlin' };
    const listed = await provider.instances.list(owner, ref, window);
    expect(listed).toHaveLength(120);
    expect(listed[0]?.date).toBe('2026-11-25');
    expect(listed.at(-1)?.date).toBe('2027-03-24');
    const [, second, third] = listed;
    // Later the same day: still the occurrence of 26 November.
    await provider.instances.change(
      owner,
      second!.id,
      sampleItem({
        subject: 'Moved',
        timing: {
          kind: 'timed',
          start: Date.UTC(2026, 10, 26, 15),
          end: Date.UTC(2026, 10, 26, 16),
          timeZone: 'Europe/Berlin',
        },
      }),
    );
    // Onto the day of the next occurrence: Exchange keeps an occurrence between its neighbours.
    await expect(
      provider.instances.change(
        owner,
        second!.id,
        sampleItem({
          timing: {
            kind: 'timed',
            start: Date.UTC(2026, 10, 27, 15),
            end: Date.UTC(2026, 10, 27, 16),
            timeZone: 'Europe/Berlin',
          },
        }),
      ),
    ).rejects.toBeInstanceOf(OccurrenceCannotMoveError);
    await provider.instances.cancel(owner, third!.id);
    await provider.instances.cancel(owner, third!.id);
    const after = await provider.instances.list(owner, ref, window);
    expect(after).toHaveLength(119);
    expect(after.map((o) => o.date)).not.toContain('2026-11-27');
    expect(after.find((o) => o.id === second!.id)?.date).toBe('2026-11-26');
    // The series item itself still updates, whatever its occurrences did to its ChangeKey.
    await provider.update(owner, ref, { ...series, subject: 'Series renamed' });
    await provider.delete(owner, ref);
    await expect(provider.instances.list(owner, ref, window)).rejects.toBeInstanceOf(ItemNotFoundError);
  });
});

describe('the plugin', () => {
  it('sets the sandbox up as an Exchange admin would, and the provider built from what it answers works', async () => {
    const outbound = createOutboundFetch({ extraCaPem: ca });
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await outbound(`${ews.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status}`);
      const text = await response.text();
      return text === '' ? undefined : (JSON.parse(text) as unknown);
    };
    const input = await ewsPlugin.sandbox.prepare(ews.url, call, [
      { address: 'demo@contoso.example', displayName: 'Demo' },
    ]);
    const read = ewsPlugin.readInput(input, false);
    if ('problems' in read) throw new Error(read.problems.join('; '));
    const provider = await createEwsProvider(read.settings, read.credentials, { extraCaPem: ca });
    const item = sampleItem();
    await provider.create('demo@contoso.example', item, { idempotencyKey: 'k' });
    expect(ews.items('demo@contoso.example')).toHaveLength(1);
  });
});
