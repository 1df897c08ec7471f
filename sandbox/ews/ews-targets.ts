// What a request points at, resolved as Exchange resolves it for the calling account: folders
// (DistinguishedFolderId "calendar" of the impersonated user, or of the account's own mailbox;
// ErrorMissingEmailAddress for an account without one; ErrorAccessDenied for someone else's
// mailbox, as delegate permissions are not modeled), item ids (ItemId, OccurrenceItemId by
// InstanceIndex, RecurringMasterItemId), the ItemShape of an answer, and each item's view.
import type { Account } from './ews-auth.ts';
import { ItemError } from './ews-errors.ts';
import { elementOfFieldUri } from './ews-item-fields.ts';
import { parseExtendedFieldUri } from './ews-item-input.ts';
import type { ItemView, PropertyPath, Shape } from './ews-item-xml.ts';
import { firstOccurrences, lastOccurrence } from './ews-recurrence.ts';
import {
  checkAttributes,
  checkChoice,
  checkSequence,
  enumAttribute,
  enumText,
  intText,
  requiredAttribute,
} from './ews-schema.ts';
import {
  occurrenceId,
  seriesClock,
  type EwsStore,
  type Mailbox,
  type StoredItem,
  type Target,
} from './ews-store.ts';
import type { TimeContext } from './ews-item-apply.ts';
import { schemaViolation } from './ews-errors.ts';
import { childNamed, ns, type XmlElement } from './ews-xml.ts';

export interface OperationContext {
  store: EwsStore;
  account: Account;
  /** The impersonated user's mailbox, or the account's own; undefined for an account without one. */
  mailbox: Mailbox | undefined;
  time: TimeContext;
}

const distinguishedFolders = [
  'calendar',
  'contacts',
  'deleteditems',
  'drafts',
  'inbox',
  'journal',
  'notes',
  'outbox',
  'sentitems',
  'tasks',
  'msgfolderroot',
  'publicfoldersroot',
  'root',
  'junkemail',
  'searchfolders',
  'voicemail',
  'recoverableitemsroot',
  'recoverableitemsdeletions',
  'recoverableitemsversions',
  'recoverableitemspurges',
  'archiveroot',
  'archivemsgfolderroot',
  'archivedeleteditems',
  'archiveinbox',
  'syncissues',
  'conflicts',
  'localfailures',
  'serverfailures',
  'recipientcache',
  'quickcontacts',
  'conversationhistory',
  'todosearch',
] as const;

/** A folder a request names: a mailbox's calendar, or another of its folders (which holds no calendar items here). */
export interface FolderTarget {
  mailbox: Mailbox;
  calendar: boolean;
}

/** The mailbox a folder or item id of the request may be in. */
function accessible(context: OperationContext, address: string | undefined): Mailbox {
  if (address === undefined) {
    if (context.mailbox === undefined) throw new ItemError('ErrorMissingEmailAddress');
    return context.mailbox;
  }
  const mailbox = context.store.mailbox(address);
  if (mailbox === undefined) throw new ItemError('ErrorNonExistentMailbox');
  if (mailbox !== context.mailbox) throw new ItemError('ErrorAccessDenied');
  return mailbox;
}

/** t:DistinguishedFolderId or t:FolderId. */
export function resolveFolder(context: OperationContext, element: XmlElement): FolderTarget {
  if (element.name === 'DistinguishedFolderId') {
    checkAttributes(element, ['Id', 'ChangeKey']);
    requiredAttribute(element, 'Id');
    const id = enumAttribute(element, 'Id', distinguishedFolders, 'DistinguishedFolderIdNameType')!;
    checkSequence(element, [{ name: 'Mailbox' }]);
    const owner = childNamed(element, 'Mailbox');
    let address: string | undefined;
    if (owner !== undefined) {
      checkSequence(owner, [
        { name: 'Name' },
        { name: 'EmailAddress' },
        { name: 'RoutingType' },
        { name: 'MailboxType' },
        { name: 'ItemId' },
        { name: 'OriginalDisplayName' },
      ]);
      address = childNamed(owner, 'EmailAddress')?.text.trim();
    }
    return { mailbox: accessible(context, address), calendar: id === 'calendar' };
  }
  checkAttributes(element, ['Id', 'ChangeKey']);
  const id = requiredAttribute(element, 'Id');
  const mailbox = context.store.mailboxes().find((m) => m.calendarFolderId === id);
  if (mailbox === undefined) throw new ItemError('ErrorFolderNotFound');
  return { mailbox: accessible(context, mailbox.address), calendar: true };
}

