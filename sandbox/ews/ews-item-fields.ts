// The children of t:CalendarItem in the order types.xsd fixes them (ItemType's sequence, then
// CalendarItemType's), as Exchange Server 2016/2019 publish it, and what the sandbox does with
// each: store it, refuse to set it (read-only: ErrorInvalidPropertySet), or refuse it as a
// property the sandbox does not model. Requests are validated against this order and answers
// are written in it. Also the FieldURI of each (item:Subject, calendar:Start).

/** ItemType's elements, in schema order. */
const itemElements = [
  'MimeContent',
  'ItemId',
  'ParentFolderId',
  'ItemClass',
  'Subject',
  'Sensitivity',
  'Body',
  'Attachments',
  'DateTimeReceived',
  'Size',
  'Categories',
  'Importance',
  'InReplyTo',
  'IsSubmitted',
  'IsDraft',
  'IsFromMe',
  'IsResend',
  'IsUnmodified',
  'InternetMessageHeaders',
  'DateTimeSent',
  'DateTimeCreated',
  'ResponseObjects',
  'ReminderDueBy',
  'ReminderIsSet',
  'ReminderNextTime',
  'ReminderMinutesBeforeStart',
  'DisplayCc',
  'DisplayTo',
  'DisplayBcc',
  'HasAttachments',
  'ExtendedProperty',
  'Culture',
  'EffectiveRights',
  'LastModifiedName',
  'LastModifiedTime',
  'IsAssociated',
  'WebClientReadFormQueryString',
  'WebClientEditFormQueryString',
  'ConversationId',
  'UniqueBody',
  'Flag',
  'StoreEntryId',
  'InstanceKey',
  'NormalizedBody',
  'EntityExtractionResult',
  'PolicyTag',
  'ArchiveTag',
  'RetentionDate',
  'Preview',
  'RightsManagementLicenseData',
  'PredictedActionReasons',
  'IsClutter',
  'BlockStatus',
  'HasBlockedImages',
  'TextBody',
  'IconIndex',
  'SearchKey',
  'SortKey',
  'Hashtags',
  'Mentions',
  'MentionedMe',
  'MentionsPreview',
  'MentionsEx',
  'AppliedHashtags',
  'AppliedHashtagsPreview',
  'Likes',
  'LikesPreview',
  'PendingSocialActivityTagIds',
  'AtAllMention',
  'CanDelete',
  'InferenceClassification',
] as const;

/** CalendarItemType's own elements, in schema order. */
const calendarElements = [
  'UID',
  'RecurrenceId',
  'DateTimeStamp',
  'Start',
  'End',
  'OriginalStart',
  'IsAllDayEvent',
  'LegacyFreeBusyStatus',
  'Location',
  'When',
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
  'InboxReminders',
  'ConflictingMeetingCount',
  'AdjacentMeetingCount',
  'ConflictingMeetings',
  'AdjacentMeetings',
  'Duration',
  'TimeZone',
  'AppointmentReplyTime',
  'AppointmentSequenceNumber',
  'AppointmentState',
  'Recurrence',
  'FirstOccurrence',
  'LastOccurrence',
  'ModifiedOccurrences',
  'DeletedOccurrences',
  'MeetingTimeZone',
  'StartTimeZone',
  'EndTimeZone',
  'ConferenceType',
  'AllowNewTimeProposal',
  'IsOnlineMeeting',
  'MeetingWorkspaceUrl',
  'NetShowUrl',
  'EnhancedLocation',
  'StartWallClock',
  'EndWallClock',
  'StartTimeZoneId',
  'EndTimeZoneId',
  'IntendedFreeBusyStatus',
  'JoinOnlineMeetingUrl',
  'OnlineMeetingSettings',
  'IsOrganizer',
  'CalendarActivityData',
] as const;

export type ItemElement = (typeof itemElements)[number];
export type CalendarElement = (typeof calendarElements)[number];
export type CalendarItemElement = ItemElement | CalendarElement;

export const calendarItemOrder: readonly CalendarItemElement[] = [...itemElements, ...calendarElements];
export const itemOrder: readonly CalendarItemElement[] = itemElements;

/** The properties the sandbox stores and lets a client write. */
export const writable = new Set<CalendarItemElement>([
  'ItemClass',
  'Subject',
  'Sensitivity',
  'Body',
  'Categories',
  'Importance',
  'ReminderIsSet',
  'ReminderMinutesBeforeStart',
  'ExtendedProperty',
  'Culture',
  'UID',
  'Start',
  'End',
  'IsAllDayEvent',
  'LegacyFreeBusyStatus',
  'Location',
  'IsResponseRequested',
  'RequiredAttendees',
  'OptionalAttendees',
  'Resources',
  'Recurrence',
  'StartTimeZone',
  'EndTimeZone',
  'AllowNewTimeProposal',
]);

/** Properties Exchange lets a client write that the sandbox does not keep (refused as a sandbox gap). */
export const unmodeled = new Set<CalendarItemElement>([
  'MimeContent',
  'Attachments',
  'InReplyTo',
  'InternetMessageHeaders',
  'ReminderDueBy',
  'ReminderNextTime',
  'Flag',
  'PolicyTag',
  'ArchiveTag',
  'RetentionDate',
  'RecurrenceId',
  'DateTimeStamp',
  'When',
  'MeetingTimeZone',
  'ConferenceType',
  'IsOnlineMeeting',
  'MeetingWorkspaceUrl',
  'NetShowUrl',
  'EnhancedLocation',
  'StartTimeZoneId',
  'EndTimeZoneId',
  'IntendedFreeBusyStatus',
  'JoinOnlineMeetingUrl',
  'OnlineMeetingSettings',
  'CalendarActivityData',
  'InboxReminders',
]);

const itemSet = new Set<string>(itemElements);
const calendarSet = new Set<string>(calendarElements);

/** The FieldURI naming an element ("item:Subject", "calendar:Start"). */
export const fieldUriOf = (element: CalendarItemElement) =>
  `${itemSet.has(element) ? 'item' : 'calendar'}:${element}`;

/** The element a FieldURI names, or undefined when it names none of a calendar item's. */
export function elementOfFieldUri(uri: string): CalendarItemElement | undefined {
  const [prefix, name = ''] = uri.split(':');
  if (prefix === 'item' && itemSet.has(name)) return name as CalendarItemElement;
  if (prefix === 'calendar' && calendarSet.has(name)) return name as CalendarItemElement;
  return undefined;
}
