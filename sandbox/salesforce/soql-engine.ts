// Runs a parsed SOQL query over the org's records and shapes the result as the REST API does:
// each record with `attributes` and the selected fields under their canonical names, and
// relationship fields (Owner.Email, Relation.Name) as nested records. Text comparisons are
// case-insensitive and 15-character ids match their 18-character form, as in Salesforce.
// SELECT COUNT() answers the number of matching rows and no records. The objects it knows are
// the org's standard ones, our package's settings while the package is installed, and, for the
// Tooling API's query, the Tooling objects.
import { notFound, SalesforceApiError } from './api-error.ts';
import type { OrgData } from './org-data.ts';
import type { Condition, Literal, SoqlQuery } from './soql-parser.ts';
import {
  canonicalField,
  findSchema,
  nameFields,
  schemas,
  toolingSchemas,
  toWire,
  type FieldType,
  type FieldValue,
  type ObjectSchema,
  type SObjectRecord,
} from './sobject-schema.ts';

export type WireRecord = Record<string, unknown>;

/** A selected or filtered field, resolved against the schema once. */
interface ResolvedField {
  /** As written in the result: `Subject`, or the relationship `Owner` with its field `Email`. */
  name: string;
  type: FieldType;
  relationship?: { name: string; idField: string; field: string; targetType: string };
}

/** A query's answer: its total, and its records (none for COUNT()). */
export interface QueryAnswer {
  totalSize: number;
  records: WireRecord[];
}

/** Which API a query or read comes through: REST's data API, or the Tooling API (…/tooling/…). */
export type Api = 'rest' | 'tooling';

/** The object a query or read names, as the org has it through that API; undefined when it has none. */
export function schemaOf(objectName: string, data: OrgData, api: Api): ObjectSchema | undefined {
  if (api === 'tooling') return findSchema(objectName, toolingSchemas);
  return findSchema(objectName) ?? data.package.schema(objectName);
}

export function runQuery(
  query: SoqlQuery,
  data: OrgData,
  options: { includeDeleted: boolean; apiVersion: string; api?: Api },
): QueryAnswer & { entityTypeName: string } {
  const api = options.api ?? 'rest';
  const schema = schemaOf(query.object, data, api);
  if (schema === undefined) {
    throw new SalesforceApiError(
      400,
      'INVALID_TYPE',
      `sObject type '${query.object}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`,
    );
  }
  const selected = query.fields.map((f) => resolve(schema, f));
  const resolveCached = new Map<string, ResolvedField>();
  const field = (path: string) => {
    let resolved = resolveCached.get(path);
    if (resolved === undefined) {
      resolved = resolve(schema, path);
      resolveCached.set(path, resolved);
    }
    return resolved;
  };
  for (const name of conditionFields(query.where)) {
    const filtered = field(name).name;
    if (schema.unfilterable?.includes(filtered)) {
      throw new SalesforceApiError(
        400,
        'INVALID_FIELD',
        `field '${filtered}' can not be filtered in a query call`,
      );
    }
  }
  let rows = data
    .records(schema.name)
    .filter((record) => options.includeDeleted || record['IsDeleted'] !== true)
    .filter((record) => query.where === undefined || matches(query.where, record, data, field));
  if (query.orderBy.length > 0) {
    const keys = query.orderBy.map((o) => ({ ...o, field: field(o.field) }));
    rows = [...rows].sort((a, b) => {
      for (const key of keys) {
        const left = valueOf(key.field, a, data);
        const right = valueOf(key.field, b, data);
        if (left === right) continue;
        if (left === null) return key.nullsLast ? 1 : -1;
        if (right === null) return key.nullsLast ? -1 : 1;
        const order = compareValues(left, right);
        if (order !== 0) return key.descending ? -order : order;
      }
      return 0;
    });
  }
  rows = rows.slice(
    query.offset ?? 0,
    query.limit === undefined ? undefined : (query.offset ?? 0) + query.limit,
  );
  if (query.count) return { totalSize: rows.length, records: [], entityTypeName: schema.name };
  // Tooling objects' FullName and Metadata are read one record at a time (Tooling API, e.g.
  // RemoteProxy: "Query this field only if the query result contains no more than one record").
  if (rows.length > 1 && selected.some((f) => schema.singleRowFields?.includes(f.name) === true)) {
    throw new SalesforceApiError(
      400,
      'MALFORMED_QUERY',
      `When retrieving results with Metadata or FullName fields, the query qualifications must specify no more than one row for retrieval. Result size: ${rows.length}`,
    );
  }
  return {
    totalSize: rows.length,
    records: rows.map((record) => toWireRecord(schema.name, record, selected, data, options.apiVersion, api)),
    entityTypeName: schema.name,
  };
}

