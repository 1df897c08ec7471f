// The objects and fields the sandbox org knows, with Salesforce's field types: what SOQL may
// select and compare, how values are written on the wire (datetimes as
// 2026-11-24T09:00:00.000+0000, dates as 2026-11-24), and the limits Salesforce puts on the
// Event fields a user writes. Records hold datetimes as epoch ms.

export type FieldType =
  | 'id'
  | 'string'
  | 'textarea'
  | 'picklist'
  | 'boolean'
  | 'int'
  | 'datetime'
  | 'date'
  | 'reference'
  /** A Tooling API object's Metadata: a JSON object, held on the record as its JSON text. */
  | 'complexvalue';
export type FieldValue = string | number | boolean | null;
export type SObjectRecord = Record<string, FieldValue> & { Id: string };

export interface ObjectSchema {
  name: string;
  fields: Record<string, FieldType>;
  /** Relationship name → the field holding the related id (Owner → OwnerId). */
  relationships: Record<string, string>;
  /** Fields a query may select but not filter on (a Tooling object's FullName and Metadata). */
  unfilterable?: string[];
  /** Fields a query may select only when it returns at most one row (FullName and Metadata again). */
  singleRowFields?: string[];
}

const audit = {
  CreatedById: 'reference',
  CreatedDate: 'datetime',
  LastModifiedById: 'reference',
  LastModifiedDate: 'datetime',
  SystemModstamp: 'datetime',
} as const;

/** The audit fields of a record that `actorId` creates at `now` (epoch ms). */
export function auditValues(actorId: string, now: number) {
  return {
    CreatedById: actorId,
    CreatedDate: now,
    LastModifiedById: actorId,
    LastModifiedDate: now,
    SystemModstamp: now,
  };
}

export const schemas: Record<string, ObjectSchema> = {
  Event: {
    name: 'Event',
    fields: {
      Id: 'id',
      Subject: 'string',
      StartDateTime: 'datetime',
      EndDateTime: 'datetime',
      ActivityDateTime: 'datetime',
      IsAllDayEvent: 'boolean',
      ActivityDate: 'date',
      DurationInMinutes: 'int',
      Location: 'string',
      Description: 'textarea',
      ShowAs: 'picklist',
      IsPrivate: 'boolean',
      OwnerId: 'reference',
      WhoId: 'reference',
      WhatId: 'reference',
      IsChild: 'boolean',
      IsGroupEvent: 'boolean',
      GroupEventType: 'picklist',
      IsReminderSet: 'boolean',
      ReminderDateTime: 'datetime',
      IsDeleted: 'boolean',
      IsRecurrence2: 'boolean',
      Recurrence2PatternText: 'textarea',
      Recurrence2PatternStartDate: 'datetime',
      Recurrence2PatternTimeZone: 'string',
      Recurrence2PatternVersion: 'picklist',
      IsRecurrence2Exception: 'boolean',
      IsRecurrence2Exclusion: 'boolean',
      ActivityRecurrence2Id: 'reference',
      IsRecurrence: 'boolean',
      RecurrenceType: 'picklist',
      RecurrenceInterval: 'int',
      RecurrenceDayOfWeekMask: 'int',
      RecurrenceDayOfMonth: 'int',
      RecurrenceInstance: 'picklist',
      RecurrenceMonthOfYear: 'picklist',
      RecurrenceStartDateTime: 'datetime',
      RecurrenceEndDateOnly: 'date',
      RecurrenceTimeZoneSidKey: 'picklist',
      ...audit,
    },
    relationships: { Owner: 'OwnerId', CreatedBy: 'CreatedById', LastModifiedBy: 'LastModifiedById' },
  },
  EventRelation: {
    name: 'EventRelation',
    fields: {
      Id: 'id',
      EventId: 'reference',
      RelationId: 'reference',
      IsInvitee: 'boolean',
      IsParent: 'boolean',
      IsWhat: 'boolean',
      Status: 'picklist',
      Response: 'string',
      RespondedDate: 'datetime',
      IsDeleted: 'boolean',
      ...audit,
    },
    relationships: { Relation: 'RelationId', Event: 'EventId' },
  },
  User: {
    name: 'User',
    fields: {
      Id: 'id',
      Username: 'string',
      Email: 'string',
      FirstName: 'string',
      LastName: 'string',
      Name: 'string',
      Alias: 'string',
      TimeZoneSidKey: 'picklist',
      IsActive: 'boolean',
      ...audit,
    },
    relationships: {},
  },
  Contact: {
    name: 'Contact',
    fields: {
      Id: 'id',
      FirstName: 'string',
      LastName: 'string',
      Name: 'string',
      Email: 'string',
      IsDeleted: 'boolean',
      ...audit,
    },
    relationships: {},
  },
  Lead: {
    name: 'Lead',
    fields: {
      Id: 'id',
      FirstName: 'string',
      LastName: 'string',
      Name: 'string',
      Email: 'string',
      Company: 'string',
      IsDeleted: 'boolean',
      ...audit,
    },
    relationships: {},
  },
};

/**
 * What Salesforce checks when an Event is written: the text fields' lengths (Subject and Location
 * are Text(255), Description a Long Text Area(32000)), the labels its error messages name fields
 * by, and the values of the restricted picklist ShowAs ("Show Time As": Busy, Out of Office or
 * Free, Object Reference for the Salesforce Platform, Event).
 */
