import { describe, expect, it } from 'vitest';
import { exclusionRulesEditor, submittedRulesJson } from './exclusion-rules-editor.ts';

const rules = [
  { field: 'CreatedById', op: 'equals', value: '005000000000001AAA', label: 'made by the old sync user' },
  { field: 'IsPrivate', op: 'equals', value: true },
];
const json = JSON.stringify(rules, null, 2);

/** A submitted form as the page's fields would send it, with `change` on top. */
function submitted(change: Record<string, string> = {}): Record<string, unknown> {
  return {
    ruleCount: '3',
    rule0Field: 'CreatedById',
    rule0Op: 'equals',
    rule0Kind: 'text',
    rule0Value: '005000000000001AAA',
    rule0Label: 'made by the old sync user',
    rule1Field: 'IsPrivate',
    rule1Op: 'equals',
    rule1Kind: 'true',
    rule1Value: '',
    rule1Label: '',
    rule2Field: '',
    rule2Op: 'equals',
    rule2Kind: 'text',
    rule2Value: '',
    rule2Label: '',
    exclusionRules: json,
    exclusionRulesShown: json,
    ...change,
  };
}

/** The rules a submitted form means, read back. */
const rulesOf = (form: Record<string, unknown>) =>
  JSON.parse(submittedRulesJson(form)) as Record<string, unknown>[];

describe('the exclusion rules as rows', () => {
  it('gives back the same rules when nothing was changed, a blank row left out', () => {
    expect(JSON.parse(submittedRulesJson(submitted()))).toEqual(rules);
  });

  it('adds the rule of the blank row, drops a removed one, and reads true, false and empty as such', () => {
    const changed = submitted({
      rule1Remove: '1',
      rule2Field: 'Subject',
      rule2Op: 'contains',
      rule2Value: 'Private',
      rule2Label: 'marked private in the subject',
    });
    expect(JSON.parse(submittedRulesJson(changed))).toEqual([
      rules[0],
      { field: 'Subject', op: 'contains', value: 'Private', label: 'marked private in the subject' },
    ]);
    expect(rulesOf(submitted({ rule0Kind: 'empty' }))[0]).toMatchObject({
      value: null,
    });
    expect(rulesOf(submitted({ rule1Kind: 'false' }))[1]).toMatchObject({
      value: false,
    });
  });

  it('takes the JSON as written when it was changed in the advanced view, whatever the rows say', () => {
    expect(submittedRulesJson(submitted({ exclusionRules: '[]', rule2Field: 'Subject' }))).toBe('[]');
    // Only its spacing changed: the rows are what counts.
    expect(
      JSON.parse(submittedRulesJson(submitted({ exclusionRules: JSON.stringify(rules), rule1Remove: '1' }))),
    ).toEqual([rules[0]]);
  });

  it('shows each rule with how many of the last days’ Events it would have excluded, and a blank row', async () => {
    const records = [
      { Id: '00U1', CreatedById: '005000000000001', IsPrivate: false },
      { Id: '00U2', CreatedById: '005000000000002AAA', IsPrivate: true },
      { Id: '00U3', CreatedById: '005000000000002AAA', IsPrivate: true },
    ];
    const page = String(await exclusionRulesEditor(json, records));
    expect([...page.matchAll(/<td class="num">([^<]*)<\/td>/g)].map((m) => m[1]?.trim())).toEqual([
      '1 of 3',
      '2 of 3',
      '',
    ]);
    expect(page).toContain('name="ruleCount" value="3"');
    expect(page).toContain('aria-label="Field of a new rule"');
    // JSON that is no list shows in the advanced view, open, with only the blank row.
    const broken = String(await exclusionRulesEditor('{not json', records));
    expect(broken).toContain('<details open>');
    expect(broken).toContain('name="ruleCount" value="1"');
  });
});
