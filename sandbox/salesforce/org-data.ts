// The records of the sandbox org and the rules Salesforce applies when a user writes an Event:
// derived fields (ActivityDate, ActivityDateTime, DurationInMinutes, all-day midnight-UTC times),
// validation, invitees as EventRelation rows plus a child Event per invited user, the recycle bin.
import { SalesforceApiError } from './api-error.ts';
import { IdFactory, objectOfId } from './salesforce-ids.ts';
import type { SandboxClock } from './sandbox-clock.ts';
import { isDate, parseDateTime, schemas, type FieldValue, type SObjectRecord } from './sobject-schema.ts';

const minute = 60_000;
const day = 86_400_000;

/** Event fields as a user writes them (times as ISO strings, dates as YYYY-MM-DD), plus invitees. */
export interface EventInput {
  Subject?: string | null;
  StartDateTime?: string | null;
  EndDateTime?: string | null;
  IsAllDayEvent?: boolean;
  ActivityDate?: string | null;
  DurationInMinutes?: number | null;
  [field: string]: FieldValue | string[] | undefined;
  /** User, Contact or Lead ids to invite. */
  invitees?: string[];
}

export interface UserInput {
  id?: string;
  username: string;
  email: string;
  firstName?: string;
  lastName?: string;
  timeZoneSidKey?: string;
  isActive?: boolean;
  password?: string;
}

/** One committed write to Events, as change data capture reports it. */
export interface EventWrite {
  changeType: 'CREATE' | 'UPDATE' | 'DELETE' | 'UNDELETE';
  /** The records after the write (for DELETE, as they were). */
  records: SObjectRecord[];
  /** Fields whose value changed (UPDATE) or that hold a value (CREATE, UNDELETE). */
  changedFields: string[];
  commitUser: string;
  commitTimestamp: number;
}

export class OrgData {
  readonly orgId: string;
  readonly ids = new IdFactory();
  readonly users = new Map<string, SObjectRecord>();
  readonly passwords = new Map<string, string>();
  readonly contacts = new Map<string, SObjectRecord>();
  readonly leads = new Map<string, SObjectRecord>();
  readonly events = new Map<string, SObjectRecord>();
  readonly relations = new Map<string, SObjectRecord>();
  /** When each deleted Event went to the recycle bin. */
  readonly deletedAt = new Map<string, number>();
  readonly #clock: SandboxClock;
  readonly #listeners: ((write: EventWrite) => void)[] = [];

  /** Calls `listener` after every committed Event write (the change data capture feed). */
  onEventWrite(listener: (write: EventWrite) => void): void {
    this.#listeners.push(listener);
  }

  #emit(write: Omit<EventWrite, 'commitTimestamp'>): void {
    if (write.records.length === 0) return;
    for (const listener of this.#listeners) listener({ ...write, commitTimestamp: this.#clock.now() });
  }

  constructor(clock: SandboxClock, orgId?: string) {
    this.#clock = clock;
    this.orgId = orgId ?? this.ids.next('Organization');
  }

  records(objectName: string): SObjectRecord[] {
    switch (objectName) {
      case 'Event':
        return [...this.events.values()];
      case 'EventRelation':
        return [...this.relations.values()];
      case 'User':
        return [...this.users.values()];
      case 'Contact':
        return [...this.contacts.values()];
      case 'Lead':
        return [...this.leads.values()];
      default:
        return [];
    }
  }

  /** Any record by id (for relationship lookups), with the object it belongs to. */
  lookup(id: string): { type: string; record: SObjectRecord } | undefined {
    const type = objectOfId(id);
    const record =
      type === 'User'
        ? this.users.get(id)
        : type === 'Contact'
          ? this.contacts.get(id)
          : type === 'Lead'
            ? this.leads.get(id)
            : type === 'Event'
              ? this.events.get(id)
              : undefined;
    return type === undefined || record === undefined ? undefined : { type, record };
  }

  addUser(input: UserInput): SObjectRecord {
    if ([...this.users.values()].some((u) => u['Username'] === input.username)) {
      throw new SalesforceApiError(400, 'DUPLICATE_USERNAME', `Duplicate Username: ${input.username}`);
    }
    const now = this.#clock.now();
    const id = input.id ?? this.ids.next('User');
    const firstName = input.firstName ?? input.username.split('@')[0] ?? 'User';
    const lastName = input.lastName ?? 'Sandbox';
    const user: SObjectRecord = {
      Id: id,
      Username: input.username,
      Email: input.email,
      FirstName: firstName,
      LastName: lastName,
      Name: `${firstName} ${lastName}`,
      Alias: firstName.slice(0, 8),
      TimeZoneSidKey: input.timeZoneSidKey ?? 'America/Los_Angeles',
      IsActive: input.isActive ?? true,
      ...this.#audit(id, now),
    };
    this.users.set(id, user);
    this.passwords.set(id, input.password ?? 'password');
    return user;
  }

