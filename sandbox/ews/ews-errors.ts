// The two ways EWS says no. A SOAP fault (HTTP 500, `faultcode` a:<code>, the code and message
// again in `detail`, sometimes a `t:MessageXml`) when the whole request is refused: schema
// validation, the SOAP header (version, impersonation, time zone context), throttling. And an
// error response message (HTTP 200, ResponseClass="Error") for one item of a request whose
// others may succeed. The message texts are Exchange's own (as the EWS Managed API's
// ServiceError list and Microsoft's examples give them).

/** Exchange's text for each response code the sandbox gives. */
export const messages = {
  ErrorAccessDenied: 'Access is denied. Check credentials and try again.',
  ErrorCalendarCannotUseIdForOccurrenceId: 'The Id specified does not represent an occurrence.',
  ErrorCalendarCannotUseIdForRecurringMasterId:
    'The specified Id does not represent a recurring master item.',
  ErrorCalendarDurationIsTooLong: 'Calendar item duration is too long.',
  ErrorOccurrenceCrossingBoundary: 'Modified occurrence is crossing or overlapping adjacent occurrence.',
  ErrorCalendarEndDateIsEarlierThanStartDate: 'EndDate is earlier than StartDate',
  ErrorCalendarFolderIsInvalidForCalendarView: 'Cannot request CalendarView for the folder.',
  ErrorCalendarInvalidDayForWeeklyRecurrence:
    'The value of the DaysOfWeek property is invalid for a weekly recurrence.',
  ErrorCalendarInvalidRecurrence: 'The recurrence is invalid.',
  ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange: 'Occurrence index is out of recurrence range.',
  ErrorCalendarOccurrenceIsDeletedFromRecurrence:
    'Occurrence with this index was previously deleted from the recurrence.',
  ErrorCalendarViewRangeTooBig: 'The specified view range exceeds the maximum range of two years.',
  ErrorCannotCreateCalendarItemInNonCalendarFolder: 'Cannot create a calendar item in a non-calendar folder.',
  ErrorChangeKeyRequiredForWriteOperations: 'ChangeKey is required for this operation.',
  ErrorExceededConnectionCount:
    'You have exceeded the available concurrent connections for your account.  Try again once your other requests have completed.',
  ErrorFolderNotFound: 'The specified folder could not be found in the store.',
  ErrorImpersonateUserDenied: 'The account does not have permission to impersonate the requested user.',
  ErrorIncorrectUpdatePropertyCount:
    'An object within a change description must contain one and only one property to modify.',
  ErrorInternalServerError: 'An internal server error occurred. The operation failed.',
  ErrorInvalidChangeKey: 'The change key is invalid.',
  ErrorInvalidExchangeImpersonationHeaderData:
    'An ExchangeImpersonation SOAP header must contain a user principal name, user SID, or primary SMTP address.',
  ErrorInvalidExtendedProperty: 'The extended property attribute combination is invalid.',
  ErrorInvalidExtendedPropertyValue: 'The extended property value is inconsistent with its type.',
  ErrorInvalidIdEmpty: 'Id must be non-empty.',
  ErrorInvalidIdMalformed: 'Id is malformed.',
  ErrorInvalidIndexedPagingParameters: 'The specified indexed paging values are invalid.',
  ErrorInvalidItemForOperationCreateItem: 'The CreateItem operation does not support this item type.',
  ErrorInvalidPropertyAppend: 'The property does not support append.',
  ErrorInvalidPagingMaxRows: 'MaxEntriesReturned must be greater than zero.',
  ErrorInvalidPropertyDelete: 'The delete action is not supported for this property.',
  ErrorInvalidPropertyForOperation: 'Property is not valid for this operation.',
  ErrorInvalidPropertyRequest: 'Property is not valid for this object type.',
  ErrorInvalidPropertySet: 'Set action is invalid for property.',
  ErrorInvalidRequest: 'The request is invalid.',
  ErrorInvalidServerVersion: 'The specified server version is invalid.',
  ErrorInvalidRecipients: 'One or more recipients are invalid.',
  ErrorIrresolvableConflict:
    'The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item.',
  ErrorItemNotFound: 'The specified object was not found in the store.',
  ErrorMissingEmailAddress:
    'When making a request as an account that does not have a mailbox, you must specify the mailbox primary SMTP address for any distinguished folder Ids.',
  ErrorNonExistentMailbox: 'The SMTP address has no mailbox associated with it.',
  ErrorOccurrenceTimeSpanTooBig:
    'One occurrence of the recurring calendar item overlaps with another occurrence of the same calendar item.',
  ErrorRecurrenceHasNoOccurrence: 'Recurrence has no occurrences in the specified range.',
  ErrorRequiredPropertyMissing: 'Required property is missing.',
  ErrorSchemaValidation: 'The request failed schema validation.',
  ErrorSendMeetingCancellationsRequired: 'SendMeetingCancellations attribute is required for Calendar items.',
  ErrorSendMeetingInvitationsOrCancellationsRequired:
    'The SendMeetingInvitationsOrCancellations attribute is required for calendar items.',
  ErrorSendMeetingInvitationsRequired: 'The SendMeetingInvitations attribute is required for calendar items.',
  ErrorServerBusy: 'The server cannot service this request right now. Try again later.',
  ErrorTimeZone: "The time zone isn't valid.",
  ErrorUnsupportedPathForQuery: 'The property path is not supported for this type of restriction.',
  ErrorUpdatePropertyMismatch: 'Property for update does not match property in object.',
} as const;

export type ResponseCode = keyof typeof messages;

/** Refuses the whole request with a SOAP fault. */
export class SoapFault extends Error {
  readonly code: ResponseCode;
  readonly messageXml: string | undefined;
  readonly status: number;
  constructor(
    code: ResponseCode,
    options: {
      /** faultstring, when it says more than the code's message (schema validation names the violation). */
      faultString?: string;
      /** The inner XML of t:MessageXml. */
      messageXml?: string;
      /** HTTP status, 500 as Exchange answers every fault. */
      status?: number;
    } = {},
  ) {
    super(options.faultString ?? messages[code]);
    this.code = code;
    this.messageXml = options.messageXml;
    this.status = options.status ?? 500;
  }
}

/** Refuses one item (one response message) of a request. */
export class ItemError extends Error {
  readonly code: ResponseCode;
  /** The inner XML of m:MessageXml. */
  readonly messageXml: string | undefined;
  constructor(code: ResponseCode, message?: string, messageXml?: string) {
    super(message ?? messages[code]);
    this.code = code;
    this.messageXml = messageXml;
  }
}

/** A schema violation at an element: "The request failed schema validation: …" with where. */
export function schemaViolation(violation: string, at: { line: number; position: number }): SoapFault {
  return new SoapFault('ErrorSchemaValidation', {
    faultString: `The request failed schema validation: ${violation}`,
    messageXml: `<t:LineNumber>${at.line}</t:LineNumber><t:LinePosition>${at.position}</t:LinePosition><t:Violation>${escape(violation)}</t:Violation>`,
  });
}

const escape = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
