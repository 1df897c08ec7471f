// The records of the sandbox org and the rules Salesforce applies when a user writes an Event:
// derived fields (ActivityDate, ActivityDateTime, DurationInMinutes, all-day midnight-UTC times),
// validation (field lengths, the ShowAs picklist, Start/End/Duration agreeing, at most 14 days),
// invitees as EventRelation rows plus a child Event per invited user, the recycle bin, and each
// write as one transaction of change events for change data capture.
import { entityIsDeleted, notFound, SalesforceApiError } from './api-error.ts';
import { IdFactory, objectOfId } from './salesforce-ids.ts';
import type { SandboxClock } from './sandbox-clock.ts';
import {
  eventFieldRules,
  isDate,
  parseDateTime,
  schemas,
  type FieldValue,
  type SObjectRecord,
} from './sobject-schema.ts';

const minute = 60_000;
const day = 86_400_000;
/**
 * The longest Event, in minutes, unless it recurs: 14 days with multiday events (enabled in
 * Activity Settings), a day without them, when Salesforce answers "Duration must be between 0
 * and 1440 minutes" (FIELD_INTEGRITY_EXCEPTION on DurationInMinutes).
 */
const maxDurationMinutes = { multiday: 14 * 1440, singleDay: 1440 };

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
  /** System permissions of the user's profile; both default to true (an administrator). */
  permissions?: Partial<UserPermissions>;
}

/** The system permissions the sandbox's REST API asks about. */
export interface UserPermissions {
  /** Needed for the limits resource. */
  viewSetupAndConfiguration: boolean;
  /** Needed to see DataStorageMB and FileStorageMB in the limits resource. */
  manageUsers: boolean;
}

/** One change within a transaction, as change data capture reports it. */
export interface EventChange {
  changeType: 'CREATE' | 'UPDATE' | 'DELETE' | 'UNDELETE';
  /** The records after the write (for DELETE, as they were). */
  records: SObjectRecord[];
  /** Fields the change event's body carries: all with a value (CREATE, UNDELETE), the changed ones (UPDATE). */
  bodyFields: string[];
  /** The header's changedFields: the changed fields of an UPDATE, empty for every other change. */
  changedFields: string[];
}

/** One committed transaction of Event writes: its changes in order, who made them and how. */
export interface EventTransaction {
  changes: EventChange[];
  commitUser: string;
  commitTimestamp: number;
  /** The API and client that made it (com/salesforce/api/rest/66.0;client=…), empty when no API did. */
  changeOrigin: string;
}

/** How a write reaches the org: validation off for test data, and the API that made it. */
export interface WriteOptions {
  unchecked?: boolean;
  changeOrigin?: string;
}

export interface OrgDataOptions {
  orgId?: string;
  /** Multiday events (Activity Settings): Events up to 14 days long; without, up to a day. Default on. */
  multidayEvents?: boolean;
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
  /** Each user's system permissions. */
  readonly permissions = new Map<string, UserPermissions>();
  readonly #clock: SandboxClock;
  readonly #maxDurationMinutes: number;
  readonly #listeners: ((transaction: EventTransaction) => void)[] = [];

  /** Calls `listener` after every committed Event transaction (the change data capture feed). */
  onEventWrite(listener: (transaction: EventTransaction) => void): void {
    this.#listeners.push(listener);
  }

  #commit(changes: EventChange[], commitUser: string, options: WriteOptions): void {
    const written = changes.filter((change) => change.records.length > 0);
    if (written.length === 0) return;
    const transaction = {
      changes: written,
      commitUser,
      commitTimestamp: this.#clock.now(),
      changeOrigin: options.changeOrigin ?? '',
    };
    for (const listener of this.#listeners) listener(transaction);
  }

  constructor(clock: SandboxClock, options: OrgDataOptions = {}) {
    this.#clock = clock;
    this.orgId = options.orgId ?? this.ids.next('Organization');
    this.#maxDurationMinutes =
      options.multidayEvents === false ? maxDurationMinutes.singleDay : maxDurationMinutes.multiday;
  }

