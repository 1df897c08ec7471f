// CreateItem, UpdateItem and DeleteItem on calendar items, as Exchange does them. The whole
// request is schema-checked before any item is touched; then each item gets its own response
// message. Calendar items need SendMeetingInvitations / SendMeetingInvitationsOrCancellations /
// SendMeetingCancellations (ErrorSendMeeting…Required). UpdateItem needs the item's ChangeKey
// (ErrorChangeKeyRequiredForWriteOperations); a stale one fails with NeverOverwrite, fails with
// AutoResolve when a property it writes changed since, and wins with AlwaysOverwrite. Each
// SetItemField carries exactly the one property its path names (ErrorIncorrectUpdatePropertyCount,
// ErrorUpdatePropertyMismatch). Writing an occurrence makes it an exception; deleting one adds
// it to the series' deleted occurrences. Invitations and cancellations are recorded, not sent.
import { ItemError } from './ews-errors.ts';
import { applyInput, defaultFields, settle } from './ews-item-apply.ts';
import { parseItem, type Attendee } from './ews-item-input.ts';
import { checkAttributes, checkSequence, enumAttribute, requiredAttribute } from './ews-schema.ts';
import { responseMessage } from './ews-soap.ts';
import {
  isWellFormedChangeKey,
  occurrenceId,
  type CalendarFields,
  type Mailbox,
  type StoredItem,
} from './ews-store.ts';
import { folderOf, itemIdNames, parsePath, resolveItem, type OperationContext } from './ews-targets.ts';
import type { PropertyPath } from './ews-item-xml.ts';
import { childNamed, ns, tag, type XmlElement } from './ews-xml.ts';

export interface OperationResult {
  messages: string[];
  writes: number;
}

const itemTypes = [
  'Item',
  'Message',
  'CalendarItem',
  'Contact',
  'DistributionList',
  'MeetingMessage',
  'MeetingRequest',
  'MeetingResponse',
  'MeetingCancellation',
  'Task',
  'PostItem',
];
const sendModes = ['SendToNone', 'SendOnlyToAll', 'SendToAllAndSaveCopy'] as const;
const updateSendModes = [
  'SendToNone',
  'SendOnlyToAll',
  'SendOnlyToChanged',
  'SendToAllAndSaveCopy',
  'SendToChangedAndSaveCopy',
] as const;

const attendeesOf = (fields: CalendarFields): Attendee[] => [
  ...fields.requiredAttendees,
  ...fields.optionalAttendees,
  ...fields.resources,
];

function notify(
  mailbox: Mailbox,
  itemId: string,
  kind: 'request' | 'cancellation' | 'update',
  to: Attendee[],
): void {
  if (to.length > 0) mailbox.sent.push({ itemId, kind, to: [...new Set(to.map((a) => a.email))] });
}

const idXml = (id: string, changeKey: string) =>
  tag('t:CalendarItem', {}, tag('t:ItemId', { Id: id, ChangeKey: changeKey }));

export function createItem(context: OperationContext, operation: XmlElement): OperationResult {
  checkAttributes(operation, ['MessageDisposition', 'SendMeetingInvitations']);
  enumAttribute(
    operation,
    'MessageDisposition',
    ['SaveOnly', 'SendOnly', 'SendAndSaveCopy'] as const,
    'MessageDispositionType',
  );
  const send = enumAttribute(
    operation,
    'SendMeetingInvitations',
    sendModes,
    'CalendarItemCreateOrDeleteOperationType',
  );
  checkSequence(operation, [
    { name: 'SavedItemFolderId', ns: ns.messages },
    { name: 'Items', ns: ns.messages, min: 1 },
  ]);
  const saved = childNamed(operation, 'SavedItemFolderId', ns.messages);
  const items = childNamed(operation, 'Items', ns.messages)!;
  checkSequence(items, [{ name: 'Item', choice: itemTypes, min: 1, max: Infinity }]);
  // Every item is read (and the request refused for any schema violation) before any is saved.
  const inputs = items.children.map((child) =>
    child.name === 'CalendarItem' ? parseItem(child) : undefined,
  );
  const result: OperationResult = { messages: [], writes: 0 };
  for (const input of inputs) {
    try {
      if (input === undefined)
        throw new ItemError('ErrorInvalidRequest', 'The EWS sandbox only models calendar items.');
      if (send === undefined) throw new ItemError('ErrorSendMeetingInvitationsRequired');
      const folder = folderOf(context, saved ?? fakeCalendarFolder(operation));
      if (!folder.calendar) throw new ItemError('ErrorCannotCreateCalendarItemInNonCalendarFolder');
      const written = applyInput(defaultFields(context.time.timeZoneContext ?? 'UTC'), input, context.time, {
        isNew: true,
        isOccurrence: false,
      });
      const item = context.store.create(folder.mailbox, settle(written.fields));
      if (send !== 'SendToNone') notify(folder.mailbox, item.id, 'request', attendeesOf(item.fields));
      result.messages.push(
        responseMessage('CreateItem', { content: `<m:Items>${idXml(item.id, item.changeKey)}</m:Items>` }),
      );
      result.writes++;
    } catch (error) {
      if (!(error instanceof ItemError)) throw error;
      result.messages.push(responseMessage('CreateItem', { error, content: '<m:Items/>' }));
    }
  }
  return result;
}

