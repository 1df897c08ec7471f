// A Salesforce Event as the sync needs it, read from the REST API's JSON (datetimes like
// 2026-11-24T09:00:00.000+0000, dates like 2026-11-24). Reading is strict: a record that does not
// look like an Event is a problem with a reason, never a guess.

/** The fields the sync reads, in SOQL and composite-read order. */
export const eventFieldNames = [
  'Id',
  'Subject',
  'StartDateTime',
  'EndDateTime',
  'IsAllDayEvent',
  'ActivityDate',
  'DurationInMinutes',
  'Location',
  'Description',
  'ShowAs',
  'IsPrivate',
  'OwnerId',
  'IsChild',
  'IsReminderSet',
  'ReminderDateTime',
  'IsRecurrence',
  'IsRecurrence2',
  'Recurrence2PatternText',
  'Recurrence2PatternTimeZone',
  'IsRecurrence2Exception',
  'IsRecurrence2Exclusion',
  'GroupEventType',
  'ActivityRecurrence2Id',
  'CreatedById',
  'CreatedDate',
  'SystemModstamp',
] as const;

export interface SalesforceEvent {
  id: string;
  subject: string | null;
  description: string | null;
  location: string | null;
  /** Epoch ms; null when Salesforce has none (it always has for a valid Event). */
  start: number | null;
  end: number | null;
  isAllDay: boolean;
  /** The all-day date, YYYY-MM-DD: Salesforce stores it as midnight UTC and it must never be shifted. */
  activityDate: string | null;
  durationMinutes: number | null;
  showAs: string | null;
  isPrivate: boolean;
  ownerId: string;
  isChild: boolean;
  reminderAt: number | null;
  isReminderSet: boolean;
  /** Classic (pre-Lightning) recurrence. */
  isLegacyRecurrence: boolean;
  /**
   * The pattern of a Lightning series (Recurrence2PatternText), on the series record; null on
   * single Events and on the occurrence records of a series.
   */
  recurrence: { pattern: string | null; timeZone: string | null } | null;
  /** The Event is a Lightning series record (GroupEventType 3): the pattern, not a meeting. */
  isSeries: boolean;
  /**
   * ActivityRecurrence2Id: the Lightning series this record belongs to (the series record and
   * every occurrence record carry the same one), or null.
   */
  seriesKey: string | null;
  /** The Event is one occurrence record of a Lightning series: edited on its own, or excluded. */
  occurrence: { isException: boolean; isExclusion: boolean } | null;
  createdById: string | null;
  /** CreatedDate, epoch ms (null when the record does not say). */
  createdAt: number | null;
  /** SystemModstamp, epoch ms: the version synced. */
  version: number;
}

export function parseSalesforceEvent(record: Record<string, unknown>): SalesforceEvent | { problem: string } {
  const text = (field: string) => {
    const value = record[field];
    return typeof value === 'string' ? value : null;
  };
  const flag = (field: string) => record[field] === true;
  const time = (field: string) => {
    const value = text(field);
    if (value === null) return null;
    const ms = Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    return Number.isNaN(ms) ? undefined : ms;
  };
  const id = text('Id');
  const ownerId = text('OwnerId');
  if (id === null || ownerId === null) return { problem: 'the record has no Id or OwnerId' };
  const start = time('StartDateTime');
  const end = time('EndDateTime');
  const reminderAt = time('ReminderDateTime');
  const version = time('SystemModstamp');
  const createdAt = time('CreatedDate');
  if (
    createdAt === undefined ||
    start === undefined ||
    end === undefined ||
    reminderAt === undefined ||
    version === undefined ||
    version === null
  ) {
    return { problem: 'a datetime field is not in Salesforce format' };
  }
  const duration = record['DurationInMinutes'];
  const seriesKey = text('ActivityRecurrence2Id');
  const isSeries = record['GroupEventType'] === '3' || record['GroupEventType'] === 3;
  return {
    id,
    subject: text('Subject'),
    description: text('Description'),
    location: text('Location'),
    start,
    end,
    isAllDay: flag('IsAllDayEvent'),
    activityDate: text('ActivityDate'),
    durationMinutes: typeof duration === 'number' ? duration : null,
    showAs: text('ShowAs'),
    isPrivate: flag('IsPrivate'),
    ownerId,
    isChild: flag('IsChild'),
    reminderAt,
    isReminderSet: flag('IsReminderSet'),
    isLegacyRecurrence: flag('IsRecurrence'),
    // Occurrence records carry the series' pattern too; only the series record repeats.
    recurrence:
      flag('IsRecurrence2') && (isSeries || seriesKey === null)
        ? { pattern: text('Recurrence2PatternText'), timeZone: text('Recurrence2PatternTimeZone') }
        : null,
    isSeries,
    seriesKey,
    occurrence:
      seriesKey === null || isSeries
        ? null
        : { isException: flag('IsRecurrence2Exception'), isExclusion: flag('IsRecurrence2Exclusion') },
    createdById: text('CreatedById'),
    createdAt,
    version,
  };
}
