// GetItem and FindItem on calendar items. FindItem without a view lists single items and
// recurring masters (filtered by a Restriction, sorted, paged by IndexedPageItemView); with a
// CalendarView it lists single items, occurrences and exceptions that overlap the range, each
// with its own ItemId, OriginalStart and CalendarItemType, and refuses a Restriction or
// SortOrder beside it (a CalendarView cannot be restricted or sorted). Ranges over two years
// are ErrorCalendarViewRangeTooBig. At most EWSFindCountLimit items come back at once: 1,000,
// 250 with a restriction (Exchange 2013 and later).
import { ItemError, schemaViolation } from './ews-errors.ts';
import { calendarItemXml, type ItemView, type Shape } from './ews-item-xml.ts';
import { occurrencesBetween } from './ews-recurrence.ts';
import { parseRestriction, type Predicate } from './ews-restriction.ts';
import {
  checkAttributes,
  checkSequence,
  enumAttribute,
  parseDateTimeValue,
  requiredAttribute,
} from './ews-schema.ts';
import { responseMessage } from './ews-soap.ts';
import { seriesClock, type Mailbox } from './ews-store.ts';
import {
  itemIdNames,
  itemView,
  occurrenceView,
  parsePath,
  parseShape,
  resolveFolder,
  resolveItem,
  viewOf,
  type OperationContext,
} from './ews-targets.ts';
import type { OperationResult } from './ews-write-operations.ts';
import { childNamed, ns, tag, type XmlElement } from './ews-xml.ts';

const twoYearsMs = 2 * 366 * 86_400_000;

export function getItem(context: OperationContext, operation: XmlElement): OperationResult {
  checkAttributes(operation, []);
  checkSequence(operation, [
    { name: 'ItemShape', ns: ns.messages, min: 1 },
    { name: 'ItemIds', ns: ns.messages, min: 1 },
  ]);
  const shape = parseShape(childNamed(operation, 'ItemShape', ns.messages)!);
  const ids = childNamed(operation, 'ItemIds', ns.messages)!;
  checkSequence(ids, [{ name: 'Id', choice: itemIdNames, min: 1, max: Infinity }]);
  const messages = ids.children.map((id) => {
    try {
      const { target, mailbox } = resolveItem(context, id);
      return responseMessage('GetItem', {
        content: `<m:Items>${calendarItemXml(viewOf(context.store, mailbox, target), shape, 'GetItem')}</m:Items>`,
      });
    } catch (error) {
      if (!(error instanceof ItemError)) throw error;
      return responseMessage('GetItem', { error, content: '<m:Items/>' });
    }
  });
  return { messages, writes: 0 };
}

const views = [
  'IndexedPageItemView',
  'FractionalPageItemView',
  'SeekToConditionPageItemView',
  'CalendarView',
  'ContactsView',
];

/** The instant of a view's date attribute, or a schema violation. */
function instantAttribute(element: XmlElement, name: string): number {
  const text = requiredAttribute(element, name);
  const parsed = parseDateTimeValue(text);
  if (parsed === undefined)
    throw schemaViolation(
      `The '${name}' attribute is invalid - The value '${text}' is invalid according to its datatype 'http://www.w3.org/2001/XMLSchema:dateTime' - The string '${text}' is not a valid XsdDateTime value.`,
      element,
    );
  const offset = parsed.offset === undefined || parsed.offset === 'Z' ? 'Z' : parsed.offset;
  return Date.parse(`${parsed.wall}${offset}`) + parsed.millis;
}

function maxEntries(view: XmlElement): number | undefined {
  const text = view.attrs['MaxEntriesReturned'];
  if (text === undefined) return undefined;
  const value = integerAttribute(view, 'MaxEntriesReturned', text);
  if (value <= 0) throw new ItemError('ErrorInvalidPagingMaxRows');
  return value;
}

function integerAttribute(element: XmlElement, name: string, text: string): number {
  if (!/^[+-]?\d{1,10}$/.test(text.trim()))
    throw schemaViolation(
      `The '${name}' attribute is invalid - The value '${text}' is invalid according to its datatype 'http://www.w3.org/2001/XMLSchema:int' - The string '${text}' is not a valid Int32 value.`,
      element,
    );
  return Number(text);
}

interface Entry {
  view: ItemView;
  created: number;
  modified: number;
}

