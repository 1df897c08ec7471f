import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { paddedList } from './padded-list.ts';

describe('paddedList', () => {
  it('lengthens a list to the next power of two with its last value, and leaves the rest as it is', () => {
    expect(paddedList([])).toEqual([]);
    expect(paddedList(['a'])).toEqual(['a']);
    expect(paddedList(['a', 'b', 'c'])).toEqual(['a', 'b', 'c', 'c']);
    expect(paddedList([1, 2, 3, 4])).toEqual([1, 2, 3, 4]);
    expect(paddedList([1, 2, 3, 4, 5])).toEqual([1, 2, 3, 4, 5, 5, 5, 5]);
  });

  it('keeps every value and adds none other, in a power-of-two length less than twice the original', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { minLength: 1, maxLength: 600 }), (values) => {
        const padded = paddedList(values);
        expect(padded.slice(0, values.length)).toEqual(values);
        expect(new Set(padded)).toEqual(new Set(values));
        expect(padded.length & (padded.length - 1)).toBe(0);
        expect(padded.length).toBeLessThan(2 * values.length);
      }),
    );
  });
});
