import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { CalendarItem, Recurrence } from '../../domain/calendar-item.ts';
import { localDateTime } from '../../domain/time-zones.ts';
import { ewsRecurrence, whyExchangeCannotRepeat } from './ews-recurrence.ts';
import { child, children, parseXml, text, attribute, type XmlNode } from './ews-xml.ts';
import { maxReminderMinutes } from './ews-capabilities.ts';
import { toEwsItem, toEwsOccurrenceUpdates, toEwsUpdates, whyEwsCannotWrite } from './to-ews-item.ts';

const item: CalendarItem = {
  salesforceEventId: '00U5g0000000001EAA',
  subject: 'Review',
  body: 'Notes',
  location: 'Room 4',
  timing: {
    kind: 'timed',
    start: Date.UTC(2026, 10, 25, 8),
    end: Date.UTC(2026, 10, 25, 9),
    timeZone: 'Europe/Berlin',
  },
  showAs: 'busy',
  sensitivity: 'private',
  reminderMinutesBeforeStart: 15,
  attendees: [
    { email: 'boss@acme.example', name: 'Big Boss', type: 'required' },
    { email: 'cc@acme.example', name: null, type: 'optional' },
  ],
  recurrence: null,
};

const weekly: Recurrence = {
  frequency: 'weekly',
  interval: 1,
  byDay: ['WE', 'MO'],
  byMonthDay: null,
  byMonth: null,
  setPosition: null,
  weekStart: 'SU',
  startDate: '2026-11-23',
  end: { kind: 'count', count: 10 },
  timeZone: 'Europe/Berlin',
};

/** The `t:CalendarItem` a create carries, parsed (a strict check that it is well-formed first). */
function calendarItem(xml: string): XmlNode {
  const wrapped = `<r xmlns:t="urn:t">${xml}</r>`;
  expect(XMLValidator.validate(wrapped)).toBe(true);
  const node = child(child(parseXml(wrapped), 'r'), 'CalendarItem');
  if (node === undefined) throw new Error('no CalendarItem');
  return node;
}

/** The CalendarItem's child element names, in document order. */
function elementNames(xml: string): string[] {
  const ordered = new XMLParser({ preserveOrder: true, removeNSPrefix: true }).parse(xml) as Record<
    string,
    unknown
  >[];
  const item = ordered[0]?.['CalendarItem'] as Record<string, unknown>[];
  return item.map((element) => Object.keys(element)[0] ?? '');
}

/** CalendarItemType's sequence in types.xsd (ItemType's elements, then its own), as far as it matters here. */
const schemaOrder = [
  'MimeContent', 'ItemId', 'ParentFolderId', 'ItemClass', 'Subject', 'Sensitivity', 'Body', 'Attachments',
  'DateTimeReceived', 'Size', 'Categories', 'Importance', 'InReplyTo', 'IsSubmitted', 'IsDraft', 'IsFromMe',
  'IsResend', 'IsUnmodified', 'InternetMessageHeaders', 'DateTimeSent', 'DateTimeCreated', 'ResponseObjects',
  'ReminderDueBy', 'ReminderIsSet', 'ReminderNextTime', 'ReminderMinutesBeforeStart', 'DisplayCc', 'DisplayTo',
  'DisplayBcc', 'HasAttachments', 'ExtendedProperty', 'Culture', 'EffectiveRights', 'LastModifiedName',
  'LastModifiedTime', 'IsAssociated', 'WebClientReadFormQueryString', 'WebClientEditFormQueryString',
  'ConversationId', 'UniqueBody', 'UID', 'RecurrenceId', 'DateTimeStamp', 'Start', 'End', 'OriginalStart',
  'IsAllDayEvent', 'LegacyFreeBusyStatus', 'Location', 'When', 'IsMeeting', 'IsCancelled', 'IsRecurring',
  'MeetingRequestWasSent', 'IsResponseRequested', 'CalendarItemType', 'MyResponseType', 'Organizer',
  'RequiredAttendees', 'OptionalAttendees', 'Resources', 'ConflictingMeetingCount', 'AdjacentMeetingCount',
  'ConflictingMeetings', 'AdjacentMeetings', 'Duration', 'TimeZone', 'AppointmentReplyTime',
  'AppointmentSequenceNumber', 'AppointmentState', 'Recurrence', 'FirstOccurrence', 'LastOccurrence',
  'ModifiedOccurrences', 'DeletedOccurrences', 'MeetingTimeZone', 'StartTimeZone', 'EndTimeZone',
]; // prettier-ignore