/** Without SavedItemFolderId, calendar items go to the calendar of the mailbox the request acts for. */
const fakeCalendarFolder = (at: XmlElement): XmlElement => ({
  ...at,
  name: 'SavedItemFolderId',
  attrs: {},
  text: '',
  children: [
    { ...at, ns: ns.types, name: 'DistinguishedFolderId', attrs: { Id: 'calendar' }, children: [], text: '' },
  ],
});

type Change =
  | { kind: 'set'; path: PropertyPath | undefined; item: XmlElement; at: XmlElement }
  | { kind: 'delete'; path: PropertyPath | undefined; at: XmlElement }
  | { kind: 'append'; at: XmlElement };

function parseChanges(itemChange: XmlElement): { id: XmlElement; changes: Change[] } {
  checkSequence(itemChange, [
    { name: 'Id', choice: itemIdNames, min: 1 },
    { name: 'Updates', min: 1 },
    { name: 'CalendarActivityData' },
  ]);
  const updates = childNamed(itemChange, 'Updates')!;
  checkSequence(updates, [
    {
      name: 'Change',
      choice: ['AppendToItemField', 'SetItemField', 'DeleteItemField'],
      min: 1,
      max: Infinity,
    },
  ]);
  const changes = updates.children.map((change): Change => {
    const pathRule = { name: 'Path', choice: ['FieldURI', 'IndexedFieldURI', 'ExtendedFieldURI'], min: 1 };
    if (change.name === 'DeleteItemField') {
      checkSequence(change, [pathRule]);
      return { kind: 'delete', path: parsePath(change.children[0]!), at: change };
    }
    checkSequence(change, [pathRule, { name: 'Item', choice: itemTypes, min: 1 }]);
    if (change.name === 'AppendToItemField') return { kind: 'append', at: change };
    const item = change.children[1]!;
    // The property is read now, so a schema violation anywhere refuses the whole request.
    if (item.name === 'CalendarItem' || item.name === 'Item') parseItem(item);
    return { kind: 'set', path: parsePath(change.children[0]!), item, at: change };
  });
  return { id: itemChange.children[0]!, changes };
}

/** Properties DeleteItemField may clear on a calendar item, and what they become. */
const deletable: Partial<Record<string, (fields: CalendarFields) => void>> = {
  Subject: (f) => void (f.subject = undefined),
  Body: (f) => void (f.body = undefined),
  Categories: (f) => void (f.categories = []),
  Location: (f) => void (f.location = undefined),
  RequiredAttendees: (f) => void (f.requiredAttendees = []),
  OptionalAttendees: (f) => void (f.optionalAttendees = []),
  Resources: (f) => void (f.resources = []),
  Recurrence: (f) => void (f.recurrence = undefined),
};

/**
 * What changing these properties of a series does to its exceptions: they are dropped. Writing
 * them with the values they have changes nothing ([MS-OXOCAL] 3.1.4.7.3.5: the exceptions go
 * when "the recurrence pattern has changed").
 */
const seriesShape = (fields: CalendarFields) =>
  JSON.stringify([
    fields.recurrence ?? null,
    fields.startMs,
    fields.endMs,
    fields.startTimeZone,
    fields.endTimeZone,
    fields.isAllDayEvent,
  ]);

