// The records of the sandbox org and the rules Salesforce applies when a user writes an Event:
// derived fields (ActivityDate, ActivityDateTime, DurationInMinutes, all-day midnight-UTC times),
// validation (field lengths, the ShowAs picklist, Start/End/Duration agreeing, at most 14 days),
// invitees as EventRelation rows plus a child Event per invited user, the recycle bin, and each
// write as one transaction of change events for change data capture. A Lightning series
// (IsRecurrence2) is a series record (GroupEventType 3) plus one Event per occurrence, edited,
// cut and deleted as Salesforce does it.
import { entityIsDeleted, notFound, SalesforceApiError } from './api-error.ts';
import { basicDate, endPatternAt, expandPattern, readPattern, utcDateTime } from './event-series.ts';
import { PackageData } from './package-data.ts';
import { IdFactory, objectOfId } from './salesforce-ids.ts';
import type { SandboxClock } from './sandbox-clock.ts';
import {
  auditValues,
  eventFieldRules,
  formatDateTime,
  isDate,
  parseDateTime,
  schemas,
  type FieldValue,
  type SObjectRecord,
} from './sobject-schema.ts';
import { isTimeZone } from './zoned-time.ts';

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
  /** System permissions of the user's profile; all default to true (an administrator). */
  permissions?: Partial<UserPermissions>;
}

/** The system permissions the sandbox's REST API asks about. */
export interface UserPermissions {
  /** Needed for the limits resource. */
  viewSetupAndConfiguration: boolean;
  /** Needed to see DataStorageMB and FileStorageMB in the limits resource. */
  manageUsers: boolean;
  /** With Modify All Data, either one lets a user configure remote sites (RemoteProxy). */
  customizeApplication: boolean;
  modifyAllData: boolean;
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
  /** The three characters after the key prefix of every id the org makes (default `5g0`). */
  idPod?: string;
  /** Multiday events (Activity Settings): Events up to 14 days long; without, up to a day. Default on. */
  multidayEvents?: boolean;
  /**
   * How long after its 200 answer a DELETE …/fromThisEventOnwards commits its deletions (default
   * 25 ms): Salesforce answers "Wait for all events to be removed" and deletes afterwards.
   */
  seriesDeletionDelayMs?: number;
}

/** A Lightning series as the org holds it: the series record and its occurrence records, in their original order. */
export interface EventSeries {
  series: SObjectRecord;
  occurrences: SObjectRecord[];
}

/** What DELETE …/fromThisEventOnwards answers once it has accepted the request. */
export const fromThisEventOnwardsAnswer = {
  success: 'We’re deleting the selected events from the series. Wait for all events to be removed.',
};

/** Fields a user edits on an occurrence that make it an exception to its series (IsRecurrence2Exception). */
const exceptionFields = [
  'Subject',
  'StartDateTime',
  'EndDateTime',
  'DurationInMinutes',
  'IsAllDayEvent',
  'ActivityDate',
  'Location',
  'Description',
  'ShowAs',
  'IsPrivate',
  'IsReminderSet',
  'ReminderDateTime',
];
/** The fields of a series' pattern: written on the series record only. */
const patternFields = [
  'IsRecurrence2',
  'Recurrence2PatternText',
  'Recurrence2PatternTimeZone',
  'Recurrence2PatternStartDate',
  'Recurrence2PatternVersion',
];
/** Series-record fields whose change replaces every occurrence ("a series change deletes and recreates the series"). */
const seriesTimeFields = [
  'StartDateTime',
  'EndDateTime',
  'DurationInMinutes',
  'IsAllDayEvent',
  'ActivityDate',
  'Recurrence2PatternText',
  'Recurrence2PatternTimeZone',
  'Recurrence2PatternStartDate',
  'Recurrence2PatternVersion',
];
/** Series-record fields that a series edit passes on to the occurrences that are not exceptions. */
const seriesSharedFields = ['Subject', 'Location', 'Description', 'ShowAs', 'IsPrivate', 'WhoId', 'WhatId'];
/** Fields Salesforce sets itself: writing them is INVALID_FIELD_FOR_INSERT_UPDATE. */
const readOnlyFields = [
  'GroupEventType',
  'ActivityRecurrence2Id',
  'IsRecurrence2Exception',
  'IsRecurrence2Exclusion',
];
/** The fields an invitee's child Event takes over from its parent when the parent changes. */
const childFields = [
  'Subject',
  'StartDateTime',
  'EndDateTime',
  'ActivityDateTime',
  'ActivityDate',
  'IsAllDayEvent',
  'DurationInMinutes',
  'Location',
  'Description',
  'IsRecurrence2Exception',
  'Recurrence2PatternText',
];

