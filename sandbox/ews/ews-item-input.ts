// What a client writes in a t:CalendarItem (CreateItem's items, the one property of an
// UpdateItem SetItemField): every child checked against types.xsd (order, number, types,
// enumerations: ErrorSchemaValidation), read-only properties refused (ErrorInvalidPropertySet),
// extended properties checked as Exchange checks them (ErrorInvalidExtendedProperty,
// ErrorInvalidExtendedPropertyValue), time zone ids checked against Windows' (ErrorTimeZone).
// Schema violations are thrown at once (they fault the whole request); a property Exchange
// would refuse for this item alone is kept as the item's error, so the rest is still checked.
import { ItemError } from './ews-errors.ts';
import {
  calendarItemOrder,
  fieldUriOf,
  itemOrder,
  unmodeled,
  writable,
  type CalendarItemElement,
} from './ews-item-fields.ts';
import { parseRecurrence, type Recurrence } from './ews-recurrence.ts';
import {
  booleanText,
  checkAttributes,
  checkSequence,
  dateTimeText,
  enumAttribute,
  enumText,
  intText,
  parseDateTimeValue,
  requiredAttribute,
  stringText,
  type DateTimeValue,
} from './ews-schema.ts';
import { ianaOf } from './ews-time.ts';
import { childNamed, childrenNamed, ns, type XmlElement } from './ews-xml.ts';
import { schemaViolation } from './ews-errors.ts';

export const sensitivities = ['Normal', 'Personal', 'Private', 'Confidential'] as const;
export const freeBusyStatuses = ['Free', 'Tentative', 'Busy', 'OOF', 'WorkingElsewhere', 'NoData'] as const;
const importances = ['Low', 'Normal', 'High'] as const;
const propertyTypes = [
  'ApplicationTime',
  'ApplicationTimeArray',
  'Binary',
  'BinaryArray',
  'Boolean',
  'CLSID',
  'CLSIDArray',
  'Currency',
  'CurrencyArray',
  'Double',
  'DoubleArray',
  'Error',
  'Float',
  'FloatArray',
  'Integer',
  'IntegerArray',
  'Long',
  'LongArray',
  'Null',
  'Object',
  'ObjectArray',
  'Short',
  'ShortArray',
  'SystemTime',
  'SystemTimeArray',
  'String',
  'StringArray',
] as const;
const propertySets = [
  'Meeting',
  'Appointment',
  'Common',
  'PublicStrings',
  'Address',
  'InternetHeaders',
  'CalendarAssistant',
  'UnifiedMessaging',
  'Task',
  'Sharing',
] as const;

export type Sensitivity = (typeof sensitivities)[number];
export type FreeBusy = (typeof freeBusyStatuses)[number];

export interface Attendee {
  name: string | undefined;
  email: string;
}

/** A property named by its t:ExtendedFieldURI, with its value(s) as written. */
export interface ExtendedValue {
  /** Identity of the property: set + name/id, or tag. */
  key: string;
  uri: Record<string, string>;
  propertyType: string;
  value?: string;
  values?: string[];
}

/** The properties a t:CalendarItem carries, each as written. */
export interface ItemInput {
  /** The children present, in order (ExtendedProperty once for each). */
  names: CalendarItemElement[];
  subject?: string;
  sensitivity?: Sensitivity;
  body?: { type: 'Text' | 'HTML'; text: string };
  categories?: string[];
  importance?: (typeof importances)[number];
  reminderIsSet?: boolean;
  reminderMinutesBeforeStart?: number;
  extended: ExtendedValue[];
  uid?: string;
  start?: DateTimeValue;
  end?: DateTimeValue;
  isAllDayEvent?: boolean;
  legacyFreeBusyStatus?: FreeBusy;
  location?: string;
  isResponseRequested?: boolean;
  requiredAttendees?: Attendee[];
  optionalAttendees?: Attendee[];
  resources?: Attendee[];
  recurrence?: Recurrence;
  /** Windows ids. */
  startTimeZone?: string;
  endTimeZone?: string;
  allowNewTimeProposal?: boolean;
  /** The first thing Exchange would refuse for this item alone. */
  error?: ItemError;
}

