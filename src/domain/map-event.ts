// mapEvent: a Salesforce Event (with its owner's time zone, its invitees and the tenant's
// policies) becomes a CalendarItem, or a skip with the reason. Pure. Two traps it exists to
// avoid: an all-day Event's ActivityDate is stored as midnight UTC and is used as a date, never
// shifted into a zone; and invitees are only made attendees (who get emails from the provider)
// as far as the tenant's invitation policy allows, the rest are listed in the body.
import type { Attendee, CalendarItem, ItemTiming, ShowAs } from './calendar-item.ts';
import { parseRrule } from './rrule.ts';
import type { SalesforceEvent } from './salesforce-event.ts';
import { addDays, isIsoDate, isKnownTimeZone, localDate, localDateTime } from './time-zones.ts';

export type InvitationPolicy = 'none' | 'internal' | 'all';

export interface Invitee {
  email: string | null;
  name: string | null;
  /** Declined invitees are left out. */
  status: string | null;
}

export interface MapContext {
  /** The owner's TimeZoneSidKey (an IANA zone id). */
  ownerTimeZone: string;
  invitees: readonly Invitee[];
  invitationPolicy: InvitationPolicy;
  /** Email domains counted as internal for the `internal` policy, lower case. */
  internalDomains: readonly string[];
}

export type MapResult =
  { kind: 'item'; item: CalendarItem; notes: string[] } | { kind: 'skip'; reason: string };

const maxDescription = 32_000;
const showAsValues: Record<string, ShowAs> = {
  Busy: 'busy',
  Free: 'free',
  OutOfOffice: 'oof',
  Tentative: 'tentative',
  WorkingElsewhere: 'workingElsewhere',
};

export function mapEvent(event: SalesforceEvent, context: MapContext): MapResult {
  if (event.isChild) return skip("an invitee's copy (IsChild): the owner's Event is synced instead");
  if (!isKnownTimeZone(context.ownerTimeZone))
    return skip(`the owner's time zone ${JSON.stringify(context.ownerTimeZone)} is unknown`);
  if (event.isLegacyRecurrence)
    return skip('classic (pre-Lightning) recurring Events are not synced; use Lightning recurrence');

  const notes: string[] = [];
  const timing = mapTiming(event, context.ownerTimeZone);
  if ('problem' in timing) return skip(timing.problem);

  let recurrence: CalendarItem['recurrence'] = null;
  if (event.recurrence !== null) {
    if (event.recurrence.pattern === null)
      return skip('a recurring Event without its pattern (Recurrence2PatternText)');
    const zone = event.recurrence.timeZone ?? context.ownerTimeZone;
    if (!isKnownTimeZone(zone)) return skip(`the recurrence time zone ${JSON.stringify(zone)} is unknown`);
    const startDate = timing.kind === 'all-day' ? timing.startDate : localDate(timing.start, zone);
    const startTime =
      timing.kind === 'all-day' ? '00:00:00' : localDateTime(timing.start, zone).slice(11, 19);
    const parsed = parseRrule(event.recurrence.pattern, { startDate, timeZone: zone, startTime });
    if ('problem' in parsed) return skip(parsed.problem);
    recurrence = parsed;
  }

  const showAs = event.showAs === null ? 'busy' : showAsValues[event.showAs];
  if (showAs === undefined)
    notes.push(`ShowAs ${JSON.stringify(event.showAs)} has no calendar equivalent: shown as busy`);

  let reminder: number | null = null;
  if (event.isReminderSet && event.reminderAt !== null && event.start !== null) {
    const minutes = Math.round((event.start - event.reminderAt) / 60_000);
    reminder = minutes >= 0 ? minutes : null;
    if (minutes < 0) notes.push('the reminder is after the start: no reminder set');
  }

  const { attendees, listed } = splitInvitees(context);
  let body = event.description ?? '';
  if (listed.length > 0) body = `${body}${body === '' ? '' : '\n\n'}Invitees: ${listed.join(', ')}`;
  if (body.length > maxDescription) {
    body = body.slice(0, maxDescription);
    notes.push(`the description was cut to ${maxDescription} characters`);
  }

  return {
    kind: 'item',
    notes,
    // Keys in sorted order, as canonicalItem writes them: its hash then sorts nothing.
    item: {
      attendees,
      body,
      location: event.location === null || event.location === '' ? null : event.location,
      recurrence,
      reminderMinutesBeforeStart: reminder,
      salesforceEventId: event.id,
      sensitivity: event.isPrivate ? 'private' : 'normal',
      showAs: showAs ?? 'busy',
      subject: event.subject ?? '',
      timing,
    },
  };
}

function mapTiming(event: SalesforceEvent, timeZone: string): ItemTiming | { problem: string } {
  if (event.isAllDay) {
    const date = event.activityDate;
    if (date === null || !isIsoDate(date))
      return { problem: 'an all-day Event without a valid ActivityDate' };
    let days = event.durationMinutes !== null ? Math.round(event.durationMinutes / 1440) : null;
    if (days === null && event.start !== null && event.end !== null)
      days = Math.round((event.end - event.start) / 86_400_000) + 1;
    if (days === null || days < 1) return { problem: 'an all-day Event with no length' };
    return { endDate: addDays(date, days), kind: 'all-day', startDate: date, timeZone };
  }
  if (event.start === null || event.end === null)
    return { problem: 'the Event has no StartDateTime or EndDateTime' };
  if (event.end < event.start) return { problem: 'End is before Start' };
  return { end: event.end, kind: 'timed', start: event.start, timeZone };
}

function splitInvitees(context: MapContext): { attendees: Attendee[]; listed: string[] } {
  const attendees: Attendee[] = [];
  const listed: string[] = [];
  const seen = new Set<string>();
  for (const invitee of context.invitees) {
    if (invitee.status === 'Declined') continue;
    const email = invitee.email?.trim().toLowerCase() ?? '';
    const label =
      invitee.name === null
        ? email || '(no email)'
        : email === ''
          ? invitee.name
          : `${invitee.name} <${email}>`;
    if (email === '' || seen.has(email)) {
      if (email === '') listed.push(label);
      continue;
    }
    seen.add(email);
    const domain = email.split('@')[1] ?? '';
    const invite =
      context.invitationPolicy === 'all' ||
      (context.invitationPolicy === 'internal' && context.internalDomains.includes(domain));
    if (invite) attendees.push({ email, name: invitee.name, type: 'required' });
    else listed.push(label);
  }
  return { attendees, listed };
}

function skip(reason: string): MapResult {
  return { kind: 'skip', reason };
}