  /** An Event by its 18- or 15-character id (Salesforce takes either), deleted or not. */
  findEvent(id: string): SObjectRecord | undefined {
    if (id.length === 15) {
      for (const [key, record] of this.events) if (key.slice(0, 15) === id) return record;
      return undefined;
    }
    return this.events.get(id);
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
    this.permissions.set(id, {
      viewSetupAndConfiguration: input.permissions?.viewSetupAndConfiguration ?? true,
      manageUsers: input.permissions?.manageUsers ?? true,
    });
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

  createEvent(actorId: string, input: EventInput, options: WriteOptions = {}): SObjectRecord {
    const ownerId = typeof input['OwnerId'] === 'string' ? input['OwnerId'] : actorId;
    const owner = this.users.get(ownerId);
    if (owner === undefined)
      throw new SalesforceApiError(400, 'INVALID_CROSS_REFERENCE_KEY', `invalid owner id: ${ownerId}`, [
        'OwnerId',
      ]);
    const now = this.#clock.now();
    const record: SObjectRecord = {
      ...defaultEvent(),
      Id: '',
      ...this.#audit(actorId, now),
      OwnerId: ownerId,
    };
    this.#apply(record, input, owner, options.unchecked === true);
    this.#checkInvitees(input.invitees ?? []);
    record.Id = this.ids.next('Event');
    this.events.set(record.Id, record);
    const children = this.#invite(record, input.invitees ?? [], actorId, now);
    // One transaction: the Event first, then its invitees' copies (Salesforce gives each its own
    // CREATE, since their values differ), numbered in the order they were made.
    this.#commit(
      [record, ...children].map((created) => ({
        changeType: 'CREATE',
        records: [created],
        bodyFields: filledFields(created),
        changedFields: [],
      })),
      actorId,
      options,
    );
    return record;
  }

  updateEvent(actorId: string, id: string, input: EventInput, options: WriteOptions = {}): SObjectRecord {
    const record = this.#liveEvent(id);
    const ownerId = typeof input['OwnerId'] === 'string' ? input['OwnerId'] : String(record['OwnerId']);
    const owner = this.users.get(ownerId);
    if (owner === undefined)
      throw new SalesforceApiError(400, 'INVALID_CROSS_REFERENCE_KEY', `invalid owner id: ${ownerId}`, [
        'OwnerId',
      ]);
    const draft: SObjectRecord = { ...record, OwnerId: ownerId };
    this.#apply(draft, input, owner, options.unchecked === true);
    this.#checkInvitees(input.invitees ?? []);
    const now = this.#clock.now();
    const changed = Object.keys(draft).filter((field) => draft[field] !== record[field]);
    const previousModifier = record['LastModifiedById'];
    Object.assign(record, draft, { LastModifiedById: actorId, LastModifiedDate: now, SystemModstamp: now });
    const children = this.#children(record.Id);
    for (const child of children) {
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
    const wasGroupEvent = record['IsGroupEvent'];
    const added = this.#invite(record, input.invitees ?? [], actorId, now);
    if (record['IsGroupEvent'] !== wasGroupEvent && !changed.includes('IsGroupEvent'))
      changed.push('IsGroupEvent');
    // An update lists the fields it changed and LastModifiedDate, and LastModifiedById only when
    // someone else saved the record last (Change Data Capture Developer Guide, Change Event Body
    // Fields); SystemModstamp is never part of a change event.
    const changedFields = [
      ...changed,
      'LastModifiedDate',
      ...(previousModifier === actorId ? [] : ['LastModifiedById']),
    ];
    this.#commit(
      [
        { changeType: 'UPDATE', records: [record, ...children], bodyFields: changedFields, changedFields },
        ...added.map((created) => ({
          changeType: 'CREATE' as const,
          records: [created],
          bodyFields: filledFields(created),
          changedFields: [],
        })),
      ],
      actorId,
      options,
    );
    return record;
  }

  deleteEvent(actorId: string, id: string, options: WriteOptions = {}): void {
    const record = this.#liveEvent(id);
    const now = this.#clock.now();
    const targets = [record, ...this.#children(record.Id)];
    for (const target of targets) {
      Object.assign(target, { IsDeleted: true, LastModifiedById: actorId, SystemModstamp: now });
      this.deletedAt.set(target.Id, now);
    }
    // The same change to several records of one transaction is one change event for all of them.
    this.#commit(
      [{ changeType: 'DELETE', records: targets, bodyFields: [], changedFields: [] }],
      actorId,
      options,
    );
  }

  undeleteEvent(actorId: string, id: string, options: WriteOptions = {}): SObjectRecord {
    const record = this.findEvent(id);
    if (record === undefined || record['IsDeleted'] !== true) {
      throw new SalesforceApiError(400, 'UNDELETE_FAILED', `entity is not in the recycle bin: ${id}`);
    }
    const now = this.#clock.now();
    const targets = [record, ...this.#children(record.Id, true)];
    for (const target of targets) {
      Object.assign(target, {
        IsDeleted: false,
        LastModifiedById: actorId,
        LastModifiedDate: now,
        SystemModstamp: now,
      });
      this.deletedAt.delete(target.Id);
    }
    this.#commit(
      targets.map((target) => ({
        changeType: 'UNDELETE',
        records: [target],
        bodyFields: filledFields(target),
        changedFields: [],
      })),
      actorId,
      options,
    );
    return record;
  }

