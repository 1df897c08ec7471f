import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalItem, type CalendarItem } from './calendar-item.ts';

/** The text as it was first defined: JSON.stringify with every object's keys sorted by a replacer. */
function sortedByReplacer(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

/** A copy of `value` with every plain object's keys set in sorted order. */
function inKeyOrder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(inKeyOrder);
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype)
    return value;
  const sorted = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  return Object.fromEntries(sorted.map(([key, member]) => [key, inKeyOrder(member)]));
}

/** Values JSON can write, nested, with a Date and an object of its own toJSON (written through it) and an object without a prototype among them. */
const values = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.constant(undefined),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    fc.string({ unit: 'binary' }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ unit: 'binary' }), tie('value'), { maxKeys: 5 }),
    fc.constant(new Date(0)),
    fc.constant(Object.assign(Object.create(null) as object, { b: 1, a: 2 })),
    fc.constant({ a: 1, toJSON: () => 'written through its toJSON' }),
  ),
})).value;

describe('canonicalItem', () => {
  it('is the same text as JSON with sorted keys, so the content hashes links hold stay valid', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), values), (item) => {
        expect(canonicalItem(item as unknown as CalendarItem)).toBe(sortedByReplacer(item));
      }),
      { numRuns: 500 },
    );
  });

  it('is the same text for an item built with its keys in order, as items are (written by JSON.stringify then)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), values), (item) => {
        expect(canonicalItem(inKeyOrder(item) as CalendarItem)).toBe(sortedByReplacer(item));
      }),
      { numRuns: 500 },
    );
  });

  it('does not depend on the order the keys were set in', () => {
    const a = { subject: 'Review', timing: { kind: 'timed', start: 1, end: 2, timeZone: 'UTC' } };
    const b = { timing: { timeZone: 'UTC', end: 2, start: 1, kind: 'timed' }, subject: 'Review' };
    expect(canonicalItem(a as unknown as CalendarItem)).toBe(canonicalItem(b as unknown as CalendarItem));
    // Keys that are array indices come first, by number, as in any JavaScript object.
    const numbered = { b: 1, '10': 2, '2': 3, a: 4, '01': 5 };
    expect(canonicalItem(numbered as unknown as CalendarItem)).toBe(sortedByReplacer(numbered));
    expect(canonicalItem(numbered as unknown as CalendarItem)).toBe('{"2":3,"10":2,"01":5,"a":4,"b":1}');
  });
});