export const eventFieldRules = {
  maxLength: { Subject: 255, Location: 255, Description: 32_000 } as Record<string, number>,
  labels: {
    Subject: 'Subject',
    Location: 'Location',
    Description: 'Description',
    ShowAs: 'Show Time As',
  } as Record<string, string>,
  showAs: ['Busy', 'OutOfOffice', 'Free'],
};

/**
 * A hierarchy custom setting's standard fields: Name (Text(38), which the API leaves empty unless
 * written), SetupOwnerId (the org, a profile or a user the record is for) and the audit fields.
 */
const hierarchySetting = {
  Id: 'id',
  Name: 'string',
  SetupOwnerId: 'reference',
  IsDeleted: 'boolean',
  ...audit,
} as const;

/**
 * The custom settings of our Salesforce package (salesforce-package/), which the org has only while
 * the package is installed: the "ClientId Config" setting the server configures after Connect,
 * the protected one holding the webhook secret, and the trigger's off switch.
 */
export const packageSchemas: Record<string, ObjectSchema> = {
  InstantSync_Config__c: {
    name: 'InstantSync_Config__c',
    fields: {
      ...hierarchySetting,
      ClientId__c: 'string',
      TenantUrl__c: 'string',
      Status__c: 'string',
      ExpiresAt__c: 'datetime',
      StatusUpdatedAt__c: 'datetime',
      LastError__c: 'string',
    },
    relationships: {},
  },
  InstantSync_Secret__c: {
    name: 'InstantSync_Secret__c',
    fields: { ...hierarchySetting, WebhookSecret__c: 'string' },
    relationships: {},
  },
  InstantSync_Trigger_Settings__c: {
    name: 'InstantSync_Trigger_Settings__c',
    fields: { ...hierarchySetting, Disabled__c: 'boolean' },
    relationships: {},
  },
};

/**
 * What Salesforce checks when a package setting is written: each Text field's length (Name is
 * Text(38) on every custom setting), and the labels its messages name fields by: the package's
 * (salesforce-package/…/fields/*.field-meta.xml), and "Location" for SetupOwnerId.
 */
export const packageFieldRules = {
  maxLength: {
    Name: 38,
    ClientId__c: 20,
    TenantUrl__c: 255,
    Status__c: 40,
    LastError__c: 255,
    WebhookSecret__c: 255,
  } as Record<string, number>,
  labels: {
    Name: 'Name',
    SetupOwnerId: 'Location',
    ClientId__c: 'ClientId',
    TenantUrl__c: 'Tenant URL',
    Status__c: 'Connection status',
    ExpiresAt__c: 'Refresh token expires',
    StatusUpdatedAt__c: 'Status updated at',
    LastError__c: 'Last error',
    WebhookSecret__c: 'Webhook secret',
    Disabled__c: 'Disable the Event trigger',
  } as Record<string, string>,
};

/**
 * The Tooling API's objects the sandbox has: RemoteProxy, a Remote Site Setting (Tooling API,
 * RemoteProxy). FullName and Metadata can be neither filtered on nor read for more than one row
 * at a time, as for every Tooling object that carries them.
 */
export const toolingSchemas: Record<string, ObjectSchema> = {
  RemoteProxy: {
    name: 'RemoteProxy',
    fields: {
      Id: 'id',
      SiteName: 'string',
      EndpointUrl: 'string',
      Description: 'textarea',
      IsActive: 'boolean',
      ProtocolMismatch: 'boolean',
      NamespacePrefix: 'string',
      ManageableState: 'picklist',
      FullName: 'string',
      Metadata: 'complexvalue',
      ...audit,
    },
    relationships: {},
    unfilterable: ['FullName', 'Metadata'],
    singleRowFields: ['FullName', 'Metadata'],
  },
};

/** The fields of the polymorphic "Name" object a relationship like Owner or Relation points to. */
export const nameFields: Record<string, FieldType> = {
  Id: 'id',
  Name: 'string',
  Email: 'string',
  FirstName: 'string',
  LastName: 'string',
  Username: 'string',
  Alias: 'string',
  Type: 'string',
};

export function findSchema(
  objectName: string,
  among: Record<string, ObjectSchema> = schemas,
): ObjectSchema | undefined {
  const wanted = objectName.toLowerCase();
  return Object.values(among).find((s) => s.name.toLowerCase() === wanted);
}

/** The canonical spelling of `field` on `fields`, matched case-insensitively as Salesforce does. */
export function canonicalField(fields: Record<string, FieldType>, field: string): string | undefined {
  const wanted = field.toLowerCase();
  return Object.keys(fields).find((name) => name.toLowerCase() === wanted);
}

/** A field value as Salesforce's REST API writes it. */
export function toWire(type: FieldType, value: FieldValue | undefined): FieldValue {
  if (value === undefined || value === null) return null;
  if (type === 'datetime' && typeof value === 'number') return formatDateTime(value);
  return value;
}

export function formatDateTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** Parses the datetime forms Salesforce accepts (ISO 8601 with Z, ±hh:mm or ±hhmm). */
export function parseDateTime(text: string): number | undefined {
  const normalized = text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(normalized))
    return undefined;
  const ms = Date.parse(normalized);
  return Number.isNaN(ms) ? undefined : ms;
}

export function isDate(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(Date.parse(`${text}T00:00:00Z`));
}