  addContact(input: { firstName?: string; lastName: string; email?: string }): SObjectRecord {
    const id = this.ids.next('Contact');
    const record = this.#person(id, input.firstName, input.lastName, input.email);
    this.contacts.set(id, record);
    return record;
  }

  addLead(input: { firstName?: string; lastName: string; email?: string; company?: string }): SObjectRecord {
    const id = this.ids.next('Lead');
    const record = {
      ...this.#person(id, input.firstName, input.lastName, input.email),
      Company: input.company ?? null,
    };
    this.leads.set(id, record);
    return record;
  }

  createEvent(actorId: string, input: EventInput, options: { unchecked?: boolean } = {}): SObjectRecord {
    const ownerId = typeof input['OwnerId'] === 'string' ? input['OwnerId'] : actorId;
    const owner = this.users.get(ownerId);
    if (owner === undefined)
      throw new SalesforceApiError(400, 'INVALID_CROSS_REFERENCE_KEY', `invalid owner id: ${ownerId}`, [
        'OwnerId',
      ]);
    const now = this.#clock.now();
    const id = this.ids.next('Event');
    const record: SObjectRecord = {
      ...defaultEvent(),
      Id: id,
      ...this.#audit(actorId, now),
      OwnerId: ownerId,
    };
    this.#apply(record, input, owner, options.unchecked === true);
    this.events.set(id, record);
    const existing = new Set(this.events.keys());
    if (input.invitees !== undefined && input.invitees.length > 0) {
      this.#invite(record, input.invitees, actorId, now);
    }
    const children = [...this.events.values()].filter((event) => !existing.has(event.Id));
    for (const created of [record, ...children]) {
      this.#emit({
        changeType: 'CREATE',
        records: [created],
        changedFields: filledFields(created),
        commitUser: actorId,
      });
    }
    return record;
  }

  updateEvent(
    actorId: string,
    id: string,
    input: EventInput,
    options: { unchecked?: boolean } = {},
  ): SObjectRecord {
    const record = this.#liveEvent(id);
    const ownerId = typeof input['OwnerId'] === 'string' ? input['OwnerId'] : String(record['OwnerId']);
    const owner = this.users.get(ownerId);
    if (owner === undefined)
      throw new SalesforceApiError(400, 'INVALID_CROSS_REFERENCE_KEY', `invalid owner id: ${ownerId}`, [
        'OwnerId',
      ]);
    const draft: SObjectRecord = { ...record, OwnerId: ownerId };
    this.#apply(draft, input, owner, options.unchecked === true);
    const now = this.#clock.now();
    const changed = Object.keys(draft).filter((field) => draft[field] !== record[field]);
    Object.assign(record, draft, { LastModifiedById: actorId, LastModifiedDate: now, SystemModstamp: now });
    for (const child of this.#children(id)) {
      for (const field of [
        'Subject',
        'StartDateTime',
        'EndDateTime',
        'ActivityDateTime',
        'ActivityDate',
        'IsAllDayEvent',
        'DurationInMinutes',
        'Location',
        'Description',
      ]) {
        child[field] = record[field] ?? null;
      }
      Object.assign(child, { LastModifiedById: actorId, LastModifiedDate: now, SystemModstamp: now });
    }
    if (input.invitees !== undefined) this.#invite(record, input.invitees, actorId, now);
    const changedFields = [...changed, 'LastModifiedById', 'LastModifiedDate'];
    this.#emit({
      changeType: 'UPDATE',
      records: [record, ...this.#children(id)],
      changedFields,
      commitUser: actorId,
    });
    return record;
  }

  deleteEvent(actorId: string, id: string): void {
    const record = this.#liveEvent(id);
    const now = this.#clock.now();
    const targets = [record, ...this.#children(id)];
    for (const target of targets) {
      Object.assign(target, { IsDeleted: true, LastModifiedById: actorId, SystemModstamp: now });
      this.deletedAt.set(target.Id, now);
    }
    this.#emit({ changeType: 'DELETE', records: targets, changedFields: [], commitUser: actorId });
  }

  undeleteEvent(actorId: string, id: string): SObjectRecord {
    const record = this.events.get(id);
    if (record === undefined || record['IsDeleted'] !== true) {
      throw new SalesforceApiError(400, 'UNDELETE_FAILED', `entity is not in the recycle bin: ${id}`);
    }
    const now = this.#clock.now();
    const targets = [record, ...this.#children(id, true)];
    for (const target of targets) {
      Object.assign(target, {
        IsDeleted: false,
        LastModifiedById: actorId,
        LastModifiedDate: now,
        SystemModstamp: now,
      });
      this.deletedAt.delete(target.Id);
    }
    for (const target of targets) {
      this.#emit({
        changeType: 'UNDELETE',
        records: [target],
        changedFields: filledFields(target),
        commitUser: actorId,
      });
    }
    return record;
  }

  #liveEvent(id: string): SObjectRecord {
    const record = this.events.get(id);
    if (record === undefined || record['IsDeleted'] === true) {
      throw new SalesforceApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
    }
    return record;
  }

  #children(parentId: string, includeDeleted = false): SObjectRecord[] {
    const childIds = [...this.relations.values()]
      .filter((r) => r['EventId'] === parentId && r['ChildEventId'] !== undefined)
      .map((r) => String(r['ChildEventId']));
    return childIds
      .map((childId) => this.events.get(childId))
      .filter((e): e is SObjectRecord => e !== undefined && (includeDeleted || e['IsDeleted'] !== true));
  }

  /** Copies the user's fields onto `record` and derives what Salesforce derives; validates unless `unchecked`. */
  #apply(record: SObjectRecord, input: EventInput, owner: SObjectRecord, unchecked: boolean): void {
    const fields = schemas['Event']?.fields ?? {};
    for (const [name, value] of Object.entries(input)) {
      if (name === 'invitees' || value === undefined) continue;
      const type = fields[name];
      if (
        type === undefined ||
        ['Id', 'IsDeleted', 'IsChild', 'CreatedDate', 'SystemModstamp', 'LastModifiedDate'].includes(name)
      ) {
        throw new SalesforceApiError(
          400,
          'INVALID_FIELD',
          `No such column '${name}' on sobject of type Event`,
          [name],
        );
      }
      record[name] =
        type === 'datetime' && typeof value === 'string'
          ? parseWritableDateTime(name, value)
          : (value as FieldValue);
    }
    const problems: SalesforceApiError[] = [];
    if (record['IsAllDayEvent'] === true) {
      const date = record['ActivityDate'];
      if (typeof date !== 'string' || !isDate(date)) {
        problems.push(
          new SalesforceApiError(
            400,
            'REQUIRED_FIELD_MISSING',
            'Required fields are missing: [ActivityDate]',
            ['ActivityDate'],
          ),
        );
      } else {
        const start = Date.parse(`${date}T00:00:00Z`);
        const end =
          typeof record['EndDateTime'] === 'number' && input.EndDateTime !== undefined
            ? record['EndDateTime']
            : undefined;
        const days =
          end !== undefined
            ? Math.max(1, Math.round((end - start) / day) + 1)
            : Math.max(1, Math.round(Number(record['DurationInMinutes'] ?? 1440) / 1440));
        Object.assign(record, {
          StartDateTime: start,
          EndDateTime: start + (days - 1) * day,
          DurationInMinutes: days * 1440,
          ActivityDateTime: null,
        });
      }
    } else {
      const start = record['StartDateTime'];
      if (typeof start !== 'number') {
        problems.push(
          new SalesforceApiError(
            400,
            'REQUIRED_FIELD_MISSING',
            'Required fields are missing: [StartDateTime]',
            ['StartDateTime'],
          ),
        );
      } else {
        const durationGiven = input.DurationInMinutes !== undefined && input.EndDateTime === undefined;
        let end = record['EndDateTime'];
        if (durationGiven || typeof end !== 'number')
          end = start + Number(record['DurationInMinutes'] ?? 0) * minute;
        if (typeof end === 'number' && end < start) {
          problems.push(
            new SalesforceApiError(
              400,
              'FIELD_INTEGRITY_EXCEPTION',
              "End Date Time: End time can't be before start time",
              ['EndDateTime'],
            ),
          );
        }
        Object.assign(record, {
          EndDateTime: end,
          DurationInMinutes: Math.round((end - start) / minute),
          ActivityDateTime: start,
          ActivityDate: localDate(start, String(owner['TimeZoneSidKey'] ?? 'UTC')),
        });
      }
    }
    const description = record['Description'];
    if (typeof description === 'string' && description.length > 32_000) {
      problems.push(
        new SalesforceApiError(400, 'STRING_TOO_LONG', 'Description: data value too large', ['Description']),
      );
    }
    if (!unchecked && problems[0] !== undefined) throw problems[0];
  }

  #invite(parent: SObjectRecord, invitees: string[], actorId: string, now: number): void {
    for (const relationId of invitees) {
      const known = this.lookup(relationId);
      if (known === undefined || !['User', 'Contact', 'Lead'].includes(known.type)) {
        throw new SalesforceApiError(
          400,
          'INVALID_CROSS_REFERENCE_KEY',
          `invalid invitee id: ${relationId}`,
          ['RelationId'],
        );
      }
      const exists = [...this.relations.values()].some(
        (r) => r['EventId'] === parent.Id && r['RelationId'] === relationId,
      );
      if (exists) continue;
      const relation: SObjectRecord = {
        Id: this.ids.next('EventRelation'),
        EventId: parent.Id,
        RelationId: relationId,
        IsInvitee: true,
        IsParent: false,
        IsWhat: false,
        Status: 'New',
        Response: null,
        RespondedDate: null,
        IsDeleted: false,
        ...this.#audit(actorId, now),
      };
      if (known.type === 'User') {
        const child: SObjectRecord = {
          ...parent,
          Id: this.ids.next('Event'),
          OwnerId: relationId,
          IsChild: true,
          IsGroupEvent: true,
          ...this.#audit(actorId, now),
        };
        this.events.set(child.Id, child);
        relation['ChildEventId'] = child.Id;
      }
      parent['IsGroupEvent'] = true;
      this.relations.set(relation.Id, relation);
    }
  }

  #person(
    id: string,
    firstName: string | undefined,
    lastName: string,
    email: string | undefined,
  ): SObjectRecord {
    return {
      Id: id,
      FirstName: firstName ?? null,
      LastName: lastName,
      Name: firstName === undefined ? lastName : `${firstName} ${lastName}`,
      Email: email ?? null,
      IsDeleted: false,
      ...this.#audit(this.users.keys().next().value ?? id, this.#clock.now()),
    };
  }

  #audit(actorId: string, now: number) {
    return {
      CreatedById: actorId,
      CreatedDate: now,
      LastModifiedById: actorId,
      LastModifiedDate: now,
      SystemModstamp: now,
    };
  }
}

