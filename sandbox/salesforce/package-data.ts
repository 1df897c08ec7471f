// Our Salesforce package as the org holds it: whether it is installed, the records of its
// hierarchy custom settings, and the Remote Site Settings (the Tooling API's RemoteProxy) that
// anyone with the permission made through the API. The rules are Salesforce's where it documents
// them: one record per SetupOwnerId (the org default has the org's id, others a profile's or a
// user's), a SetupOwnerId left out on create meaning the org, Text fields held to their length,
// and a remote site created and changed only through its Metadata, named once, its URL kept as
// scheme, host and port on the ports Salesforce allows. Uninstalling deletes the settings and
// their records; the remote sites, made through the API, stay.
import { notFound, SalesforceApiError } from './api-error.ts';
import {
  caseSafeSuffix,
  isSalesforceId,
  objectOfId,
  type IdFactory,
  type KeyPrefixedObject,
} from './salesforce-ids.ts';
import type { SandboxClock } from './sandbox-clock.ts';
import {
  auditValues,
  packageFieldRules,
  packageSchemas,
  parseDateTime,
  findSchema,
  type FieldValue,
  type ObjectSchema,
  type SObjectRecord,
} from './sobject-schema.ts';

/** What the package needs of the org around it. */
export interface PackageHost {
  orgId: string;
  ids: IdFactory;
  clock: SandboxClock;
  users: ReadonlyMap<string, SObjectRecord>;
  /** Whether a user may configure remote sites ("Customize Application" or "Modify All Data"). */
  canConfigureRemoteSites(userId: string): boolean;
}

/** A remote site as the control API reports it. */
export interface RemoteSite {
  id: string;
  fullName: string;
  url: string;
  isActive: boolean;
  disableProtocolSecurity: boolean;
  description: string | null;
}

/** Fields Salesforce sets on every record: writing one is INVALID_FIELD_FOR_INSERT_UPDATE. */
const systemFields = [
  'Id',
  'IsDeleted',
  'CreatedById',
  'CreatedDate',
  'LastModifiedById',
  'LastModifiedDate',
  'SystemModstamp',
];

/** RemoteProxy fields that exist but are set only through Metadata (or never, by the caller). */
const remoteProxyFields = [
  'Id',
  'SiteName',
  'EndpointUrl',
  'Description',
  'IsActive',
  'ProtocolMismatch',
  'NamespacePrefix',
  'ManageableState',
  'CreatedById',
  'CreatedDate',
  'LastModifiedById',
  'LastModifiedDate',
  'SystemModstamp',
];

/** The keys of a RemoteSiteSetting (Metadata API, RemoteSiteSetting; `urls` is sent as null by clients). */
const remoteSiteKeys = ['url', 'isActive', 'disableProtocolSecurity', 'description', 'urls', 'fullName'];

export class PackageData {
  #installed = false;
  readonly #host: PackageHost;
  /** Each setting's records by id, while the package is installed. */
  readonly #settings = new Map<string, Map<string, SObjectRecord>>();
  readonly #remoteSites = new Map<string, SObjectRecord>();

  constructor(host: PackageHost) {
    this.#host = host;
  }

  get installed(): boolean {
    return this.#installed;
  }