export class OrgData {
  readonly orgId: string;
  readonly ids: IdFactory;
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
  /** Our Salesforce package: installed or not, its settings' records, and the org's remote sites. */
  readonly package: PackageData;
  readonly #clock: SandboxClock;
  readonly #maxDurationMinutes: number;
  readonly #seriesDeletionDelayMs: number;
  readonly #listeners: ((transaction: EventTransaction) => void)[] = [];
  /** Each occurrence's start as its series' pattern placed it (its "original place in the series"). */
  readonly #originalStart = new Map<string, number>();
  /** Which delete transaction put each record in the recycle bin (an undeleted series record brings back its own). */
  readonly #deletedBy = new Map<string, number>();
  #deletions = 0;

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
    if (options.idPod !== undefined && !/^[0-9A-Za-z]{3}$/.test(options.idPod))
      throw new Error(`an id pod is three letters or digits, not ${JSON.stringify(options.idPod)}`);
    this.ids = new IdFactory(options.idPod);
    this.orgId = options.orgId ?? this.ids.next('Organization');
    this.#maxDurationMinutes =
      options.multidayEvents === false ? maxDurationMinutes.singleDay : maxDurationMinutes.multiday;
    this.#seriesDeletionDelayMs = options.seriesDeletionDelayMs ?? 25;
    this.package = new PackageData({
      orgId: this.orgId,
      ids: this.ids,
      clock,
      users: this.users,
      canConfigureRemoteSites: (userId) => {
        const permissions = this.permissions.get(userId);
        return permissions?.customizeApplication === true || permissions?.modifyAllData === true;
      },
    });
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
        return this.package.records(objectName);
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
      ...auditValues(id, now),
    };
    this.users.set(id, user);
    this.passwords.set(id, input.password ?? 'password');
    this.permissions.set(id, {
      viewSetupAndConfiguration: input.permissions?.viewSetupAndConfiguration ?? true,
      manageUsers: input.permissions?.manageUsers ?? true,
      customizeApplication: input.permissions?.customizeApplication ?? true,
      modifyAllData: input.permissions?.modifyAllData ?? true,
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

  /**
   * Creates an Event. With `IsRecurrence2: true` and a Recurrence2PatternText it creates a
   * Lightning series in one transaction: the series record, then one Event per occurrence, then
   * the invitees' child copies; the answer (as REST's `id`) is the first occurrence.
   */
  createEvent(actorId: string, input: EventInput, options: WriteOptions = {}): SObjectRecord {
    const ownerId = typeof input['OwnerId'] === 'string' ? input['OwnerId'] : actorId;
    const owner = this.users.get(ownerId);
    if (owner === undefined)
      throw new SalesforceApiError(400, 'INVALID_CROSS_REFERENCE_KEY', `invalid owner id: ${ownerId}`, [
        'OwnerId',
      ]);
    const unchecked = options.unchecked === true;
    const now = this.#clock.now();
    const record: SObjectRecord = {
      ...defaultEvent(),
      Id: '',
      ...auditValues(actorId, now),
      OwnerId: ownerId,
    };
    this.#apply(record, input, owner, unchecked);
    this.#checkInvitees(input.invitees ?? []);
    if (
      record['IsRecurrence2'] !== true &&
      !unchecked &&
      typeof input['Recurrence2PatternText'] === 'string'
    ) {
      throw new SalesforceApiError(
        400,
        'FIELD_INTEGRITY_EXCEPTION',
        'Recurrence2PatternText needs IsRecurrence2: a recurrence pattern belongs to a series',
        ['IsRecurrence2'],
      );
    }
    const plan =
      record['IsRecurrence2'] === true ? this.#seriesPlan(record, input, owner, unchecked) : undefined;
    if (plan !== undefined)
      return this.#createSeries(actorId, record, plan, input.invitees ?? [], now, options);
    record.Id = this.ids.next('Event');
    this.events.set(record.Id, record);
    const children = this.#invite(record, input.invitees ?? [], actorId, now);
    // One transaction: the Event first, then its invitees' copies (Salesforce gives each its own
    // CREATE, since their values differ), numbered in the order they were made.
    this.#commit([record, ...children].map(created), actorId, options);
    return record;
  }

  updateEvent(actorId: string, id: string, input: EventInput, options: WriteOptions = {}): SObjectRecord {
    const record = this.#liveEvent(id);
    if (isSeriesRecord(record)) return this.#updateSeries(actorId, record, input, options);
    const unchecked = options.unchecked === true;
    if (!unchecked && record['IsRecurrence2'] === true) {
      // An occurrence (or an invitee's copy of one) holds no pattern of its own to change.
      const written = patternFields.find((field) => input[field] !== undefined);
      if (written !== undefined) {
        throw new SalesforceApiError(
          400,
          'FIELD_INTEGRITY_EXCEPTION',
          `${written} can't be changed on one occurrence of a series: change the series record`,
          [written],
        );
      }
    } else if (
      !unchecked &&
      (input['IsRecurrence2'] === true || typeof input['Recurrence2PatternText'] === 'string')
    ) {
      throw new SalesforceApiError(
        400,
        'FIELD_INTEGRITY_EXCEPTION',
        "An existing event can't become a series: create the series as a new event",
        [input['IsRecurrence2'] === true ? 'IsRecurrence2' : 'Recurrence2PatternText'],
      );
    }
    const ownerId = typeof input['OwnerId'] === 'string' ? input['OwnerId'] : String(record['OwnerId']);
    const owner = this.users.get(ownerId);
    if (owner === undefined)
      throw new SalesforceApiError(400, 'INVALID_CROSS_REFERENCE_KEY', `invalid owner id: ${ownerId}`, [
        'OwnerId',
      ]);
    const draft: SObjectRecord = { ...record, OwnerId: ownerId };
    this.#apply(draft, input, owner, unchecked);
    this.#checkInvitees(input.invitees ?? []);
    // An occurrence edited on its own becomes an exception to its series.
    if (isOccurrence(record) && exceptionFields.some((field) => draft[field] !== record[field]))
      draft['IsRecurrence2Exception'] = true;
    const now = this.#clock.now();
    const changed = Object.keys(draft).filter((field) => draft[field] !== record[field]);
    const previousModifier = record['LastModifiedById'];
    Object.assign(record, draft, { LastModifiedById: actorId, LastModifiedDate: now, SystemModstamp: now });
    const children = this.#children(record.Id);
    for (const child of children) this.#follow(child, record, actorId, now);
    const wasGroupEvent = record['IsGroupEvent'];
    const wasGroupType = record['GroupEventType'];
    const added = this.#invite(record, input.invitees ?? [], actorId, now);
    if (record['IsGroupEvent'] !== wasGroupEvent && !changed.includes('IsGroupEvent'))
      changed.push('IsGroupEvent');
    if (record['GroupEventType'] !== wasGroupType && !changed.includes('GroupEventType'))
      changed.push('GroupEventType');
    const changedFields = updateFields(changed, previousModifier, actorId);
    this.#commit(
      [
        { changeType: 'UPDATE', records: [record, ...children], bodyFields: changedFields, changedFields },
        ...added.map(created),
      ],
      actorId,
      options,
    );
    return record;
  }

  /**
   * Deletes an Event and its invitees' copies (to the recycle bin). The series record of a
   * Lightning series takes every occurrence with it; an occurrence goes alone, its series stays.
   */
  deleteEvent(actorId: string, id: string, options: WriteOptions = {}): void {
    const record = this.#liveEvent(id);
    const now = this.#clock.now();
    const targets = isSeriesRecord(record)
      ? [record, ...this.#occurrencesOf(record).flatMap((o) => [o, ...this.#children(o.Id)])]
      : [record, ...this.#children(record.Id)];
    this.#commit([this.#delete(targets, actorId, now)], actorId, options);
  }

  undeleteEvent(actorId: string, id: string, options: WriteOptions = {}): SObjectRecord {
    const record = this.findEvent(id);
    if (record === undefined || record['IsDeleted'] !== true) {
      throw new SalesforceApiError(400, 'UNDELETE_FAILED', `entity is not in the recycle bin: ${id}`);
    }
    const now = this.#clock.now();
    // A series record comes back with the occurrences deleted with it (in the same transaction).
    const deletedWith = this.#deletedBy.get(record.Id);
    const occurrences = isSeriesRecord(record)
      ? this.#occurrencesOf(record, true).filter(
          (o) => o['IsDeleted'] === true && this.#deletedBy.get(o.Id) === deletedWith,
        )
      : [];
    const targets = [record, ...this.#children(record.Id, true)];
    for (const occurrence of occurrences) targets.push(occurrence, ...this.#children(occurrence.Id, true));
    for (const target of targets) {
      Object.assign(target, {
        IsDeleted: false,
        LastModifiedById: actorId,
        LastModifiedDate: now,
        SystemModstamp: now,
      });
      this.deletedAt.delete(target.Id);
      this.#deletedBy.delete(target.Id);
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

  /** The series an Event belongs to (its series record, or an occurrence's), with its live occurrences. */
  seriesOf(id: string): EventSeries | undefined {
    const record = this.findEvent(id);
    if (record === undefined) return undefined;
    const series = isSeriesRecord(record) ? record : this.#seriesRecordOf(record);
    return series === undefined ? undefined : { series, occurrences: this.#occurrencesOf(series) };
  }

  /**
   * DELETE /sobjects/Event/{id}/fromThisEventOnwards (REST API Developer Guide, Delete Lightning
   * Experience Event Series): checks the request at once (throwing INVALID_OPERATION for an Event
   * it does not take) and commits the deletions a moment later, as Salesforce does after its
   * "Wait for all events to be removed" answer. From the series' first occurrence it deletes the
   * whole series; from a later one, that occurrence and every later one (by their original place),
   * and the series' pattern is cut to end before it. Resolves once the deletions are committed.
   */
  deleteFromThisEventOnwards(actorId: string, id: string, options: WriteOptions = {}): Promise<void> {
    const record = this.#liveEvent(id);
    const refuse = (reason: string) =>
      new SalesforceApiError(400, 'INVALID_OPERATION', `Can't delete from this event onwards: ${reason}`);
    if (record['IsRecurrence2'] !== true)
      throw refuse('the event isn’t part of an event series (IsRecurrence2 is false)');
    if (record['IsRecurrence2Exclusion'] === true)
      throw refuse('the event no longer follows its series (IsRecurrence2Exclusion is true)');
    if (record['IsChild'] === true) throw refuse('the event is a child event of an invitee');
    if (isSeriesRecord(record))
      throw refuse('the id is the series record, not an occurrence; use the id of an occurrence');
    const series = this.#seriesRecordOf(record);
    if (series === undefined || series['IsDeleted'] === true)
      throw refuse('the event’s series no longer exists');
    const seriesStart = Number(series['Recurrence2PatternStartDate']);
    if (Number(record['StartDateTime']) < seriesStart)
      throw refuse('the event occurs before the original value of Recurrence2PatternStartDate');
    const occurrenceId = record.Id;
    const seriesId = series.Id;
    return new Promise((resolve) => {
      setTimeout(() => {
        try {
          this.#cutSeries(actorId, occurrenceId, seriesId, options);
        } finally {
          resolve();
        }
      }, this.#seriesDeletionDelayMs);
    });
  }

  /** The deletions of an accepted DELETE …/fromThisEventOnwards, as one transaction. */
  #cutSeries(actorId: string, occurrenceId: string, seriesId: string, options: WriteOptions): void {
    const series = this.events.get(seriesId);
    const from = this.#originalStart.get(occurrenceId);
    const target = this.events.get(occurrenceId);
    if (series?.['IsDeleted'] !== false || from === undefined || target?.['IsDeleted'] !== false) return;
    const now = this.#clock.now();
    const occurrences = this.#occurrencesOf(series);
    if (from === series['Recurrence2PatternStartDate']) {
      const targets = [series, ...occurrences.flatMap((o) => [o, ...this.#children(o.Id)])];
      this.#commit([this.#delete(targets, actorId, now)], actorId, options);
      return;
    }
    const text = String(series['Recurrence2PatternText']);
    const previous = expandPattern(text, this.#timing(series))
      .filter((start) => start < from)
      .at(-1);
    if (previous === undefined) return;
    const cut = endPatternAt(
      text,
      series['IsAllDayEvent'] === true ? basicDate(previous) : utcDateTime(previous),
    );
    // The pattern travels on every record of the series: each one still standing takes the cut.
    const kept = occurrences.filter((o) => (this.#originalStart.get(o.Id) ?? 0) < from);
    const updates = [series, ...kept.flatMap((o) => [o, ...this.#children(o.Id)])].map((record) => {
      const previousModifier = record['LastModifiedById'];
      Object.assign(record, {
        Recurrence2PatternText: cut,
        LastModifiedById: actorId,
        LastModifiedDate: now,
        SystemModstamp: now,
      });
      return { record, changedFields: updateFields(['Recurrence2PatternText'], previousModifier, actorId) };
    });
    const deleted = occurrences
      .filter((o) => (this.#originalStart.get(o.Id) ?? 0) >= from)
      .flatMap((o) => [o, ...this.#children(o.Id)]);
    this.#commit([...mergedUpdates(updates), this.#delete(deleted, actorId, now)], actorId, options);
  }

  /** What a series write must hold, checked (unless `unchecked`): the occurrences' starts and the pattern's zone. */
  #seriesPlan(
    record: SObjectRecord,
    input: EventInput,
    owner: SObjectRecord,
    unchecked: boolean,
  ): { starts: number[]; timeZone: string } | undefined {
    const fail = (errorCode: string, message: string, field: string) => {
      if (unchecked) return undefined;
      throw new SalesforceApiError(400, errorCode, message, [field]);
    };
    const text = record['Recurrence2PatternText'];
    if (typeof text !== 'string' || text === '')
      return fail(
        'REQUIRED_FIELD_MISSING',
        'Required fields are missing: [Recurrence2PatternText]',
        'Recurrence2PatternText',
      );
    const timeZone = String(record['Recurrence2PatternTimeZone'] ?? owner['TimeZoneSidKey'] ?? 'UTC');
    if (!isTimeZone(timeZone))
      return fail(
        'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
        `Recurrence2PatternTimeZone: bad value for restricted picklist field: ${timeZone}`,
        'Recurrence2PatternTimeZone',
      );
    const version = input['Recurrence2PatternVersion'];
    if (version !== undefined && version !== null && version !== '1')
      return fail(
        'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
        `Pattern Version: bad value for restricted picklist field: ${String(version)}`,
        'Recurrence2PatternVersion',
      );
    const pattern = readPattern(text);
    if (!(pattern instanceof Map))
      return fail(
        'FIELD_INTEGRITY_EXCEPTION',
        `Recurrence2PatternText: ${pattern.problem}`,
        'Recurrence2PatternText',
      );
    const start = record['StartDateTime'];
    if (typeof start !== 'number') return undefined;
    const allDay = record['IsAllDayEvent'] === true;
    const starts = expandPattern(text, { start, allDay, timeZone });
    if (starts[0] !== start)
      return fail(
        'FIELD_INTEGRITY_EXCEPTION',
        `Recurrence2PatternText: the series' start (${allDay ? String(record['ActivityDate']) : formatDateTime(start)}) isn't an occurrence of its pattern`,
        'Recurrence2PatternText',
      );
    const startDate = record['Recurrence2PatternStartDate'];
    if (input['Recurrence2PatternStartDate'] !== undefined && startDate !== start)
      return fail(
        'FIELD_INTEGRITY_EXCEPTION',
        'Recurrence2PatternStartDate: must be the start of the series’ first occurrence',
        'Recurrence2PatternStartDate',
      );
    return { starts, timeZone };
  }

  #createSeries(
    actorId: string,
    record: SObjectRecord,
    plan: { starts: number[]; timeZone: string },
    invitees: string[],
    now: number,
    options: WriteOptions,
  ): SObjectRecord {
    Object.assign(record, {
      Id: this.ids.next('Event'),
      GroupEventType: '3',
      IsRecurrence2: true,
      Recurrence2PatternTimeZone: plan.timeZone,
      Recurrence2PatternVersion: '1',
      Recurrence2PatternStartDate: record['StartDateTime'],
      IsRecurrence2Exception: false,
      IsRecurrence2Exclusion: false,
      ActivityRecurrence2Id: this.ids.next('ActivityRecurrence2'),
    });
    this.events.set(record.Id, record);
    const occurrences = plan.starts.map((start) => this.#newOccurrence(record, start, actorId, now));
    this.#invite(record, invitees, actorId, now, false);
    const children = occurrences.flatMap((o) => this.#invite(o, invitees, actorId, now));
    // One transaction: the series record (sequence 1), each occurrence, then the invitees' copies.
    this.#commit([record, ...occurrences, ...children].map(created), actorId, options);
    return occurrences[0] ?? record;
  }

  /** One occurrence record of `series` starting at `start`: the series' values at its own times. */
  #newOccurrence(series: SObjectRecord, start: number, actorId: string, now: number): SObjectRecord {
    const allDay = series['IsAllDayEvent'] === true;
    const minutes = Number(series['DurationInMinutes'] ?? 0);
    const reminder = series['ReminderDateTime'];
    const seriesStart = Number(series['StartDateTime']);
    const ownerZone = String(this.users.get(String(series['OwnerId']))?.['TimeZoneSidKey'] ?? 'UTC');
    const occurrence: SObjectRecord = {
      ...series,
      Id: this.ids.next('Event'),
      ...auditValues(actorId, now),
      GroupEventType: '0',
      IsGroupEvent: false,
      IsChild: false,
      IsRecurrence2Exception: false,
      IsRecurrence2Exclusion: false,
      StartDateTime: start,
      EndDateTime: allDay
        ? start + (Math.max(1, Math.round(minutes / 1440)) - 1) * day
        : start + minutes * minute,
      ActivityDateTime: allDay ? null : start,
      ActivityDate: allDay ? new Date(start).toISOString().slice(0, 10) : localDate(start, ownerZone),
      ReminderDateTime: typeof reminder === 'number' ? start - (seriesStart - reminder) : null,
    };
    this.events.set(occurrence.Id, occurrence);
    this.#originalStart.set(occurrence.Id, start);
    return occurrence;
  }

  /**
   * PATCH of a series record. Only values that do not move an occurrence (Subject, Location,
   * Description, ShowAs, IsPrivate, WhoId, WhatId, the reminder, the owner): the series record
   * and every occurrence that is not an exception take them. The pattern, its zone or the times:
   * every occurrence, exceptions included, is deleted and new ones are made, in the same
   * transaction as the series record's UPDATE.
   */
  #updateSeries(
    actorId: string,
    series: SObjectRecord,
    input: EventInput,
    options: WriteOptions,
  ): SObjectRecord {
    const unchecked = options.unchecked === true;
    if (!unchecked && input['IsRecurrence2'] !== undefined && input['IsRecurrence2'] !== true) {
      throw new SalesforceApiError(
        400,
        'FIELD_INTEGRITY_EXCEPTION',
        "A series can't stop repeating: delete it, or delete from one of its events onwards",
        ['IsRecurrence2'],
      );
    }
    const ownerId = typeof input['OwnerId'] === 'string' ? input['OwnerId'] : String(series['OwnerId']);
    const owner = this.users.get(ownerId);
    if (owner === undefined)
      throw new SalesforceApiError(400, 'INVALID_CROSS_REFERENCE_KEY', `invalid owner id: ${ownerId}`, [
        'OwnerId',
      ]);
    const draft: SObjectRecord = { ...series, OwnerId: ownerId };
    this.#apply(draft, input, owner, unchecked);
    this.#checkInvitees(input.invitees ?? []);
    const retimed = seriesTimeFields.some((field) => draft[field] !== series[field]);
    const plan = retimed ? this.#seriesPlan(draft, input, owner, unchecked) : undefined;
    if (plan !== undefined) {
      draft['Recurrence2PatternTimeZone'] = plan.timeZone;
      draft['Recurrence2PatternStartDate'] = draft['StartDateTime'] ?? null;
    }
    const now = this.#clock.now();
    const changed = Object.keys(draft).filter((field) => draft[field] !== series[field]);
    const before = { ...series };
    Object.assign(series, draft, { LastModifiedById: actorId, LastModifiedDate: now, SystemModstamp: now });
    const updates = [
      { record: series, changedFields: updateFields(changed, before['LastModifiedById'], actorId) },
    ];
    const changes: EventChange[] = [];
    const createdRecords: SObjectRecord[] = [];
    let occurrences = this.#occurrencesOf(series);
    if (plan !== undefined) {
      const gone = occurrences.flatMap((o) => [o, ...this.#children(o.Id)]);
      changes.push(this.#delete(gone, actorId, now));
      const invited = this.#inviteesOf(series.Id);
      occurrences = plan.starts.map((start) => this.#newOccurrence(series, start, actorId, now));
      createdRecords.push(
        ...occurrences,
        ...occurrences.flatMap((o) => this.#invite(o, invited, actorId, now)),
      );
    } else {
      for (const occurrence of occurrences) {
        const next: SObjectRecord = { ...occurrence, OwnerId: series['OwnerId'] ?? null };
        if (occurrence['IsRecurrence2Exception'] !== true) {
          for (const field of seriesSharedFields) next[field] = series[field] ?? null;
          if (
            series['IsReminderSet'] !== before['IsReminderSet'] ||
            series['ReminderDateTime'] !== before['ReminderDateTime']
          ) {
            const reminder = series['ReminderDateTime'];
            next['IsReminderSet'] = series['IsReminderSet'] ?? false;
            next['ReminderDateTime'] =
              typeof reminder === 'number'
                ? Number(occurrence['StartDateTime']) - (Number(series['StartDateTime']) - reminder)
                : null;
          }
        }
        const moved = Object.keys(next).filter((field) => next[field] !== occurrence[field]);
        if (moved.length === 0) continue;
        const previousModifier = occurrence['LastModifiedById'];
        Object.assign(occurrence, next, {
          LastModifiedById: actorId,
          LastModifiedDate: now,
          SystemModstamp: now,
        });
        const fields = updateFields(moved, previousModifier, actorId);
        updates.push({ record: occurrence, changedFields: fields });
        for (const child of this.#children(occurrence.Id)) {
          const childBefore = { ...child };
          this.#follow(child, occurrence, actorId, now);
          const childMoved = Object.keys(child).filter(
            (field) =>
              child[field] !== childBefore[field] &&
              !['LastModifiedDate', 'SystemModstamp', 'LastModifiedById'].includes(field),
          );
          if (childMoved.length > 0)
            updates.push({
              record: child,
              changedFields: updateFields(childMoved, childBefore['LastModifiedById'], actorId),
            });
        }
      }
    }
    const invitees = input.invitees ?? [];
    this.#invite(series, invitees, actorId, now, false);
    createdRecords.push(...occurrences.flatMap((o) => this.#invite(o, invitees, actorId, now)));
    this.#commit([...mergedUpdates(updates), ...changes, ...createdRecords.map(created)], actorId, options);
    return series;
  }

  /** Marks `targets` deleted (recycle bin): one DELETE change event for them all. */
  #delete(targets: SObjectRecord[], actorId: string, now: number): EventChange {
    const deletion = ++this.#deletions;
    for (const target of targets) {
      Object.assign(target, { IsDeleted: true, LastModifiedById: actorId, SystemModstamp: now });
      this.deletedAt.set(target.Id, now);
      this.#deletedBy.set(target.Id, deletion);
    }
    // The same change to several records of one transaction is one change event for all of them.
    return { changeType: 'DELETE', records: targets, bodyFields: [], changedFields: [] };
  }

  /** An invitee's child Event takes over its parent's changed values. */
  #follow(child: SObjectRecord, parent: SObjectRecord, actorId: string, now: number): void {
    for (const field of childFields) child[field] = parent[field] ?? null;
    Object.assign(child, { LastModifiedById: actorId, LastModifiedDate: now, SystemModstamp: now });
  }

  /** The series record of an occurrence (or of an invitee's copy of one). */
  #seriesRecordOf(record: SObjectRecord): SObjectRecord | undefined {
    const key = record['ActivityRecurrence2Id'];
    if (record['IsRecurrence2'] !== true || typeof key !== 'string') return undefined;
    for (const event of this.events.values())
      if (isSeriesRecord(event) && event['ActivityRecurrence2Id'] === key) return event;
    return undefined;
  }

  /** The occurrence records of a series (live ones unless `includeDeleted`), by their original place. */
  #occurrencesOf(series: SObjectRecord, includeDeleted = false): SObjectRecord[] {
    const key = series['ActivityRecurrence2Id'];
    return [...this.events.values()]
      .filter(
        (e) =>
          isOccurrence(e) &&
          e['ActivityRecurrence2Id'] === key &&
          (includeDeleted || e['IsDeleted'] !== true),
      )
      .sort((a, b) => (this.#originalStart.get(a.Id) ?? 0) - (this.#originalStart.get(b.Id) ?? 0));
  }

  /** Who is invited to an Event (its EventRelation rows' RelationIds). */
  #inviteesOf(eventId: string): string[] {
    return [...this.relations.values()]
      .filter((r) => r['EventId'] === eventId && r['IsInvitee'] === true)
      .map((r) => String(r['RelationId']));
  }

  /** Where a series' occurrences fall. */
  #timing(series: SObjectRecord) {
    return {
      start: Number(series['StartDateTime']),
      allDay: series['IsAllDayEvent'] === true,
      timeZone: String(series['Recurrence2PatternTimeZone'] ?? 'UTC'),
    };
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
      if (!unchecked && readOnlyFields.includes(name)) {
        throw new SalesforceApiError(
          400,
          'INVALID_FIELD_FOR_INSERT_UPDATE',
          `Unable to create/update fields: ${name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
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

  /**
   * Adds EventRelation rows for new invitees and, unless `withChildren` is false (a series
   * record), a child Event for each invited user; returns the children made. An occurrence of a
   * series with invitees is a group event (GroupEventType 1), as its invitees' copies are.
   */
  #invite(
    parent: SObjectRecord,
    invitees: string[],
    actorId: string,
    now: number,
    withChildren = true,
  ): SObjectRecord[] {
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
        ...auditValues(actorId, now),
      };
      if (parent['GroupEventType'] === '0') parent['GroupEventType'] = '1';
      if (known.type === 'User' && withChildren) {
        const child: SObjectRecord = {
          ...parent,
          Id: this.ids.next('Event'),
          OwnerId: relationId,
          IsChild: true,
          IsGroupEvent: true,
          ...auditValues(actorId, now),
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
      ...auditValues(this.users.keys().next().value ?? id, this.#clock.now()),
    };
  }
}

/** The fields of a record that hold a value: what a CREATE change event carries. */
function filledFields(record: SObjectRecord): string[] {
  return Object.keys(record).filter((field) => record[field] !== null && record[field] !== undefined);
}

/** A record's CREATE change: every field with a value. */
function created(record: SObjectRecord): EventChange {
  return { changeType: 'CREATE', records: [record], bodyFields: filledFields(record), changedFields: [] };
}

/**
 * The changedFields of an UPDATE: the fields it changed and LastModifiedDate, and
 * LastModifiedById only when someone else saved the record last (Change Data Capture Developer
 * Guide, Change Event Body Fields); SystemModstamp is never part of a change event.
 */
function updateFields(
  changed: string[],
  previousModifier: FieldValue | undefined,
  actorId: string,
): string[] {
  const fields = changed.filter(
    (field) => !['LastModifiedDate', 'LastModifiedById', 'SystemModstamp'].includes(field),
  );
  return [...fields, 'LastModifiedDate', ...(previousModifier === actorId ? [] : ['LastModifiedById'])];
}

/** UPDATEs of one transaction, the identical ones (same fields, same values) merged into one change event. */
function mergedUpdates(updates: { record: SObjectRecord; changedFields: string[] }[]): EventChange[] {
  const groups = new Map<string, EventChange>();
  for (const { record, changedFields } of updates) {
    const key = JSON.stringify(changedFields.map((field) => [field, record[field] ?? null]));
    const group = groups.get(key);
    if (group === undefined)
      groups.set(key, { changeType: 'UPDATE', records: [record], bodyFields: changedFields, changedFields });
    else group.records.push(record);
  }
  return [...groups.values()];
}

/** The series record of a Lightning series: the pattern, not a meeting (GroupEventType 3). */
function isSeriesRecord(record: SObjectRecord): boolean {
  return record['GroupEventType'] === '3' && record['IsRecurrence2'] === true && record['IsChild'] !== true;
}

/** One occurrence record of a Lightning series (not an invitee's copy of one). */
function isOccurrence(record: SObjectRecord): boolean {
  return (
    record['IsRecurrence2'] === true &&
    typeof record['ActivityRecurrence2Id'] === 'string' &&
    record['GroupEventType'] !== '3' &&
    record['IsChild'] !== true
  );
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
    Recurrence2PatternVersion: null,
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
