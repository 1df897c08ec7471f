import { describe, expect, it } from 'vitest';
import { exclusionReason } from './exclusion-rules.ts';

describe('exclusionReason', () => {
  const record = { CreatedById: '0055g0000SyncBtAAA', IsPrivate: true, Subject: '[Cirrus] Call' };
  it('names the rule that excludes an Event', () => {
    expect(
      exclusionReason(
        [
          {
            field: 'CreatedById',
            op: 'equals',
            value: '0055g0000SyncBt',
            label: 'created by the sync bot',
          },
        ],
        record,
      ),
    ).toBe('excluded by a tenant rule: created by the sync bot');
    expect(exclusionReason([{ field: 'IsPrivate', op: 'equals', value: true }], record)).toBe(
      'excluded by a tenant rule: IsPrivate equals true',
    );
    expect(exclusionReason([{ field: 'Subject', op: 'startsWith', value: '[cirrus]' }], record)).toMatch(
      /^excluded/,
    );
  });
  it('lets other Events through', () => {
    expect(
      exclusionReason(
        [
          { field: 'Subject', op: 'contains', value: 'lunch' },
          { field: 'IsPrivate', op: 'equals', value: false },
        ],
        record,
      ),
    ).toBeUndefined();
    expect(exclusionReason([], record)).toBeUndefined();
  });
});
