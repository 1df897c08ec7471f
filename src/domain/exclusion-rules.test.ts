import { describe, expect, it } from 'vitest';
import { exclusionReason, parseExclusionRules } from './exclusion-rules.ts';

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

describe('parseExclusionRules', () => {
  it('reads rules an admin wrote', () => {
    expect(
      parseExclusionRules([
        { field: 'CreatedById', op: 'equals', value: '005000000000001', label: 'the other sync tool' },
        { field: 'IsPrivate', op: 'equals', value: true },
      ]),
    ).toEqual([
      { field: 'CreatedById', op: 'equals', value: '005000000000001', label: 'the other sync tool' },
      { field: 'IsPrivate', op: 'equals', value: true },
    ]);
  });

  it('names every problem with its rule', () => {
    const parsed = parseExclusionRules([
      { field: 'Subject; DROP', op: 'equals', value: 'x' },
      { field: 'Subject', op: 'like', value: 3 },
      { field: 'Subject', op: 'contains', value: true, colour: 'red' },
    ]);
    expect(parsed).toEqual({ problem: expect.stringContaining('rule 1: field must be') as unknown });
    const problem = (parsed as { problem: string }).problem;
    expect(problem).toContain('rule 2: op must be one of');
    expect(problem).toContain('rule 2: value must be text');
    expect(problem).toContain('rule 3 has unknown keys: colour');
    expect(problem).toContain('rule 3: contains needs a text value');
    expect(parseExclusionRules({ field: 'x' })).toEqual({
      problem: expect.stringContaining('JSON array') as unknown,
    });
  });
});
