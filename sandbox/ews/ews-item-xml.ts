// A calendar item as EWS answers with it: the properties an ItemShape asks for (BaseShape
// IdOnly, Default or AllProperties, plus AdditionalProperties; extended properties only when
// named), in types.xsd's order, times in UTC. FindItem leaves out the body and the recipient
// lists, as Microsoft documents ("It does not return any of the message body formats or the
// recipient lists") and gives the organizer's name only; GetItem gives everything.
import type { ExtendedValue } from './ews-item-input.ts';
import { calendarItemOrder, type CalendarItemElement } from './ews-item-fields.ts';
import { recurrenceXml } from './ews-recurrence.ts';
import type { CalendarFields, StoredItem } from './ews-store.ts';
import { duration, utc } from './ews-time.ts';
import { escapeText, tag, textTag } from './ews-xml.ts';

export type PropertyPath =
  | { kind: 'field'; element: CalendarItemElement; uri: string }
  | { kind: 'extended'; key: string; uri: Record<string, string> };

export interface Shape {
  base: 'IdOnly' | 'Default' | 'AllProperties';
  bodyType: 'Best' | 'HTML' | 'Text';
  additional: PropertyPath[];
}

/** One item, occurrence or exception as it is answered with. */
export interface ItemView {
  itemId: string;
  changeKey: string;
  parentFolderId: string;
  fields: CalendarFields;
  type: 'Single' | 'Occurrence' | 'Exception' | 'RecurringMaster';
  originalStart: number | undefined;
  created: number;
  modified: number;
  organizer: { name: string; email: string };
  meetingRequestWasSent: boolean;
  /** Recurring masters: for FirstOccurrence, ModifiedOccurrences, DeletedOccurrences. */
  master?: {
    item: StoredItem;
    firstOccurrence: number;
    lastOccurrence: number | undefined;
    occurrenceId: (start: number) => string;
  };
}

const defaultShape: CalendarItemElement[] = [
  'ItemId',
  'Subject',
  'HasAttachments',
  'IsAssociated',
  'Start',
  'End',
  'LegacyFreeBusyStatus',
  'Location',
  'CalendarItemType',
  'Organizer',
];

const allProperties: CalendarItemElement[] = [
  'ItemId',
  'ParentFolderId',
  'ItemClass',
  'Subject',
  'Sensitivity',
  'Body',
  'DateTimeReceived',
  'Size',
  'Categories',
  'Importance',
  'IsSubmitted',
  'IsDraft',
  'IsFromMe',
  'IsResend',
  'IsUnmodified',
  'DateTimeSent',
  'DateTimeCreated',
  'ReminderDueBy',
  'ReminderIsSet',
  'ReminderMinutesBeforeStart',
  'DisplayCc',
  'DisplayTo',
  'HasAttachments',
  'Culture',
  'LastModifiedName',
  'LastModifiedTime',
  'IsAssociated',
  'UID',
  'DateTimeStamp',
  'Start',
  'End',
  'OriginalStart',
  'IsAllDayEvent',
  'LegacyFreeBusyStatus',
  'Location',
  'IsMeeting',
  'IsCancelled',
  'IsRecurring',
  'MeetingRequestWasSent',
  'IsResponseRequested',
  'CalendarItemType',
  'MyResponseType',
  'Organizer',
  'RequiredAttendees',
  'OptionalAttendees',
  'Resources',
  'Duration',
  'TimeZone',
  'AppointmentSequenceNumber',
  'AppointmentState',
  'Recurrence',
  'FirstOccurrence',
  'LastOccurrence',
  'ModifiedOccurrences',
  'DeletedOccurrences',
  'StartTimeZone',
  'EndTimeZone',
  'ConferenceType',
  'AllowNewTimeProposal',
  'IsOnlineMeeting',
  'StartTimeZoneId',
  'EndTimeZoneId',
];

