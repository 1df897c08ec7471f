import { describe, expect, it } from 'vitest';
import { caseSafeSuffix, IdFactory, isSalesforceId, objectOfId } from './salesforce-ids.ts';

describe('Salesforce ids', () => {
  it("computes Salesforce's case-safe suffix", () => {
    expect(caseSafeSuffix('0015000000Gv7qJ')).toBe('AAR');
    expect(isSalesforceId('0015000000Gv7qJAAR')).toBe(true);
    expect(isSalesforceId('0015000000Gv7qJAAA')).toBe(false);
  });

  it('makes valid, distinct ids with the object key prefix', () => {
    const ids = new IdFactory();
    const events = Array.from({ length: 100 }, () => ids.next('Event'));
    expect(new Set(events).size).toBe(100);
    for (const id of events) {
      expect(id).toMatch(/^00U[a-zA-Z0-9]{15}$/);
      expect(isSalesforceId(id)).toBe(true);
      expect(objectOfId(id)).toBe('Event');
    }
    expect(objectOfId(ids.next('User'))).toBe('User');
  });
});