const fieldXml = (element: CalendarItemElement) => `<t:FieldURI FieldURI="${fieldUriOf(element)}"/>`;

/** Reads a t:CalendarItem (or t:Item, whose children are ItemType's). */
export function parseItem(element: XmlElement): ItemInput {
  // A t:Item carries ItemType's properties only.
  const order = element.name === 'Item' ? itemOrder : calendarItemOrder;
  checkSequence(
    element,
    order.map((name) => ({ name, max: name === 'ExtendedProperty' ? Infinity : 1 })),
  );
  const input: ItemInput = { names: [], extended: [] };
  const defer = (error: ItemError) => void (input.error ??= error);
  for (const child of element.children) {
    const name = child.name as CalendarItemElement;
    input.names.push(name);
    if (!writable.has(name)) {
      defer(
        unmodeled.has(name)
          ? new ItemError('ErrorInvalidRequest', `The EWS sandbox does not model ${fieldUriOf(name)}.`)
          : new ItemError('ErrorInvalidPropertySet', undefined, fieldXml(name)),
      );
      continue;
    }
    try {
      readProperty(input, name, child);
    } catch (error) {
      if (!(error instanceof ItemError)) throw error;
      defer(error);
    }
  }
  return input;
}

const attendeeField = {
  RequiredAttendees: 'requiredAttendees',
  OptionalAttendees: 'optionalAttendees',
  Resources: 'resources',
} as const;

/** How each stored property is read into the input. */
const readers: Partial<Record<CalendarItemElement, (input: ItemInput, child: XmlElement) => void>> = {
  ItemClass: (_input, child) => {
    if (!stringText(child).startsWith('IPM.Appointment'))
      throw new ItemError('ErrorInvalidPropertySet', undefined, fieldXml('ItemClass'));
  },
  Culture: (_input, child) => void stringText(child),
  Subject: (input, child) => void (input.subject = stringText(child)),
  Sensitivity: (input, child) =>
    void (input.sensitivity = enumText(child, sensitivities, 'SensitivityChoicesType')),
  Body: (input, child) => {
    checkAttributes(child, ['BodyType', 'IsTruncated']);
    requiredAttribute(child, 'BodyType');
    const type = enumAttribute(child, 'BodyType', ['Text', 'HTML'] as const, 'BodyTypeType')!;
    input.body = { type, text: stringText(child) };
  },
  Categories: (input, child) => {
    checkSequence(child, [{ name: 'String', max: Infinity }]);
    input.categories = childrenNamed(child, 'String').map(stringText);
  },
  Importance: (input, child) =>
    void (input.importance = enumText(child, importances, 'ImportanceChoicesType')),
  ReminderIsSet: (input, child) => void (input.reminderIsSet = booleanText(child)),
  ReminderMinutesBeforeStart: (input, child) => {
    const minutes = intText(child);
    if (minutes < 0 || minutes > 2_629_800)
      throw schemaViolation(
        `The '${ns.types}:ReminderMinutesBeforeStart' element is invalid - The value '${child.text}' is invalid according to its datatype '${ns.types}:ReminderMinutesBeforeStartType' - The MaxInclusive constraint failed.`,
        child,
      );
    input.reminderMinutesBeforeStart = minutes;
  },
  ExtendedProperty: (input, child) => void input.extended.push(parseExtendedProperty(child)),
  UID: (input, child) => void (input.uid = stringText(child)),
  Start: (input, child) => void (input.start = dateTimeText(child)),
  End: (input, child) => void (input.end = dateTimeText(child)),
  IsAllDayEvent: (input, child) => void (input.isAllDayEvent = booleanText(child)),
  LegacyFreeBusyStatus: (input, child) =>
    void (input.legacyFreeBusyStatus = enumText(child, freeBusyStatuses, 'LegacyFreeBusyType')),
  Location: (input, child) => void (input.location = stringText(child)),
  IsResponseRequested: (input, child) => void (input.isResponseRequested = booleanText(child)),
  AllowNewTimeProposal: (input, child) => void (input.allowNewTimeProposal = booleanText(child)),
  RequiredAttendees: (input, child) => void (input[attendeeField.RequiredAttendees] = parseAttendees(child)),
  OptionalAttendees: (input, child) => void (input[attendeeField.OptionalAttendees] = parseAttendees(child)),
  Resources: (input, child) => void (input[attendeeField.Resources] = parseAttendees(child)),
  Recurrence: (input, child) => void (input.recurrence = parseRecurrence(child)),
  StartTimeZone: (input, child) => void (input.startTimeZone = parseTimeZoneDefinition(child)),
  EndTimeZone: (input, child) => void (input.endTimeZone = parseTimeZoneDefinition(child)),
};