/** What FindItem never returns. */
const notInFind = new Set<CalendarItemElement>([
  'Body',
  'RequiredAttendees',
  'OptionalAttendees',
  'Resources',
  'ModifiedOccurrences',
  'DeletedOccurrences',
]);

const bool = (value: boolean) => (value ? 'true' : 'false');

const attendeesXml = (name: string, attendees: CalendarFields['requiredAttendees']) =>
  attendees.length === 0
    ? undefined
    : tag(
        name,
        {},
        attendees
          .map((a) =>
            tag(
              't:Attendee',
              {},
              tag(
                't:Mailbox',
                {},
                `${a.name === undefined ? '' : textTag('t:Name', a.name)}${textTag('t:EmailAddress', a.email)}${textTag('t:RoutingType', 'SMTP')}${textTag('t:MailboxType', 'Mailbox')}`,
              ) + textTag('t:ResponseType', 'Unknown'),
            ),
          )
          .join(''),
      );

function bodyXml(body: CalendarFields['body'], wanted: Shape['bodyType']): string {
  const stored = body ?? { type: 'HTML' as const, text: '' };
  if (wanted === 'Best' || wanted === stored.type)
    return tag('t:Body', { BodyType: stored.type }, escapeText(stored.text));
  if (wanted === 'Text')
    return tag('t:Body', { BodyType: 'Text' }, escapeText(stored.text.replace(/<[^>]*>/g, '').trim()));
  return tag(
    't:Body',
    { BodyType: 'HTML' },
    escapeText(
      `<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body>${escapeText(stored.text)}</body></html>`,
    ),
  );
}

function extendedXml(value: ExtendedValue, uri: Record<string, string>): string {
  const values =
    value.values === undefined
      ? textTag('t:Value', value.value ?? '')
      : tag('t:Values', {}, value.values.map((v) => textTag('t:Value', v)).join(''));
  return tag('t:ExtendedProperty', {}, tag('t:ExtendedFieldURI', uri) + values);
}

type Writer = (view: ItemView, shape: Shape, find: boolean) => string | undefined;

const isMeeting = (f: CalendarFields) =>
  f.requiredAttendees.length + f.optionalAttendees.length + f.resources.length > 0;
const constant =
  (name: string, value: string): Writer =>
  () =>
    textTag(`t:${name}`, value);
const occurrenceInfo =
  (name: 'FirstOccurrence' | 'LastOccurrence'): Writer =>
  (view) => {
    const master = view.master;
    const start = name === 'FirstOccurrence' ? master?.firstOccurrence : master?.lastOccurrence;
    if (master === undefined || start === undefined) return undefined;
    const fieldsAt = master.item.exceptions.get(start)?.fields;
    const length = view.fields.endMs - view.fields.startMs;
    return tag(
      `t:${name}`,
      {},
      tag('t:ItemId', { Id: master.occurrenceId(start), ChangeKey: view.changeKey }) +
        textTag('t:Start', utc(fieldsAt?.startMs ?? start)) +
        textTag('t:End', utc(fieldsAt?.endMs ?? start + length)) +
        textTag('t:OriginalStart', utc(start)),
    );
  };