export function updateItem(context: OperationContext, operation: XmlElement): OperationResult {
  checkAttributes(operation, [
    'ConflictResolution',
    'MessageDisposition',
    'SendMeetingInvitationsOrCancellations',
    'SuppressReadReceipts',
  ]);
  requiredAttribute(operation, 'ConflictResolution');
  const resolution = enumAttribute(
    operation,
    'ConflictResolution',
    ['NeverOverwrite', 'AutoResolve', 'AlwaysOverwrite'] as const,
    'ConflictResolutionType',
  )!;
  enumAttribute(
    operation,
    'MessageDisposition',
    ['SaveOnly', 'SendOnly', 'SendAndSaveCopy'] as const,
    'MessageDispositionType',
  );
  const send = enumAttribute(
    operation,
    'SendMeetingInvitationsOrCancellations',
    updateSendModes,
    'CalendarItemUpdateOperationType',
  );
  checkSequence(operation, [
    { name: 'SavedItemFolderId', ns: ns.messages },
    { name: 'ItemChanges', ns: ns.messages, min: 1 },
  ]);
  const itemChanges = childNamed(operation, 'ItemChanges', ns.messages)!;
  checkSequence(itemChanges, [{ name: 'ItemChange', min: 1, max: Infinity }]);
  const parsed = itemChanges.children.map(parseChanges);
  const result: OperationResult = { messages: [], writes: 0 };
  for (const { id, changes } of parsed) {
    try {
      const { target, mailbox, changeKey } = resolveItem(context, id);
      if (send === undefined) throw new ItemError('ErrorSendMeetingInvitationsOrCancellationsRequired');
      if (changeKey === undefined) throw new ItemError('ErrorChangeKeyRequiredForWriteOperations');
      if (!isWellFormedChangeKey(changeKey)) throw new ItemError('ErrorInvalidChangeKey');
      const isOccurrence = target.occurrence !== undefined;
      const before = isOccurrence
        ? context.store.occurrenceFields(target.item, target.occurrence)
        : target.item.fields;
      let fields: CalendarFields = { ...before };
      const written = new Set<string>();
      for (const change of changes) {
        if (change.kind === 'append')
          throw new ItemError('ErrorInvalidRequest', 'The EWS sandbox does not model AppendToItemField.');
        if (change.path === undefined) throw new ItemError('ErrorInvalidPropertyRequest');
        const name = change.path.kind === 'field' ? change.path.element : change.path.key;
        if (change.kind === 'delete') {
          if (change.path.kind === 'extended') {
            const key = change.path.key;
            fields.extended = fields.extended.filter((e) => e.key !== key);
          } else {
            const clear = deletable[change.path.element];
            if (clear === undefined || (isOccurrence && change.path.element === 'Recurrence'))
              throw new ItemError(
                'ErrorInvalidPropertyDelete',
                undefined,
                `<t:FieldURI FieldURI="${change.path.uri}"/>`,
              );
            clear(fields);
          }
          written.add(name);
          continue;
        }
        if (change.item.name !== 'CalendarItem' && change.item.name !== 'Item')
          throw new ItemError('ErrorInvalidPropertyRequest');
        const input = parseItem(change.item);
        const carried = input.names.length;
        if (carried !== 1) throw new ItemError('ErrorIncorrectUpdatePropertyCount');
        const matches =
          change.path.kind === 'field'
            ? input.names[0] === change.path.element
            : input.extended[0]?.key === change.path.key;
        if (!matches) throw new ItemError('ErrorUpdatePropertyMismatch');
        const applied = applyInput(fields, input, context.time, { isNew: false, isOccurrence });
        fields = applied.fields;
        for (const w of applied.written) written.add(w);
      }
      const record = context.store.versionedOf(target);
      if (changeKey !== record.changeKey) {
        const since = record.keyVersions.get(changeKey) ?? 0;
        const changedSince = [...written].some((w) => (record.fieldVersions.get(w) ?? 1) > since);
        if (resolution === 'NeverOverwrite' || (resolution === 'AutoResolve' && changedSince))
          throw new ItemError('ErrorIrresolvableConflict');
      }
      const settled = settle(isOccurrence ? { ...fields, recurrence: undefined } : fields);
      const answer = commitUpdate(context, mailbox, target.item, target.occurrence, settled, written);
      announceUpdate(mailbox, target.item, before, settled, send);
      result.messages.push(
        responseMessage('UpdateItem', {
          content: `<m:Items>${idXml(answer.id, answer.changeKey)}</m:Items><m:ConflictResults><t:Count>0</t:Count></m:ConflictResults>`,
        }),
      );
      result.writes++;
    } catch (error) {
      if (!(error instanceof ItemError)) throw error;
      result.messages.push(responseMessage('UpdateItem', { error, content: '<m:Items/>' }));
    }
  }
  return result;
}

