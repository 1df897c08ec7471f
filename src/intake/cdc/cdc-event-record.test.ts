import avro from 'avro-js';
import { describe, expect, it } from 'vitest';
import { cdcChangePayload, eventFieldsFromUpdate, eventRecordFromCreate } from './cdc-event-record.ts';
import type { SchemaField } from './field-bitmaps.ts';

const eventId = '00U5g0000000001AAA';
const committedAt = Date.parse('2026-11-24T08:59:59.500Z');
const header = { ChangeEventHeader: { changeType: 'CREATE', recordIds: [eventId] } };

describe('eventRecordFromCreate', () => {
  it('writes every datetime and date as the REST API does, the rest as it came', () => {
    const record = eventRecordFromCreate(
      {
        ...header,
        Subject: { string: 'Weekly' },
        StartDateTime: { long: Date.parse('2026-11-24T09:00:00Z') },
        IsRecurrence: { boolean: true },
        RecurrenceStartDateTime: { long: Date.parse('2026-11-24T09:00:00Z') },
        RecurrenceEndDateOnly: { int: Date.parse('2027-01-26T00:00:00Z') / 86_400_000 },
        LastModifiedDate: { long: Date.parse('2026-11-24T08:59:59Z') },
        Location: null,
      },
      eventId,
      committedAt,
    );
    expect(record).toEqual({
      attributes: { type: 'Event' },
      Id: eventId,
      Subject: 'Weekly',
      StartDateTime: '2026-11-24T09:00:00.000+0000',
      IsRecurrence: true,
      RecurrenceStartDateTime: '2026-11-24T09:00:00.000+0000',
      RecurrenceEndDateOnly: '2027-01-26',
      LastModifiedDate: '2026-11-24T08:59:59.000+0000',
      Location: null,
      SystemModstamp: '2026-11-24T08:59:59.000+0000',
    });
  });

  it('writes an Avro-decoded event as it writes the same fields given plainly, field order included', () => {
    // avro-js decodes each schema's records with a class of its own: the records built from them
    // start from a template of that schema's fields (see recordTemplate), the plain ones do not.
    const type = avro.parse({
      type: 'record',
      name: 'EventChangeEvent',
      namespace: 'com.sforce.eventbus',
      fields: [
        {
          name: 'ChangeEventHeader',
          type: { type: 'record', name: 'Header', fields: [{ name: 'changeType', type: 'string' }] },
        },
        { name: 'Subject', type: ['null', 'string'], default: null },
        { name: 'StartDateTime', type: ['null', 'long'], default: null },
        { name: 'ActivityDate', type: ['null', 'int'], default: null },
        { name: 'Location', type: ['null', 'string'], default: null },
      ],
    });
    const events = [
      {
        Subject: 'First',
        StartDateTime: Date.parse('2026-11-24T09:00:00Z'),
        ActivityDate: 20_416,
        Location: null,
      },
      { Subject: null, StartDateTime: null, ActivityDate: null, Location: 'Room 2' },
    ];
    for (const fields of events) {
      const plain = {
        ChangeEventHeader: { changeType: 'CREATE' },
        Subject: fields.Subject === null ? null : { string: fields.Subject },
        StartDateTime: fields.StartDateTime === null ? null : { long: fields.StartDateTime },
        ActivityDate: fields.ActivityDate === null ? null : { int: fields.ActivityDate },
        Location: fields.Location === null ? null : { string: fields.Location },
      };
      const decoded = type.fromBuffer(type.toBuffer(plain)) as Record<string, unknown>;
      expect(Object.getPrototypeOf(decoded)).not.toBe(Object.prototype);
      expect(JSON.stringify(eventRecordFromCreate(decoded, eventId, committedAt))).toBe(
        JSON.stringify(eventRecordFromCreate(plain, eventId, committedAt)),
      );
    }
    expect(
      eventRecordFromCreate(
        type.fromBuffer(
          type.toBuffer({
            ChangeEventHeader: { changeType: 'CREATE' },
            Subject: { string: 'Shown' },
            StartDateTime: null,
            ActivityDate: { int: 20_416 },
            Location: null,
          }),
        ) as Record<string, unknown>,
        eventId,
        committedAt,
      ),
    ).toEqual({
      attributes: { type: 'Event' },
      Id: eventId,
      Subject: 'Shown',
      StartDateTime: null,
      ActivityDate: '2025-11-24',
      Location: null,
      SystemModstamp: '2026-11-24T08:59:59.500+0000',
    });
  });

  it('takes the commit time for SystemModstamp when LastModifiedDate is missing', () => {
    expect(eventRecordFromCreate({ ...header }, eventId, committedAt)['SystemModstamp']).toBe(
      '2026-11-24T08:59:59.500+0000',
    );
  });
});

