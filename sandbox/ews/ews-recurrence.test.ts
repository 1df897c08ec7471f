// Recurring series through raw EWS: CalendarView expanding a weekly series across the end of
// daylight saving time in W. Europe Standard Time (09:00 stays 09:00 local), occurrences
// changed by their ItemId and deleted by OccurrenceItemId/InstanceIndex, the master's view of
// them, kept when the series is written unchanged and dropped when its time changes, and what
// Exchange refuses about views and patterns.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  calendarItem,
  createItem,
  envelope,
  ewsClients,
  responseMessages,
  soapFault,
  type EwsClients,
} from './ews-test-clients.ts';
import { startEwsSandbox, type EwsSandbox } from './index.ts';

const mailbox = 'rep@corp.example';
const credentials = { username: 'svc-sync@corp.example', password: 'Correct-Horse-1' };

type Item = Record<string, unknown> & { ItemId: { '@Id': string; '@ChangeKey': string } };

const weekly = (days: string, count: number, start: string) =>
  `<t:Recurrence><t:WeeklyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>${days}</t:DaysOfWeek><t:FirstDayOfWeek>Monday</t:FirstDayOfWeek></t:WeeklyRecurrence><t:NumberedRecurrence><t:StartDate>${start}</t:StartDate><t:NumberOfOccurrences>${count}</t:NumberOfOccurrences></t:NumberedRecurrence></t:Recurrence>`;

