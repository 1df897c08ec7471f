// The SOAP requests the EWS provider sends, as small templates, pure: the envelope with its
// header (schema version, and the owner impersonated), and the body of each operation. Every
// value from outside (addresses, ids, change keys, the Salesforce id) goes through the XML
// escaper; the calendar item's own fields come from to-ews-item.ts.
import { escapeXml, escapeXmlAttribute, namespaces } from './ews-xml.ts';
import { salesforceIdFieldUri } from './to-ews-item.ts';

/**
 * Exchange 2016 is the oldest schema this provider writes for (Exchange Server 2016, 2019 and
 * Subscription Edition take it); it has StartTimeZone/EndTimeZone and FirstDayOfWeek.
 */
export const requestServerVersion = 'Exchange2016';

/** A whole request: `body` as the owner (`mailbox`, by impersonation) or as the service account itself. */
export function envelope(body: string, mailbox?: string): string {
  const impersonation =
    mailbox === undefined
      ? ''
      : `<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>${escapeXml(mailbox)}</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>`;
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<soap:Envelope xmlns:soap="${namespaces.soap}" xmlns:t="${namespaces.types}" xmlns:m="${namespaces.messages}">` +
    `<soap:Header><t:RequestServerVersion Version="${requestServerVersion}"/>${impersonation}</soap:Header>` +
    `<soap:Body>${body}</soap:Body></soap:Envelope>`
  );
}

type Send = 'SendToNone' | 'SendToAllAndSaveCopy';

/** The impersonated owner's calendar (impersonation alone names the mailbox). */
const calendar = '<t:DistinguishedFolderId Id="calendar"/>';

const itemId = (id: string, changeKey?: string | null) =>
  `<t:ItemId Id="${escapeXmlAttribute(id)}"${changeKey === undefined || changeKey === null ? '' : ` ChangeKey="${escapeXmlAttribute(changeKey)}"`}/>`;

export function createItem(calendarItem: string, send: Send): string {
  return (
    `<m:CreateItem SendMeetingInvitations="${send}">` +
    `<m:SavedItemFolderId>${calendar}</m:SavedItemFolderId><m:Items>${calendarItem}</m:Items></m:CreateItem>`
  );
}

/** AlwaysOverwrite: the item is Salesforce's; whatever was changed in Outlook since gives way. */
export function updateItem(id: string, changeKey: string | null, updates: string, send: Send): string {
  return (
    `<m:UpdateItem MessageDisposition="SaveOnly" ConflictResolution="AlwaysOverwrite" SendMeetingInvitationsOrCancellations="${send}">` +
    `<m:ItemChanges><t:ItemChange>${itemId(id, changeKey)}<t:Updates>${updates}</t:Updates></t:ItemChange></m:ItemChanges>` +
    '</m:UpdateItem>'
  );
}

/**
 * Moves the item to Deleted Items. Cancellations go to all attendees: Microsoft's own example of
 * deleting a plain appointment sends SendToAllAndSaveCopy too, and an appointment has no one to
 * send to, while a meeting's attendees would otherwise keep a meeting that no longer exists.
 */
export function deleteItem(id: string): string {
  return (
    '<m:DeleteItem DeleteType="MoveToDeletedItems" SendMeetingCancellations="SendToAllAndSaveCopy">' +
    `<m:ItemIds>${itemId(id)}</m:ItemIds></m:DeleteItem>`
  );
}

/** An item's current ChangeKey (an id-only GetItem). */
export function getItemId(id: string): string {
  return `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ItemIds>${itemId(id)}</m:ItemIds></m:GetItem>`;
}

/**
 * Occurrences `first`…`first + count - 1` of a series by their index (1 is the first), with
 * their original and current starts: Microsoft's documented way to walk a series' occurrences.
 */
export function getOccurrences(masterId: string, first: number, count: number): string {
  const ids = Array.from(
    { length: count },
    (_, i) =>
      `<t:OccurrenceItemId RecurringMasterId="${escapeXmlAttribute(masterId)}" InstanceIndex="${first + i}"/>`,
  );
  return (
    '<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>' +
    '<t:FieldURI FieldURI="calendar:OriginalStart"/><t:FieldURI FieldURI="calendar:Start"/>' +
    `</t:AdditionalProperties></m:ItemShape><m:ItemIds>${ids.join('')}</m:ItemIds></m:GetItem>`
  );
}

/**
 * The calendar's single items and series (not their occurrences) stamped with this Salesforce
 * Event id: a store restriction on the extended property, exact and not waiting on a search index.
 */
export function findBySalesforceId(salesforceEventId: string): string {
  return (
    '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>' +
    '<m:IndexedPageItemView MaxEntriesReturned="2" Offset="0" BasePoint="Beginning"/>' +
    `<m:Restriction><t:IsEqualTo>${salesforceIdFieldUri}<t:FieldURIOrConstant><t:Constant Value="${escapeXmlAttribute(salesforceEventId)}"/></t:FieldURIOrConstant></t:IsEqualTo></m:Restriction>` +
    `<m:ParentFolderIds>${calendar}</m:ParentFolderIds></m:FindItem>`
  );
}

/** One item of the calendar, or none: whether the owner's calendar can be read at all. */
export function peekCalendar(): string {
  return (
    '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>' +
    '<m:IndexedPageItemView MaxEntriesReturned="1" Offset="0" BasePoint="Beginning"/>' +
    `<m:ParentFolderIds>${calendar}</m:ParentFolderIds></m:FindItem>`
  );
}

/**
 * A call that needs no mailbox, to check the service account's sign-in alone: the server's
 * definition of one time zone (the account may have no mailbox of its own, and impersonates
 * no one here).
 */
export function getServerTimeZone(): string {
  return '<m:GetServerTimeZones ReturnFullTimeZoneData="false"><m:Ids><t:Id>UTC</t:Id></m:Ids></m:GetServerTimeZones>';
}
