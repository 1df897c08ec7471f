// FindItem's m:Restriction as a predicate over calendar items: IsEqualTo, IsNotEqualTo, the four
// comparisons, Exists, Contains, And, Or and Not, on an extended property (the way a sync finds
// its items by an external id) or on the item properties a calendar search uses. A property the
// sandbox cannot search is refused (ErrorUnsupportedPathForQuery) rather than matched wrongly.
import { ItemError } from './ews-errors.ts';
import type { CalendarItemElement } from './ews-item-fields.ts';
import type { PropertyPath } from './ews-item-xml.ts';
import {
  checkAttributes,
  checkChoice,
  checkSequence,
  enumAttribute,
  parseDateTimeValue,
  requiredAttribute,
} from './ews-schema.ts';
import type { CalendarFields } from './ews-store.ts';
import { parsePath } from './ews-targets.ts';
import { childNamed, type XmlElement } from './ews-xml.ts';

export type Predicate = (fields: CalendarFields, created: number, modified: number) => boolean;

const comparisons = [
  'IsEqualTo',
  'IsNotEqualTo',
  'IsGreaterThan',
  'IsGreaterThanOrEqualTo',
  'IsLessThan',
  'IsLessThanOrEqualTo',
];
const expressions = [...comparisons, 'Exists', 'Excludes', 'Contains', 'And', 'Or', 'Not'];

type Value = string | number | boolean | undefined;

type Getter = (fields: CalendarFields, created: number, modified: number) => Value | Value[];

/** The item properties a restriction may name, typed for comparison (dates as ms, booleans, strings). */
const getters: Partial<Record<CalendarItemElement, Getter>> = {
  Subject: (f) => f.subject,
  Location: (f) => f.location,
  UID: (f) => f.uid,
  Start: (f) => f.startMs,
  End: (f) => f.endMs,
  IsAllDayEvent: (f) => f.isAllDayEvent,
  LegacyFreeBusyStatus: (f) => f.legacyFreeBusyStatus,
  Sensitivity: (f) => f.sensitivity,
  Categories: (f) => f.categories,
  IsRecurring: (f) => f.recurrence !== undefined,
  DateTimeCreated: (_f, created) => created,
  LastModifiedTime: (_f, _c, modified) => modified,
};

function valueGetter(path: PropertyPath): Getter {
  if (path.kind === 'extended')
    return (fields) => {
      const found = fields.extended.find((e) => e.key === path.key);
      return found?.values ?? found?.value;
    };
  const getter = getters[path.element];
  if (getter === undefined)
    throw new ItemError('ErrorUnsupportedPathForQuery', undefined, `<t:FieldURI FieldURI="${path.uri}"/>`);
  return getter;
}

/** A constant read as the property's type. */
function constantFor(sample: 'date' | 'bool' | 'text', text: string): Value {
  if (sample === 'date') {
    const parsed = parseDateTimeValue(text);
    return parsed === undefined
      ? NaN
      : Date.parse(
          `${parsed.wall}${parsed.offset === undefined || parsed.offset === 'Z' ? 'Z' : parsed.offset}`,
        ) + parsed.millis;
  }
  if (sample === 'bool') return text.trim().toLowerCase() === 'true';
  return text;
}

const kindOf = (path: PropertyPath): 'date' | 'bool' | 'text' =>
  path.kind === 'field' && ['Start', 'End', 'DateTimeCreated', 'LastModifiedTime'].includes(path.element)
    ? 'date'
    : path.kind === 'field' && ['IsAllDayEvent', 'IsRecurring'].includes(path.element)
      ? 'bool'
      : 'text';

function compare(operator: string, left: Value, right: Value): boolean {
  if (left === undefined) return operator === 'IsNotEqualTo';
  if (typeof left === 'string' && typeof right === 'string') {
    // Exchange compares strings without regard to case.
    const a = left.toLowerCase();
    const b = right.toLowerCase();
    return operator === 'IsEqualTo'
      ? a === b
      : operator === 'IsNotEqualTo'
        ? a !== b
        : order(operator, a.localeCompare(b));
  }
  if (operator === 'IsEqualTo') return left === right;
  if (operator === 'IsNotEqualTo') return left !== right;
  return order(operator, Number(left) - Number(right));
}

const order = (operator: string, difference: number) =>
  operator === 'IsGreaterThan'
    ? difference > 0
    : operator === 'IsGreaterThanOrEqualTo'
      ? difference >= 0
      : operator === 'IsLessThan'
        ? difference < 0
        : difference <= 0;

