import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  normalizeEventId,
  normalizeSalesforceId,
  normalizeUserId,
  salesforceIdProblem,
  toCaseSafeId,
} from './salesforce-ids.ts';

const idCharacters = [...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'];
const id15 = fc.string({ unit: fc.constantFrom(...idCharacters), minLength: 15, maxLength: 15 });

/** The suffix computed another way: each chunk's upper-case flags reversed and read as a binary number. */
function referenceSuffix(id: string): string {
  return [0, 5, 10]
    .map((start) => {
      const flags = [...id.slice(start, start + 5)].reverse().map((c) => (/[A-Z]/.test(c) ? '1' : '0'));
      return 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345'.charAt(parseInt(flags.join(''), 2));
    })
    .join('');
}

describe('case-safe Salesforce ids', () => {
  it.each([
    ['001A0000006Vm9r', '001A0000006Vm9rIAC'],
    ['00U5g000001ABCD', '00U5g000001ABCDEA4'],
    ['005000000000042', '005000000000042AAA'],
    ['00U000000000001', '00U000000000001EAA'],
    ['ABCDEABCDEABCDE', 'ABCDEABCDEABCDE555'],
    ['abcdeabcdeabcde', 'abcdeabcdeabcdeAAA'],
  ])('%s is %s in 18 characters', (short, long) => {
    expect(toCaseSafeId(short)).toBe(long);
    expect(normalizeSalesforceId(short)).toBe(long);
    expect(normalizeSalesforceId(long)).toBe(long);
  });

  it('computes the suffix Salesforce does', () => {
    fc.assert(fc.property(id15, (id) => toCaseSafeId(id) === id + referenceSuffix(id)));
  });

  it('keeps the 15 characters it is given, and a normalised id stays as it is', () => {
    fc.assert(
      fc.property(id15, (id) => {
        const normal = normalizeSalesforceId(id);
        expect(normal).toHaveLength(18);
        expect(normal?.startsWith(id)).toBe(true);
        expect(normalizeSalesforceId(normal ?? '')).toBe(normal);
      }),
    );
  });

  it('refuses an 18-character id with any letter of its first 15 changed in case', () => {
    fc.assert(
      fc.property(
        id15.filter((id) => /[A-Za-z]/.test(id)),
        fc.nat(),
        (id, pick) => {
          const valid = toCaseSafeId(id);
          const letters = [...id.matchAll(/[A-Za-z]/g)].map((m) => m.index);
          const at = letters[pick % letters.length] ?? 0;
          const char = valid.charAt(at);
          const flipped = char === char.toUpperCase() ? char.toLowerCase() : char.toUpperCase();
          const changed = valid.slice(0, at) + flipped + valid.slice(at + 1);
          expect(normalizeSalesforceId(changed)).toBeUndefined();
        },
      ),
    );
  });

  it('refuses a valid 18-character id lowercased whole, unless it has no upper-case letter at all', () => {
    fc.assert(
      fc.property(id15, (id) => {
        const valid = toCaseSafeId(id);
        const lower = valid.toLowerCase();
        expect(normalizeSalesforceId(lower)).toBe(lower === valid ? valid : undefined);
      }),
    );
    expect(normalizeSalesforceId('00u5g000001abcdea4')).toBeUndefined();
  });

  it.each([
    '',
    '00U5g000001ABC',
    '00U5g000001ABCDE',
    '00U5g000001ABCDEA',
    '00U5g000001ABCDEA4x',
    '00U5g000001ABCDAAA',
    '00U5g000001ABCD-A4',
    ' 00U5g000001ABCD',
    '00U5g000001ABCDé',
  ])('refuses %j', (text) => {
    expect(normalizeSalesforceId(text)).toBeUndefined();
  });

  it('tells Event and User ids by their key prefix, with its case', () => {
    expect(normalizeEventId('00U5g000001ABCD')).toBe('00U5g000001ABCDEA4');
    expect(normalizeEventId('00u5g000001ABCD')).toBeUndefined();
    expect(normalizeEventId('005000000000042')).toBeUndefined();
    expect(normalizeUserId('005000000000042')).toBe('005000000000042AAA');
    expect(normalizeUserId('00U5g000001ABCD')).toBeUndefined();
    expect(normalizeUserId('005000000000042AAB')).toBeUndefined();
  });

  it('toCaseSafeId throws on what is not a 15-character id', () => {
    expect(() => toCaseSafeId('00U5g000001ABCDEA4')).toThrow('is not a 15-character Salesforce id');
  });
});

describe('what is wrong with an id, in words', () => {
  it.each([
    ['00U5g000001ABCD', 'Event', undefined],
    ['00U5g000001ABCDEA4', 'Event', undefined],
    ['005000000000042', undefined, undefined],
    [
      'meeting-42',
      'Event',
      '"meeting-42" is not a Salesforce Event id (15 or 18 letters and digits, starting with 00U)',
    ],
    ['meeting-42', undefined, '"meeting-42" is not a Salesforce id (15 or 18 letters and digits)'],
    ['005000000000042', 'Event', '"005000000000042" is not a Salesforce Event id (those start with 00U)'],
    [
      '00U5g000001abcdea4',
      'Event',
      '"00U5g000001abcdea4" is not a Salesforce Event id: its last 3 characters do not match the case of its first 15 (was it lowercased or retyped?)',
    ],
  ] as const)('%s as %s', (text, object, problem) => {
    expect(salesforceIdProblem(text, object)).toBe(problem);
  });
});
