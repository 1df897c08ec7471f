// CalendarItem → EWS `t:CalendarItem` XML, pure. One list of fields, in the order types.xsd
// fixes for CalendarItemType (Subject, Sensitivity, Body, ReminderIsSet,
// ReminderMinutesBeforeStart, ExtendedProperty, Start, End, IsAllDayEvent, LegacyFreeBusyStatus,
// Location, RequiredAttendees, OptionalAttendees, Recurrence, StartTimeZone, EndTimeZone), makes
// both the item a CreateItem carries and the SetItemField/DeleteItemField list of an UpdateItem,
// so the two never drift. Times are UTC instants; StartTimeZone/EndTimeZone name the owner's zone
// as Windows knows it (Exchange expands a series and places an all-day item in it). Every item
// carries the Salesforce Event id in the same named property the Graph provider writes, so a
// mailbox moved from Exchange Server to Exchange Online keeps its items findable.
import type { CalendarItem, ShowAs } from '../../domain/calendar-item.ts';
import { instantsOf } from '../../domain/time-zones.ts';
import { windowsTimeZone } from '../../lib/windows-time-zones.ts';
import { maxReminderMinutes } from './ews-capabilities.ts';
import { ewsRecurrence, whyExchangeCannotRepeat } from './ews-recurrence.ts';
import { escapeXml, escapeXmlAttribute, typesElement } from './ews-xml.ts';

/** The property set GUID and name of the Salesforce Event id (Graph: `String {guid} Name SalesforceEventId`). */
export const salesforceIdPropertySet = '5f3c4a8e-2b71-4c0e-9d6a-7e1b2c3d4f50';
export const salesforceIdFieldUri = `<t:ExtendedFieldURI PropertySetId="${salesforceIdPropertySet}" PropertyName="SalesforceEventId" PropertyType="String"/>`;

const freeBusy: Record<ShowAs, string> = {
  free: 'Free',
  tentative: 'Tentative',
  busy: 'Busy',
  oof: 'OOF',
  workingElsewhere: 'WorkingElsewhere',
};

const dayMs = 86_400_000;
const fiveYearsMs = 5 * 365 * dayMs;

/** The instants an item's zone must keep time over: the item, or its series up to its end (five years at most). */
function span(item: CalendarItem): { from: number; to: number } {
  const timing = item.timing;
  const from = timing.kind === 'timed' ? timing.start : Date.parse(`${timing.startDate}T00:00:00Z`);
  const to = timing.kind === 'timed' ? timing.end : Date.parse(`${timing.endDate}T00:00:00Z`);
  const recurrence = item.recurrence;
  if (recurrence === null) return { from, to };
  const until = recurrence.end.kind === 'until' ? Date.parse(`${recurrence.end.date}T23:59:59Z`) : Number.NaN;
  return { from, to: Math.min(Number.isNaN(until) ? from + fiveYearsMs : until, from + fiveYearsMs) };
}

/** The IANA zone the item is placed in: its series' zone, else its own. */
const zoneOf = (item: CalendarItem) => item.recurrence?.timeZone ?? item.timing.timeZone;

/**
 * Why Exchange cannot take `item` as Salesforce means it, or undefined when it can: a series
 * pattern Exchange expands differently, or a series or all-day item in a zone no Windows zone
 * keeps time like over its dates (a single timed item is written in UTC there, its instants exact).
 */
export function whyEwsCannotWrite(item: CalendarItem): string | undefined {
  if (item.recurrence !== null) {
    const problem = whyExchangeCannotRepeat(item.recurrence);
    if (problem !== undefined) return problem;
  }
  if (item.timing.kind === 'timed' && item.recurrence === null) return undefined;
  const zone = zoneOf(item);
  if (windowsTimeZone(zone, span(item)) === undefined)
    return `the time zone ${zone} keeps a time no Windows time zone keeps over this Event's dates, and Exchange takes only Windows time zones`;
  return undefined;
}