describe('toEwsItem', () => {
  it("writes the fields in types.xsd's order for t:CalendarItem", () => {
    const names = elementNames(toEwsItem({ ...item, recurrence: weekly }));
    expect(names).toEqual([
      'Subject', 'Sensitivity', 'Body', 'ReminderIsSet', 'ReminderMinutesBeforeStart', 'ExtendedProperty',
      'Start', 'End', 'IsAllDayEvent', 'LegacyFreeBusyStatus', 'Location', 'RequiredAttendees',
      'OptionalAttendees', 'Recurrence', 'StartTimeZone', 'EndTimeZone',
    ]); // prettier-ignore
    const positions = names.map((name) => schemaOrder.indexOf(name));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  });

  it('writes every field, times as UTC instants in the Windows zone, stamped with the Salesforce id', () => {
    const written = calendarItem(toEwsItem(item));
    expect(text(written, 'Subject')).toBe('Review');
    expect(text(written, 'Sensitivity')).toBe('Private');
    expect(attribute(child(written, 'Body'), 'BodyType')).toBe('Text');
    expect(text(written, 'Body')).toBe('Notes');
    expect(text(written, 'ReminderIsSet')).toBe('true');
    expect(text(written, 'ReminderMinutesBeforeStart')).toBe('15');
    const stamp = child(written, 'ExtendedProperty');
    expect(child(stamp, 'ExtendedFieldURI')).toEqual({
      '@PropertySetId': '5f3c4a8e-2b71-4c0e-9d6a-7e1b2c3d4f50',
      '@PropertyName': 'SalesforceEventId',
      '@PropertyType': 'String',
    });
    expect(text(stamp, 'Value')).toBe('00U5g0000000001EAA');
    expect(text(written, 'Start')).toBe('2026-11-25T08:00:00Z');
    expect(text(written, 'End')).toBe('2026-11-25T09:00:00Z');
    expect(text(written, 'IsAllDayEvent')).toBe('false');
    expect(text(written, 'LegacyFreeBusyStatus')).toBe('Busy');
    expect(text(written, 'Location')).toBe('Room 4');
    const required = children(child(written, 'RequiredAttendees'), 'Attendee').map((a) =>
      child(a, 'Mailbox'),
    );
    expect(required.map((m) => [text(m, 'Name'), text(m, 'EmailAddress')])).toEqual([
      ['Big Boss', 'boss@acme.example'],
    ]);
    const optional = children(child(written, 'OptionalAttendees'), 'Attendee').map((a) =>
      child(a, 'Mailbox'),
    );
    expect(optional.map((m) => [text(m, 'Name'), text(m, 'EmailAddress')])).toEqual([
      [undefined, 'cc@acme.example'],
    ]);
    expect(attribute(child(written, 'StartTimeZone'), 'Id')).toBe('W. Europe Standard Time');
    expect(attribute(child(written, 'EndTimeZone'), 'Id')).toBe('W. Europe Standard Time');
    expect(child(written, 'Recurrence')).toBeUndefined();
  });

  it('maps show-as, sensitivity and reminders, leaving out what the item has not', () => {
    const values = {
      free: 'Free',
      tentative: 'Tentative',
      busy: 'Busy',
      oof: 'OOF',
      workingElsewhere: 'WorkingElsewhere',
    };
    for (const [showAs, legacy] of Object.entries(values)) {
      const written = calendarItem(toEwsItem({ ...item, showAs: showAs as CalendarItem['showAs'] }));
      expect(text(written, 'LegacyFreeBusyStatus')).toBe(legacy);
    }
    const bare = calendarItem(
      toEwsItem({
        ...item,
        sensitivity: 'normal',
        reminderMinutesBeforeStart: null,
        location: null,
        attendees: [],
      }),
    );
    expect(text(bare, 'Sensitivity')).toBe('Normal');
    expect(text(bare, 'ReminderIsSet')).toBe('false');
    expect(child(bare, 'ReminderMinutesBeforeStart')).toBeUndefined();
    expect(child(bare, 'Location')).toBeUndefined();
    expect(child(bare, 'RequiredAttendees')).toBeUndefined();
    expect(child(bare, 'OptionalAttendees')).toBeUndefined();
    const far = calendarItem(toEwsItem({ ...item, reminderMinutesBeforeStart: 10_000_000 }));
    expect(text(far, 'ReminderMinutesBeforeStart')).toBe(String(maxReminderMinutes));
  });

  it('keeps the instants exact across DST, and writes a series in its own zone', () => {
    // New York changed to daylight time on 8 March 2026: 09:00 is 14:00Z before, 13:00Z after.
    const ny = (day: number) => ({
      kind: 'timed' as const,
      start: Date.UTC(2026, 2, day, day < 8 ? 14 : 13),
      end: Date.UTC(2026, 2, day, day < 8 ? 15 : 14),
      timeZone: 'America/New_York',
    });
    expect(text(calendarItem(toEwsItem({ ...item, timing: ny(6) })), 'Start')).toBe('2026-03-06T14:00:00Z');
    expect(text(calendarItem(toEwsItem({ ...item, timing: ny(9) })), 'Start')).toBe('2026-03-09T13:00:00Z');
    const series = calendarItem(
      toEwsItem({
        ...item,
        timing: ny(6),
        recurrence: { ...weekly, byDay: ['FR'], startDate: '2026-03-06', timeZone: 'America/New_York' },
      }),
    );
    expect(attribute(child(series, 'StartTimeZone'), 'Id')).toBe('Eastern Standard Time');
    expect(text(child(child(series, 'Recurrence'), 'NumberedRecurrence'), 'StartDate')).toBe('2026-03-06');
  });

  it('writes an all-day item from midnight to midnight in the owner zone, its dates never shifted', () => {
    for (const timeZone of [
      'America/New_York',
      'Pacific/Kiritimati',
      'Pacific/Pago_Pago',
      'Asia/Kolkata',
      'Europe/London',
    ]) {
      // 8–9 March spans New York's change to daylight time: the end is a 23-hour day later.
      const written = calendarItem(
        toEwsItem({
          ...item,
          timing: { kind: 'all-day', startDate: '2026-03-08', endDate: '2026-03-10', timeZone },
        }),
      );
      expect(text(written, 'IsAllDayEvent')).toBe('true');
      expect(localDateTime(Date.parse(text(written, 'Start') ?? ''), timeZone)).toBe('2026-03-08T00:00:00');
      expect(localDateTime(Date.parse(text(written, 'End') ?? ''), timeZone)).toBe('2026-03-10T00:00:00');
    }
    const ny = calendarItem(
      toEwsItem({
        ...item,
        timing: {
          kind: 'all-day',
          startDate: '2026-03-08',
          endDate: '2026-03-09',
          timeZone: 'America/New_York',
        },
      }),
    );
    expect([text(ny, 'Start'), text(ny, 'End')]).toEqual(['2026-03-08T05:00:00Z', '2026-03-09T04:00:00Z']);
  });

  it('starts an all-day item where a DST change swallows midnight at the first hour of that day', () => {
    // Chile moves its clocks from 00:00 to 01:00 on the first Sunday of September.
    const written = calendarItem(
      toEwsItem({
        ...item,
        timing: {
          kind: 'all-day',
          startDate: '2026-09-06',
          endDate: '2026-09-07',
          timeZone: 'America/Santiago',
        },
      }),
    );
    expect(localDateTime(Date.parse(text(written, 'Start') ?? ''), 'America/Santiago')).toBe(
      '2026-09-06T01:00:00',
    );
    expect(localDateTime(Date.parse(text(written, 'End') ?? ''), 'America/Santiago')).toBe(
      '2026-09-07T00:00:00',
    );
  });

  it('escapes <&>"\' and drops what XML cannot hold, so the text reads back as written', () => {
    const subject = `a<b & "c" 'd' >e]]>\u0001\u000Bf\uD800`;
    const body = 'line 1\r\nline 2\ttab\u0000\u001F\uFFFE — ünïcode 🗓';
    const xml = toEwsItem({
      ...item,
      subject,
      body,
      location: '<Room & "4">',
      attendees: [{ email: "o'neil@x.example", name: 'A & B <x>', type: 'required' }],
    });
    const written = calendarItem(xml);
    expect(text(written, 'Subject')).toBe(`a<b & "c" 'd' >e]]>\nf\uFFFD`);
    expect(text(written, 'Body')).toBe('line 1\r\nline 2\ttab — ünïcode 🗓');
    expect(text(written, 'Location')).toBe('<Room & "4">');
    const mailbox = child(child(child(written, 'RequiredAttendees'), 'Attendee'), 'Mailbox');
    expect([text(mailbox, 'Name'), text(mailbox, 'EmailAddress')]).toEqual(['A & B <x>', "o'neil@x.example"]);
    const controls = [...xml].filter((c) => c < ' ' && c !== '\t' && c !== '\n');
    expect(controls).toEqual([]);
  });

  it('writes a single timed item in a zone with no Windows name in UTC, and refuses a series or all-day item there', () => {
    // Troll moves from UTC to UTC+2 at the end of March; no Windows zone does.
    const troll: CalendarItem['timing'] = { ...item.timing, timeZone: 'Antarctica/Troll' };
    expect(whyEwsCannotWrite({ ...item, timing: troll })).toBeUndefined();
    const written = calendarItem(toEwsItem({ ...item, timing: troll }));
    expect(attribute(child(written, 'StartTimeZone'), 'Id')).toBe('UTC');
    expect(text(written, 'Start')).toBe('2026-11-25T08:00:00Z');
    const allDay = {
      kind: 'all-day' as const,
      startDate: '2026-03-01',
      endDate: '2026-04-10',
      timeZone: 'Antarctica/Troll',
    };
    expect(whyEwsCannotWrite({ ...item, timing: allDay })).toMatch(/Antarctica\/Troll.*Windows time zone/);
    const series = {
      ...item,
      timing: troll,
      recurrence: { ...weekly, timeZone: 'Antarctica/Troll', startDate: '2026-03-02' },
    };
    expect(whyEwsCannotWrite(series)).toMatch(/Antarctica\/Troll/);
  });
});

