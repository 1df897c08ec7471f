// The Exchange sandbox's throttling, faults and control: ErrorServerBusy with BackOffMilliseconds
// at a mailbox's rate budget and recovery once its minute has passed, ErrorExceededConnectionCount
// past its concurrency, failures injected before or after a change, the control API a sandbox
// running as its own process is driven by, and the launcher's first lines.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/support/wait-for.ts';
import {
  calendarItem,
  createItem,
  envelope,
  ewsClients,
  responseMessages,
  soapFault,
  type EwsClients,
} from './ews-test-clients.ts';
import { startEwsSandbox, type EwsSandbox } from './index.ts';

const credentials = { username: 'CORP\\svc-sync', password: 'Correct-Horse-1' };
const find = `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds></m:FindItem>`;

describe('EWS sandbox throttling and faults', () => {
  let sandbox: EwsSandbox;
  let clients: EwsClients;
  const call = (mailbox: string, body: string) =>
    clients.basic(envelope(body, { impersonate: mailbox }), credentials);

  beforeAll(async () => {
    sandbox = await startEwsSandbox({ requestsPerMinutePerMailbox: 3, maxConcurrentPerMailbox: 2 });
    sandbox.addAccount(credentials);
    sandbox.grantImpersonation(credentials.username);
    for (const address of [
      'busy@corp.example',
      'quiet@corp.example',
      'faults@corp.example',
      'crowd@corp.example',
    ])
      sandbox.addMailbox(address);
    clients = ewsClients(sandbox);
  });
  afterAll(async () => {
    await clients.close();
    await sandbox.close();
  });

  it('answers ErrorServerBusy with BackOffMilliseconds past a mailbox minute budget, and serves it again once the minute has passed', async () => {
    for (let i = 0; i < 3; i++) expect((await call('busy@corp.example', find)).status).toBe(200);
    const busy = await call('busy@corp.example', find);
    expect(busy.status).toBe(500);
    const fault = soapFault(busy);
    expect(fault).toMatchObject({
      code: 'ErrorServerBusy',
      text: 'The server cannot service this request right now. Try again later.',
    });
    const backOff = (fault.detail['MessageXml'] as { Value: { '@Name': string; '#text': string } }).Value;
    expect(backOff['@Name']).toBe('BackOffMilliseconds');
    expect(Number(backOff['#text'])).toBeGreaterThan(0);
    expect(Number(backOff['#text'])).toBeLessThanOrEqual(60_000);
    // Another mailbox has its own budget.
    expect((await call('quiet@corp.example', find)).status).toBe(200);
    expect(sandbox.stats().throttled).toBe(1);
    sandbox.clock.advance(Number(backOff['#text']) + 1);
    expect((await call('busy@corp.example', find)).status).toBe(200);
  });

  it('answers ErrorExceededConnectionCount past the calls a mailbox may have in flight', async () => {
    sandbox.clock.advance(60_001);
    // Two calls held open (a fault that hangs), then a third.
    sandbox.failNext('timeout', { afterCommit: false, mailbox: 'crowd@corp.example', hangMs: 3000 });
    sandbox.failNext('timeout', { afterCommit: false, mailbox: 'crowd@corp.example', hangMs: 3000 });
    const held = [call('crowd@corp.example', find), call('crowd@corp.example', find)].map((p) =>
      p.then(
        () => 'answered',
        () => 'dropped',
      ),
    );
    await waitFor(() => sandbox.stats().peakConcurrency >= 2, { what: 'two calls in flight' });
    const third = await call('crowd@corp.example', find);
    expect(third.status).toBe(500);
    expect(soapFault(third).code).toBe('ErrorExceededConnectionCount');
    expect(await Promise.all(held)).toEqual(['dropped', 'dropped']);
  });

  it('makes the change and loses the answer when a fault strikes after commit, and not before', async () => {
    sandbox.clock.advance(60_001);
    const item = (stamp: string) =>
      createItem(
        calendarItem({
          subject: 'Review',
          stamp,
          start: '2026-11-25T09:00:00Z',
          end: '2026-11-25T10:00:00Z',
        }),
      );
    sandbox.failNext('500', { afterCommit: true, mailbox: 'faults@corp.example' });
    const lost = await call('faults@corp.example', item('00U1'));
    expect(lost.status).toBe(500);
    expect(soapFault(lost).code).toBe('ErrorInternalServerError');
    expect(sandbox.items('faults@corp.example').map((i) => i['ExtendedProperties'])).toEqual([
      [expect.objectContaining({ Value: '00U1' })],
    ]);
    sandbox.failNext('server-busy', { afterCommit: false });
    const refused = await call('faults@corp.example', item('00U2'));
    expect(soapFault(refused).code).toBe('ErrorServerBusy');
    sandbox.failNext('503', { afterCommit: false });
    const unavailable = await call('faults@corp.example', item('00U3'));
    expect(unavailable.status).toBe(503);
    expect(unavailable.text).toContain('HTTP Error 503. The service is unavailable.');
    expect(sandbox.items('faults@corp.example')).toHaveLength(1);
    // A fresh minute: the budget of three is spent.
    sandbox.clock.advance(60_001);
    sandbox.failNext('reset', { afterCommit: false });
    await expect(call('faults@corp.example', find)).rejects.toThrow();
    expect(sandbox.faultLog().map((f) => [f.kind, f.mailbox, f.afterCommit, f.itemStamps])).toEqual([
      ['timeout', 'crowd@corp.example', false, []],
      ['timeout', 'crowd@corp.example', false, []],
      ['500', 'faults@corp.example', true, ['00U1']],
      ['server-busy', 'faults@corp.example', false, ['00U2']],
      ['503', 'faults@corp.example', false, ['00U3']],
      ['reset', 'faults@corp.example', false, []],
    ]);
    expect(sandbox.writesAfter(0, 10)).toHaveLength(1);
    // Random faults, then none.
    sandbox.injectFaults({ failureRate: 1, kinds: ['server-busy'], afterCommit: false });
    expect(soapFault(await call('quiet@corp.example', find)).code).toBe('ErrorServerBusy');
    sandbox.injectFaults(undefined);
    expect((await call('quiet@corp.example', find)).status).toBe(200);
  });
});

