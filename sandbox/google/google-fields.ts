// Partial responses: the `fields` parameter every Google JSON API takes ("items(id,status),
// nextPageToken", "id", "start/dateTime"), which leaves out of the answer whatever was not
// asked for, so a client that forgets to ask for a field it reads finds out here as it would
// against Google. A name the resource does not have is 400 "Invalid field selection".
import { invalidParameter } from './google-errors.ts';

/** The Event resource's fields (Calendar API v3 discovery document). */
const eventFields = (
  'anyoneCanAddSelf attachments attendees attendeesOmitted birthdayProperties colorId conferenceData created ' +
  'creator description end endTimeUnspecified etag eventLabelId eventType extendedProperties focusTimeProperties ' +
  'gadget guestsCanInviteOthers guestsCanModify guestsCanSeeOtherGuests hangoutLink htmlLink iCalUID id kind ' +
  'location locked organizer originalStartTime outOfOfficeProperties privateCopy recurrence recurringEventId ' +
  'reminders sequence source start status summary transparency updated visibility workingLocationProperties'
).split(' ');

/** The Events collection's fields. */
const eventsFields =
  'accessRole defaultReminders description etag items kind nextPageToken nextSyncToken summary timeZone updated'.split(
    ' ',
  );

type Selection = Map<string, Selection | true>;

/** Reads a field mask into a tree: "items(id,start/dateTime),nextPageToken". */
function parse(mask: string): Selection {
  let at = 0;
  const fail = (): never => {
    throw invalidParameter('fields', `Invalid field selection ${mask}`);
  };
  const list = (closing: boolean): Selection => {
    const selection: Selection = new Map();
    for (;;) {
      const path: string[] = [];
      for (;;) {
        const name = /^(\*|[A-Za-z][A-Za-z0-9_]*)/.exec(mask.slice(at))?.[1] ?? fail();
        at += name.length;
        path.push(name);
        if (mask[at] !== '/') break;
        at++;
      }
      let leaf: Selection | true = true;
      if (mask[at] === '(') {
        at++;
        leaf = list(true);
      }
      let node = selection;
      path.forEach((name, i) => {
        if (i === path.length - 1) {
          const existing = node.get(name);
          node.set(
            name,
            existing === undefined || existing === true || leaf === true ? leaf : merge(existing, leaf),
          );
          return;
        }
        const next = node.get(name);
        if (next === true) return;
        const child: Selection = next ?? new Map<string, Selection | true>();
        node.set(name, child);
        node = child;
      });
      if (mask[at] === ',') {
        at++;
        continue;
      }
      if (closing) {
        if (mask[at] !== ')') fail();
        at++;
      } else if (at !== mask.length) fail();
      return selection;
    }
  };
  return list(false);
}

function merge(a: Selection, b: Selection): Selection {
  const merged: Selection = new Map(a);
  for (const [key, value] of b) {
    const existing = merged.get(key);
    merged.set(
      key,
      existing === undefined || existing === true || value === true ? true : merge(existing, value),
    );
  }
  return merged;
}

function check(selection: Selection, known: string[], nested: (name: string) => string[] | undefined): void {
  for (const [name, child] of selection) {
    if (name !== '*' && !known.includes(name))
      throw invalidParameter('fields', `Invalid field selection ${name}`);
    const inner = nested(name);
    if (child !== true && inner !== undefined) check(child, inner, () => undefined);
  }
}

function apply(value: unknown, selection: Selection): unknown {
  if (Array.isArray(value)) return value.map((item) => apply(item, selection));
  if (typeof value !== 'object' || value === null) return value;
  if (selection.has('*')) return value;
  const picked: Record<string, unknown> = {};
  for (const [name, child] of selection) {
    const field = (value as Record<string, unknown>)[name];
    if (field === undefined) continue;
    picked[name] = child === true ? field : apply(field, child);
  }
  return picked;
}

/** The answer with only the fields `mask` asks for (all of it without a mask). */
export function selectFields(
  json: Record<string, unknown>,
  mask: string | undefined,
  kind: 'event' | 'events',
): unknown {
  if (mask === undefined || mask.trim() === '') return json;
  const selection = parse(mask.replaceAll(/\s+/g, ''));
  if (kind === 'event') check(selection, eventFields, () => undefined);
  else check(selection, eventsFields, (name) => (name === 'items' ? eventFields : undefined));
  return apply(json, selection);
}
