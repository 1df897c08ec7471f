// The part of XML Schema validation EWS requests meet, for the elements the sandbox reads:
// children in the order and number the schema's xs:sequence allows, required attributes,
// enumerations and the built-in types (boolean, int, dateTime, date), each refused as Exchange's
// validating reader refuses it (ErrorSchemaValidation, with the line and position of the element
// and .NET's wording of the violation). It checks what the sandbox reads, not every type in
// types.xsd.
import { schemaViolation } from './ews-errors.ts';
import { ns, type XmlElement } from './ews-xml.ts';

export interface ChildRule {
  name: string;
  /** An xs:choice in the sequence: any of these names (`name` then only labels it). */
  choice?: readonly string[];
  /** types unless said */
  ns?: string;
  min?: number;
  /** 1 unless said; Infinity for unbounded */
  max?: number;
}

const qualified = (element: { ns: string; name: string }) => `'${element.name}' in namespace '${element.ns}'`;

/** Whether `element` holds text besides whitespace (element-only content may not). */
const hasText = (element: XmlElement) => element.text.trim() !== '';

/** Checks an xs:sequence: each child a rule at or after the previous one, counts within bounds. */
export function checkSequence(element: XmlElement, rules: readonly ChildRule[]): void {
  if (hasText(element))
    throw schemaViolation(
      `The element ${qualified(element)} cannot contain text. List of possible elements expected: ${expected(rules, 0)}.`,
      element,
    );
  const matches = (rule: ChildRule, child: XmlElement) =>
    (rule.choice ?? [rule.name]).includes(child.name) && (rule.ns ?? ns.types) === child.ns;
  let index = 0;
  let count = 0;
  const invalid = (child: XmlElement, from: number) =>
    schemaViolation(
      `The element ${qualified(element)} has invalid child element ${qualified(child)}. List of possible elements expected: ${expected(rules, from)}.`,
      child,
    );
  for (const child of element.children) {
    let at = index;
    while (at < rules.length && !matches(rules[at]!, child)) at++;
    const current = rules[index];
    if (at === rules.length || current === undefined)
      throw invalid(child, current !== undefined && count < (current.max ?? 1) ? index : index + 1);
    if (at === index) {
      if (count >= (current.max ?? 1)) throw invalid(child, index + 1);
      count++;
      continue;
    }
    if (count < (current.min ?? 0)) throw invalid(child, index);
    for (let skipped = index + 1; skipped < at; skipped++)
      if ((rules[skipped]!.min ?? 0) > 0) throw invalid(child, skipped);
    index = at;
    count = 1;
  }
  for (let rest = index; rest < rules.length; rest++)
    if ((rest === index ? count : 0) < (rules[rest]!.min ?? 0))
      throw schemaViolation(
        `The element ${qualified(element)} has incomplete content. List of possible elements expected: ${expected(rules, rest)}.`,
        element,
      );
}

/** "'A, B, C' in namespace '…'" from rule `from` to the next required one. */
function expected(rules: readonly ChildRule[], from: number): string {
  const names: string[] = [];
  for (let i = from; i < rules.length; i++) {
    names.push(...(rules[i]!.choice ?? [rules[i]!.name]));
    if ((rules[i]!.min ?? 0) > 0) break;
  }
  return `'${names.slice(0, 20).join(', ')}${names.length > 20 ? ', ...' : ''}' in namespace '${rules[from]?.ns ?? ns.types}'`;
}

/** An element with exactly one child among `names` (an xs:choice). */
export function checkChoice(
  element: XmlElement,
  names: readonly string[],
  namespace: string = ns.types,
): XmlElement {
  const [first, ...rest] = element.children;
  const wrong = [first, ...rest].find(
    (c) => c !== undefined && (c.ns !== namespace || !names.includes(c.name)),
  );
  if (first === undefined || wrong !== undefined || rest.length > 0) {
    const culprit = wrong ?? rest[0];
    throw schemaViolation(
      culprit === undefined
        ? `The element ${qualified(element)} has incomplete content. List of possible elements expected: '${names.join(', ')}' in namespace '${namespace}'.`
        : `The element ${qualified(element)} has invalid child element ${qualified(culprit)}.${wrong === undefined ? '' : ` List of possible elements expected: '${names.join(', ')}' in namespace '${namespace}'.`}`,
      culprit ?? element,
    );
  }
  return first;
}