function readProperty(input: ItemInput, name: CalendarItemElement, child: XmlElement): void {
  const reader = readers[name];
  if (reader === undefined) throw new ItemError('ErrorInvalidPropertySet', undefined, fieldXml(name));
  reader(input, child);
}

/** t:StartTimeZone / t:EndTimeZone / t:TimeZoneDefinition: a Windows zone by its Id. */
export function parseTimeZoneDefinition(element: XmlElement): string {
  checkAttributes(element, ['Id', 'Name']);
  checkSequence(element, [{ name: 'Periods' }, { name: 'TransitionsGroups' }, { name: 'Transitions' }]);
  const id = element.attrs['Id'];
  // A zone defined by its periods and transitions alone is not one the sandbox can keep time in.
  if (id === undefined || ianaOf(id) === undefined) throw new ItemError('ErrorTimeZone');
  return id;
}

function parseAttendees(element: XmlElement): Attendee[] {
  checkSequence(element, [{ name: 'Attendee', min: 1, max: Infinity }]);
  return childrenNamed(element, 'Attendee').map((attendee) => {
    checkSequence(attendee, [
      { name: 'Mailbox', min: 1 },
      { name: 'ResponseType' },
      { name: 'LastResponseTime' },
      { name: 'ProposedStart' },
      { name: 'ProposedEnd' },
    ]);
    const mailbox = childNamed(attendee, 'Mailbox')!;
    checkSequence(mailbox, [
      { name: 'Name' },
      { name: 'EmailAddress' },
      { name: 'RoutingType' },
      { name: 'MailboxType' },
      { name: 'ItemId' },
      { name: 'OriginalDisplayName' },
    ]);
    const email = childNamed(mailbox, 'EmailAddress');
    const name = childNamed(mailbox, 'Name');
    if (email === undefined || !/^[^@\s]+@[^@\s]+$/.test(email.text.trim()))
      throw new ItemError('ErrorInvalidRecipients');
    return {
      name: name === undefined ? undefined : stringText(name),
      email: email.text.trim().toLowerCase(),
    };
  });
}