  /** The Event a write names: NOT_FOUND when there is none, ENTITY_IS_DELETED when it is in the recycle bin. */
  #liveEvent(id: string): SObjectRecord {
    const record = this.findEvent(id);
    if (record === undefined) throw notFound();
    if (record['IsDeleted'] === true) throw entityIsDeleted();
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
    const problems: SalesforceApiError[] = [...this.#fieldProblems(input)];
    // A recurring series may span longer than one Event may last.
    const recurring = record['IsRecurrence'] === true || record['IsRecurrence2'] === true;
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
        if (!recurring && days * 1440 > this.#maxDurationMinutes) problems.push(this.#tooLong());
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
        const endGiven = input.EndDateTime !== undefined && input.EndDateTime !== null;
        const durationGiven = input.DurationInMinutes !== undefined && input.DurationInMinutes !== null;
        let end = record['EndDateTime'];
        if ((durationGiven && !endGiven) || typeof end !== 'number')
          end = start + Number(record['DurationInMinutes'] ?? 0) * minute;
        const minutes = Math.round((end - start) / minute);
        if (end < start) {
          problems.push(
            new SalesforceApiError(
              400,
              'FIELD_INTEGRITY_EXCEPTION',
              "End Date Time: End time can't be before start time",
              ['EndDateTime'],
            ),
          );
        } else if (durationGiven && endGiven && Number(input.DurationInMinutes) !== minutes) {
          // Either one derives the other; written together, they must agree.
          problems.push(
            new SalesforceApiError(
              400,
              'FIELD_INTEGRITY_EXCEPTION',
              `Duration: ${String(input.DurationInMinutes)} minutes doesn't match the ${minutes} minutes from the start to the end time`,
              ['DurationInMinutes'],
            ),
          );
        } else if (!recurring && minutes > this.#maxDurationMinutes) {
          problems.push(this.#tooLong());
        }
        Object.assign(record, {
          EndDateTime: end,
          DurationInMinutes: minutes,
          ActivityDateTime: start,
          ActivityDate: localDate(start, String(owner['TimeZoneSidKey'] ?? 'UTC')),
        });
      }
    }
    if (!unchecked && problems[0] !== undefined) throw problems[0];
  }

  /** Refuses the write before anything is stored when an invitee is no user, contact or lead. */
  #checkInvitees(invitees: string[]): void {
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
    }
  }

  /** Adds EventRelation rows for new invitees; returns the child Events made for invited users. */
  /**
   * What is wrong with the values written, field by field: text longer than the field holds
   * ("Subject: data value too large: … (max length=255)", STRING_TOO_LONG) and a ShowAs outside
   * its restricted picklist ("Show Time As: bad value for restricted picklist field: …").
   */
  #fieldProblems(input: EventInput): SalesforceApiError[] {
    const problems: SalesforceApiError[] = [];
    const label = (field: string) => eventFieldRules.labels[field] ?? field;
    for (const [field, max] of Object.entries(eventFieldRules.maxLength)) {
      const value = input[field];
      if (typeof value === 'string' && value.length > max) {
        problems.push(
          new SalesforceApiError(
            400,
            'STRING_TOO_LONG',
            `${label(field)}: data value too large: ${value} (max length=${max})`,
            [field],
          ),
        );
      }
    }
    const showAs = input['ShowAs'];
    if (showAs !== undefined && showAs !== null && !eventFieldRules.showAs.includes(String(showAs))) {
      problems.push(
        new SalesforceApiError(
          400,
          'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
          `${label('ShowAs')}: bad value for restricted picklist field: ${String(showAs)}`,
          ['ShowAs'],
        ),
      );
    }
    return problems;
  }

  #tooLong(): SalesforceApiError {
    return new SalesforceApiError(
      400,
      'FIELD_INTEGRITY_EXCEPTION',
      `Duration must be between 0 and ${this.#maxDurationMinutes} minutes`,
      ['DurationInMinutes'],
    );
  }

  #invite(parent: SObjectRecord, invitees: string[], actorId: string, now: number): SObjectRecord[] {
    const children: SObjectRecord[] = [];
    for (const relationId of invitees) {
      const known = this.lookup(relationId);
      if (known === undefined) continue;
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
        children.push(child);
        relation['ChildEventId'] = child.Id;
      }
      parent['IsGroupEvent'] = true;
      this.relations.set(relation.Id, relation);
    }
    return children;
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
