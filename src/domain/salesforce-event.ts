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
  recurrence: { pattern: string | null; timeZone: string | null; isException: boolean } | null;
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
    recurrence: flag('IsRecurrence2')
      ? {
          pattern: text('Recurrence2PatternText'),
          timeZone: text('Recurrence2PatternTimeZone'),
          isException: flag('IsRecurrence2Exception'),
        }
      : null,
    createdById: text('CreatedById'),
    createdAt,
    version,
  };
}