/** Every field a condition names. */
function conditionFields(condition: Condition | undefined): string[] {
  if (condition === undefined) return [];
  switch (condition.kind) {
    case 'and':
    case 'or':
      return [...conditionFields(condition.left), ...conditionFields(condition.right)];
    case 'not':
      return conditionFields(condition.operand);
    case 'compare':
    case 'in':
    case 'like':
      return [condition.field];
  }
}

/** Refuses a field list naming a field the object does not have (INVALID_FIELD), as a read by id does. */
export function checkFields(objectName: string, fields: readonly string[]): void {
  const schema = findSchema(objectName);
  if (schema === undefined) throw notFound();
  for (const field of fields) resolve(schema, field.trim());
}

function resolve(schema: ObjectSchema, path: string): ResolvedField {
  const parts = path.split('.');
  if (parts.length === 1) {
    const name = canonicalField(schema.fields, path);
    if (name === undefined) throw noSuchColumn(path, schema.name);
    return { name, type: schema.fields[name] ?? 'string' };
  }
  const [relationshipName = '', fieldName = ''] = parts;
  const relationship = Object.keys(schema.relationships).find(
    (r) => r.toLowerCase() === relationshipName.toLowerCase(),
  );
  if (relationship === undefined || parts.length > 2) throw noSuchColumn(path, schema.name);
  const idField = schema.relationships[relationship] ?? '';
  const targetFields = relationship === 'Event' ? (schemas['Event']?.fields ?? {}) : nameFields;
  const target = canonicalField(targetFields, fieldName);
  if (target === undefined) throw noSuchColumn(fieldName, relationship === 'Event' ? 'Event' : 'Name');
  return {
    name: relationship,
    type: targetFields[target] ?? 'string',
    relationship: {
      name: relationship,
      idField,
      field: target,
      targetType: relationship === 'Event' ? 'Event' : 'Name',
    },
  };
}

function noSuchColumn(field: string, entity: string): SalesforceApiError {
  return new SalesforceApiError(
    400,
    'INVALID_FIELD',
    `No such column '${field}' on entity '${entity}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name.`,
  );
}

function related(
  field: ResolvedField,
  record: SObjectRecord,
  data: OrgData,
): { type: string; record: SObjectRecord } | undefined {
  const relation = field.relationship;
  if (relation === undefined) return undefined;
  const id = record[relation.idField];
  return typeof id === 'string' ? data.lookup(id) : undefined;
}

function valueOf(field: ResolvedField, record: SObjectRecord, data: OrgData): FieldValue {
  if (field.relationship === undefined) return record[field.name] ?? null;
  const target = related(field, record, data);
  if (target === undefined) return null;
  if (field.relationship.field === 'Type') return target.type;
  return target.record[field.relationship.field] ?? null;
}

function matches(
  condition: Condition,
  record: SObjectRecord,
  data: OrgData,
  field: (path: string) => ResolvedField,
): boolean {
  switch (condition.kind) {
    case 'and':
      return matches(condition.left, record, data, field) && matches(condition.right, record, data, field);
    case 'or':
      return matches(condition.left, record, data, field) || matches(condition.right, record, data, field);
    case 'not':
      return !matches(condition.operand, record, data, field);
    case 'compare': {
      const resolved = field(condition.field);
      const left = valueOf(resolved, record, data);
      const right = literalValue(resolved, condition.value);
      if (condition.op === '=') return equal(resolved, left, right);
      if (condition.op === '!=') return !equal(resolved, left, right);
      if (left === null || right === null) return false;
      const order = compareValues(left, right);
      return condition.op === '<'
        ? order < 0
        : condition.op === '<='
          ? order <= 0
          : condition.op === '>'
            ? order > 0
            : order >= 0;
    }
    case 'in': {
      const resolved = field(condition.field);
      const left = valueOf(resolved, record, data);
      const ids =
        resolved.type === 'id' || resolved.type === 'reference' ? idSet(condition, resolved) : undefined;
      const found =
        ids !== undefined
          ? typeof left === 'string'
            ? ids.full.has(left) || ids.short.has(left.slice(0, 15))
            : left === null && ids.null
          : condition.values.some((v) => equal(resolved, left, literalValue(resolved, v)));
      return condition.negated ? !found : found;
    }
    case 'like': {
      const left = valueOf(field(condition.field), record, data);
      if (typeof left !== 'string') return false;
      const pattern = condition.pattern
        .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        .replaceAll('%', '.*')
        .replaceAll('_', '.');
      return new RegExp(`^${pattern}$`, 'is').test(left);
    }
  }
}

/**
 * The ids of an `Id IN (…)` (or reference field) list as sets, made once per query rather than
 * compared one by one for every record: Salesforce answers such a query from an index, and a
 * query for a batch of 200 Events in an org of 100,000 must not cost the sandbox seconds. A
 * 15-character id matches any 18-character id it begins, as `equal` has it.
 */