/** The first instant of `date` in `zone` (midnight, or the end of a DST gap that swallowed it). */
function startOfDay(date: string, zone: string): number {
  for (let minutes = 0; minutes <= 180; minutes += 30) {
    const time = `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}:00`;
    const found = instantsOf(`${date}T${time}`, zone)[0];
    if (found !== undefined) return found;
  }
  return Date.parse(`${date}T00:00:00Z`);
}

const utc = (instant: number) => new Date(instant).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** One writable field: its FieldURI (or ExtendedFieldURI) and its element, or null when the item has none. */
interface Field {
  uri: string;
  element: string | null;
}

const fieldUri = (uri: string) => `<t:FieldURI FieldURI="${uri}"/>`;

function attendees(item: CalendarItem, type: 'required' | 'optional'): string | null {
  const list = item.attendees.filter((a) => a.type === type);
  if (list.length === 0) return null;
  const name = type === 'required' ? 'RequiredAttendees' : 'OptionalAttendees';
  const each = list.map(
    (a) =>
      `<t:Attendee><t:Mailbox>${a.name === null ? '' : typesElement('Name', a.name)}${typesElement('EmailAddress', a.email)}</t:Mailbox></t:Attendee>`,
  );
  return `<t:${name}>${each.join('')}</t:${name}>`;
}

/**
 * The item's times: UTC instants, and the Windows zone they belong to (undefined where none keeps
 * time like the owner's zone: a single timed item is then labelled UTC, its instants exact).
 */
function times(item: CalendarItem): { start: string; end: string; zone: string | undefined } {
  const timing = item.timing;
  const zone = zoneOf(item);
  const windows = windowsTimeZone(zone, span(item));
  if (timing.kind === 'all-day')
    // Midnight to midnight in the owner's zone, the dates never shifted; the end date is exclusive.
    return {
      start: utc(startOfDay(timing.startDate, zone)),
      end: utc(startOfDay(timing.endDate, zone)),
      zone: windows,
    };
  return {
    start: utc(timing.start),
    end: utc(timing.end),
    zone: windows ?? (item.recurrence === null ? 'UTC' : undefined),
  };
}

/** `t:StartTimeZone` or `t:EndTimeZone`; whyEwsCannotWrite said the item has a zone. */
function zoneElement(name: 'StartTimeZone' | 'EndTimeZone', zone: string | undefined): string {
  if (zone === undefined) throw new Error('the item has no Windows time zone');
  return `<t:${name} Id="${escapeXmlAttribute(zone)}"/>`;
}

/** Every field the service writes, in types.xsd order; `series: false` leaves out what an occurrence does not have. */
function fields(item: CalendarItem, series = true): Field[] {
  const when = times(item);
  const reminder = item.reminderMinutesBeforeStart;
  const list: (Field | false)[] = [
    { uri: fieldUri('item:Subject'), element: typesElement('Subject', item.subject) },
    {
      uri: fieldUri('item:Sensitivity'),
      element: typesElement('Sensitivity', item.sensitivity === 'private' ? 'Private' : 'Normal'),
    },
    { uri: fieldUri('item:Body'), element: `<t:Body BodyType="Text">${escapeXml(item.body)}</t:Body>` },
    {
      uri: fieldUri('item:ReminderIsSet'),
      element: `<t:ReminderIsSet>${reminder !== null}</t:ReminderIsSet>`,
    },
    // No reminder: ReminderIsSet false is enough, the minutes are left as they were.
    reminder !== null && {
      uri: fieldUri('item:ReminderMinutesBeforeStart'),
      element: `<t:ReminderMinutesBeforeStart>${Math.min(Math.max(0, Math.round(reminder)), maxReminderMinutes)}</t:ReminderMinutesBeforeStart>`,
    },
    series && {
      uri: salesforceIdFieldUri,
      element: `<t:ExtendedProperty>${salesforceIdFieldUri}${typesElement('Value', item.salesforceEventId)}</t:ExtendedProperty>`,
    },
    { uri: fieldUri('calendar:Start'), element: `<t:Start>${when.start}</t:Start>` },
    { uri: fieldUri('calendar:End'), element: `<t:End>${when.end}</t:End>` },
    {
      uri: fieldUri('calendar:IsAllDayEvent'),
      element: `<t:IsAllDayEvent>${item.timing.kind === 'all-day'}</t:IsAllDayEvent>`,
    },
    {
      uri: fieldUri('calendar:LegacyFreeBusyStatus'),
      element: typesElement('LegacyFreeBusyStatus', freeBusy[item.showAs]),
    },
    {
      uri: fieldUri('calendar:Location'),
      element: item.location === null ? null : typesElement('Location', item.location),
    },
    series && { uri: fieldUri('calendar:RequiredAttendees'), element: attendees(item, 'required') },
    series && { uri: fieldUri('calendar:OptionalAttendees'), element: attendees(item, 'optional') },
    series && {
      uri: fieldUri('calendar:Recurrence'),
      element: item.recurrence === null ? null : ewsRecurrence(item.recurrence),
    },
    series && {
      uri: fieldUri('calendar:StartTimeZone'),
      element: zoneElement('StartTimeZone', when.zone),
    },
    series && {
      uri: fieldUri('calendar:EndTimeZone'),
      element: zoneElement('EndTimeZone', when.zone),
    },
  ];
  return list.filter((field): field is Field => field !== false);
}

