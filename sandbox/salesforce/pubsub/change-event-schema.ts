// The Avro schema of /data/EventChangeEvent and the encoding of one change event: the
// ChangeEventHeader first, then every Event field as a nullable union; CREATE carries every
// field with a value, UPDATE only the changed ones. The header's changedFields lists an UPDATE's
// changed fields and is empty for every other change (Change Data Capture Developer Guide,
// ChangeEventHeader Fields). Over the Pub/Sub API the header's field lists are bitmaps: hex
// strings whose bit i names the schema's i-th top-level field.
import { createHash } from 'node:crypto';
import avro from 'avro-js';
import { schemas, type FieldType, type FieldValue, type SObjectRecord } from '../sobject-schema.ts';

export const changeTypes = [
  'CREATE',
  'UPDATE',
  'DELETE',
  'UNDELETE',
  'GAP_CREATE',
  'GAP_UPDATE',
  'GAP_DELETE',
  'GAP_UNDELETE',
  'GAP_OVERFLOW',
] as const;
export type CdcChangeType = (typeof changeTypes)[number];

/** Event fields CDC leaves out: the id travels in the header, and system bookkeeping is not tracked. */
const untracked = new Set(['Id', 'IsDeleted', 'SystemModstamp']);

const avroTypes: Record<FieldType, string> = {
  id: 'string',
  string: 'string',
  textarea: 'string',
  picklist: 'string',
  reference: 'string',
  boolean: 'boolean',
  int: 'int',
  datetime: 'long',
  date: 'int',
  // No Event field is one (only Tooling objects' Metadata); it would travel as its JSON text.
  complexvalue: 'string',
};

const eventFields = Object.entries(schemas['Event']?.fields ?? {}).filter(([name]) => !untracked.has(name));

export const eventChangeEventSchema = {
  type: 'record',
  name: 'EventChangeEvent',
  namespace: 'com.sforce.eventbus',
  fields: [
    {
      name: 'ChangeEventHeader',
      type: {
        type: 'record',
        name: 'ChangeEventHeader',
        namespace: 'com.sforce.eventbus',
        fields: [
          { name: 'entityName', type: 'string' },
          { name: 'recordIds', type: { type: 'array', items: 'string' } },
          {
            name: 'changeType',
            type: {
              type: 'enum',
              name: 'ChangeType',
              namespace: 'com.sforce.eventbus',
              symbols: [...changeTypes],
            },
          },
          { name: 'changeOrigin', type: 'string' },
          { name: 'transactionKey', type: 'string' },
          { name: 'sequenceNumber', type: 'int' },
          { name: 'commitTimestamp', type: 'long' },
          { name: 'commitNumber', type: 'long' },
          { name: 'commitUser', type: 'string' },
          { name: 'nulledFields', type: { type: 'array', items: 'string' } },
          { name: 'diffFields', type: { type: 'array', items: 'string' } },
          { name: 'changedFields', type: { type: 'array', items: 'string' } },
        ],
      },
    },
    ...eventFields.map(([name, type]) => ({ name, type: ['null', avroTypes[type]], default: null })),
  ],
};

export const eventChangeEventSchemaJson = JSON.stringify(eventChangeEventSchema);
/** Salesforce identifies a schema by a fingerprint; any stable digest of the schema serves. */
export const eventChangeEventSchemaId = createHash('sha256')
  .update(eventChangeEventSchemaJson)
  .digest('base64url')
  .slice(0, 22);

const avroType = avro.parse(eventChangeEventSchema);
const topLevel = eventChangeEventSchema.fields.map((f) => f.name);

export interface ChangeEvent {
  changeType: CdcChangeType;
  recordIds: string[];
  /** The fields carried, with their values (null: the field was cleared). */
  fields: Record<string, FieldValue>;
  /** The header's changedFields: an UPDATE's changed fields, nothing for other changes. */
  changedFields: readonly string[];
  changeOrigin: string;
  transactionKey: string;
  sequenceNumber: number;
  commitTimestamp: number;
  commitNumber: number;
  commitUser: string;
}

/** The change event for one committed write of `record`, carrying `fieldNames`. */
export function changeEventFields(
  record: SObjectRecord,
  fieldNames: readonly string[],
): Record<string, FieldValue> {
  const carried: Record<string, FieldValue> = {};
  for (const name of fieldNames)
    if (topLevel.includes(name) && name !== 'ChangeEventHeader') carried[name] = record[name] ?? null;
  return carried;
}

/** A bitmap over the schema's top-level fields, as the Pub/Sub API writes it ("0x" + upper-case hex). */
export function fieldBitmap(names: readonly string[]): string[] {
  let bits = 0n;
  for (const name of names) {
    const index = topLevel.indexOf(name);
    if (index >= 0) bits |= 1n << BigInt(index);
  }
  return bits === 0n ? [] : [`0x${bits.toString(16).toUpperCase()}`];
}

export function encodeChangeEvent(event: ChangeEvent): Buffer {
  const payload: Record<string, unknown> = {
    ChangeEventHeader: {
      entityName: 'Event',
      recordIds: event.recordIds,
      changeType: event.changeType,
      changeOrigin: event.changeOrigin,
      transactionKey: event.transactionKey,
      sequenceNumber: event.sequenceNumber,
      commitTimestamp: event.commitTimestamp,
      commitNumber: event.commitNumber,
      commitUser: event.commitUser,
      nulledFields: fieldBitmap(Object.keys(event.fields).filter((name) => event.fields[name] === null)),
      diffFields: [],
      changedFields: fieldBitmap(event.changedFields),
    },
  };
  for (const [name, type] of eventFields) {
    const value = event.fields[name];
    payload[name] =
      value === undefined || value === null ? null : { [avroTypes[type]]: wireValue(type, value) };
  }
  return avroType.toBuffer(payload);
}

function wireValue(type: FieldType, value: FieldValue): FieldValue {
  if (type === 'date' && typeof value === 'string')
    return Math.round(Date.parse(`${value}T00:00:00Z`) / 86_400_000);
  return value;
}
