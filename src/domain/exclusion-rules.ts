// A tenant's exclusion rules: Events that must not reach calendars, for example those created by
// another sync tool's user, or private ones. Each rule says why, and that reason is what the
// trace shows for every Event it excludes.
import { isSalesforceId } from './salesforce-ids.ts';

export interface ExclusionRule {
  /** A Salesforce Event field, e.g. CreatedById, IsPrivate, Subject. */
  field: string;
  op: 'equals' | 'notEquals' | 'startsWith' | 'contains';
  value: string | boolean | null;
  /** Shown in the trace, e.g. "created by the Cirrus Insight sync user". */
  label?: string;
}

/** The reason the first matching rule excludes `record`, or undefined when none does. */
export function exclusionReason(
  rules: readonly ExclusionRule[],
  record: Readonly<Record<string, unknown>>,
): string | undefined {
  for (const rule of rules) {
    const actual = record[rule.field] ?? null;
    if (matches(rule, actual)) {
      return `excluded by a tenant rule: ${rule.label ?? `${rule.field} ${rule.op} ${JSON.stringify(rule.value)}`}`;
    }
  }
  return undefined;
}

function matches(rule: ExclusionRule, actual: unknown): boolean {
  switch (rule.op) {
    case 'equals':
      return sameValue(actual, rule.value);
    case 'notEquals':
      return !sameValue(actual, rule.value);
    case 'startsWith':
      return (
        typeof actual === 'string' &&
        typeof rule.value === 'string' &&
        actual.toLowerCase().startsWith(rule.value.toLowerCase())
      );
    case 'contains':
      return (
        typeof actual === 'string' &&
        typeof rule.value === 'string' &&
        actual.toLowerCase().includes(rule.value.toLowerCase())
      );
  }
}

/** Salesforce ids match in their 15- and 18-character forms; text compares without case. */
function sameValue(actual: unknown, expected: string | boolean | null): boolean {
  if (typeof actual === 'string' && typeof expected === 'string') {
    if (isSalesforceId(actual) && isSalesforceId(expected)) {
      return actual.slice(0, 15) === expected.slice(0, 15);
    }
    return actual.toLowerCase() === expected.toLowerCase();
  }
  return actual === expected;
}

const fieldName = /^[A-Za-z][A-Za-z0-9_]*$/;
const ops: readonly ExclusionRule['op'][] = ['equals', 'notEquals', 'startsWith', 'contains'];

/** Reads rules written by an admin (JSON): every problem is reported, with the rule's position. */
export function parseExclusionRules(input: unknown): ExclusionRule[] | { problem: string } {
  if (!Array.isArray(input))
    return { problem: 'exclusion rules must be a JSON array of {field, op, value, label}' };
  const problems: string[] = [];
  const rules: ExclusionRule[] = [];
  input.forEach((raw: unknown, index) => {
    const at = `rule ${index + 1}`;
    if (typeof raw !== 'object' || raw === null) {
      problems.push(`${at} is not an object`);
      return;
    }
    const rule = raw as Record<string, unknown>;
    const { field, op, value, label } = rule;
    const unknownKeys = Object.keys(rule).filter((k) => !['field', 'op', 'value', 'label'].includes(k));
    if (unknownKeys.length > 0) problems.push(`${at} has unknown keys: ${unknownKeys.join(', ')}`);
    if (typeof field !== 'string' || !fieldName.test(field))
      problems.push(`${at}: field must be a Salesforce field name such as CreatedById`);
    if (typeof op !== 'string' || !ops.includes(op as ExclusionRule['op']))
      problems.push(`${at}: op must be one of ${ops.join(', ')}`);
    if (value !== null && typeof value !== 'string' && typeof value !== 'boolean')
      problems.push(`${at}: value must be text, true, false or null`);
    if ((op === 'startsWith' || op === 'contains') && typeof value !== 'string')
      problems.push(`${at}: ${String(op)} needs a text value`);
    if (label !== undefined && typeof label !== 'string') problems.push(`${at}: label must be text`);
    rules.push({
      field: field as string,
      op: op as ExclusionRule['op'],
      value: value as ExclusionRule['value'],
      ...(typeof label === 'string' ? { label } : {}),
    });
  });
  return problems.length > 0 ? { problem: problems.join('; ') } : rules;
}