/** The `t:CalendarItem` a CreateItem carries; whyEwsCannotWrite said it can be written. */
export function toEwsItem(item: CalendarItem): string {
  const elements = fields(item).flatMap((f) => (f.element === null ? [] : [f.element]));
  return `<t:CalendarItem>${elements.join('')}</t:CalendarItem>`;
}

function updates(list: Field[]): string {
  // Microsoft's own example sets the zones before Start and End: updates apply in order, and a
  // zone set after the times would shift them to keep their wall-clock times.
  const zonesFirst = [
    ...list.filter((f) => f.uri.includes('TimeZone')),
    ...list.filter((f) => !f.uri.includes('TimeZone')),
  ];
  return zonesFirst
    .map((f) =>
      f.element === null
        ? `<t:DeleteItemField>${f.uri}</t:DeleteItemField>`
        : `<t:SetItemField>${f.uri}<t:CalendarItem>${f.element}</t:CalendarItem></t:SetItemField>`,
    )
    .join('');
}

/** What a series' times, zone and pattern are written as (left alone when they did not change). */
const seriesTimingUris = new Set(
  [
    'calendar:Start',
    'calendar:End',
    'calendar:IsAllDayEvent',
    'calendar:Recurrence',
    'calendar:StartTimeZone',
    'calendar:EndTimeZone',
  ].map(fieldUri),
);

/**
 * The `t:Updates` content bringing an existing item in line with `item`: a field the item no
 * longer has is deleted. `keepSeriesTiming`: a series whose times, zone and pattern did not
 * change is updated without them (setting Recurrence may rebuild the series' exceptions).
 */
export function toEwsUpdates(item: CalendarItem, keepSeriesTiming = false): string {
  const all = fields(item);
  return updates(
    keepSeriesTiming && item.recurrence !== null ? all.filter((f) => !seriesTimingUris.has(f.uri)) : all,
  );
}

/**
 * The updates of one occurrence changed on its own: its times and what a Salesforce occurrence
 * can change; never a pattern, zones, attendees (the series' stay) or the Salesforce id (the
 * series carries it).
 */
export function toEwsOccurrenceUpdates(item: CalendarItem): string {
  return updates(fields({ ...item, recurrence: null }, false));
}

/** Whether a write should send meeting messages: only an item with attendees is a meeting. */
export function meetingMessages(item: CalendarItem): 'SendToAllAndSaveCopy' | 'SendToNone' {
  return item.attendees.length > 0 ? 'SendToAllAndSaveCopy' : 'SendToNone';
}
