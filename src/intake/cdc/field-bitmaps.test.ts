import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFieldBitmaps, FieldBitmapError, hasNestedEntries, schemaFieldsOf } from './field-bitmaps.ts';

/** The Pub/Sub API's encoding: one bit per top-level field, "0x" and upper-case hex. */
function encode(names: readonly string[], fieldNames: readonly string[]): string[] {
  let bits = 0n;
  for (const name of names) bits |= 1n << BigInt(fieldNames.indexOf(name));
  return bits === 0n ? [] : [`0x${bits.toString(16).toUpperCase()}`];
}

const flat = (names: readonly string[]) => names.map((name) => ({ name, children: [] }));

// A schema as Salesforce writes one for an object with compound fields: the header first, then
// nullable fields; Address is defined at its first use and referred to by name after.
const accountSchema = {
  type: 'record',
  name: 'AccountChangeEvent',
  namespace: 'com.sforce.eventbus',
  fields: [
    {
      name: 'ChangeEventHeader',
      type: { type: 'record', name: 'ChangeEventHeader', fields: [{ name: 'entityName', type: 'string' }] },
    },
    { name: 'Name', type: ['null', 'string'], default: null },
    { name: 'Type', type: ['null', 'string'], default: null },
    {
      name: 'BillingAddress',
      type: [
        'null',
        {
          type: 'record',
          name: 'Address',
          fields: [
            { name: 'Street', type: ['null', 'string'] },
            { name: 'City', type: ['null', 'string'] },
            { name: 'PostalCode', type: ['null', 'string'] },
          ],
        },
      ],
      default: null,
    },
    { name: 'ShippingAddress', type: ['null', 'com.sforce.eventbus.Address'], default: null },
  ],
};

describe('decodeFieldBitmaps', () => {
  it('reads bit i as the i-th field, least significant bit first', () => {
    const fields = flat(['ChangeEventHeader', 'Subject', 'Location', 'StartDateTime', 'LastModifiedDate']);
    expect(decodeFieldBitmaps(['0x1E'], fields)).toEqual([
      'Subject',
      'Location',
      'StartDateTime',
      'LastModifiedDate',
    ]);
    expect(decodeFieldBitmaps(['0x4'], fields)).toEqual(['Location']);
    expect(decodeFieldBitmaps(['0x0014'], fields)).toEqual(['Location', 'LastModifiedDate']);
    expect(decodeFieldBitmaps([], fields)).toEqual([]);
  });

  it('gives back the names it was given, for schemas wider than 64 fields', () => {
    const schemas = fc
      .integer({ min: 1, max: 150 })
      .map((count) => Array.from({ length: count }, (_, i) => `Field${i}__c`));
    fc.assert(
      fc.property(
        schemas.chain((names) =>
          fc.tuple(fc.constant(names), fc.subarray(names, { minLength: 0, maxLength: names.length })),
        ),
        ([names, changed]) => {
          expect(decodeFieldBitmaps(encode(changed, names), flat(names))).toEqual(changed);
        },
      ),
    );
  });

  it('names the fields of a compound field as <compound>.<field>, also through a named reference', () => {
    const fields = schemaFieldsOf(accountSchema);
    expect(fields.map((f) => [f.name, f.children])).toEqual([
      ['ChangeEventHeader', ['entityName']],
      ['Name', []],
      ['Type', []],
      ['BillingAddress', ['Street', 'City', 'PostalCode']],
      ['ShippingAddress', ['Street', 'City', 'PostalCode']],
    ]);
    // Name and BillingAddress changed; of the address, its City; of the shipping address, Street and PostalCode.
    const bitmaps = ['0xA', '3-0x0002', '4-0x5'];
    expect(decodeFieldBitmaps(bitmaps, fields)).toEqual([
      'Name',
      'BillingAddress',
      'BillingAddress.City',
      'ShippingAddress.Street',
      'ShippingAddress.PostalCode',
    ]);
    expect(hasNestedEntries(bitmaps)).toBe(true);
    expect(hasNestedEntries(['0xA'])).toBe(false);
  });

  it('refuses what it cannot read whole rather than drop a field', () => {
    const fields = flat(['ChangeEventHeader', 'Subject']);
    expect(() => decodeFieldBitmaps(['0x4'], fields)).toThrow(FieldBitmapError);
    expect(() => decodeFieldBitmaps(['Subject'], fields)).toThrow(/not a field bitmap/);
    expect(() => decodeFieldBitmaps(['1-0x1'], fields)).toThrow(/not a compound field/);
    expect(() => schemaFieldsOf({ type: 'string' })).toThrow(/not an Avro record/);
  });
});