describe('EWS sandbox recurring series', () => {
  let sandbox: EwsSandbox;
  let clients: EwsClients;
  let masterId = '';
  const call = (body: string) => clients.basic(envelope(body, { impersonate: mailbox }), credentials);
  const calendarView = async (start: string, end: string, extra = '', max = '') => {
    const answer = await call(
      `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="item:Subject"/><t:FieldURI FieldURI="calendar:Start"/><t:FieldURI FieldURI="calendar:End"/><t:FieldURI FieldURI="calendar:OriginalStart"/><t:FieldURI FieldURI="calendar:CalendarItemType"/></t:AdditionalProperties></m:ItemShape>` +
        `<m:CalendarView${max} StartDate="${start}" EndDate="${end}"/>${extra}<m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds></m:FindItem>`,
    );
    return responseMessages(answer, 'FindItem')[0]!;
  };
  const items = (message: Record<string, unknown>) =>
    (message['RootFolder'] as { Items: { CalendarItem?: Item[] } }).Items.CalendarItem ?? [];
  const getItem = async (ids: string, shape = 'AllProperties') =>
    responseMessages(
      await call(
        `<m:GetItem><m:ItemShape><t:BaseShape>${shape}</t:BaseShape></m:ItemShape><m:ItemIds>${ids}</m:ItemIds></m:GetItem>`,
      ),
      'GetItem',
    )[0]!;

  beforeAll(async () => {
    sandbox = await startEwsSandbox();
    sandbox.addAccount(credentials);
    sandbox.grantImpersonation(credentials.username);
    sandbox.addMailbox(mailbox, 'Rep');
    clients = ewsClients(sandbox);
    const created = responseMessages(
      await call(
        createItem(
          calendarItem({
            subject: 'Weekly sync',
            start: '2026-10-12T09:00:00',
            end: '2026-10-12T09:30:00',
            zone: 'W. Europe Standard Time',
            recurrence: weekly('Monday', 4, '2026-10-12'),
          }),
        ),
      ),
      'CreateItem',
    )[0]!;
    masterId = (created['Items'] as { CalendarItem: Item[] }).CalendarItem[0]!.ItemId['@Id'];
  });
  afterAll(async () => {
    await clients.close();
    await sandbox.close();
  });

  it('expands a weekly series across the end of DST at 09:00 local time, each occurrence with its own id', async () => {
    const occurrences = items(await calendarView('2026-10-01T00:00:00Z', '2026-11-30T00:00:00Z'));
    expect(occurrences.map((o) => [o['Start'], o['OriginalStart'], o['CalendarItemType']])).toEqual([
      ['2026-10-12T07:00:00Z', '2026-10-12T07:00:00Z', 'Occurrence'],
      ['2026-10-19T07:00:00Z', '2026-10-19T07:00:00Z', 'Occurrence'],
      // Clocks go back on 25 October: 09:00 CET is 08:00 UTC.
      ['2026-10-26T08:00:00Z', '2026-10-26T08:00:00Z', 'Occurrence'],
      ['2026-11-02T08:00:00Z', '2026-11-02T08:00:00Z', 'Occurrence'],
    ]);
    expect(new Set(occurrences.map((o) => o.ItemId['@Id'])).size).toBe(4);
    expect(occurrences.map((o) => o.ItemId['@Id'])).not.toContain(masterId);
    const limited = await calendarView(
      '2026-10-01T00:00:00Z',
      '2026-11-30T00:00:00Z',
      '',
      ' MaxEntriesReturned="2"',
    );
    expect(limited['RootFolder']).toMatchObject({
      '@TotalItemsInView': '4',
      '@IncludesLastItemInRange': 'false',
    });
    expect(items(limited)).toHaveLength(2);
  });

  it('makes an exception of an occurrence changed by its ItemId, and deletes one named by InstanceIndex', async () => {
    const [, second] = items(await calendarView('2026-10-01T00:00:00Z', '2026-11-30T00:00:00Z'));
    const moved = responseMessages(
      await call(
        `<m:UpdateItem ConflictResolution="NeverOverwrite" SendMeetingInvitationsOrCancellations="SendToNone"><m:ItemChanges><t:ItemChange><t:ItemId Id="${second!.ItemId['@Id']}" ChangeKey="${second!.ItemId['@ChangeKey']}"/><t:Updates>` +
          `<t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:CalendarItem><t:Subject>Weekly sync (moved)</t:Subject></t:CalendarItem></t:SetItemField>` +
          `<t:SetItemField><t:FieldURI FieldURI="calendar:Start"/><t:CalendarItem><t:Start>2026-10-19T10:00:00Z</t:Start></t:CalendarItem></t:SetItemField>` +
          `<t:SetItemField><t:FieldURI FieldURI="calendar:End"/><t:CalendarItem><t:End>2026-10-19T10:30:00Z</t:End></t:CalendarItem></t:SetItemField>` +
          `</t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
      ),
      'UpdateItem',
    )[0]!;
    expect(moved).toMatchObject({ '@ResponseClass': 'Success' });
    const deleted = responseMessages(
      await call(
        `<m:DeleteItem DeleteType="HardDelete" SendMeetingCancellations="SendToNone"><m:ItemIds><t:OccurrenceItemId RecurringMasterId="${masterId}" InstanceIndex="3"/></m:ItemIds></m:DeleteItem>`,
      ),
      'DeleteItem',
    )[0]!;
    expect(deleted).toMatchObject({ ResponseCode: 'NoError' });

    const view = items(await calendarView('2026-10-01T00:00:00Z', '2026-11-30T00:00:00Z'));
    expect(view.map((o) => [o['Subject'], o['Start'], o['OriginalStart'], o['CalendarItemType']])).toEqual([
      ['Weekly sync', '2026-10-12T07:00:00Z', '2026-10-12T07:00:00Z', 'Occurrence'],
      ['Weekly sync (moved)', '2026-10-19T10:00:00Z', '2026-10-19T07:00:00Z', 'Exception'],
      ['Weekly sync', '2026-11-02T08:00:00Z', '2026-11-02T08:00:00Z', 'Occurrence'],
    ]);
    expect(sandbox.items(mailbox)[0]).toMatchObject({
      CalendarItemType: 'RecurringMaster',
      Recurrence: {
        WeeklyRecurrence: { Interval: 1, DaysOfWeek: 'Monday' },
        NumberedRecurrence: { StartDate: '2026-10-12', NumberOfOccurrences: 4 },
      },
      ModifiedOccurrences: [
        {
          OriginalStart: '2026-10-19T07:00:00Z',
          Start: '2026-10-19T10:00:00Z',
          Subject: 'Weekly sync (moved)',
        },
      ],
      DeletedOccurrences: [{ OriginalStart: '2026-10-26T08:00:00Z' }],
    });
    const master = (await getItem(`<t:ItemId Id="${masterId}"/>`))['Items'] as {
      CalendarItem: Record<string, unknown>[];
    };
    expect(master.CalendarItem[0]).toMatchObject({
      CalendarItemType: 'RecurringMaster',
      ModifiedOccurrences: { Occurrence: [{ OriginalStart: '2026-10-19T07:00:00Z' }] },
      DeletedOccurrences: { DeletedOccurrence: [{ Start: '2026-10-26T08:00:00Z' }] },
    });
    expect(
      await getItem(`<t:OccurrenceItemId RecurringMasterId="${masterId}" InstanceIndex="3"/>`),
    ).toMatchObject({ ResponseCode: 'ErrorCalendarOccurrenceIsDeletedFromRecurrence' });
    expect(
      await getItem(`<t:OccurrenceItemId RecurringMasterId="${masterId}" InstanceIndex="9"/>`),
    ).toMatchObject({ ResponseCode: 'ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange' });
    const fourth = (await getItem(`<t:OccurrenceItemId RecurringMasterId="${masterId}" InstanceIndex="4"/>`))[
      'Items'
    ] as { CalendarItem: Record<string, unknown>[] };
    expect(fourth.CalendarItem[0]).toMatchObject({
      CalendarItemType: 'Occurrence',
      Start: '2026-11-02T08:00:00Z',
    });
  });

  it('keeps the exceptions when the series is written with the times, zones and pattern it has', async () => {
    const master = (await getItem(`<t:ItemId Id="${masterId}"/>`, 'IdOnly'))['Items'] as {
      CalendarItem: Item[];
    };
    const set = (uri: string, element: string) =>
      `<t:SetItemField><t:FieldURI FieldURI="${uri}"/><t:CalendarItem>${element}</t:CalendarItem></t:SetItemField>`;
    const renamed = responseMessages(
      await call(
        `<m:UpdateItem ConflictResolution="AlwaysOverwrite" SendMeetingInvitationsOrCancellations="SendToNone"><m:ItemChanges><t:ItemChange><t:ItemId Id="${masterId}" ChangeKey="${master.CalendarItem[0]!.ItemId['@ChangeKey']}"/><t:Updates>` +
          set('calendar:StartTimeZone', '<t:StartTimeZone Id="W. Europe Standard Time"/>') +
          set('item:Subject', '<t:Subject>Weekly review</t:Subject>') +
          set('calendar:Start', '<t:Start>2026-10-12T07:00:00Z</t:Start>') +
          set('calendar:End', '<t:End>2026-10-12T07:30:00Z</t:End>') +
          set('calendar:IsAllDayEvent', '<t:IsAllDayEvent>false</t:IsAllDayEvent>') +
          set('calendar:Recurrence', weekly('Monday', 4, '2026-10-12')) +
          `</t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
      ),
      'UpdateItem',
    )[0]!;
    expect(renamed).toMatchObject({ '@ResponseClass': 'Success' });
    expect(sandbox.items(mailbox)[0]).toMatchObject({
      Subject: 'Weekly review',
      ModifiedOccurrences: [{ OriginalStart: '2026-10-19T07:00:00Z', Subject: 'Weekly sync (moved)' }],
      DeletedOccurrences: [{ OriginalStart: '2026-10-26T08:00:00Z' }],
    });
    const view = items(await calendarView('2026-10-01T00:00:00Z', '2026-11-30T00:00:00Z'));
    expect(view.map((o) => [o['Subject'], o['Start']])).toEqual([
      ['Weekly review', '2026-10-12T07:00:00Z'],
      ['Weekly sync (moved)', '2026-10-19T10:00:00Z'],
      ['Weekly review', '2026-11-02T08:00:00Z'],
    ]);
  });

  it('refuses a CalendarView with a Restriction, over two years, or on a series it cannot make', async () => {
    const restricted = await calendarView(
      '2026-10-01T00:00:00Z',
      '2026-11-30T00:00:00Z',
      `<m:Restriction><t:Exists><t:FieldURI FieldURI="item:Subject"/></t:Exists></m:Restriction>`,
    );
    expect(restricted).toMatchObject({ '@ResponseClass': 'Error', ResponseCode: 'ErrorInvalidRequest' });
    expect(await calendarView('2026-01-01T00:00:00Z', '2028-06-01T00:00:00Z')).toMatchObject({
      ResponseCode: 'ErrorCalendarViewRangeTooBig',
    });
    const weekday = responseMessages(
      await call(
        createItem(
          calendarItem({
            start: '2026-10-12T09:00:00Z',
            end: '2026-10-12T10:00:00Z',
            recurrence: weekly('Weekday', 3, '2026-10-12'),
          }),
        ),
      ),
      'CreateItem',
    )[0];
    expect(weekday).toMatchObject({ ResponseCode: 'ErrorCalendarInvalidDayForWeeklyRecurrence' });
    const wrongOrder = await call(
      createItem(
        calendarItem({
          start: '2026-10-12T09:00:00Z',
          end: '2026-10-12T10:00:00Z',
          recurrence: `<t:Recurrence><t:NoEndRecurrence><t:StartDate>2026-10-12</t:StartDate></t:NoEndRecurrence><t:DailyRecurrence><t:Interval>1</t:Interval></t:DailyRecurrence></t:Recurrence>`,
        }),
      ),
    );
    expect(soapFault(wrongOrder).code).toBe('ErrorSchemaValidation');
  });

  it('puts day 31 of every month on the last day of shorter months, and drops exceptions when the series time changes', async () => {
    const monthly = responseMessages(
      await call(
        createItem(
          calendarItem({
            subject: 'Month end',
            start: '2027-01-31T16:00:00',
            end: '2027-01-31T17:00:00',
            zone: 'Eastern Standard Time',
            recurrence: `<t:Recurrence><t:AbsoluteMonthlyRecurrence><t:Interval>1</t:Interval><t:DayOfMonth>31</t:DayOfMonth></t:AbsoluteMonthlyRecurrence><t:EndDateRecurrence><t:StartDate>2027-01-01</t:StartDate><t:EndDate>2027-04-30</t:EndDate></t:EndDateRecurrence></t:Recurrence>`,
          }),
        ),
      ),
      'CreateItem',
    )[0]!;
    expect(monthly).toMatchObject({ '@ResponseClass': 'Success' });
    const view = items(await calendarView('2027-01-01T00:00:00Z', '2027-05-01T00:00:00Z'));
    expect(view.map((o) => o['Start'])).toEqual([
      '2027-01-31T21:00:00Z',
      '2027-02-28T21:00:00Z',
      '2027-03-31T20:00:00Z',
      '2027-04-30T20:00:00Z',
    ]);

    const master = (await getItem(`<t:ItemId Id="${masterId}"/>`, 'IdOnly'))['Items'] as {
      CalendarItem: Item[];
    };
    const changed = responseMessages(
      await call(
        `<m:UpdateItem ConflictResolution="AlwaysOverwrite" SendMeetingInvitationsOrCancellations="SendToNone"><m:ItemChanges><t:ItemChange><t:ItemId Id="${masterId}" ChangeKey="${master.CalendarItem[0]!.ItemId['@ChangeKey']}"/><t:Updates>` +
          `<t:SetItemField><t:FieldURI FieldURI="calendar:Start"/><t:CalendarItem><t:Start>2026-10-12T13:00:00+02:00</t:Start></t:CalendarItem></t:SetItemField>` +
          `<t:SetItemField><t:FieldURI FieldURI="calendar:End"/><t:CalendarItem><t:End>2026-10-12T13:30:00+02:00</t:End></t:CalendarItem></t:SetItemField>` +
          `</t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
      ),
      'UpdateItem',
    )[0];
    expect(changed).toMatchObject({ '@ResponseClass': 'Success' });
    expect(sandbox.items(mailbox)[0]).toMatchObject({
      Start: '2026-10-12T11:00:00Z',
      ModifiedOccurrences: [],
      DeletedOccurrences: [],
    });
    const afterDst = items(await calendarView('2026-11-01T00:00:00Z', '2026-11-03T00:00:00Z'));
    expect(afterDst.map((o) => o['Start'])).toEqual(['2026-11-02T12:00:00Z']);
  });
});
