// How written properties become a calendar item's stored fields, as Exchange derives them.
// A Start or End without an offset is read in the item's StartTimeZone / EndTimeZone when the
// same CalendarItem carries one, else in the request's TimeZoneContext, else as UTC ("Time zones
// and EWS in Exchange", table 2); the creation time zone is StartTimeZone, else the context's.
// An all-day event's start moves back to the midnight before it and its end on to the midnight
// after it, in its zones ("Create all-day events by using EWS"). End before Start is
// ErrorCalendarEndDateIsEarlierThanStartDate, more than five years ErrorCalendarDurationIsTooLong.
// A recurring master's Start and End become its first occurrence's.
import { randomUUID } from 'node:crypto';
import { ItemError } from './ews-errors.ts';
import type { CalendarItemElement } from './ews-item-fields.ts';
import type { ExtendedValue, ItemInput } from './ews-item-input.ts';
import { checkSeries } from './ews-recurrence.ts';
import { seriesClock, type CalendarFields } from './ews-store.ts';
import { addDays, ianaOf, instant, instantOf, wallClock } from './ews-time.ts';

/** The request's TimeZoneContext (a Windows id), if it sent one. */
export interface TimeContext {
  timeZoneContext: string | undefined;
}

const fiveYearsMs = 5 * 366 * 86_400_000;

export function defaultFields(creationZone: string): CalendarFields {
  return {
    subject: undefined,
    sensitivity: 'Normal',
    body: undefined,
    categories: [],
    importance: 'Normal',
    reminderIsSet: true,
    reminderMinutesBeforeStart: 15,
    extended: [],
    uid: randomUUID().replace(/-/g, '').toUpperCase(),
    startMs: 0,
    endMs: 0,
    startTimeZone: creationZone,
    endTimeZone: creationZone,
    isAllDayEvent: false,
    legacyFreeBusyStatus: 'Busy',
    location: undefined,
    isResponseRequested: true,
    allowNewTimeProposal: true,
    requiredAttendees: [],
    optionalAttendees: [],
    resources: [],
    recurrence: undefined,
  };
}

/** Sets the extended properties written, replacing ones of the same identity. */
export function mergeExtended(current: ExtendedValue[], written: ExtendedValue[]): ExtendedValue[] {
  const byKey = new Map(current.map((e) => [e.key, e]));
  for (const value of written) byKey.set(value.key, value);
  return [...byKey.values()];
}

/**
 * The fields after writing `input` over `base` (not yet settled: an update may write Start and
 * End in two changes); `isNew` for CreateItem (the creation zone defaults from the context).
 * Returns the names of the properties written.
 */
export function applyInput(
  base: CalendarFields,
  input: ItemInput,
  context: TimeContext,
  options: { isNew: boolean; isOccurrence: boolean },
): { fields: CalendarFields; written: string[] } {
  if (input.error !== undefined) throw input.error;
  const contextZone = context.timeZoneContext ?? 'UTC';
  const fields: CalendarFields = { ...base };
  if (options.isNew) {
    fields.startTimeZone = input.startTimeZone ?? contextZone;
    fields.endTimeZone = input.endTimeZone ?? input.startTimeZone ?? contextZone;
  } else {
    if (input.startTimeZone !== undefined) fields.startTimeZone = input.startTimeZone;
    if (input.endTimeZone !== undefined) fields.endTimeZone = input.endTimeZone;
  }
  const zoneOf = (windowsId: string) => ianaOf(windowsId) ?? 'UTC';
  if (input.start !== undefined)
    fields.startMs = instantOf(input.start, zoneOf(input.startTimeZone ?? contextZone));
  if (input.end !== undefined) fields.endMs = instantOf(input.end, zoneOf(input.endTimeZone ?? contextZone));
  const set = <K extends keyof CalendarFields>(key: K, value: CalendarFields[K] | undefined) => {
    if (value !== undefined) fields[key] = value;
  };
  set('subject', input.subject);
  set('sensitivity', input.sensitivity);
  set('body', input.body);
  set('categories', input.categories);
  set('importance', input.importance);
  set('reminderIsSet', input.reminderIsSet);
  set('reminderMinutesBeforeStart', input.reminderMinutesBeforeStart);
  set('uid', input.uid);
  set('isAllDayEvent', input.isAllDayEvent);
  set('legacyFreeBusyStatus', input.legacyFreeBusyStatus);
  set('location', input.location);
  set('isResponseRequested', input.isResponseRequested);
  set('allowNewTimeProposal', input.allowNewTimeProposal);
  set('requiredAttendees', input.requiredAttendees);
  set('optionalAttendees', input.optionalAttendees);
  set('resources', input.resources);
  if (input.recurrence !== undefined) {
    if (options.isOccurrence)
      throw new ItemError(
        'ErrorInvalidPropertyForOperation',
        undefined,
        '<t:FieldURI FieldURI="calendar:Recurrence"/>',
      );
    fields.recurrence = input.recurrence;
  }
  if (input.extended.length > 0) fields.extended = mergeExtended(fields.extended, input.extended);
  if (options.isNew && (input.start === undefined || input.end === undefined))
    throw new ItemError(
      'ErrorRequiredPropertyMissing',
      undefined,
      `<t:FieldURI FieldURI="calendar:${input.start === undefined ? 'Start' : 'End'}"/>`,
    );
  const written: string[] = [
    ...input.names.filter((n: CalendarItemElement) => n !== 'ExtendedProperty'),
    ...input.extended.map((e) => e.key),
  ];
  return { fields, written };
}

/** Derives what Exchange derives after a write, and refuses what it refuses. */
export function settle(fields: CalendarFields): CalendarFields {
  const settled = { ...fields };
  if (settled.isAllDayEvent) {
    const startZone = ianaOf(settled.startTimeZone) ?? 'UTC';
    const endZone = ianaOf(settled.endTimeZone) ?? 'UTC';
    settled.startMs = instant(`${wallClock(settled.startMs, startZone).slice(0, 10)}T00:00:00`, startZone);
    const endWall = wallClock(settled.endMs, endZone);
    const endDate = endWall.endsWith('T00:00:00') ? endWall.slice(0, 10) : addDays(endWall.slice(0, 10), 1);
    settled.endMs = instant(`${endDate}T00:00:00`, endZone);
  }
  if (settled.endMs < settled.startMs) throw new ItemError('ErrorCalendarEndDateIsEarlierThanStartDate');
  if (settled.endMs - settled.startMs > fiveYearsMs) throw new ItemError('ErrorCalendarDurationIsTooLong');
  if (settled.recurrence !== undefined) {
    const length = settled.endMs - settled.startMs;
    const first = checkSeries(settled.recurrence, seriesClock(settled), length);
    settled.startMs = first;
    settled.endMs = first + length;
  }
  return settled;
}