/** Only the attributes the schema declares (xmlns and xsi ones aside). */
export function checkAttributes(element: XmlElement, allowed: readonly string[]): void {
  for (const name of Object.keys(element.attrs)) {
    if (allowed.includes(name) || name.startsWith('xsi:') || name.startsWith('xml:')) continue;
    throw schemaViolation(`The '${name}' attribute is not declared.`, element);
  }
}

export function requiredAttribute(element: XmlElement, name: string): string {
  const value = element.attrs[name];
  if (value === undefined) throw schemaViolation(`The required attribute '${name}' is missing.`, element);
  return value;
}

/** An attribute's value from an enumeration (undefined when absent). */
export function enumAttribute<T extends string>(
  element: XmlElement,
  name: string,
  values: readonly T[],
  type: string,
): T | undefined {
  const value = element.attrs[name];
  if (value === undefined) return undefined;
  if (!(values as readonly string[]).includes(value))
    throw schemaViolation(
      `The '${name}' attribute is invalid - The value '${value}' is invalid according to its datatype '${ns.types}:${type}' - The Enumeration constraint failed.`,
      element,
    );
  return value as T;
}

const invalidValue = (element: XmlElement, datatype: string, reason: string) =>
  schemaViolation(
    `The '${element.ns}:${element.name}' element is invalid - The value '${element.text}' is invalid according to its datatype '${datatype}' - ${reason}`,
    element,
  );

/** A simple-content element: text only. */
function simple(element: XmlElement): string {
  const child = element.children[0];
  if (child !== undefined)
    throw schemaViolation(
      `The element ${qualified(element)} cannot contain child element ${qualified(child)} because the parent element's content model is text only.`,
      child,
    );
  return element.text;
}

export function enumText<T extends string>(element: XmlElement, values: readonly T[], type: string): T {
  const value = simple(element).trim();
  if (!(values as readonly string[]).includes(value))
    throw invalidValue(element, `${ns.types}:${type}`, 'The Enumeration constraint failed.');
  return value as T;
}

export function booleanText(element: XmlElement): boolean {
  const value = simple(element).trim();
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw invalidValue(
    element,
    'http://www.w3.org/2001/XMLSchema:boolean',
    `The string '${value}' is not a valid Boolean value.`,
  );
}

export function intText(element: XmlElement): number {
  const value = simple(element).trim();
  if (!/^[+-]?\d{1,10}$/.test(value) || Math.abs(Number(value)) > 2_147_483_647)
    throw invalidValue(
      element,
      'http://www.w3.org/2001/XMLSchema:int',
      `The string '${value}' is not a valid Int32 value.`,
    );
  return Number(value);
}

export const stringText = (element: XmlElement) => simple(element);

const dateTimePattern = /^(-?\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

/** An xs:dateTime: its wall-clock part and its zone suffix (absent for a time without one). */
export interface DateTimeValue {
  wall: string;
  /** Milliseconds after the wall-clock second. */
  millis: number;
  /** 'Z', '+01:00', or undefined */
  offset: string | undefined;
}

export function parseDateTimeValue(value: string): DateTimeValue | undefined {
  const match = dateTimePattern.exec(value.trim());
  if (match === null) return undefined;
  const [, date = '', hh = '', mm = '', ss = '', fraction, offset] = match;
  const check = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(check) || new Date(check).toISOString().slice(0, 10) !== date) return undefined;
  if (Number(hh) > 24 || Number(mm) > 59 || Number(ss) > 59 || (hh === '24' && (mm !== '00' || ss !== '00')))
    return undefined;
  return {
    wall: `${date}T${hh}:${mm}:${ss}`,
    millis: fraction === undefined ? 0 : Math.floor(Number(`0${fraction}`) * 1000),
    offset,
  };
}

export function dateTimeText(element: XmlElement): DateTimeValue {
  const parsed = parseDateTimeValue(simple(element));
  if (parsed === undefined)
    throw invalidValue(
      element,
      'http://www.w3.org/2001/XMLSchema:dateTime',
      `The string '${element.text}' is not a valid XsdDateTime value.`,
    );
  return parsed;
}

/** An xs:date (a zone suffix allowed and ignored, as the recurrence range reads it). */
export function dateText(element: XmlElement): string {
  const value = simple(element).trim();
  const match = /^(\d{4}-\d{2}-\d{2})(Z|[+-]\d{2}:\d{2})?$/.exec(value);
  const date = match?.[1];
  const ms = date === undefined ? NaN : Date.parse(`${date}T00:00:00Z`);
  if (date === undefined || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== date)
    throw invalidValue(
      element,
      'http://www.w3.org/2001/XMLSchema:date',
      `The string '${value}' is not a valid XsdDateTime value.`,
    );
  return date;
}