  /** Installs the package (its settings start without records) or uninstalls it (their records go with them). */
  setInstalled(installed: boolean): void {
    if (installed === this.#installed) return;
    this.#installed = installed;
    this.#settings.clear();
    if (installed) for (const name of Object.keys(packageSchemas)) this.#settings.set(name, new Map());
  }

  /** The schema of a package object, while the package is installed. */
  schema(objectName: string): ObjectSchema | undefined {
    return this.#installed ? findSchema(objectName, packageSchemas) : undefined;
  }

  /** A package object's records (none while it is not installed), or the remote sites. */
  records(objectName: string): SObjectRecord[] {
    if (objectName === 'RemoteProxy') return [...this.#remoteSites.values()];
    return [...(this.#settings.get(objectName)?.values() ?? [])];
  }

  /** The record a setting's REST path names by its 15- or 18-character id; NOT_FOUND when it has none. */
  setting(objectName: string, id: string): SObjectRecord {
    const record = findById(this.#settings.get(this.#schemaOrNotFound(objectName).name), id);
    if (record === undefined) throw notFound();
    return record;
  }

  /** The org-default record of a setting (SetupOwnerId = the org), if it has one. */
  orgDefault(objectName: string): SObjectRecord | undefined {
    return this.records(objectName).find((r) => sameId(r['SetupOwnerId'], this.#host.orgId));
  }

  /**
   * Creates a setting's record as REST's POST /sobjects/<Setting> does. A SetupOwnerId left out
   * (or null) means the org: the record is the org default.
   */
  createSetting(actorId: string, objectName: string, input: Record<string, unknown>): SObjectRecord {
    const schema = this.#schemaOrNotFound(objectName);
    const now = this.#host.clock.now();
    const record: SObjectRecord = {
      Id: '',
      Name: null,
      SetupOwnerId: this.#host.orgId,
      IsDeleted: false,
      ...Object.fromEntries(
        Object.entries(schema.fields)
          .filter(([name]) => name.endsWith('__c'))
          .map(([name, type]) => [name, type === 'boolean' ? false : null]),
      ),
      ...auditValues(actorId, now),
    };
    this.#apply(schema, record, input);
    record.Id = this.#host.ids.next(schema.name as KeyPrefixedObject);
    this.#settings.get(schema.name)?.set(record.Id, record);
    return record;
  }

  /**
   * What an admin does on the setting's Manage page in Setup: writes the record of a SetupOwnerId
   * (the org when it is left out), creating it or changing the one there is.
   */
  writeSetting(actorId: string, objectName: string, input: Record<string, unknown>): SObjectRecord {
    const schema = this.#schemaOrNotFound(objectName);
    const ownerKey = Object.keys(input).find((key) => key.toLowerCase() === 'setupownerid');
    const owner = ownerKey === undefined ? null : input[ownerKey];
    const existing = this.records(schema.name).find((record) =>
      sameId(record['SetupOwnerId'], typeof owner === 'string' ? owner : this.#host.orgId),
    );
    return existing === undefined
      ? this.createSetting(actorId, schema.name, input)
      : this.updateSetting(actorId, schema.name, existing.Id, input);
  }

  /** PATCH /sobjects/<Setting>/<id>: the fields written change, the others stay. */
  updateSetting(
    actorId: string,
    objectName: string,
    id: string,
    input: Record<string, unknown>,
  ): SObjectRecord {
    const schema = this.#schemaOrNotFound(objectName);
    const record = this.setting(schema.name, id);
    const changed = { ...record };
    this.#apply(schema, changed, input);
    Object.assign(record, changed, {
      LastModifiedById: actorId,
      LastModifiedDate: this.#host.clock.now(),
      SystemModstamp: this.#host.clock.now(),
    });
    return record;
  }

  /** DELETE /sobjects/<Setting>/<id>: custom settings' records are deleted outright. */
  deleteSetting(objectName: string, id: string): void {
    const schema = this.#schemaOrNotFound(objectName);
    const record = this.setting(schema.name, id);
    this.#settings.get(schema.name)?.delete(record.Id);
  }

  remoteSite(id: string): SObjectRecord {
    const record = findById(this.#remoteSites, id);
    if (record === undefined) throw notFound();
    return record;
  }

  remoteSites(): RemoteSite[] {
    return [...this.#remoteSites.values()].map((record) => {
      const metadata = JSON.parse(String(record['Metadata'])) as { description: string | null };
      return {
        id: record.Id,
        fullName: String(record['FullName']),
        url: String(record['EndpointUrl']),
        isActive: record['IsActive'] === true,
        disableProtocolSecurity: record['ProtocolMismatch'] === true,
        description: metadata.description,
      };
    });
  }

  /**
   * POST /tooling/sobjects/RemoteProxy: a remote site is made from its FullName and Metadata (a
   * RemoteSiteSetting) and nothing else; the sObject's own fields follow from them.
   */
  createRemoteSite(
    actorId: string,
    input: Record<string, unknown>,
    options: { inSetup?: boolean } = {},
  ): SObjectRecord {
    if (options.inSetup !== true) this.#mayConfigureRemoteSites(actorId);
    const metadata = remoteProxyBody(input);
    const fullName = typeof input['FullName'] === 'string' ? input['FullName'] : metadata.fullName;
    if (fullName === undefined || fullName === '') {
      throw new SalesforceApiError(400, 'REQUIRED_FIELD_MISSING', 'Required fields are missing: [FullName]', [
        'FullName',
      ]);
    }
    checkSiteName(fullName);
    const taken = [...this.#remoteSites.values()].some(
      (site) => String(site['FullName']).toLowerCase() === fullName.toLowerCase(),
    );
    if (taken) {
      throw new SalesforceApiError(
        400,
        'DUPLICATE_DEVELOPER_NAME',
        'This Remote Site Name already exists or has been previously used. Please choose a different name.',
        [],
      );
    }
    const now = this.#host.clock.now();
    const record: SObjectRecord = {
      Id: this.#host.ids.next('RemoteProxy'),
      FullName: fullName,
      SiteName: fullName,
      NamespacePrefix: null,
      ManageableState: 'unmanaged',
      ...auditValues(actorId, now),
      ...siteFields(metadata),
    };
    this.#remoteSites.set(record.Id, record);
    return record;
  }

  /**
   * PATCH /tooling/sobjects/RemoteProxy/<id>: the Metadata replaces the site's whole
   * RemoteSiteSetting (what it leaves out takes its default); the name stays.
   */
  updateRemoteSite(actorId: string, id: string, input: Record<string, unknown>): SObjectRecord {
    this.#mayConfigureRemoteSites(actorId);
    const record = this.remoteSite(id);
    const metadata = remoteProxyBody(input);
    const fullName = typeof input['FullName'] === 'string' ? input['FullName'] : undefined;
    if (fullName !== undefined && fullName.toLowerCase() !== String(record['FullName']).toLowerCase()) {
      throw new SalesforceApiError(
        400,
        'FIELD_INTEGRITY_EXCEPTION',
        `FullName can't be changed: this remote site is ${String(record['FullName'])}`,
        ['FullName'],
      );
    }
    const now = this.#host.clock.now();
    Object.assign(record, siteFields(metadata), {
      LastModifiedById: actorId,
      LastModifiedDate: now,
      SystemModstamp: now,
    });
    return record;
  }

  deleteRemoteSite(actorId: string, id: string): void {
    this.#mayConfigureRemoteSites(actorId);
    this.#remoteSites.delete(this.remoteSite(id).Id);
  }

  /** A package object named in a REST path: NOT_FOUND while the package is not installed, as for any unknown sObject. */
  #schemaOrNotFound(objectName: string): ObjectSchema {
    const schema = this.schema(objectName);
    if (schema === undefined) throw notFound();
    return schema;
  }

  #mayConfigureRemoteSites(actorId: string): void {
    if (!this.#host.canConfigureRemoteSites(actorId)) {
      throw new SalesforceApiError(
        400,
        'INSUFFICIENT_ACCESS_OR_READONLY',
        'insufficient access rights on object id: configuring remote sites needs Customize Application or Modify All Data',
        [],
      );
    }
  }

  /** Writes `input` onto `record`, checking each field as Salesforce does; nothing is kept when one is refused. */
  #apply(schema: ObjectSchema, record: SObjectRecord, input: Record<string, unknown>): void {
    const written: Record<string, FieldValue> = {};
    for (const [key, value] of Object.entries(input)) {
      if (key === 'attributes') continue;
      const name = Object.keys(schema.fields).find((field) => field.toLowerCase() === key.toLowerCase());
      if (name === undefined) {
        throw new SalesforceApiError(
          400,
          'INVALID_FIELD',
          `No such column '${key}' on sobject of type ${schema.name}`,
          [key],
        );
      }
      if (systemFields.includes(name)) {
        throw new SalesforceApiError(
          400,
          'INVALID_FIELD_FOR_INSERT_UPDATE',
          `Unable to create/update fields: ${name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
          [name],
        );
      }
      written[name] = fieldValue(schema.fields[name] ?? 'string', name, value);
    }
    for (const [field, max] of Object.entries(packageFieldRules.maxLength)) {
      const value = written[field];
      if (typeof value === 'string' && value.length > max) {
        throw new SalesforceApiError(
          400,
          'STRING_TOO_LONG',
          `${label(field)}: data value too large: ${value} (max length=${max})`,
          [field],
        );
      }
    }
    if ('SetupOwnerId' in written) {
      written['SetupOwnerId'] =
        written['SetupOwnerId'] === null
          ? this.#host.orgId
          : this.#setupOwner(String(written['SetupOwnerId']));
    }
    const owner = written['SetupOwnerId'] ?? record['SetupOwnerId'];
    const clash = this.records(schema.name).find(
      (other) => other.Id !== record.Id && sameId(other['SetupOwnerId'], owner),
    );
    if (clash !== undefined) {
      // Salesforce names the SetupOwnerId's record (the org, profile or user), in its 15 characters.
      throw new SalesforceApiError(
        400,
        'DUPLICATE_VALUE',
        `duplicate value found: SetupOwnerId duplicates value on record with id: ${String(owner).slice(0, 15)}`,
        [],
      );
    }
    Object.assign(record, written);
  }

  /** A SetupOwnerId as written: this org, a profile (00e…), or one of its users (005…), in 18 characters. */
  #setupOwner(id: string): string {
    if (!isSalesforceId(id)) {
      throw new SalesforceApiError(
        400,
        'MALFORMED_ID',
        `${label('SetupOwnerId')}: id value of incorrect type: ${id}`,
        ['SetupOwnerId'],
      );
    }
    const full = id.length === 15 ? id + caseSafeSuffix(id) : id;
    const type = objectOfId(full);
    if (type !== 'Organization' && type !== 'Profile' && type !== 'User') {
      throw new SalesforceApiError(
        400,
        'FIELD_INTEGRITY_EXCEPTION',
        `${label('SetupOwnerId')}: id value of incorrect type: ${id}`,
        ['SetupOwnerId'],
      );
    }
    const known =
      type === 'Profile' ||
      (type === 'Organization' && sameId(full, this.#host.orgId)) ||
      (type === 'User' && this.#host.users.has(full));
    if (!known) {
      throw new SalesforceApiError(400, 'INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', [
        'SetupOwnerId',
      ]);
    }
    return full;
  }
}

/** A field's value as written in JSON, as the record holds it; what Salesforce cannot read is JSON_PARSER_ERROR. */
function fieldValue(type: string, field: string, value: unknown): FieldValue {
  const unreadable = (kind: string) =>
    new SalesforceApiError(
      400,
      'JSON_PARSER_ERROR',
      `Cannot deserialize instance of ${kind} from ${jsonToken(value)} value ${JSON.stringify(value)} for field ${field}`,
      [field],
    );
  if (type === 'boolean') {
    // A Checkbox is never null: writing null clears it.
    if (value === null) return false;
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    throw unreadable('boolean');
  }
  if (value === null) return null;
  if (type === 'datetime') {
    const ms = typeof value === 'string' ? parseDateTime(value) : undefined;
    if (ms === undefined) throw unreadable('datetime');
    return ms;
  }
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw unreadable('string');
}

function jsonToken(value: unknown): string {
  if (typeof value === 'string') return 'VALUE_STRING';
  if (typeof value === 'number') return Number.isInteger(value) ? 'VALUE_NUMBER_INT' : 'VALUE_NUMBER_FLOAT';
  if (typeof value === 'boolean') return value ? 'VALUE_TRUE' : 'VALUE_FALSE';
  return Array.isArray(value) ? 'START_ARRAY' : 'START_OBJECT';
}

function label(field: string): string {
  return packageFieldRules.labels[field] ?? field;
}

/** A RemoteSiteSetting as the sandbox keeps it. */
interface SiteMetadata {
  url: string;
  isActive: boolean;
  disableProtocolSecurity: boolean;
  description: string | null;
  fullName: string | undefined;
}

/**
 * The RemoteSiteSetting of a RemoteProxy write, checked as the Tooling API checks it: the
 * Metadata is required, and with it no field but FullName may be sent (Salesforce: "Only the
 * Metadata and FullName fields may be specified on RemoteProxy, or else Metadata must be excluded").
 */
function remoteProxyBody(input: Record<string, unknown>): SiteMetadata {
  const keys = Object.keys(input).filter((key) => key !== 'attributes');
  const unknown = keys.find((key) => !['FullName', 'Metadata', ...remoteProxyFields].includes(key));
  if (unknown !== undefined) {
    throw new SalesforceApiError(
      400,
      'INVALID_FIELD',
      `No such column '${unknown}' on sobject of type RemoteProxy`,
      [unknown],
    );
  }
  const metadata = input['Metadata'];
  if (metadata === undefined || metadata === null) {
    throw new SalesforceApiError(
      400,
      'REQUIRED_FIELD_MISSING',
      'You must provide a valid Metadata field for RemoteProxy',
      [],
    );
  }
  const others = keys.filter((key) => key !== 'FullName' && key !== 'Metadata');
  if (others.length > 0) {
    throw new SalesforceApiError(
      400,
      'FIELD_INTEGRITY_EXCEPTION',
      `Only the Metadata and FullName fields may be specified on RemoteProxy, or else Metadata must be excluded. Invalid field(s): [${others.join(', ')}]`,
      others,
    );
  }
  if (typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw new SalesforceApiError(
      400,
      'JSON_PARSER_ERROR',
      `Cannot deserialize instance of RemoteSiteSetting from ${jsonToken(metadata)} value ${JSON.stringify(metadata)} for field Metadata`,
      ['Metadata'],
    );
  }
  const fields = metadata as Record<string, unknown>;
  const stray = Object.keys(fields).find((key) => !remoteSiteKeys.includes(key));
  if (stray !== undefined) {
    throw new SalesforceApiError(
      400,
      'JSON_PARSER_ERROR',
      `Unrecognized field "${stray}" of RemoteSiteSetting in field Metadata`,
      ['Metadata'],
    );
  }
  const flag = (key: string, fallback: boolean): boolean => {
    const value = fields[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'boolean') {
      throw new SalesforceApiError(
        400,
        'JSON_PARSER_ERROR',
        `Cannot deserialize instance of boolean from ${jsonToken(value)} value ${JSON.stringify(value)} for field ${key}`,
        ['Metadata'],
      );
    }
    return value;
  };
  const text = (key: string): string | null => {
    const value = fields[key];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string') {
      throw new SalesforceApiError(
        400,
        'JSON_PARSER_ERROR',
        `Cannot deserialize instance of string from ${jsonToken(value)} value ${JSON.stringify(value)} for field ${key}`,
        ['Metadata'],
      );
    }
    return value;
  };
  const url = text('url');
  if (url === null || url.trim() === '') {
    throw new SalesforceApiError(
      400,
      'REQUIRED_FIELD_MISSING',
      'Required fields are missing: [EndpointUrl]',
      ['EndpointUrl'],
    );
  }
  return {
    url: siteUrl(url.trim()),
    // Active is on unless said otherwise ("Defaulted on create"; the Setup page's box starts checked).
    isActive: flag('isActive', true),
    disableProtocolSecurity: flag('disableProtocolSecurity', false),
    description: text('description'),
    fullName: text('fullName') ?? undefined,
  };
}

/** The RemoteProxy fields that follow from its RemoteSiteSetting. */
function siteFields(metadata: SiteMetadata): Record<string, FieldValue> {
  return {
    EndpointUrl: metadata.url,
    Description: metadata.description,
    IsActive: metadata.isActive,
    ProtocolMismatch: metadata.disableProtocolSecurity,
    Metadata: JSON.stringify({
      description: metadata.description,
      disableProtocolSecurity: metadata.disableProtocolSecurity,
      isActive: metadata.isActive,
      url: metadata.url,
      urls: null,
    }),
  };
}

/**
 * A remote site's URL as Salesforce keeps it: an http or https URL, cut to its scheme, host and
 * port, on a port Salesforce lets code call (Salesforce Help, Configure Remote Site Settings: 80
 * for HTTP only, 443 for HTTPS only, 1024 to 65535 for either).
 */
function siteUrl(text: string): string {
  const invalid = (why: string) =>
    new SalesforceApiError(400, 'FIELD_INTEGRITY_EXCEPTION', `Remote Site URL: ${why}: ${text}`, [
      'EndpointUrl',
    ]);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid('invalid URL');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw invalid('invalid URL');
  }
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  const allowed =
    (port === 80 && url.protocol === 'http:') ||
    (port === 443 && url.protocol === 'https:') ||
    (port >= 1024 && port <= 65_535);
  if (!allowed)
    throw invalid(`port ${port} is not allowed (80 for HTTP, 443 for HTTPS, 1024 to 65535 for either)`);
  return url.origin;
}

/**
 * A remote site's name: letters, digits and underscores, starting with a letter, not ending with
 * an underscore, no two underscores together (Tooling API, RemoteProxy: FullName). Two
 * underscores read as a namespace prefix, which Salesforce refuses as another namespace.
 */
function checkSiteName(name: string): void {
  const namespace = /^([A-Za-z0-9]+)__/.exec(name)?.[1];
  if (namespace !== undefined) {
    throw new SalesforceApiError(
      400,
      'FIELD_INTEGRITY_EXCEPTION',
      `Cannot create a new component with the namespace: ${namespace}. Only components in the same namespace as the organization can be created through the API`,
      ['FullName'],
    );
  }
  if (!/^[A-Za-z](?:[A-Za-z0-9]|_(?!_))*$/.test(name) || name.endsWith('_')) {
    throw new SalesforceApiError(
      400,
      'FIELD_INTEGRITY_EXCEPTION',
      'The Remote Site Name can only contain underscores and alphanumeric characters. It must be unique, begin with a letter, not include spaces, not end with an underscore, and not contain two consecutive underscores.',
      ['FullName'],
    );
  }
}

/** Two ids naming the same record: equal, or one the other's 15-character form. */
function sameId(left: FieldValue | undefined, right: FieldValue | undefined): boolean {
  if (typeof left !== 'string' || typeof right !== 'string') return false;
  return left.length === 15 || right.length === 15
    ? left.slice(0, 15) === right.slice(0, 15)
    : left === right;
}

function findById(records: Map<string, SObjectRecord> | undefined, id: string): SObjectRecord | undefined {
  if (records === undefined) return undefined;
  if (id.length !== 15) return records.get(id);
  return [...records.values()].find((record) => record.Id.slice(0, 15) === id);
}