/** The identity and shape of a t:ExtendedFieldURI (also used by shapes and restrictions). */
export function parseExtendedFieldUri(element: XmlElement): {
  key: string;
  uri: Record<string, string>;
  propertyType: string;
} {
  checkAttributes(element, [
    'DistinguishedPropertySetId',
    'PropertySetId',
    'PropertyTag',
    'PropertyName',
    'PropertyId',
    'PropertyType',
  ]);
  requiredAttribute(element, 'PropertyType');
  const propertyType = enumAttribute(element, 'PropertyType', propertyTypes, 'MapiPropertyTypeType')!;
  enumAttribute(element, 'DistinguishedPropertySetId', propertySets, 'DistinguishedPropertySetType');
  const {
    DistinguishedPropertySetId: set,
    PropertySetId: setId,
    PropertyTag: tag,
    PropertyName: name,
    PropertyId: id,
  } = element.attrs;
  if (
    setId !== undefined &&
    !/^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/.test(setId)
  )
    throw schemaViolation(
      `The 'PropertySetId' attribute is invalid - The value '${setId}' is invalid according to its datatype '${ns.types}:GuidType' - The Pattern constraint failed.`,
      element,
    );
  if (tag !== undefined && !/^(0[xX][0-9A-Fa-f]{1,4}|\d{1,5})$/.test(tag))
    throw schemaViolation(
      `The 'PropertyTag' attribute is invalid - The value '${tag}' is invalid according to its datatype '${ns.types}:PropertyTagType'.`,
      element,
    );
  if (id !== undefined && !/^-?\d+$/.test(id))
    throw schemaViolation(
      `The 'PropertyId' attribute is invalid - The value '${id}' is invalid according to its datatype 'http://www.w3.org/2001/XMLSchema:int' - The string '${id}' is not a valid Int32 value.`,
      element,
    );
  // Only these combinations name a property: a tag alone, or one set with one name or id.
  const named =
    tag === undefined &&
    (set === undefined) !== (setId === undefined) &&
    (name === undefined) !== (id === undefined);
  if (!(
    named ||
    (tag !== undefined && set === undefined && setId === undefined && name === undefined && id === undefined)
  ))
    throw new ItemError('ErrorInvalidExtendedProperty');
  const key =
    tag !== undefined
      ? `tag:${(tag.toLowerCase().startsWith('0x') ? parseInt(tag, 16) : Number(tag)).toString(16)}:${propertyType}`
      : `${(setId ?? set ?? '').toLowerCase()}:${name !== undefined ? `name:${name}` : `id:${Number(id)}`}:${propertyType}`;
  const uri = Object.fromEntries(
    Object.entries({
      DistinguishedPropertySetId: set,
      PropertySetId: setId,
      PropertyTag: tag,
      PropertyName: name,
      PropertyId: id,
      PropertyType: propertyType,
    }).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  return { key, uri, propertyType };
}

/** A value as its MAPI type reads it, or false. */
function valueFits(type: string, value: string): boolean {
  const scalar = type.replace(/Array$/, '');
  switch (scalar) {
    case 'Integer':
    case 'Short':
    case 'Long':
    case 'Currency':
      return /^[+-]?\d+$/.test(value.trim());
    case 'Double':
    case 'Float':
    case 'ApplicationTime':
      return value.trim() !== '' && !Number.isNaN(Number(value));
    case 'Boolean':
      return /^(true|false|1|0)$/i.test(value.trim());
    case 'SystemTime':
      return parseDateTimeValue(value) !== undefined;
    case 'CLSID':
      return /^\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?$/.test(
        value.trim(),
      );
    case 'Binary':
      return /^[A-Za-z0-9+/]*={0,2}$/.test(value.trim());
    default:
      return true;
  }
}

function parseExtendedProperty(element: XmlElement): ExtendedValue {
  checkSequence(element, [
    { name: 'ExtendedFieldURI', min: 1 },
    { name: 'Value', choice: ['Value', 'Values'], min: 1 },
  ]);
  const { key, uri, propertyType } = parseExtendedFieldUri(childNamed(element, 'ExtendedFieldURI')!);
  const single = childNamed(element, 'Value');
  const many = childNamed(element, 'Values');
  if (many !== undefined) checkSequence(many, [{ name: 'Value', min: 1, max: Infinity }]);
  const values = many === undefined ? undefined : childrenNamed(many, 'Value').map(stringText);
  const isArray = propertyType.endsWith('Array');
  if (isArray !== (values !== undefined)) throw new ItemError('ErrorInvalidExtendedPropertyValue');
  const written = values ?? [stringText(single!)];
  if (written.some((v) => !valueFits(propertyType, v)))
    throw new ItemError('ErrorInvalidExtendedPropertyValue');
  return values === undefined
    ? { key, uri, propertyType, value: written[0]! }
    : { key, uri, propertyType, values };
}
