import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { composeEventRecord, type EventRecordBase, type LaterChange } from './compose-event-record.ts';

const base: EventRecordBase = {
  kind: 'last-synced',
  throughChangeId: 10,
  record: {
    Id: '00U5g0000000001AAA',
    Subject: 'Standup',
    Location: 'Room 1',
    DurationInMinutes: 15,
    SystemModstamp: '2026-11-24T09:00:00.000+0000',
  },
};
const edit = (id: number, at: string, fields: Record<string, unknown>): LaterChange => ({
  id,
  source: 'cdc',
  changeType: 'update',
  payloadKind: 'fields',
  payload: { ...fields, SystemModstamp: `2026-11-24T${at}.000+0000` },
});

describe('composeEventRecord', () => {
  it('folds the CDC edits after the base in change order: each field ends at its last writer', () => {
    const composed = composeEventRecord(base, [
      edit(12, '09:02:00', { Location: 'Room 2', DurationInMinutes: 30 }),
      edit(11, '09:01:00', { Subject: 'Standup (moved)', Location: null }),
    ]);
    expect(composed).toEqual({
      record: {
        Id: '00U5g0000000001AAA',
        Subject: 'Standup (moved)',
        Location: 'Room 2',
        DurationInMinutes: 30,
        SystemModstamp: '2026-11-24T09:02:00.000+0000',
      },
      throughChangeId: 12,
      base: 'last-synced',
      edits: 2,
    });
    expect(base.record['Subject']).toBe('Standup'); // the base is not changed
  });

  it('is the base itself when nothing was recorded after it', () => {
    expect(composeEventRecord(base, [])).toEqual({
      record: base.record,
      throughChangeId: 10,
      base: 'last-synced',
      edits: 0,
    });
  });

  it('skips an edit the base already has (committed before its SystemModstamp), so it never steps back', () => {
    const newer = {
      ...base,
      record: { ...base.record, Subject: 'Later title', SystemModstamp: '2026-11-24T09:05:00.000+0000' },
    };
    const composed = composeEventRecord(newer, [edit(11, '09:01:00', { Subject: 'Earlier title' })]);
    expect(composed).toMatchObject({ record: { Subject: 'Later title' }, throughChangeId: 11, edits: 0 });
  });

  it('gives the same record for any delivery order of the same changes', () => {
    const edits = [
      edit(11, '09:01:00', { Subject: 'A', Location: null }),
      edit(12, '09:02:00', { Subject: 'B' }),
      edit(13, '09:03:00', { Location: 'Room 9', DurationInMinutes: 60 }),
      edit(14, '09:04:00', { DurationInMinutes: 45 }),
    ];
    fc.assert(
      fc.property(fc.shuffledSubarray(edits, { minLength: edits.length }), (shuffled) => {
        expect(composeEventRecord(base, shuffled)).toEqual(composeEventRecord(base, edits));
      }),
    );
    expect(composeEventRecord(base, edits)).toMatchObject({
      record: { Subject: 'B', Location: 'Room 9', DurationInMinutes: 45 },
    });
  });

  it('cannot know the record after anything but a CDC edit with its fields, or without a base', () => {
    const after = (change: Partial<LaterChange>) =>
      composeEventRecord(base, [
        edit(11, '09:01:00', { Subject: 'A' }),
        { ...edit(12, '09:02:00', {}), ...change },
      ]);
    expect(after({ source: 'poll', payloadKind: null, payload: null })).toEqual({
      unknown: 'an update from polling came after the record kept',
    });
    expect(after({ payloadKind: null, payload: null })).toEqual({
      unknown: 'a CDC update without its fields came after the record kept',
    });
    expect(after({ changeType: 'resync', payloadKind: null, payload: null })).toEqual({
      unknown: 'a CDC gap event came after the record kept',
    });
    expect(after({ changeType: 'undelete', payloadKind: null, payload: null })).toMatchObject({
      unknown: 'an undelete from CDC came after the record kept',
    });
    expect(after({ changeType: 'create', payloadKind: 'record' })).toMatchObject({
      unknown: expect.any(String) as unknown,
    });
    expect(after({ source: 'webhook' })).toEqual({
      unknown: 'an update from the webhook came after the record kept',
    });
    expect(after({ source: 'manual', changeType: 'resync' })).toEqual({
      unknown: 'a retry by hand came after the record kept',
    });
    expect(composeEventRecord(undefined, [])).toEqual({ unknown: 'no record of the Event is kept yet' });
  });

  it('names every change it cannot fold: an undelete after a deletion says the undelete too', () => {
    const gone = { ...edit(12, '09:02:00', {}), changeType: 'delete', payloadKind: null, payload: null };
    const back = { ...edit(13, '09:03:00', {}), changeType: 'undelete', payloadKind: null, payload: null };
    expect(composeEventRecord(base, [edit(11, '09:01:00', { Subject: 'A' }), gone, back])).toEqual({
      unknown: 'a deletion and an undelete from CDC came after the record kept',
    });
    expect(composeEventRecord(base, [back, { ...gone, id: 14 }, { ...back, id: 15 }])).toEqual({
      unknown: 'an undelete and a deletion from CDC came after the record kept',
    });
    expect(
      composeEventRecord(base, [
        { ...gone, source: 'poll' },
        { ...back, source: 'manual' },
      ]),
    ).toEqual({
      unknown: 'a deletion from polling and a retry by hand came after the record kept',
    });
  });
});