interface IdSet {
  full: Set<string>;
  short: Set<string>;
  /** `null` is in the list: a field without a value matches. */
  null: boolean;
}
const idSets = new WeakMap<Condition, IdSet>();
function idSet(condition: Condition & { kind: 'in' }, field: ResolvedField): IdSet {
  let sets = idSets.get(condition);
  if (sets === undefined) {
    sets = { full: new Set(), short: new Set(), null: false };
    for (const literal of condition.values) {
      const value = literalValue(field, literal);
      if (value === null) sets.null = true;
      if (typeof value !== 'string') continue;
      (value.length === 15 ? sets.short : sets.full).add(value);
    }
    idSets.set(condition, sets);
  }
  return sets;
}

/** A literal as a value of the field's type; a literal of the wrong kind is refused as Salesforce does. */
function literalValue(field: ResolvedField, literal: Literal): FieldValue {
  if (literal.kind === 'null') return null;
  const wrongType = (expected: string) =>
    new SalesforceApiError(
      400,
      'INVALID_QUERY_FILTER_OPERATOR',
      `value of filter criterion for field '${field.relationship?.field ?? field.name}' must be of type ${expected}`,
    );
  switch (field.type) {
    case 'datetime':
      if (literal.kind === 'datetime') return literal.value;
      throw wrongType('dateTime and should not be enclosed in quotes');
    case 'date':
      if (literal.kind === 'date') return literal.value;
      throw wrongType('date and should not be enclosed in quotes');
    case 'boolean':
      if (literal.kind === 'boolean') return literal.value;
      throw wrongType('boolean and should not be enclosed in quotes');
    case 'int':
      if (literal.kind === 'number') return literal.value;
      throw wrongType('double and should not be enclosed in quotes');
    case 'id':
    case 'reference':
    case 'string':
    case 'textarea':
    case 'picklist':
    case 'complexvalue':
      if (literal.kind === 'string') return literal.value;
      throw wrongType('string and should be enclosed in quotes');
  }
}

function equal(field: ResolvedField, left: FieldValue, right: FieldValue): boolean {
  if (left === null || right === null) return left === right;
  if (typeof left === 'string' && typeof right === 'string') {
    if (field.type === 'id' || field.type === 'reference') {
      return right.length === 15 ? left.slice(0, 15) === right : left === right;
    }
    return left.toLowerCase() === right.toLowerCase();
  }
  return left === right;
}

function compareValues(left: FieldValue, right: FieldValue): number {
  if (typeof left === 'number' && typeof right === 'number') return left - right;
  if (typeof left === 'boolean' && typeof right === 'boolean') return Number(left) - Number(right);
  return String(left).localeCompare(String(right), 'en', { sensitivity: 'base' });
}

function toWireRecord(
  objectName: string,
  record: SObjectRecord,
  selected: ResolvedField[],
  data: OrgData,
  apiVersion: string,
  api: Api,
): WireRecord {
  const out: WireRecord = {
    attributes: {
      type: objectName,
      url: `/services/data/v${apiVersion}/${api === 'tooling' ? 'tooling/' : ''}sobjects/${objectName}/${record.Id}`,
    },
  };
  for (const field of selected) {
    if (field.relationship === undefined) {
      const value = record[field.name];
      out[field.name] =
        field.type === 'complexvalue' && typeof value === 'string'
          ? (JSON.parse(value) as unknown)
          : toWire(field.type, value);
      continue;
    }
    const target = related(field, record, data);
    if (target === undefined) {
      out[field.name] = null;
      continue;
    }
    const nested = (out[field.name] as WireRecord | null | undefined) ?? {
      attributes: {
        type: field.relationship.targetType === 'Name' ? target.type : 'Event',
        url: `/services/data/v${apiVersion}/sobjects/${target.type}/${target.record.Id}`,
      },
    };
    nested[field.relationship.field] =
      field.relationship.field === 'Type'
        ? target.type
        : toWire(field.type, target.record[field.relationship.field]);
    out[field.name] = nested;
  }
  return out;
}

/** One record by id with the given fields (the sObject and composite reads), or undefined. */
export function readRecord(
  objectName: string,
  record: SObjectRecord,
  fields: readonly string[] | undefined,
  data: OrgData,
  apiVersion: string,
  api: Api = 'rest',
): WireRecord {
  const schema = schemaOf(objectName, data, api);
  if (schema === undefined) throw notFound();
  const names = fields === undefined || fields.length === 0 ? Object.keys(schema.fields) : fields;
  return toWireRecord(
    schema.name,
    record,
    names.map((f) => resolve(schema, f.trim())),
    data,
    apiVersion,
    api,
  );
}