function calendarEntries(context: OperationContext, mailbox: Mailbox, fromMs: number, toMs: number): Entry[] {
  const entries: Entry[] = [];
  const overlaps = (start: number, end: number) =>
    (start < toMs && end > fromMs) || (start === end && start >= fromMs && start < toMs);
  for (const item of mailbox.items.values()) {
    const recurrence = item.fields.recurrence;
    if (recurrence === undefined) {
      if (overlaps(item.fields.startMs, item.fields.endMs))
        entries.push({ view: itemView(mailbox, item), created: item.created, modified: item.modified });
      continue;
    }
    const length = item.fields.endMs - item.fields.startMs;
    const starts = new Set(
      occurrencesBetween(recurrence, seriesClock(item.fields), fromMs - length - 1, toMs),
    );
    // An exception moved into the range is in it; one moved out is not.
    for (const original of item.exceptions.keys()) starts.add(original);
    for (const original of starts) {
      if (item.deleted.has(original)) continue;
      const fields = context.store.occurrenceFields(item, original);
      if (!overlaps(fields.startMs, fields.endMs)) continue;
      const view = occurrenceView(context.store, mailbox, item, original);
      entries.push({ view, created: view.created, modified: view.modified });
    }
  }
  return entries.sort(
    (a, b) => a.view.fields.startMs - b.view.fields.startMs || a.view.fields.endMs - b.view.fields.endMs,
  );
}

function sorter(sortOrder: XmlElement | undefined): (a: Entry, b: Entry) => number {
  const byStart = (a: Entry, b: Entry) => a.view.fields.startMs - b.view.fields.startMs;
  if (sortOrder === undefined) return byStart;
  checkSequence(sortOrder, [{ name: 'FieldOrder', min: 1, max: Infinity }]);
  const orders = sortOrder.children.map((fieldOrder) => {
    checkAttributes(fieldOrder, ['Order']);
    requiredAttribute(fieldOrder, 'Order');
    const direction =
      enumAttribute(fieldOrder, 'Order', ['Ascending', 'Descending'] as const, 'SortDirectionType') ===
      'Descending'
        ? -1
        : 1;
    checkSequence(fieldOrder, [
      { name: 'Path', choice: ['FieldURI', 'IndexedFieldURI', 'ExtendedFieldURI', 'Path'], min: 1 },
    ]);
    const path = parsePath(fieldOrder.children[0]!);
    const sortable: Partial<Record<string, (e: Entry) => string | number>> = {
      Start: (e) => e.view.fields.startMs,
      End: (e) => e.view.fields.endMs,
      Subject: (e) => (e.view.fields.subject ?? '').toLowerCase(),
      DateTimeCreated: (e) => e.created,
      LastModifiedTime: (e) => e.modified,
    };
    let key: (e: Entry) => string | number = () => '';
    if (path?.kind === 'extended')
      key = (e) => e.view.fields.extended.find((x) => x.key === path.key)?.value ?? '';
    else if (path !== undefined) {
      const found = sortable[path.element];
      if (found === undefined)
        throw new ItemError(
          'ErrorUnsupportedPathForQuery',
          undefined,
          `<t:FieldURI FieldURI="${path.uri}"/>`,
        );
      key = found;
    }
    return { key, direction };
  });
  return (a, b) => {
    for (const { key, direction } of orders) {
      const x = key(a);
      const y = key(b);
      if (x < y) return -direction;
      if (x > y) return direction;
    }
    return 0;
  };
}