function pathOf(element: XmlElement): PropertyPath {
  const path = parsePath(element);
  if (path === undefined) throw new ItemError('ErrorUnsupportedPathForQuery');
  return path;
}

function expression(element: XmlElement): Predicate {
  const path = { name: 'Path', choice: ['FieldURI', 'IndexedFieldURI', 'ExtendedFieldURI', 'Path'], min: 1 };
  if (comparisons.includes(element.name)) {
    checkSequence(element, [path, { name: 'FieldURIOrConstant', min: 1 }]);
    const property = pathOf(element.children[0]!);
    const operand = checkChoice(childNamed(element, 'FieldURIOrConstant')!, [
      'Constant',
      'FieldURI',
      'IndexedFieldURI',
      'ExtendedFieldURI',
      'Path',
    ]);
    if (operand.name !== 'Constant') throw new ItemError('ErrorUnsupportedPathForQuery');
    checkAttributes(operand, ['Value']);
    const constant = constantFor(kindOf(property), requiredAttribute(operand, 'Value'));
    const get = valueGetter(property);
    return (fields, created, modified) => {
      const value = get(fields, created, modified);
      // A multivalued property matches when any of its values does.
      return Array.isArray(value)
        ? value.some((v) => compare(element.name, v, constant))
        : compare(element.name, value, constant);
    };
  }
  switch (element.name) {
    case 'Exists': {
      checkSequence(element, [path]);
      const get = valueGetter(pathOf(element.children[0]!));
      return (fields, created, modified) => {
        const value = get(fields, created, modified);
        return value !== undefined && !(Array.isArray(value) && value.length === 0);
      };
    }
    case 'Contains': {
      checkAttributes(element, ['ContainmentMode', 'ContainmentComparison']);
      const mode =
        enumAttribute(
          element,
          'ContainmentMode',
          ['FullString', 'Prefixed', 'Substring', 'PrefixOnWords', 'ExactPhrase'] as const,
          'ContainmentModeType',
        ) ?? 'FullString';
      const comparison =
        enumAttribute(
          element,
          'ContainmentComparison',
          [
            'Exact',
            'IgnoreCase',
            'IgnoreNonSpacingCharacters',
            'Loose',
            'IgnoreCaseAndNonSpacingCharacters',
            'LooseAndIgnoreCase',
            'LooseAndIgnoreNonSpace',
            'LooseAndIgnoreCaseAndIgnoreNonSpace',
          ] as const,
          'ContainmentComparisonType',
        ) ?? 'Exact';
      checkSequence(element, [path, { name: 'Constant', min: 1 }]);
      const get = valueGetter(pathOf(element.children[0]!));
      const fold = (s: string) => (comparison === 'Exact' ? s : s.toLowerCase());
      const needle = fold(requiredAttribute(childNamed(element, 'Constant')!, 'Value'));
      const test = (value: Value) => {
        if (typeof value !== 'string') return false;
        const hay = fold(value);
        if (mode === 'FullString') return hay === needle;
        if (mode === 'Prefixed') return hay.startsWith(needle);
        if (mode === 'PrefixOnWords') return hay.split(/\s+/).some((w) => w.startsWith(needle));
        return hay.includes(needle);
      };
      return (fields, created, modified) => {
        const value = get(fields, created, modified);
        return Array.isArray(value) ? value.some(test) : test(value);
      };
    }
    case 'And':
    case 'Or': {
      checkSequence(element, [{ name: 'SearchExpression', choice: expressions, min: 1, max: Infinity }]);
      const parts = element.children.map(expression);
      return element.name === 'And'
        ? (f, c, m) => parts.every((p) => p(f, c, m))
        : (f, c, m) => parts.some((p) => p(f, c, m));
    }
    case 'Not': {
      checkSequence(element, [{ name: 'SearchExpression', choice: expressions, min: 1 }]);
      const inner = expression(element.children[0]!);
      return (f, c, m) => !inner(f, c, m);
    }
    default:
      throw new ItemError(
        'ErrorUnsupportedPathForQuery',
        `The EWS sandbox does not model the ${element.name} restriction.`,
      );
  }
}

/** m:Restriction as a predicate. */
export function parseRestriction(restriction: XmlElement): Predicate {
  return expression(checkChoice(restriction, expressions));
}
