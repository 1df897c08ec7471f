// The exclusion rules as an admin edits them on the tenant page: one row per rule (field, test,
// value, the words the trace shows), a blank row to add one, a box to remove one, and beside each
// how many of the Events of the last 7 days it would have excluded; the rules as JSON stay there
// too, as an advanced view (what is changed there wins). Plain form fields: no script needed.
import { html } from 'hono/html';
import { exclusionReason, type ExclusionRule } from '../domain/exclusion-rules.ts';

const tests: readonly [ExclusionRule['op'], string][] = [
  ['equals', 'is'],
  ['notEquals', 'is not'],
  ['startsWith', 'starts with'],
  ['contains', 'contains'],
];

type ValueKind = 'text' | 'true' | 'false' | 'empty';

interface Row {
  field: string;
  op: string;
  value: string;
  kind: ValueKind;
  label: string;
}

/** The rows the rules' JSON shows as, read leniently (a rule refused on saving still shows as it was written); undefined when it is no list. */
function rowsOf(json: string): Row[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  return parsed.map((raw: unknown) => {
    const rule = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const value = rule['value'];
    return {
      field: typeof rule['field'] === 'string' ? rule['field'] : '',
      op: typeof rule['op'] === 'string' ? rule['op'] : 'equals',
      value: typeof value === 'string' ? value : '',
      kind: value === true ? 'true' : value === false ? 'false' : value === null ? 'empty' : 'text',
      label: typeof rule['label'] === 'string' ? rule['label'] : '',
    };
  });
}

function ruleOf(row: Row): ExclusionRule {
  return {
    field: row.field,
    op: row.op as ExclusionRule['op'],
    value:
      row.kind === 'true' ? true : row.kind === 'false' ? false : row.kind === 'empty' ? null : row.value,
    ...(row.label === '' ? {} : { label: row.label }),
  };
}

/**
 * The rules' JSON a submitted settings form means: the advanced view's when it was changed there,
 * otherwise the rows' (a removed or blank row left out).
 */
export function submittedRulesJson(form: Record<string, unknown>): string {
  const text = (name: string) => (typeof form[name] === 'string' ? form[name] : '');
  const advanced = text('exclusionRules').trim() === '' ? '[]' : text('exclusionRules');
  const count = Number(text('ruleCount'));
  if (!Number.isInteger(count) || count < 0 || count > 500) return advanced;
  if (advanced.replace(/\s+/g, '') !== text('exclusionRulesShown').replace(/\s+/g, '')) return advanced;
  const rules: ExclusionRule[] = [];
  for (let i = 0; i < count; i++) {
    const kind = text(`rule${i}Kind`);
    const row: Row = {
      field: text(`rule${i}Field`).trim(),
      op: text(`rule${i}Op`),
      value: text(`rule${i}Value`),
      kind: kind === 'true' || kind === 'false' || kind === 'empty' ? kind : 'text',
      label: text(`rule${i}Label`).trim(),
    };
    const blank = row.field === '' && row.value === '' && row.label === '';
    if (form[`rule${i}Remove`] !== undefined || blank) continue;
    rules.push(ruleOf(row));
  }
  return JSON.stringify(rules, null, 2);
}

/** The editor, inside the settings form. `records`: the Events of the last 7 days, for the preview. */
export function exclusionRulesEditor(json: string, records: readonly Record<string, unknown>[]) {
  const rows = rowsOf(json);
  const shown = [...(rows ?? []), { field: '', op: 'equals', value: '', kind: 'text' as const, label: '' }];
  const excludes = (row: Row): string => {
    if (row.field === '') return '';
    const rule = [ruleOf(row)];
    const count = records.filter((record) => exclusionReason(rule, record) !== undefined).length;
    return `${count} of ${records.length}`;
  };
  return html`<fieldset class="slds-m-vertical_medium">
    <legend class="slds-text-heading_small">Exclusion rules: Events that must not reach calendars</legend>
    <div class="table-wrap">
      <table class="slds-table slds-table_bordered slds-table_cell-buffer">
        <thead>
          <tr>
            <th scope="col">Salesforce field</th>
            <th scope="col">Test</th>
            <th scope="col">Value</th>
            <th scope="col">The trace says</th>
            <th scope="col" class="num">Last 7 days</th>
            <th scope="col">Remove</th>
          </tr>
        </thead>
        <tbody>
          ${shown.map((row, i) => {
            const n = i + 1;
            const added = i === shown.length - 1;
            return html`<tr>
              <td>
                <input
                  class="slds-input"
                  name="rule${i}Field"
                  value="${row.field}"
                  placeholder="${added ? 'add a rule: CreatedById, IsPrivate, Subject…' : ''}"
                  aria-label="${added ? 'Field of a new rule' : `Field of rule ${n}`}"
                />
              </td>
              <td>
                <select
                  class="slds-select"
                  name="rule${i}Op"
                  aria-label="Test of ${added ? 'a new rule' : `rule ${n}`}"
                >
                  ${tests.map(
                    ([op, words]) =>
                      html`<option value="${op}" ${op === row.op ? 'selected' : ''}>${words}</option>`,
                  )}
                </select>
              </td>
              <td>
                <select
                  class="slds-select"
                  name="rule${i}Kind"
                  aria-label="Kind of value of ${added ? 'a new rule' : `rule ${n}`}"
                >
                  ${(
                    [
                      ['text', 'text:'],
                      ['true', 'true'],
                      ['false', 'false'],
                      ['empty', 'empty'],
                    ] as const
                  ).map(
                    ([kind, words]) =>
                      html`<option value="${kind}" ${kind === row.kind ? 'selected' : ''}>${words}</option>`,
                  )}
                </select>
                <input
                  class="slds-input"
                  name="rule${i}Value"
                  value="${row.value}"
                  aria-label="Value of ${added ? 'a new rule' : `rule ${n}`}"
                />
              </td>
              <td>
                <input
                  class="slds-input"
                  name="rule${i}Label"
                  value="${row.label}"
                  placeholder="created by the old sync tool's user"
                  aria-label="What the trace says for ${added ? 'a new rule' : `rule ${n}`}"
                />
              </td>
              <td class="num">${added ? '' : excludes(row)}</td>
              <td>
                ${
                  added
                    ? ''
                    : html`<input
                        type="checkbox"
                        name="rule${i}Remove"
                        value="1"
                        aria-label="Remove rule ${n}"
                      />`
                }
              </td>
            </tr>`;
          })}
        </tbody>
      </table>
    </div>
    <p class="slds-text-body_small slds-text-color_weak slds-m-top_small">
      Last 7 days: of the Events changed in the last 7 days whose record the service kept, how many the rule
      would have excluded.
    </p>
    <input type="hidden" name="ruleCount" value="${shown.length}" />
    <details ${rows === undefined ? 'open' : ''}>
      <summary>Advanced: the rules as JSON (a change here wins over the rows)</summary>
      <label for="exclusionRules">Exclusion rules (JSON)</label><br />
      <textarea class="slds-textarea" id="exclusionRules" name="exclusionRules" rows="5" cols="60">
${json}</textarea>
      <input type="hidden" name="exclusionRulesShown" value="${json}" />
    </details>
  </fieldset>`;
}