export function findItem(context: OperationContext, operation: XmlElement): OperationResult {
  checkAttributes(operation, ['Traversal']);
  requiredAttribute(operation, 'Traversal');
  const traversal = enumAttribute(
    operation,
    'Traversal',
    ['Shallow', 'SoftDeleted', 'Associated'] as const,
    'ItemQueryTraversalType',
  );
  checkSequence(operation, [
    { name: 'ItemShape', ns: ns.messages, min: 1 },
    { name: 'View', choice: views, ns: ns.messages },
    { name: 'Group', choice: ['GroupBy', 'DistinguishedGroupBy'], ns: ns.messages },
    { name: 'Restriction', ns: ns.messages },
    { name: 'SortOrder', ns: ns.messages },
    { name: 'ParentFolderIds', ns: ns.messages, min: 1 },
    { name: 'QueryString', ns: ns.messages },
  ]);
  const shape: Shape = parseShape(childNamed(operation, 'ItemShape', ns.messages)!);
  const view = operation.children.find((c) => views.includes(c.name));
  const restriction = childNamed(operation, 'Restriction', ns.messages);
  const sortOrder = childNamed(operation, 'SortOrder', ns.messages);
  const folders = childNamed(operation, 'ParentFolderIds', ns.messages)!;
  checkSequence(folders, [
    { name: 'Folder', choice: ['FolderId', 'DistinguishedFolderId'], min: 1, max: Infinity },
  ]);
  let predicate: Predicate | ItemError | undefined;
  try {
    predicate = restriction === undefined ? undefined : parseRestriction(restriction);
  } catch (error) {
    if (!(error instanceof ItemError)) throw error;
    predicate = error;
  }
  let sort: ((a: Entry, b: Entry) => number) | ItemError;
  try {
    sort = sorter(sortOrder);
  } catch (error) {
    if (!(error instanceof ItemError)) throw error;
    sort = error;
  }
  const messages = folders.children.map((folderElement) => {
    try {
      const folder = resolveFolder(context, folderElement);
      if (predicate instanceof ItemError) throw predicate;
      if (sort instanceof ItemError) throw sort;
      for (const unmodeled of ['Group', 'QueryString'] as const)
        if (
          operation.children.some((c) =>
            unmodeled === 'Group'
              ? ['GroupBy', 'DistinguishedGroupBy'].includes(c.name)
              : c.name === 'QueryString',
          )
        )
          throw new ItemError(
            'ErrorInvalidRequest',
            `The EWS sandbox does not model FindItem's ${unmodeled}.`,
          );
      if (view?.name === 'CalendarView')
        return calendarView(
          context,
          folder,
          view,
          restriction !== undefined || sortOrder !== undefined,
          shape,
        );
      if (view !== undefined && view.name !== 'IndexedPageItemView')
        throw new ItemError('ErrorInvalidRequest', `The EWS sandbox does not model FindItem's ${view.name}.`);
      const candidates = folder.calendar && traversal === 'Shallow' ? [...folder.mailbox.items.values()] : [];
      const matching = candidates
        .filter((item) => predicate === undefined || predicate(item.fields, item.created, item.modified))
        .map((item): Entry => ({
          view: itemView(folder.mailbox, item),
          created: item.created,
          modified: item.modified,
        }))
        .sort((a, b) => sort(a, b) || a.view.itemId.localeCompare(b.view.itemId));
      let offset = 0;
      let basePoint: 'Beginning' | 'End' = 'Beginning';
      let max = restriction === undefined ? 1000 : 250;
      if (view !== undefined) {
        checkAttributes(view, ['MaxEntriesReturned', 'Offset', 'BasePoint']);
        offset = integerAttribute(view, 'Offset', requiredAttribute(view, 'Offset'));
        requiredAttribute(view, 'BasePoint');
        basePoint = enumAttribute(view, 'BasePoint', ['Beginning', 'End'] as const, 'IndexBasePointType')!;
        if (offset < 0) throw new ItemError('ErrorInvalidIndexedPagingParameters');
        max = Math.min(max, maxEntries(view) ?? max);
      }
      const total = matching.length;
      const from = basePoint === 'Beginning' ? Math.min(offset, total) : Math.max(0, total - offset - max);
      const to = basePoint === 'Beginning' ? Math.min(total, offset + max) : Math.max(0, total - offset);
      const page = matching.slice(from, to);
      const last = basePoint === 'Beginning' ? to >= total : from === 0;
      return responseMessage('FindItem', {
        content: tag(
          'm:RootFolder',
          {
            IndexedPagingOffset: String(basePoint === 'Beginning' ? to : offset + page.length),
            TotalItemsInView: String(total),
            IncludesLastItemInRange: String(last),
          },
          tag('t:Items', {}, page.map((e) => calendarItemXml(e.view, shape, 'FindItem')).join('')),
        ),
      });
    } catch (error) {
      if (!(error instanceof ItemError)) throw error;
      return responseMessage('FindItem', { error });
    }
  });
  return { messages, writes: 0 };
}

function calendarView(
  context: OperationContext,
  folder: ReturnType<typeof resolveFolder>,
  view: XmlElement,
  restricted: boolean,
  shape: Shape,
): string {
  // A CalendarView expands occurrences: it cannot be restricted or sorted.
  if (restricted)
    throw new ItemError(
      'ErrorInvalidRequest',
      'Restrictions and sort order may not be specified for a CalendarView.',
    );
  if (!folder.calendar) throw new ItemError('ErrorCalendarFolderIsInvalidForCalendarView');
  checkAttributes(view, ['MaxEntriesReturned', 'StartDate', 'EndDate']);
  const fromMs = instantAttribute(view, 'StartDate');
  const toMs = instantAttribute(view, 'EndDate');
  if (toMs < fromMs) throw new ItemError('ErrorCalendarEndDateIsEarlierThanStartDate');
  if (toMs - fromMs > twoYearsMs) throw new ItemError('ErrorCalendarViewRangeTooBig');
  const max = maxEntries(view) ?? 1000;
  const entries = calendarEntries(context, folder.mailbox, fromMs, toMs);
  const page = entries.slice(0, Math.min(max, 1000));
  return responseMessage('FindItem', {
    content: tag(
      'm:RootFolder',
      {
        TotalItemsInView: String(entries.length),
        IncludesLastItemInRange: String(page.length === entries.length),
      },
      tag('t:Items', {}, page.map((e) => calendarItemXml(e.view, shape, 'FindItem')).join('')),
    ),
  });
}
