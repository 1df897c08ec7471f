import { expect, it } from 'vitest';
import { soqlIdList } from './soql.ts';

it('lists only what looks like a Salesforce id', () => {
  expect(soqlIdList(['0055g0000000001AAA', '0055g0000000002', "x' OR Name != '", '005'])).toBe(
    "'0055g0000000001AAA','0055g0000000002'",
  );
});