describe('EWS sandbox control API', () => {
  let sandbox: EwsSandbox;
  let clients: EwsClients;

  beforeAll(async () => {
    sandbox = await startEwsSandbox();
    clients = ewsClients(sandbox);
  });
  afterAll(async () => {
    await clients.close();
    await sandbox.close();
  });

  const control = async (path: string, method = 'GET', body?: unknown) => {
    const response = await clients.fetch(`/__sandbox${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text === '' ? undefined : text.startsWith('<') ? text : (JSON.parse(text) as unknown),
    };
  };

  it('sets up accounts, the impersonation role and mailboxes over HTTP, and shows what EWS did', async () => {
    expect(
      (await control('/accounts', 'POST', { username: 'CORP\\svc-sync', password: 'Correct-Horse-1' }))
        .status,
    ).toBe(204);
    expect((await control('/accounts', 'POST', { username: 'no domain', password: 'x' })).status).toBe(400);
    expect((await control('/impersonation', 'POST', { username: 'CORP\\svc-sync' })).status).toBe(204);
    expect((await control('/impersonation', 'POST', { username: 'CORP\\nobody' })).status).toBe(404);
    expect(await control('/mailboxes', 'POST', { address: 'Rep@corp.example', displayName: 'Rep' })).toEqual({
      status: 201,
      body: { address: 'rep@corp.example', displayName: 'Rep' },
    });
    const answer = await clients.basic(
      envelope(
        createItem(
          calendarItem({
            subject: 'Pipeline review',
            stamp: '00U7',
            start: '2026-11-25T09:00:00Z',
            end: '2026-11-25T10:00:00Z',
            attendees: ['buyer@customer.example'],
          }),
          'SendOnlyToAll',
        ),
        {
          impersonate: 'rep@corp.example',
        },
      ),
      credentials,
    );
    const itemId = (
      responseMessages(answer, 'CreateItem')[0]!['Items'] as { CalendarItem: { ItemId: { '@Id': string } }[] }
    ).CalendarItem[0]!.ItemId['@Id'];
    expect(await control('/mailboxes')).toEqual({
      status: 200,
      body: [{ address: 'rep@corp.example', displayName: 'Rep', items: 1 }],
    });
    expect((await control('/mailboxes/rep@corp.example/items')).body).toEqual(
      sandbox.items('rep@corp.example'),
    );
    expect((await control('/mailboxes/rep@corp.example/messages')).body).toEqual([
      { itemId, kind: 'request', to: ['buyer@customer.example'] },
    ]);
    expect((await control('/mailboxes/nobody@corp.example/items')).status).toBe(404);
    expect((await control('/stats')).body).toMatchObject({
      requests: 1,
      throttled: 0,
      faults: 0,
      authHandshakes: 0,
    });
    expect((await control('/writes?after=0&limit=10')).body).toHaveLength(1);
    expect((await control('/writes?limit=zero')).status).toBe(400);
    const page = (await control('/view')).body as string;
    expect(page).toContain('Pipeline review');
    expect(page).toContain('2026-11-25 09:00 (UTC)');
  });

  it('sets latency and faults over HTTP', async () => {
    expect((await control('/latency', 'POST', { ms: 0 })).status).toBe(204);
    expect(
      (await control('/faults', 'POST', { failureRate: 1, kinds: ['503'], afterCommit: false })).status,
    ).toBe(204);
    expect((await control('/faults', 'POST', { failureRate: 0, kinds: [], afterCommit: false })).status).toBe(
      204,
    );
    expect(
      (await control('/faults', 'POST', { failureRate: 2, kinds: ['503'], afterCommit: false })).status,
    ).toBe(400);
    expect(
      (
        await control('/faults/next', 'POST', {
          kind: 'server-busy',
          afterCommit: true,
          mailbox: 'rep@corp.example',
        })
      ).status,
    ).toBe(204);
    expect((await control('/faults/next', 'POST', { kind: 'teapot', afterCommit: true })).status).toBe(400);
    expect((await control('/faults/log')).body).toEqual([]);
    expect((await control('/clock', 'POST', { advanceMs: 1000 })).status).toBe(200);
  });
});

describe('EWS sandbox launcher', () => {
  it('prints where it listens and the CA file, and stops on SIGTERM', async () => {
    const main = fileURLToPath(new URL('./main.ts', import.meta.url));
    const child = spawn(process.execPath, [main]);
    const lines = await new Promise<string[]>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const got = out.split('\n');
        if (got.length > 2) resolve(got.slice(0, 2));
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
    });
    const url = /^EWS sandbox listening on (https:\/\/127\.0\.0\.1:\d+)$/.exec(lines[0] ?? '')?.[1];
    expect(url).toBeDefined();
    expect(lines[1]).toMatch(
      new RegExp(`^  TLS CA certificate: \\S+ca\\.crt; mailboxes at ${url}/__sandbox/view$`),
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