describe('toEwsUpdates', () => {
  const operations = (xml: string) =>
    [
      ...xml.matchAll(
        /<t:(SetItemField|DeleteItemField)><t:(?:FieldURI FieldURI="([^"]+)"|ExtendedFieldURI[^>]*PropertyName="(\w+)")/g,
      ),
    ].map((m) => `${m[1] === 'SetItemField' ? 'set' : 'delete'} ${m[2] ?? m[3]}`);

  it('sets the zones first, then every field in order, and deletes what the item no longer has', () => {
    expect(operations(toEwsUpdates({ ...item, location: null, attendees: [] }))).toEqual([
      'set calendar:StartTimeZone', 'set calendar:EndTimeZone', 'set item:Subject', 'set item:Sensitivity',
      'set item:Body', 'set item:ReminderIsSet', 'set item:ReminderMinutesBeforeStart', 'set SalesforceEventId',
      'set calendar:Start', 'set calendar:End', 'set calendar:IsAllDayEvent', 'set calendar:LegacyFreeBusyStatus',
      'delete calendar:Location', 'delete calendar:RequiredAttendees', 'delete calendar:OptionalAttendees',
      'delete calendar:Recurrence',
    ]); // prettier-ignore
    const withSeries = toEwsUpdates({ ...item, recurrence: weekly });
    expect(operations(withSeries)).toContain('set calendar:Recurrence');
    expect(withSeries).toContain(
      '<t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:CalendarItem><t:Subject>Review</t:Subject></t:CalendarItem></t:SetItemField>',
    );
  });

  it("leaves a series' times, zones and pattern out when they did not change (keepSeriesTiming)", () => {
    expect(operations(toEwsUpdates({ ...item, recurrence: weekly }, true))).toEqual([
      'set item:Subject', 'set item:Sensitivity', 'set item:Body', 'set item:ReminderIsSet',
      'set item:ReminderMinutesBeforeStart', 'set SalesforceEventId', 'set calendar:LegacyFreeBusyStatus',
      'set calendar:Location', 'set calendar:RequiredAttendees', 'set calendar:OptionalAttendees',
    ]); // prettier-ignore
    // A single item has no pattern to keep: written in full.
    expect(operations(toEwsUpdates(item, true))).toContain('set calendar:Start');
  });

  it("changes an occurrence's own fields only: no zones, attendees, pattern or Salesforce id", () => {
    expect(operations(toEwsOccurrenceUpdates({ ...item, recurrence: weekly }))).toEqual([
      'set item:Subject', 'set item:Sensitivity', 'set item:Body', 'set item:ReminderIsSet',
      'set item:ReminderMinutesBeforeStart', 'set calendar:Start', 'set calendar:End', 'set calendar:IsAllDayEvent',
      'set calendar:LegacyFreeBusyStatus', 'set calendar:Location',
    ]); // prettier-ignore
  });
});

