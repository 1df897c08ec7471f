import { describe, expect, it } from 'vitest';
import { parseSalesforceEvent } from './salesforce-event.ts';

describe('parseSalesforceEvent', () => {
  it('reads the REST API record, datetimes in Salesforce format', () => {
    const event = parseSalesforceEvent({
      attributes: { type: 'Event' },
      Id: '00U5g0000000001EAA',
      Subject: 'Demo',
      StartDateTime: '2026-11-25T09:00:00.000+0000',
      EndDateTime: '2026-11-25T10:00:00.000+0000',
      IsAllDayEvent: false,
      ActivityDate: '2026-11-25',
      DurationInMinutes: 60,
      ShowAs: 'Busy',
      OwnerId: '0055g0000000001AAA',
      IsRecurrence2: true,
      Recurrence2PatternText: 'RRULE:FREQ=DAILY;COUNT=2',
      Recurrence2PatternTimeZone: 'Europe/Berlin',
      GroupEventType: '3',
      SystemModstamp: '2026-11-24T08:00:00.000+0000',
    });
    expect(event).toMatchObject({
      id: '00U5g0000000001EAA',
      start: Date.UTC(2026, 10, 25, 9),
      end: Date.UTC(2026, 10, 25, 10),
      durationMinutes: 60,
      recurrence: { pattern: 'RRULE:FREQ=DAILY;COUNT=2', timeZone: 'Europe/Berlin' },
      isSeries: true,
      seriesKey: null,
      occurrence: null,
      version: Date.UTC(2026, 10, 24, 8),
      isChild: false,
    });
  });

  it('reads an occurrence record of a Lightning series: its series, never the pattern it carries', () => {
    const event = parseSalesforceEvent({
      Id: '00U5g0000000002EAA',
      OwnerId: '0055g0000000001AAA',
      StartDateTime: '2026-12-02T09:00:00.000+0000',
      EndDateTime: '2026-12-02T10:00:00.000+0000',
      GroupEventType: '0',
      IsRecurrence2: true,
      Recurrence2PatternText: 'RRULE:FREQ=DAILY;COUNT=2',
      IsRecurrence2Exception: true,
      IsRecurrence2Exclusion: false,
      ActivityRecurrence2Id: '8285g0000000001AAA',
      SystemModstamp: '2026-11-24T08:00:00.000+0000',
    });
    expect(event).toMatchObject({
      recurrence: null,
      isSeries: false,
      seriesKey: '8285g0000000001AAA',
      occurrence: { isException: true, isExclusion: false },
    });
  });

  it('refuses a record that is not an Event', () => {
    expect(parseSalesforceEvent({ Subject: 'x' })).toEqual({ problem: 'the record has no Id or OwnerId' });
    expect(
      parseSalesforceEvent({
        Id: '00U',
        OwnerId: '005',
        StartDateTime: 'soon',
        SystemModstamp: '2026-11-24T08:00:00.000+0000',
      }),
    ).toEqual({
      problem: 'a datetime field is not in Salesforce format',
    });
  });
});