function commitUpdate(
  context: OperationContext,
  _mailbox: Mailbox,
  item: StoredItem,
  occurrence: number | undefined,
  fields: CalendarFields,
  written: Set<string>,
): { id: string; changeKey: string } {
  if (occurrence === undefined) {
    const reshaped = seriesShape(item.fields) !== seriesShape(fields);
    if (reshaped && (item.fields.recurrence !== undefined || fields.recurrence !== undefined)) {
      item.exceptions.clear();
      item.deleted.clear();
    }
    item.fields = fields;
    context.store.touch(item, written);
    return { id: item.id, changeKey: item.changeKey };
  }
  context.store.checkCrossingBoundary(item, occurrence, fields.startMs);
  const exception = context.store.writeException(item, occurrence, fields, written);
  // The series' recurrence data changed with it: the master gets a new change key too.
  context.store.touch(item, ['ModifiedOccurrences']);
  return { id: occurrenceId(item, occurrence), changeKey: exception.changeKey };
}

function announceUpdate(
  mailbox: Mailbox,
  item: StoredItem,
  before: CalendarFields,
  after: CalendarFields,
  send: (typeof updateSendModes)[number],
): void {
  if (send === 'SendToNone') return;
  const was = new Set(attendeesOf(before).map((a) => a.email));
  const now = attendeesOf(after);
  const added = now.filter((a) => !was.has(a.email));
  const removed = attendeesOf(before).filter((a) => !now.some((n) => n.email === a.email));
  notify(mailbox, item.id, 'request', added);
  notify(mailbox, item.id, 'cancellation', removed);
  if (send === 'SendOnlyToAll' || send === 'SendToAllAndSaveCopy')
    notify(
      mailbox,
      item.id,
      'update',
      now.filter((a) => was.has(a.email)),
    );
}

export function deleteItem(context: OperationContext, operation: XmlElement): OperationResult {
  checkAttributes(operation, [
    'DeleteType',
    'SendMeetingCancellations',
    'AffectedTaskOccurrences',
    'SuppressReadReceipts',
  ]);
  requiredAttribute(operation, 'DeleteType');
  enumAttribute(
    operation,
    'DeleteType',
    ['HardDelete', 'SoftDelete', 'MoveToDeletedItems'] as const,
    'DisposalType',
  );
  enumAttribute(
    operation,
    'AffectedTaskOccurrences',
    ['AllOccurrences', 'SpecifiedOccurrenceOnly'] as const,
    'AffectedTaskOccurrencesType',
  );
  const send = enumAttribute(
    operation,
    'SendMeetingCancellations',
    sendModes,
    'CalendarItemCreateOrDeleteOperationType',
  );
  checkSequence(operation, [{ name: 'ItemIds', ns: ns.messages, min: 1 }]);
  const ids = childNamed(operation, 'ItemIds', ns.messages)!;
  checkSequence(ids, [{ name: 'Id', choice: itemIdNames, min: 1, max: Infinity }]);
  const result: OperationResult = { messages: [], writes: 0 };
  for (const id of ids.children) {
    try {
      const { target, mailbox } = resolveItem(context, id);
      if (send === undefined) throw new ItemError('ErrorSendMeetingCancellationsRequired');
      const attendees = attendeesOf(
        target.occurrence === undefined
          ? target.item.fields
          : context.store.occurrenceFields(target.item, target.occurrence),
      );
      if (target.occurrence === undefined) {
        // Moved to Deleted Items or deleted, the item is no longer in the calendar under this id.
        mailbox.items.delete(target.item.id);
      } else {
        target.item.exceptions.delete(target.occurrence);
        target.item.deleted.add(target.occurrence);
        context.store.touch(target.item, ['DeletedOccurrences']);
      }
      if (send !== 'SendToNone') notify(mailbox, target.item.id, 'cancellation', attendees);
      result.messages.push(responseMessage('DeleteItem', { content: '' }));
      result.writes++;
    } catch (error) {
      if (!(error instanceof ItemError)) throw error;
      result.messages.push(responseMessage('DeleteItem', { error }));
    }
  }
  return result;
}
