// A tenant's exclusion rules: Events that must not reach calendars, for example those created by
// another sync tool's user, or private ones. Each rule says why, and that reason is what the
// trace shows for every Event it excludes.

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
    if (
      /^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/.test(actual) &&
      /^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/.test(expected)
    ) {
      return actual.slice(0, 15) === expected.slice(0, 15);
    }
    return actual.toLowerCase() === expected.toLowerCase();
  }
  return actual === expected;
}