/** The fields of a record that hold a value: what a CREATE change event carries. */
function filledFields(record: SObjectRecord): string[] {
  return Object.keys(record).filter((field) => record[field] !== null && record[field] !== undefined);
}

function defaultEvent(): Record<string, FieldValue> {
  return {
    Subject: null,
    Location: null,
    Description: null,
    ShowAs: 'Busy',
    IsPrivate: false,
    IsAllDayEvent: false,
    ActivityDate: null,
    DurationInMinutes: null,
    WhoId: null,
    WhatId: null,
    IsChild: false,
    IsGroupEvent: false,
    GroupEventType: null,
    IsReminderSet: false,
    ReminderDateTime: null,
    IsDeleted: false,
    IsRecurrence2: false,
    Recurrence2PatternText: null,
    Recurrence2PatternStartDate: null,
    Recurrence2PatternTimeZone: null,
    IsRecurrence2Exception: false,
    IsRecurrence2Exclusion: false,
    ActivityRecurrence2Id: null,
    IsRecurrence: false,
    RecurrenceType: null,
    RecurrenceInterval: null,
    RecurrenceDayOfWeekMask: null,
    RecurrenceDayOfMonth: null,
    RecurrenceInstance: null,
    RecurrenceMonthOfYear: null,
    RecurrenceStartDateTime: null,
    RecurrenceEndDateOnly: null,
    RecurrenceTimeZoneSidKey: null,
  };
}

function parseWritableDateTime(field: string, text: string): number {
  const ms = parseDateTime(text);
  if (ms === undefined) {
    throw new SalesforceApiError(
      400,
      'JSON_PARSER_ERROR',
      `Cannot deserialize instance of datetime from VALUE_STRING value ${text} for field ${field}`,
      [field],
    );
  }
  return ms;
}

/** The calendar date of `ms` in the IANA time zone `timeZone` (Salesforce's TimeZoneSidKey). */
function localDate(ms: number, timeZone: string): string {
  try {
    return new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).format(ms);
  } catch {
    return new Date(ms).toISOString().slice(0, 10);
  }
}