/** The XML of each property the sandbox answers with (undefined when the item has none to give). */
const writers: Partial<Record<CalendarItemElement, Writer>> = {
  ItemId: (view) => tag('t:ItemId', { Id: view.itemId, ChangeKey: view.changeKey }),
  ParentFolderId: (view) => tag('t:ParentFolderId', { Id: view.parentFolderId, ChangeKey: 'AQAAAA==' }),
  ItemClass: constant('ItemClass', 'IPM.Appointment'),
  Subject: (view) =>
    view.fields.subject === undefined ? undefined : textTag('t:Subject', view.fields.subject),
  Sensitivity: (view) => textTag('t:Sensitivity', view.fields.sensitivity),
  Body: (view, shape) => bodyXml(view.fields.body, shape.bodyType),
  DateTimeReceived: (view) => textTag('t:DateTimeReceived', utc(view.created)),
  Size: (view) => textTag('t:Size', String(1024 + Buffer.byteLength(JSON.stringify(view.fields)))),
  Categories: (view) =>
    view.fields.categories.length === 0
      ? undefined
      : tag('t:Categories', {}, view.fields.categories.map((c) => textTag('t:String', c)).join('')),
  Importance: (view) => textTag('t:Importance', view.fields.importance),
  IsSubmitted: constant('IsSubmitted', 'false'),
  IsDraft: constant('IsDraft', 'false'),
  IsFromMe: constant('IsFromMe', 'false'),
  IsResend: constant('IsResend', 'false'),
  IsUnmodified: constant('IsUnmodified', 'false'),
  DateTimeSent: (view) => textTag('t:DateTimeSent', utc(view.created)),
  DateTimeCreated: (view) => textTag('t:DateTimeCreated', utc(view.created)),
  ReminderDueBy: (view) => textTag('t:ReminderDueBy', utc(view.fields.startMs)),
  ReminderIsSet: (view) => textTag('t:ReminderIsSet', bool(view.fields.reminderIsSet)),
  ReminderMinutesBeforeStart: (view) =>
    textTag('t:ReminderMinutesBeforeStart', String(view.fields.reminderMinutesBeforeStart)),
  DisplayCc: (view) =>
    textTag('t:DisplayCc', view.fields.optionalAttendees.map((a) => a.name ?? a.email).join('; ')),
  DisplayTo: (view) =>
    textTag('t:DisplayTo', view.fields.requiredAttendees.map((a) => a.name ?? a.email).join('; ')),
  HasAttachments: constant('HasAttachments', 'false'),
  Culture: constant('Culture', 'en-US'),
  LastModifiedName: (view) => textTag('t:LastModifiedName', view.organizer.name),
  LastModifiedTime: (view) => textTag('t:LastModifiedTime', utc(view.modified)),
  IsAssociated: constant('IsAssociated', 'false'),
  UID: (view) => textTag('t:UID', view.fields.uid),
  DateTimeStamp: (view) => textTag('t:DateTimeStamp', utc(view.modified)),
  Start: (view) => textTag('t:Start', utc(view.fields.startMs)),
  End: (view) => textTag('t:End', utc(view.fields.endMs)),
  OriginalStart: (view) =>
    view.originalStart === undefined ? undefined : textTag('t:OriginalStart', utc(view.originalStart)),
  IsAllDayEvent: (view) => textTag('t:IsAllDayEvent', bool(view.fields.isAllDayEvent)),
  LegacyFreeBusyStatus: (view) => textTag('t:LegacyFreeBusyStatus', view.fields.legacyFreeBusyStatus),
  Location: (view) =>
    view.fields.location === undefined ? undefined : textTag('t:Location', view.fields.location),
  IsMeeting: (view) => textTag('t:IsMeeting', bool(isMeeting(view.fields))),
  IsCancelled: constant('IsCancelled', 'false'),
  IsRecurring: (view) => textTag('t:IsRecurring', bool(view.type !== 'Single')),
  MeetingRequestWasSent: (view) => textTag('t:MeetingRequestWasSent', bool(view.meetingRequestWasSent)),
  IsResponseRequested: (view) => textTag('t:IsResponseRequested', bool(view.fields.isResponseRequested)),
  CalendarItemType: (view) => textTag('t:CalendarItemType', view.type),
  MyResponseType: constant('MyResponseType', 'Organizer'),
  Organizer: (view, _shape, find) =>
    tag(
      't:Organizer',
      {},
      tag(
        't:Mailbox',
        {},
        textTag('t:Name', view.organizer.name) +
          // FindItem gives the organizer's name only.
          (find
            ? ''
            : textTag('t:EmailAddress', view.organizer.email) +
              textTag('t:RoutingType', 'SMTP') +
              textTag('t:MailboxType', 'Mailbox')),
      ),
    ),
  RequiredAttendees: (view) => attendeesXml('t:RequiredAttendees', view.fields.requiredAttendees),
  OptionalAttendees: (view) => attendeesXml('t:OptionalAttendees', view.fields.optionalAttendees),
  Resources: (view) => attendeesXml('t:Resources', view.fields.resources),
  Duration: (view) => textTag('t:Duration', duration(view.fields.endMs - view.fields.startMs)),
  TimeZone: (view) => textTag('t:TimeZone', view.fields.startTimeZone),
  AppointmentSequenceNumber: constant('AppointmentSequenceNumber', '0'),
  AppointmentState: (view) => textTag('t:AppointmentState', isMeeting(view.fields) ? '1' : '0'),
  Recurrence: (view) =>
    view.fields.recurrence === undefined ? undefined : recurrenceXml(view.fields.recurrence),
  FirstOccurrence: occurrenceInfo('FirstOccurrence'),
  LastOccurrence: occurrenceInfo('LastOccurrence'),
  ModifiedOccurrences: (view) => {
    const master = view.master;
    if (master === undefined || master.item.exceptions.size === 0) return undefined;
    return tag(
      't:ModifiedOccurrences',
      {},
      [...master.item.exceptions.values()]
        .sort((a, b) => a.originalStart - b.originalStart)
        .map((e) =>
          tag(
            't:Occurrence',
            {},
            tag('t:ItemId', { Id: master.occurrenceId(e.originalStart), ChangeKey: e.changeKey }) +
              textTag('t:Start', utc(e.fields.startMs)) +
              textTag('t:End', utc(e.fields.endMs)) +
              textTag('t:OriginalStart', utc(e.originalStart)),
          ),
        )
        .join(''),
    );
  },
  DeletedOccurrences: (view) => {
    const master = view.master;
    if (master === undefined || master.item.deleted.size === 0) return undefined;
    return tag(
      't:DeletedOccurrences',
      {},
      [...master.item.deleted]
        .sort((a, b) => a - b)
        .map((start) => tag('t:DeletedOccurrence', {}, textTag('t:Start', utc(start))))
        .join(''),
    );
  },
  StartTimeZone: (view) =>
    tag('t:StartTimeZone', { Id: view.fields.startTimeZone, Name: view.fields.startTimeZone }),
  EndTimeZone: (view) => tag('t:EndTimeZone', { Id: view.fields.endTimeZone, Name: view.fields.endTimeZone }),
  ConferenceType: constant('ConferenceType', '0'),
  AllowNewTimeProposal: (view) => textTag('t:AllowNewTimeProposal', bool(view.fields.allowNewTimeProposal)),
  IsOnlineMeeting: constant('IsOnlineMeeting', 'false'),
  StartTimeZoneId: (view) => textTag('t:StartTimeZoneId', view.fields.startTimeZone),
  EndTimeZoneId: (view) => textTag('t:EndTimeZoneId', view.fields.endTimeZone),
};

/** `<t:CalendarItem>` with the properties `shape` asks for. */
export function calendarItemXml(view: ItemView, shape: Shape, operation: 'GetItem' | 'FindItem'): string {
  const find = operation === 'FindItem';
  const wanted = new Set<CalendarItemElement>(
    shape.base === 'IdOnly' ? ['ItemId'] : shape.base === 'Default' ? defaultShape : allProperties,
  );
  wanted.add('ItemId');
  for (const path of shape.additional) if (path.kind === 'field') wanted.add(path.element);
  const extendedWanted = shape.additional.filter((p) => p.kind === 'extended');
  const parts: string[] = [];
  for (const element of calendarItemOrder) {
    if (element === 'ExtendedProperty') {
      for (const path of extendedWanted) {
        const value = view.fields.extended.find((e) => e.key === path.key);
        if (value !== undefined) parts.push(extendedXml(value, path.uri));
      }
      continue;
    }
    if (!wanted.has(element) || (find && notInFind.has(element))) continue;
    const xml = writers[element]?.(view, shape, find);
    if (xml !== undefined) parts.push(xml);
  }
  return tag('t:CalendarItem', {}, parts.join(''));
}
