// Calendar items through raw EWS: CreateItem, GetItem, UpdateItem, DeleteItem and FindItem as
// Exchange answers and refuses them — types.xsd's element order, the Send… attributes calendar
// items require, change keys and conflict resolution, items that are gone, lookups by an
// extended property with paging, time zones and all-day events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  calendarItem,
  createItem,
  envelope,
  ewsClients,
  responseMessages,
  soapFault,
  stampUri,
  type EwsAnswer,
  type EwsClients,
} from './ews-test-clients.ts';
import { startEwsSandbox, type EwsSandbox } from './index.ts';

const mailbox = 'alice@corp.example';
const credentials = { username: 'CORP\\svc-sync', password: 'Correct-Horse-1' };

const itemIdOf = (message: Record<string, unknown>) =>
  (message['Items'] as { CalendarItem: { ItemId: { '@Id': string; '@ChangeKey': string } }[] })
    .CalendarItem[0]!.ItemId;

describe('EWS sandbox calendar items', () => {
  let sandbox: EwsSandbox;
  let clients: EwsClients;
  const call = (body: string, header: { timeZone?: string } = {}) =>
    clients.basic(envelope(body, { impersonate: mailbox, ...header }), credentials);
  const create = async (item: string, send: string | null = 'SendToNone') =>
    responseMessages(await call(createItem(item, send)), 'CreateItem')[0]!;
  const created = async (item: string) => itemIdOf(await create(item));
  const update = (
    id: string,
    changeKey: string | undefined,
    changes: string,
    attributes = 'ConflictResolution="AlwaysOverwrite" SendMeetingInvitationsOrCancellations="SendToNone"',
  ) =>
    call(
      `<m:UpdateItem ${attributes}><m:ItemChanges><t:ItemChange><t:ItemId Id="${id}"${changeKey === undefined ? '' : ` ChangeKey="${changeKey}"`}/><t:Updates>${changes}</t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
    );
  const setField = (uri: string, property: string) =>
    `<t:SetItemField><t:FieldURI FieldURI="${uri}"/><t:CalendarItem>${property}</t:CalendarItem></t:SetItemField>`;
  const remove = (
    id: string,
    attributes = 'DeleteType="MoveToDeletedItems" SendMeetingCancellations="SendToNone"',
  ) => call(`<m:DeleteItem ${attributes}><m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:DeleteItem>`);
  const get = (id: string) =>
    call(
      `<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape><t:AdditionalProperties>${stampUri}</t:AdditionalProperties></m:ItemShape><m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:GetItem>`,
    );
  const first = (answer: EwsAnswer, operation: string) => responseMessages(answer, operation)[0]!;

  beforeAll(async () => {
    sandbox = await startEwsSandbox();
    sandbox.addAccount(credentials);
    sandbox.grantImpersonation(credentials.username);
    sandbox.addMailbox(mailbox, 'Alice Example');
    clients = ewsClients(sandbox);
  });
  afterAll(async () => {
    await clients.close();
    await sandbox.close();
  });

  it('creates an item and gives back every property it was written with', async () => {
    const id = await created(
      calendarItem({
        subject: 'Pipeline review',
        stamp: '00U1',
        start: '2026-11-25T09:00:00+01:00',
        end: '2026-11-25T10:00:00+01:00',
        zone: 'W. Europe Standard Time',
        body: 'Numbers&#13;\nby region',
        location: 'Room 4',
        freeBusy: 'Tentative',
      }),
    );
    expect(id['@Id']).toMatch(/^AAMk/);
    // A referenced carriage return is kept (a literal one would be normalized away, as XML says).
    expect(sandbox.items(mailbox)[0]).toMatchObject({
      Body: { BodyType: 'Text', Value: 'Numbers\r\nby region' },
    });
    expect(id['@ChangeKey']).toMatch(/^DwAAABYAAA/);
    const item = (
      first(await get(id['@Id']), 'GetItem')['Items'] as { CalendarItem: Record<string, unknown>[] }
    ).CalendarItem[0]!;
    expect(item).toMatchObject({
      Subject: 'Pipeline review',
      Body: { '@BodyType': 'Text', '#text': 'Numbers&#xD;\nby region' },
      Start: '2026-11-25T08:00:00Z',
      End: '2026-11-25T09:00:00Z',
      LegacyFreeBusyStatus: 'Tentative',
      Location: 'Room 4',
      CalendarItemType: 'Single',
      StartTimeZone: { '@Id': 'W. Europe Standard Time' },
      ExtendedProperty: [{ Value: '00U1' }],
      Organizer: { Mailbox: { Name: 'Alice Example', EmailAddress: 'alice@corp.example' } },
    });
  });

  it('refuses children out of types.xsd order with ErrorSchemaValidation at the offending element', async () => {
    const outOfOrder = `<t:CalendarItem><t:Start>2026-11-25T09:00:00Z</t:Start><t:Subject>Late</t:Subject><t:End>2026-11-25T10:00:00Z</t:End></t:CalendarItem>`;
    const answer = await call(createItem(outOfOrder));
    expect(answer.status).toBe(500);
    const fault = soapFault(answer);
    expect(fault.code).toBe('ErrorSchemaValidation');
    expect(fault.text).toContain("has invalid child element 'Subject'");
    expect(fault.detail['MessageXml']).toMatchObject({ LineNumber: '5' });
    // ExtendedProperty comes after the reminder properties, not before them.
    const extendedFirst = `<t:CalendarItem><t:ExtendedProperty>${stampUri}<t:Value>00U2</t:Value></t:ExtendedProperty><t:ReminderIsSet>false</t:ReminderIsSet><t:Start>2026-11-25T09:00:00Z</t:Start><t:End>2026-11-25T10:00:00Z</t:End></t:CalendarItem>`;
    expect(soapFault(await call(createItem(extendedFirst))).text).toContain(
      "has invalid child element 'ReminderIsSet'",
    );
    const badEnum = calendarItem({
      start: '2026-11-25T09:00:00Z',
      end: '2026-11-25T10:00:00Z',
      freeBusy: 'Maybe',
    });
    expect(soapFault(await call(createItem(badEnum))).text).toContain('The Enumeration constraint failed.');
    expect(sandbox.items(mailbox).map((i) => i['Subject'])).not.toContain('Late');
  });

  it('requires SendMeetingInvitations for calendar items and records the invitations it sends', async () => {
    const item = calendarItem({
      subject: 'Kickoff',
      start: '2026-11-26T09:00:00Z',
      end: '2026-11-26T10:00:00Z',
      attendees: ['buyer@customer.example'],
    });
    expect(await create(item, null)).toMatchObject({
      '@ResponseClass': 'Error',
      ResponseCode: 'ErrorSendMeetingInvitationsRequired',
      MessageText: 'The SendMeetingInvitations attribute is required for calendar items.',
    });
    const id = itemIdOf(await create(item, 'SendToAllAndSaveCopy'));
    expect(sandbox.sentMessages(mailbox)).toEqual([
      { itemId: id['@Id'], kind: 'request', to: ['buyer@customer.example'] },
    ]);
    const removed = first(await remove(id['@Id'], 'DeleteType="HardDelete"'), 'DeleteItem');
    expect(removed).toMatchObject({ ResponseCode: 'ErrorSendMeetingCancellationsRequired' });
    expect(
      first(
        await remove(id['@Id'], 'DeleteType="HardDelete" SendMeetingCancellations="SendOnlyToAll"'),
        'DeleteItem',
      ),
    ).toMatchObject({ ResponseCode: 'NoError' });
    expect(sandbox.sentMessages(mailbox).at(-1)).toEqual({
      itemId: id['@Id'],
      kind: 'cancellation',
      to: ['buyer@customer.example'],
    });
  });

  it('refuses what Exchange refuses about times: End before Start, a time zone Windows lacks', async () => {
    expect(
      await create(calendarItem({ start: '2026-11-25T10:00:00Z', end: '2026-11-25T09:00:00Z' })),
    ).toMatchObject({
      ResponseCode: 'ErrorCalendarEndDateIsEarlierThanStartDate',
    });
    expect(
      await create(
        calendarItem({ start: '2026-11-25T09:00:00', end: '2026-11-25T10:00:00', zone: 'Europe/Berlin' }),
      ),
    ).toMatchObject({
      ResponseCode: 'ErrorTimeZone',
    });
    expect(await create(`<t:CalendarItem><t:Subject>No times</t:Subject></t:CalendarItem>`)).toMatchObject({
      ResponseCode: 'ErrorRequiredPropertyMissing',
    });
    expect(
      await create(
        `<t:CalendarItem><t:DateTimeCreated>2026-01-01T00:00:00Z</t:DateTimeCreated><t:Start>2026-11-25T09:00:00Z</t:Start><t:End>2026-11-25T10:00:00Z</t:End></t:CalendarItem>`,
      ),
    ).toMatchObject({
      ResponseCode: 'ErrorInvalidPropertySet',
    });
  });

  it('reads times without an offset in StartTimeZone, else TimeZoneContext, and moves an all-day event to midnights', async () => {
    const local = await created(
      calendarItem({
        subject: 'Local',
        start: '2026-07-01T09:00:00',
        end: '2026-07-01T10:00:00',
        zone: 'W. Europe Standard Time',
      }),
    );
    const context = itemIdOf(
      responseMessages(
        await call(
          createItem(
            calendarItem({ subject: 'Context', start: '2026-07-01T09:00:00', end: '2026-07-01T10:00:00' }),
          ),
          { timeZone: 'Eastern Standard Time' },
        ),
        'CreateItem',
      )[0]!,
    );
    const allDay = await created(
      calendarItem({
        subject: 'Offsite',
        start: '2026-07-02T10:30:00',
        end: '2026-07-03T15:00:00',
        zone: 'W. Europe Standard Time',
        allDay: true,
      }),
    );
    const byId = (id: string) => sandbox.items(mailbox).find((i) => i['ItemId'] === id)!;
    expect(byId(local['@Id'])).toMatchObject({
      Start: '2026-07-01T07:00:00Z',
      StartTimeZoneId: 'W. Europe Standard Time',
    });
    expect(byId(context['@Id'])).toMatchObject({
      Start: '2026-07-01T13:00:00Z',
      StartTimeZoneId: 'Eastern Standard Time',
    });
    // 10:30 on the 2nd becomes midnight before it, 15:00 on the 3rd the midnight after it (CEST).
    expect(byId(allDay['@Id'])).toMatchObject({
      IsAllDayEvent: true,
      Start: '2026-07-01T22:00:00Z',
      End: '2026-07-03T22:00:00Z',
    });
  });

  it('updates with the current ChangeKey, refuses a stale one as ConflictResolution says, and needs one', async () => {
    const { '@Id': id, '@ChangeKey': original } = await created(
      calendarItem({
        subject: 'Draft',
        stamp: '00U3',
        start: '2026-11-27T09:00:00Z',
        end: '2026-11-27T10:00:00Z',
        location: 'A',
      }),
    );
    const renamed = first(
      await update(
        id,
        original,
        setField('item:Subject', '<t:Subject>Final</t:Subject>'),
        'ConflictResolution="NeverOverwrite" SendMeetingInvitationsOrCancellations="SendToNone"',
      ),
      'UpdateItem',
    );
    expect(renamed).toMatchObject({ '@ResponseClass': 'Success', ConflictResults: { Count: '0' } });
    const current = itemIdOf(renamed)['@ChangeKey'];
    expect(current).not.toBe(original);
    // The original key is stale now.
    const never = first(
      await update(
        id,
        original,
        setField('calendar:Location', '<t:Location>B</t:Location>'),
        'ConflictResolution="NeverOverwrite" SendMeetingInvitationsOrCancellations="SendToNone"',
      ),
      'UpdateItem',
    );
    expect(never).toMatchObject({ '@ResponseClass': 'Error', ResponseCode: 'ErrorIrresolvableConflict' });
    // AutoResolve merges a change to a property nobody changed since, and refuses one to a property that was.
    const merged = first(
      await update(
        id,
        original,
        setField('calendar:Location', '<t:Location>B</t:Location>'),
        'ConflictResolution="AutoResolve" SendMeetingInvitationsOrCancellations="SendToNone"',
      ),
      'UpdateItem',
    );
    expect(merged).toMatchObject({ '@ResponseClass': 'Success' });
    const clash = first(
      await update(
        id,
        original,
        setField('item:Subject', '<t:Subject>Mine</t:Subject>'),
        'ConflictResolution="AutoResolve" SendMeetingInvitationsOrCancellations="SendToNone"',
      ),
      'UpdateItem',
    );
    expect(clash).toMatchObject({ ResponseCode: 'ErrorIrresolvableConflict' });
    const overwrite = first(
      await update(id, original, setField('item:Subject', '<t:Subject>Mine</t:Subject>')),
      'UpdateItem',
    );
    expect(overwrite).toMatchObject({ '@ResponseClass': 'Success' });
    expect(sandbox.items(mailbox).find((i) => i['ItemId'] === id)).toMatchObject({
      Subject: 'Mine',
      Location: 'B',
    });
    expect(
      first(await update(id, undefined, setField('item:Subject', '<t:Subject>x</t:Subject>')), 'UpdateItem'),
    ).toMatchObject({ ResponseCode: 'ErrorChangeKeyRequiredForWriteOperations' });
    const key = itemIdOf(overwrite)['@ChangeKey'];
    expect(
      first(
        await update(
          id,
          key,
          setField('item:Subject', '<t:Subject>x</t:Subject>'),
          'ConflictResolution="AlwaysOverwrite"',
        ),
        'UpdateItem',
      ),
    ).toMatchObject({
      ResponseCode: 'ErrorSendMeetingInvitationsOrCancellationsRequired',
    });
    expect(
      soapFault(
        await update(
          id,
          key,
          setField('item:Subject', '<t:Subject>x</t:Subject>'),
          'SendMeetingInvitationsOrCancellations="SendToNone"',
        ),
      ).text,
    ).toContain("The required attribute 'ConflictResolution' is missing.");
    expect(
      first(
        await update(
          id,
          key,
          setField('item:Subject', '<t:Subject>x</t:Subject><t:Sensitivity>Private</t:Sensitivity>'),
        ),
        'UpdateItem',
      ),
    ).toMatchObject({ ResponseCode: 'ErrorIncorrectUpdatePropertyCount' });
    expect(
      first(
        await update(id, key, setField('item:Subject', '<t:Sensitivity>Private</t:Sensitivity>')),
        'UpdateItem',
      ),
    ).toMatchObject({ ResponseCode: 'ErrorUpdatePropertyMismatch' });
    const stamped = first(
      await update(
        id,
        key,
        `<t:SetItemField>${stampUri}<t:CalendarItem><t:ExtendedProperty>${stampUri}<t:Value>00U3-b</t:Value></t:ExtendedProperty></t:CalendarItem></t:SetItemField><t:DeleteItemField><t:FieldURI FieldURI="calendar:Location"/></t:DeleteItemField>`,
      ),
      'UpdateItem',
    );
    expect(stamped).toMatchObject({ '@ResponseClass': 'Success' });
    expect(sandbox.items(mailbox).find((i) => i['ItemId'] === id)).toMatchObject({
      Location: null,
      ExtendedProperties: [{ Value: '00U3-b' }],
    });
  });

  it('answers ErrorItemNotFound for an item that is gone and ErrorInvalidIdMalformed for no id at all', async () => {
    const { '@Id': id, '@ChangeKey': key } = await created(
      calendarItem({ subject: 'Short-lived', start: '2026-11-28T09:00:00Z', end: '2026-11-28T10:00:00Z' }),
    );
    expect(first(await remove(id), 'DeleteItem')).toMatchObject({
      '@ResponseClass': 'Success',
      ResponseCode: 'NoError',
    });
    expect(first(await remove(id), 'DeleteItem')).toMatchObject({
      ResponseCode: 'ErrorItemNotFound',
      MessageText: 'The specified object was not found in the store.',
    });
    expect(first(await get(id), 'GetItem')).toMatchObject({ ResponseCode: 'ErrorItemNotFound' });
    expect(
      first(await update(id, key, setField('item:Subject', '<t:Subject>x</t:Subject>')), 'UpdateItem'),
    ).toMatchObject({ ResponseCode: 'ErrorItemNotFound' });
    expect(first(await get('not-an-id'), 'GetItem')).toMatchObject({
      ResponseCode: 'ErrorInvalidIdMalformed',
    });
  });

  it('finds items by an extended property, page by page', async () => {
    for (let i = 0; i < 5; i++)
      await created(
        calendarItem({
          subject: `Series ${i}`,
          stamp: '00U-shared',
          start: `2026-12-0${i + 1}T09:00:00Z`,
          end: `2026-12-0${i + 1}T10:00:00Z`,
        }),
      );
    await created(
      calendarItem({
        subject: 'Other',
        stamp: '00U-other',
        start: '2026-12-01T09:00:00Z',
        end: '2026-12-01T10:00:00Z',
      }),
    );
    const page = async (offset: number) =>
      first(
        await call(
          `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="item:Subject"/>${stampUri}</t:AdditionalProperties></m:ItemShape>` +
            `<m:IndexedPageItemView MaxEntriesReturned="2" Offset="${offset}" BasePoint="Beginning"/>` +
            `<m:Restriction><t:IsEqualTo>${stampUri}<t:FieldURIOrConstant><t:Constant Value="00U-shared"/></t:FieldURIOrConstant></t:IsEqualTo></m:Restriction>` +
            `<m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds></m:FindItem>`,
        ),
        'FindItem',
      )['RootFolder'] as {
        '@IndexedPagingOffset': string;
        '@TotalItemsInView': string;
        '@IncludesLastItemInRange': string;
        Items: { CalendarItem?: Record<string, unknown>[] };
      };
    const pages = [await page(0), await page(2), await page(4)];
    expect(
      pages.map((p) => [p['@IndexedPagingOffset'], p['@TotalItemsInView'], p['@IncludesLastItemInRange']]),
    ).toEqual([
      ['2', '5', 'false'],
      ['4', '5', 'false'],
      ['5', '5', 'true'],
    ]);
    const subjects = pages.flatMap((p) => (p.Items.CalendarItem ?? []).map((i) => i['Subject']));
    expect(subjects).toEqual(['Series 0', 'Series 1', 'Series 2', 'Series 3', 'Series 4']);
    expect(pages[0]!.Items.CalendarItem![0]).toMatchObject({ ExtendedProperty: [{ Value: '00U-shared' }] });
  });
});
