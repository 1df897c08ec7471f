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