// Field i of the writer schema is bit i of the header's bitmaps.
const schemaFields: SchemaField[] = [
  'ChangeEventHeader',
  'Subject',
  'StartDateTime',
  'ActivityDate',
  'Location',
  'IsPrivate',
  'LastModifiedDate',
  'DurationInMinutes',
].map((name) => ({ name, children: [] }));
const bitmap = (...names: string[]) => [
  `0x${names
    .reduce((bits, name) => bits | (1n << BigInt(schemaFields.findIndex((f) => f.name === name))), 0n)
    .toString(16)
    .toUpperCase()}`,
];
const update = (changed: string[], nulled: string[], values: Record<string, unknown>) => ({
  event: {
    schemaFields,
    payload: {
      ChangeEventHeader: {},
      Subject: null,
      StartDateTime: null,
      ActivityDate: null,
      Location: null,
      IsPrivate: null,
      LastModifiedDate: null,
      DurationInMinutes: null,
      ...values,
    },
  },
  header: {
    changeType: 'UPDATE',
    recordIds: [eventId],
    changedFields: bitmap(...changed),
    nulledFields: nulled.length === 0 ? [] : bitmap(...nulled),
    diffFields: [] as string[],
  },
});

describe('eventFieldsFromUpdate', () => {
  it('gives the changed fields in REST format, a cleared one as null, and nothing it did not change', () => {
    const { event, header } = update(
      ['Subject', 'StartDateTime', 'ActivityDate', 'Location', 'IsPrivate', 'LastModifiedDate'],
      ['Location'],
      {
        Subject: { string: 'Standup (moved)' },
        StartDateTime: { long: Date.parse('2026-11-24T10:30:00Z') },
        ActivityDate: { int: Date.parse('2026-11-24T00:00:00Z') / 86_400_000 },
        IsPrivate: { boolean: false },
        LastModifiedDate: { long: Date.parse('2026-11-24T09:15:00Z') },
        DurationInMinutes: { int: 30 }, // not in changedFields: not taken
      },
    );
    expect(eventFieldsFromUpdate(event, header, committedAt)).toEqual({
      fields: {
        Subject: 'Standup (moved)',
        StartDateTime: '2026-11-24T10:30:00.000+0000',
        ActivityDate: '2026-11-24',
        Location: null,
        IsPrivate: false,
        LastModifiedDate: '2026-11-24T09:15:00.000+0000',
        SystemModstamp: '2026-11-24T09:15:00.000+0000',
      },
    });
  });

  it('takes the commit time for SystemModstamp when LastModifiedDate did not come', () => {
    const { event, header } = update(['DurationInMinutes'], [], { DurationInMinutes: { int: 45 } });
    expect(eventFieldsFromUpdate(event, header, committedAt)).toEqual({
      fields: { DurationInMinutes: 45, SystemModstamp: '2026-11-24T08:59:59.500+0000' },
    });
  });

  it('gives no fields when they cannot all be known from the event', () => {
    const { event, header } = update(['Subject'], [], { Subject: { string: 'x' } });
    const unknown = (changes: Partial<typeof header>) =>
      eventFieldsFromUpdate(event, { ...header, ...changes }, committedAt);
    expect(unknown({ diffFields: bitmap('Subject') })).toEqual({ unknown: 'some fields are sent as diffs' });
    expect(unknown({ changedFields: ['0x2', '4-0x1'] })).toEqual({ unknown: 'a compound field changed' });
    expect(unknown({ changedFields: ['0x100'] })).toEqual({
      unknown: '"0x100" sets bit 8, beyond the schema\'s 8 fields',
    });
    expect(unknown({ changedFields: bitmap('Location') })).toEqual({
      unknown: 'the changed field Location came without a value',
    });
    expect(unknown({ changedFields: [] })).toEqual({ unknown: 'the event lists no changed field' });
  });
});

describe('cdcChangePayload', () => {
  it('keeps a whole record for a CREATE and the changed fields for an UPDATE of one Event', () => {
    const { event, header } = update(['Subject'], [], { Subject: { string: 'Renamed' } });
    expect(cdcChangePayload(event, header, eventId, committedAt)).toEqual({
      kind: 'fields',
      values: { Subject: 'Renamed', SystemModstamp: '2026-11-24T08:59:59.500+0000' },
    });
    expect(cdcChangePayload(event, { ...header, changeType: 'CREATE' }, eventId, committedAt)).toMatchObject({
      kind: 'record',
      values: { Id: eventId, Subject: 'Renamed', Location: null },
    });
  });

  it('keeps nothing for an event of several Events, a diff, a deletion or a gap', () => {
    const { event, header } = update(['Subject'], [], { Subject: { string: 'Renamed' } });
    const payload = (changes: Partial<typeof header>) =>
      cdcChangePayload(event, { ...header, ...changes }, eventId, committedAt);
    expect(payload({ recordIds: [eventId, '00U5g0000000002AAA'] })).toBeUndefined();
    expect(payload({ recordIds: [eventId, '00U5g0000000002AAA'], changeType: 'CREATE' })).toBeUndefined();
    expect(payload({ diffFields: bitmap('Subject') })).toBeUndefined();
    for (const changeType of ['DELETE', 'UNDELETE', 'GAP_UPDATE', 'GAP_CREATE'])
      expect(payload({ changeType })).toBeUndefined();
  });
});
