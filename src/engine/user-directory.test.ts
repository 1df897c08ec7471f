import { describe, expect, it } from 'vitest';
import type { SalesforceRestClient } from '../salesforce/rest-client.ts';
import { UserDirectory } from './user-directory.ts';

const orgUsers = Array.from({ length: 40 }, (_, i) => ({
  Id: `005000000000${String(i).padStart(3, '0')}AAA`,
  Email: `user${i}@acme.example`,
  IsActive: true,
  TimeZoneSidKey: 'Europe/Berlin',
}));

/** A REST client that answers User queries from `users` and keeps each SOQL it was sent. */
function fakeRest(users = [...orgUsers]) {
  const queries: string[] = [];
  const rest = {
    query: (soql: string) => {
      queries.push(soql);
      const ids = /IN \((.*)\)/.exec(soql)?.[1];
      return Promise.resolve(ids === undefined ? users : users.filter((u) => ids.includes(`'${u.Id}'`)));
    },
  } as unknown as SalesforceRestClient;
  return { rest, queries, users };
}
const ids = (from: number, count: number) => orgUsers.slice(from, from + count).map((u) => u.Id);

describe('UserDirectory', () => {
  it('reads the whole directory once ten owners were unknown within the hour, even a few per batch', async () => {
    let now = 0;
    const directory = new UserDirectory(() => now);
    const { rest, queries } = fakeRest();
    const calls: number[] = [];
    for (let batch = 0; batch < 6; batch++) {
      now += 1000;
      const { users, calls: made } = await directory.lookup(rest, 't1', ids(batch * 4, 4));
      expect([...users.values()].every((u) => u?.timeZone === 'Europe/Berlin')).toBe(true);
      calls.push(made);
    }
    // 4 and 4 by id; the third batch makes 12 within the hour: the whole directory; then nothing.
    expect(calls).toEqual([1, 1, 1, 0, 0, 0]);
    expect(queries.at(-1)).toBe('SELECT Id, Email, IsActive, TimeZoneSidKey FROM User');
  });

  it('reads a newcomer by id after a whole read, and the whole directory again after the hour', async () => {
    let now = 0;
    const directory = new UserDirectory(() => now);
    const { rest, queries, users } = fakeRest();
    await directory.lookup(rest, 't1', ids(0, 12));
    expect(queries).toHaveLength(1);
    users.push({
      Id: '005000000000999AAA',
      Email: 'new@acme.example',
      IsActive: true,
      TimeZoneSidKey: 'UTC',
    });
    const newcomer = await directory.lookup(rest, 't1', ['005000000000999AAA']);
    expect(newcomer.users.get('005000000000999AAA')?.email).toBe('new@acme.example');
    expect(queries.at(-1)).toContain("WHERE Id IN ('005000000000999AAA')");
    now += 3_600_001;
    await directory.lookup(rest, 't1', ids(0, 12));
    expect(queries.at(-1)).toBe('SELECT Id, Email, IsActive, TimeZoneSidKey FROM User');
  });
});

/** A REST client whose User queries are answered (or failed) only when the test says so. */
function heldRest(users = [...orgUsers]) {
  const held: { soql: string; answer: () => void; fail: (error: Error) => void }[] = [];
  const rest = {
    query: (soql: string) =>
      new Promise((resolve, reject) => {
        const ids = /IN \((.*)\)/.exec(soql)?.[1];
        held.push({
          soql,
          answer: () => resolve(ids === undefined ? users : users.filter((u) => ids.includes(`'${u.Id}'`))),
          fail: reject,
        });
      }),
  } as unknown as SalesforceRestClient;
  return { rest, held };
}

/** Lets pending promise callbacks run. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('UserDirectory, batches side by side', () => {
  it('reads an owner once while batches that need it wait for that read', async () => {
    const directory = new UserDirectory(() => 0);
    const { rest, held } = heldRest();
    const [owner] = ids(0, 1);
    const lookups = [1, 2, 3].map(() => directory.lookup(rest, 't1', [owner!]));
    await turn();
    expect(held).toHaveLength(1);
    held[0]!.answer();
    const answers = await Promise.all(lookups);
    expect(answers.map((a) => a.users.get(owner!)?.email)).toEqual([
      'user0@acme.example',
      'user0@acme.example',
      'user0@acme.example',
    ]);
    // The API call is counted once, by the batch that made it.
    expect(answers.map((a) => a.calls)).toEqual([1, 0, 0]);
  });

  it('reads only the owners no other batch is reading', async () => {
    const directory = new UserDirectory(() => 0);
    const { rest, held } = heldRest();
    const first = directory.lookup(rest, 't1', ids(0, 2));
    await turn();
    const second = directory.lookup(rest, 't1', ids(1, 2));
    await turn();
    expect(held.map((h) => h.soql.match(/IN \((.*)\)/)?.[1])).toEqual([
      `'${orgUsers[0]!.Id}','${orgUsers[1]!.Id}'`,
      `'${orgUsers[2]!.Id}'`,
    ]);
    for (const h of held) h.answer();
    expect([...(await second).users.values()].map((u) => u?.email)).toEqual([
      'user1@acme.example',
      'user2@acme.example',
    ]);
    expect((await first).users.size).toBe(2);
  });

  it('waits for a whole-directory read in flight instead of reading by id', async () => {
    const directory = new UserDirectory(() => 0);
    const { rest, held } = heldRest();
    const whole = directory.lookup(rest, 't1', ids(0, 12));
    await turn();
    const other = directory.lookup(rest, 't1', ids(20, 2));
    await turn();
    expect(held.map((h) => h.soql)).toEqual(['SELECT Id, Email, IsActive, TimeZoneSidKey FROM User']);
    held[0]!.answer();
    expect((await other).users.get(orgUsers[21]!.Id)?.email).toBe('user21@acme.example');
    expect((await whole).calls).toBe(1);
  });

  it('reads again the owners a failed shared read was for; the batch that sent it gets the failure', async () => {
    const directory = new UserDirectory(() => 0);
    const { rest, held } = heldRest();
    const [owner] = ids(0, 1);
    const first = directory.lookup(rest, 't1', [owner!]);
    const failure = expect(first).rejects.toThrow('Salesforce is away');
    await turn();
    const second = directory.lookup(rest, 't1', [owner!]);
    await turn();
    held[0]!.fail(new Error('Salesforce is away'));
    await failure;
    await turn();
    expect(held).toHaveLength(2);
    held[1]!.answer();
    const answer = await second;
    expect(answer.users.get(owner!)?.email).toBe('user0@acme.example');
    expect(answer.calls).toBe(1);
  });
});
