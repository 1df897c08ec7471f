import { describe, expect, it } from 'vitest';
import { parseSoql } from './soql-parser.ts';

describe('parseSoql', () => {
  it('reads fields, filters, order and limit', () => {
    const query = parseSoql(
      "SELECT Id, Subject, Owner.Email FROM Event WHERE (Subject = 'It\\'s' OR IsPrivate = true) AND SystemModstamp > 2026-11-24T09:00:00.000Z AND Id NOT IN ('a', 'b') ORDER BY SystemModstamp DESC NULLS LAST, Id LIMIT 10 OFFSET 5",
    );
    expect(query.fields).toEqual(['Id', 'Subject', 'Owner.Email']);
    expect(query.object).toBe('Event');
    expect(query.orderBy).toEqual([
      { field: 'SystemModstamp', descending: true, nullsLast: true },
      { field: 'Id', descending: false, nullsLast: false },
    ]);
    expect(query.limit).toBe(10);
    expect(query.offset).toBe(5);
    expect(query.where).toMatchObject({
      kind: 'and',
      left: {
        kind: 'and',
        left: { kind: 'or', left: { kind: 'compare', value: { kind: 'string', value: "It's" } } },
        right: { kind: 'compare', op: '>', value: { kind: 'datetime', value: Date.UTC(2026, 10, 24, 9) } },
      },
      right: { kind: 'in', negated: true, values: [{ value: 'a' }, { value: 'b' }] },
    });
  });

  it('reads dates, numbers, null and keywords in any case', () => {
    const query = parseSoql(
      'select id from event where activitydate >= 2026-11-24 and durationinminutes < 60 and whoid = NULL',
    );
    expect(query.where).toMatchObject({
      kind: 'and',
      left: {
        kind: 'and',
        left: { value: { kind: 'date', value: '2026-11-24' } },
        right: { value: { kind: 'number', value: 60 } },
      },
      right: { value: { kind: 'null' } },
    });
  });

  it.each([
    'SELECT FROM Event',
    'SELECT Id Event',
    "SELECT Id FROM Event WHERE Subject = 'open",
    'SELECT Id FROM Event WHERE Subject',
    'SELECT Id FROM Event WHERE Id IN (',
    'SELECT Id FROM Event LIMIT x',
    'SELECT Id FROM Event garbage',
    'SELECT Id FROM Event WHERE Subject ~ 1',
  ])('refuses %j as MALFORMED_QUERY', (soql) => {
    expect(() => parseSoql(soql)).toThrow(expect.objectContaining({ errorCode: 'MALFORMED_QUERY' }) as Error);
  });
});