/** The folder of a SavedItemFolderId / ParentFolderIds child. */
export function folderOf(context: OperationContext, parent: XmlElement): FolderTarget {
  return resolveFolder(context, checkChoice(parent, ['FolderId', 'DistinguishedFolderId']));
}

/** An item id element: what it names and the change key it carries. */
export function resolveItem(
  context: OperationContext,
  element: XmlElement,
): { target: Target; mailbox: Mailbox; changeKey: string | undefined } {
  const find = (id: string) => {
    if (id === '') throw new ItemError('ErrorInvalidIdEmpty');
    const names = (m: Mailbox) => {
      try {
        context.store.resolve(m, id);
        return true;
      } catch {
        return false;
      }
    };
    // Ids are looked for in the mailbox the call acts for first; one found elsewhere is not ours to touch.
    const owner =
      context.mailbox !== undefined && names(context.mailbox)
        ? context.mailbox
        : context.store.mailboxes().find(names);
    const mailbox = accessible(context, owner?.address);
    return { mailbox, target: context.store.resolve(mailbox, id) };
  };
  if (element.name === 'ItemId') {
    checkAttributes(element, ['Id', 'ChangeKey']);
    const found = find(requiredAttribute(element, 'Id'));
    return { ...found, changeKey: element.attrs['ChangeKey'] };
  }
  if (element.name === 'OccurrenceItemId') {
    checkAttributes(element, ['RecurringMasterId', 'ChangeKey', 'InstanceIndex']);
    const master = find(requiredAttribute(element, 'RecurringMasterId'));
    const index = intText({ ...element, text: requiredAttribute(element, 'InstanceIndex'), children: [] });
    if (master.target.occurrence !== undefined || master.target.item.fields.recurrence === undefined)
      throw new ItemError('ErrorCalendarCannotUseIdForRecurringMasterId');
    const start = context.store.occurrenceAt(master.target.item, index);
    return {
      mailbox: master.mailbox,
      target: { item: master.target.item, occurrence: start },
      changeKey: element.attrs['ChangeKey'],
    };
  }
  if (element.name === 'RecurringMasterItemId') {
    checkAttributes(element, ['OccurrenceId', 'ChangeKey']);
    const occurrence = find(requiredAttribute(element, 'OccurrenceId'));
    if (occurrence.target.occurrence === undefined)
      throw new ItemError('ErrorCalendarCannotUseIdForOccurrenceId');
    return {
      mailbox: occurrence.mailbox,
      target: { item: occurrence.target.item },
      changeKey: element.attrs['ChangeKey'],
    };
  }
  throw schemaViolation(
    `The element '${element.name}' in namespace '${element.ns}' is not expected.`,
    element,
  );
}

export const itemIdNames = ['ItemId', 'OccurrenceItemId', 'RecurringMasterItemId'];

const knownPrefixes = [
  'item',
  'message',
  'meeting',
  'meetingRequest',
  'calendar',
  'task',
  'contacts',
  'distributionlist',
  'postitem',
  'conversation',
  'persona',
  'folder',
];

/** A t:FieldURI / t:ExtendedFieldURI as a property path (undefined for another item type's property). */
export function parsePath(element: XmlElement): PropertyPath | undefined {
  if (element.name === 'ExtendedFieldURI') {
    const { key, uri } = parseExtendedFieldUri(element);
    return { kind: 'extended', key, uri };
  }
  if (element.name === 'IndexedFieldURI') return undefined;
  checkAttributes(element, ['FieldURI']);
  const uri = requiredAttribute(element, 'FieldURI');
  const calendarElement = elementOfFieldUri(uri);
  if (calendarElement !== undefined) return { kind: 'field', element: calendarElement, uri };
  if (!knownPrefixes.includes(uri.split(':')[0] ?? ''))
    throw schemaViolation(
      `The 'FieldURI' attribute is invalid - The value '${uri}' is invalid according to its datatype '${ns.types}:UnindexedFieldURIType' - The Enumeration constraint failed.`,
      element,
    );
  return undefined;
}