describe('ewsRecurrence', () => {
  const pattern = (changes: Partial<Recurrence>) => ewsRecurrence({ ...weekly, ...changes });

  it('writes each frequency as its EWS pattern, then the range from the first date', () => {
    expect(pattern({})).toBe(
      '<t:Recurrence><t:WeeklyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Monday Wednesday</t:DaysOfWeek>' +
        '<t:FirstDayOfWeek>Sunday</t:FirstDayOfWeek></t:WeeklyRecurrence>' +
        '<t:NumberedRecurrence><t:StartDate>2026-11-23</t:StartDate><t:NumberOfOccurrences>10</t:NumberOfOccurrences></t:NumberedRecurrence></t:Recurrence>',
    );
    const daily = pattern({ frequency: 'daily', interval: 3, byDay: [], end: { kind: 'never' } });
    expect(daily).toBe(
      '<t:Recurrence><t:DailyRecurrence><t:Interval>3</t:Interval></t:DailyRecurrence>' +
        '<t:NoEndRecurrence><t:StartDate>2026-11-23</t:StartDate></t:NoEndRecurrence></t:Recurrence>',
    );
    expect(pattern({ frequency: 'daily', byDay: ['MO', 'FR'] })).toContain(
      '<t:WeeklyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Monday Friday</t:DaysOfWeek>',
    );
    expect(
      pattern({
        frequency: 'monthly',
        interval: 2,
        byDay: [],
        byMonthDay: 15,
        end: { kind: 'until', date: '2027-06-30' },
      }),
    ).toBe(
      '<t:Recurrence><t:AbsoluteMonthlyRecurrence><t:Interval>2</t:Interval><t:DayOfMonth>15</t:DayOfMonth></t:AbsoluteMonthlyRecurrence>' +
        '<t:EndDateRecurrence><t:StartDate>2026-11-23</t:StartDate><t:EndDate>2027-06-30</t:EndDate></t:EndDateRecurrence></t:Recurrence>',
    );
    expect(pattern({ frequency: 'monthly', byDay: ['FR'], setPosition: -1 })).toContain(
      '<t:RelativeMonthlyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Friday</t:DaysOfWeek><t:DayOfWeekIndex>Last</t:DayOfWeekIndex></t:RelativeMonthlyRecurrence>',
    );
    expect(
      pattern({ frequency: 'monthly', byDay: ['MO', 'TU', 'WE', 'TH', 'FR'], setPosition: 1 }),
    ).toContain('<t:DaysOfWeek>Weekday</t:DaysOfWeek><t:DayOfWeekIndex>First</t:DayOfWeekIndex>');
    expect(pattern({ frequency: 'monthly', byDay: ['SU', 'SA'], setPosition: 2 })).toContain(
      '<t:DaysOfWeek>WeekendDay</t:DaysOfWeek>',
    );
    expect(pattern({ frequency: 'yearly', byDay: [], byMonthDay: 23, byMonth: 11 })).toContain(
      '<t:AbsoluteYearlyRecurrence><t:DayOfMonth>23</t:DayOfMonth><t:Month>November</t:Month></t:AbsoluteYearlyRecurrence>',
    );
    expect(pattern({ frequency: 'yearly', byDay: ['TH'], setPosition: 4, byMonth: 11 })).toContain(
      '<t:RelativeYearlyRecurrence><t:DaysOfWeek>Thursday</t:DaysOfWeek><t:DayOfWeekIndex>Fourth</t:DayOfWeekIndex><t:Month>November</t:Month></t:RelativeYearlyRecurrence>',
    );
  });

  it('writes every N years as every 12·N months from the first date, which must be in its month', () => {
    expect(pattern({ frequency: 'yearly', interval: 2, byDay: [], byMonthDay: 23, byMonth: 11 })).toContain(
      '<t:AbsoluteMonthlyRecurrence><t:Interval>24</t:Interval><t:DayOfMonth>23</t:DayOfMonth></t:AbsoluteMonthlyRecurrence>',
    );
    expect(
      pattern({ frequency: 'yearly', interval: 8, byDay: ['TH'], setPosition: 4, byMonth: 11 }),
    ).toContain('<t:RelativeMonthlyRecurrence><t:Interval>96</t:Interval>');
    expect(
      whyExchangeCannotRepeat({
        ...weekly,
        frequency: 'yearly',
        interval: 9,
        byDay: [],
        byMonthDay: 23,
        byMonth: 11,
      }),
    ).toMatch(/every 9 years/);
    expect(
      whyExchangeCannotRepeat({
        ...weekly,
        frequency: 'yearly',
        interval: 2,
        byDay: [],
        byMonthDay: 5,
        byMonth: 3,
      }),
    ).toMatch(/does not start in its own month/);
  });

  it('refuses what Exchange would expand differently from Salesforce', () => {
    const monthly31 = {
      ...weekly,
      frequency: 'monthly' as const,
      byDay: [],
      byMonthDay: 31,
      startDate: '2026-01-31',
    };
    expect(whyExchangeCannotRepeat(monthly31)).toMatch(/day 31 of the month.*last day of shorter months/);
    const leapDay = {
      ...weekly,
      frequency: 'yearly' as const,
      byDay: [],
      byMonthDay: 29,
      byMonth: 2,
      startDate: '2028-02-29',
    };
    expect(whyExchangeCannotRepeat(leapDay)).toMatch(/day 29/);
    // Every 12 months from January on the 31st never meets a shorter month.
    expect(whyExchangeCannotRepeat({ ...monthly31, interval: 12 })).toBeUndefined();
    expect(
      whyExchangeCannotRepeat({ ...weekly, frequency: 'monthly', byDay: ['MO', 'WE'], setPosition: 2 }),
    ).toMatch(/no Exchange pattern/);
    expect(whyExchangeCannotRepeat({ ...weekly, frequency: 'daily', interval: 2, byDay: ['MO'] })).toMatch(
      /no Exchange pattern/,
    );
    expect(whyEwsCannotWrite({ ...item, recurrence: monthly31 })).toMatch(/day 31/);
  });
});
