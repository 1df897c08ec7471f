import { describe, expect, it } from 'vitest';
import { eventRecordFromCreate } from './cdc-event-record.ts';

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

  it('takes the commit time for SystemModstamp when LastModifiedDate is missing', () => {
    expect(eventRecordFromCreate({ ...header }, eventId, committedAt)['SystemModstamp']).toBe(
      '2026-11-24T08:59:59.500+0000',
    );
  });
});