/** m:ItemShape. */
export function parseShape(element: XmlElement): Shape {
  checkSequence(element, [
    { name: 'BaseShape', min: 1 },
    { name: 'IncludeMimeContent' },
    { name: 'BodyType' },
    { name: 'UniqueBodyType' },
    { name: 'NormalizedBodyType' },
    { name: 'FilterHtmlContent' },
    { name: 'ConvertHtmlCodePageToUTF8' },
    { name: 'InlineImageUrlTemplate' },
    { name: 'BlockExternalImages' },
    { name: 'AddBlankTargetToLinks' },
    { name: 'MaximumBodySize' },
    { name: 'AdditionalProperties' },
  ]);
  const base = enumText(
    childNamed(element, 'BaseShape')!,
    ['IdOnly', 'Default', 'AllProperties', 'PcxPeopleSearch'] as const,
    'DefaultShapeNamesType',
  );
  const bodyType = childNamed(element, 'BodyType');
  const additional = childNamed(element, 'AdditionalProperties');
  if (additional !== undefined)
    checkSequence(additional, [
      {
        name: 'Path',
        choice: ['FieldURI', 'IndexedFieldURI', 'ExtendedFieldURI', 'Path'],
        min: 1,
        max: Infinity,
      },
    ]);
  return {
    base: base === 'PcxPeopleSearch' ? 'Default' : base,
    bodyType:
      bodyType === undefined
        ? 'Best'
        : enumText(bodyType, ['Best', 'HTML', 'Text'] as const, 'BodyTypeResponseType'),
    additional: (additional?.children ?? []).map(parsePath).filter((p) => p !== undefined),
  };
}

const wasSent = (mailbox: Mailbox, item: StoredItem) =>
  mailbox.sent.some((m) => m.itemId === item.id && m.kind === 'request');

/** A single item or recurring master as answered. */
export function itemView(mailbox: Mailbox, item: StoredItem): ItemView {
  const recurrence = item.fields.recurrence;
  const clock = seriesClock(item.fields);
  return {
    itemId: item.id,
    changeKey: item.changeKey,
    parentFolderId: mailbox.calendarFolderId,
    fields: item.fields,
    type: recurrence === undefined ? 'Single' : 'RecurringMaster',
    originalStart: undefined,
    created: item.created,
    modified: item.modified,
    organizer: { name: mailbox.displayName, email: mailbox.address },
    meetingRequestWasSent: wasSent(mailbox, item),
    ...(recurrence === undefined
      ? {}
      : {
          master: {
            item,
            firstOccurrence: firstOccurrences(recurrence, clock, 1)[0] ?? item.fields.startMs,
            lastOccurrence: lastOccurrence(recurrence, clock),
            occurrenceId: (start: number) => occurrenceId(item, start),
          },
        }),
  };
}

/** One occurrence (an exception when it was changed) as answered. */
export function occurrenceView(
  store: EwsStore,
  mailbox: Mailbox,
  item: StoredItem,
  originalStart: number,
): ItemView {
  const exception = item.exceptions.get(originalStart);
  return {
    itemId: occurrenceId(item, originalStart),
    changeKey: exception?.changeKey ?? item.changeKey,
    parentFolderId: mailbox.calendarFolderId,
    fields: store.occurrenceFields(item, originalStart),
    type: exception === undefined ? 'Occurrence' : 'Exception',
    originalStart,
    created: exception?.created ?? item.created,
    modified: exception?.modified ?? item.modified,
    organizer: { name: mailbox.displayName, email: mailbox.address },
    meetingRequestWasSent: wasSent(mailbox, item),
  };
}

export const viewOf = (store: EwsStore, mailbox: Mailbox, target: Target) =>
  target.occurrence === undefined
    ? itemView(mailbox, target.item)
    : occurrenceView(store, mailbox, target.item, target.occurrence);
