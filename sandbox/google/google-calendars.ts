// The primary calendars of the sandbox's domain users (and of service accounts acting as
// themselves) and their events, changed as Google Calendar changes them: client-chosen ids
// (base32hex, 5–1024 characters, unique in the calendar for good: a deleted event keeps its id,
// so inserting it again is 409 duplicate, and PATCH status "confirmed" undeletes it), deletes
// that leave the event cancelled (a second delete is 410), sequence and etag on every change,
// exceptions for changed or cancelled instances, and the e-mails sendUpdates would have sent.
import { randomInt } from 'node:crypto';
import { badRequest, deleted, GoogleApiError, notFound } from './google-errors.ts';
import {
  checkEvent,
  mergePatch,
  privateStamps,
  writableFields,
  type EventFields,
} from './google-event-input.ts';
import type { EventView } from './google-event-json.ts';
import {
  instanceFields,
  instanceId,
  isCancelled,
  isSeries,
  occurrenceOf,
  originalStartTime,
  overridesOf,
  parseInstanceId,
  seriesStartOf,
  type StoredEvent,
} from './google-instances.ts';
import { isOccurrence, type Occurrence } from './google-recurrence.ts';

export type SendUpdates = 'all' | 'externalOnly' | 'none';

export interface Notification {
  eventId: string;
  kind: 'invitation' | 'update' | 'cancellation';
  to: string[];
}

export interface Calendar {
  owner: string;
  /** Single events and series, by id. */
  events: Map<string, StoredEvent>;
  /** Each series' exceptions, by series id and instance id suffix. */
  exceptions: Map<string, Map<string, StoredEvent>>;
  notifications: Notification[];
}

/** What an event id names in a calendar. */
export type Target =
  | { kind: 'event'; event: StoredEvent }
  | {
      kind: 'instance';
      id: string;
      series: StoredEvent;
      occurrence: Occurrence;
      exception: StoredEvent | undefined;
    };

export interface WriteOptions {
  sendUpdates: SendUpdates;
  /** False for a service account acting as itself: it cannot invite attendees without delegation. */
  canInvite: boolean;
}

const base32hex = '0123456789abcdefghijklmnopqrstuv';

export class GoogleCalendars {
  readonly #users = new Map<string, Calendar>();
  readonly #accounts = new Map<string, Calendar>();
  readonly #now: () => number;
  #order = 0;
  #etags = 0;
  #revision = 0;

  constructor(now: () => number) {
    this.#now = now;
  }

  addUser(email: string): void {
    const owner = email.toLowerCase();
    if (!this.#users.has(owner)) this.#users.set(owner, newCalendar(owner));
  }

  isUser(email: string): boolean {
    return this.#users.has(email.toLowerCase());
  }

  users(): string[] {
    return [...this.#users.keys()];
  }

  /** The change counter: every insert, change and delete in any calendar moves it on. */
  revision(): number {
    return this.#revision;
  }

  /** A domain user's calendar, or a service account's own (made when first used). */
  calendar(owner: string, serviceAccount = false): Calendar {
    const key = owner.toLowerCase();
    const found = this.#users.get(key) ?? this.#accounts.get(key);
    if (found !== undefined) return found;
    if (!serviceAccount) throw notFound();
    const made = newCalendar(key);
    this.#accounts.set(key, made);
    return made;
  }

  insert(calendar: Calendar, body: Record<string, unknown>, options: WriteOptions): EventView {
    const id = body['id'];
    if (id !== undefined && (typeof id !== 'string' || !/^[0-9a-v]{5,1024}$/.test(id)))
      throw badRequest('Invalid resource id value.');
    if (typeof id === 'string' && calendar.events.has(id))
      throw new GoogleApiError(409, {
        domain: 'global',
        reason: 'duplicate',
        message: 'The requested identifier already exists.',
      });
    const fields = checkEvent(writableFields(body), { instance: false });
    checkInvite(fields, options);
    const now = this.#now();
    const eventId = typeof id === 'string' ? id : generatedId();
    const given = body['sequence'];
    const event: StoredEvent = {
      id: eventId,
      calendar: calendar.owner,
      fields: { status: 'confirmed', ...fields },
      created: now,
      updated: now,
      sequence: typeof given === 'number' && Number.isInteger(given) && given > 0 ? given : 0,
      etag: this.#etag(now),
      iCalUID: `${eventId}@google.com`,
      order: this.#order++,
      revision: ++this.#revision,
    };
    calendar.events.set(eventId, event);
    this.#notify(calendar, eventId, 'invitation', event.fields, options.sendUpdates);
    return this.view(calendar, { kind: 'event', event });
  }

  /** What `id` names: an event, or an instance of a series (an occurrence or an exception); 404 otherwise. */
  target(calendar: Calendar, id: string): Target {
    const event = calendar.events.get(id);
    if (event !== undefined) return { kind: 'event', event };
    const named = parseInstanceId(id);
    const series = named === undefined ? undefined : calendar.events.get(named.seriesId);
    if (named === undefined || series === undefined || !isSeries(series)) throw notFound();
    const exception = calendar.exceptions.get(series.id)?.get(named.suffix);
    const occurrence = exception?.original ?? occurrenceOf(series, named.suffix);
    if (occurrence === undefined) throw notFound();
    return { kind: 'instance', id, series, occurrence, exception };
  }

  /** The event or instance as the API returns it. */
  view(calendar: Calendar, target: Target, minimal = false): EventView {
    if (target.kind === 'event') return { ...viewOf(target.event), ...(minimal ? { minimal } : {}) };
    const { series, occurrence, exception } = target;
    const fields = instanceFields(series, occurrence, exception);
    return {
      id: target.id,
      calendar: calendar.owner,
      fields,
      created: exception?.created ?? series.created,
      updated: exception?.updated ?? series.updated,
      sequence: exception?.sequence ?? series.sequence,
      etag: exception?.etag ?? series.etag,
      iCalUID: series.iCalUID,
      recurringEventId: series.id,
      originalStartTime: originalStartTime(series, occurrence),
      ...(minimal ? { minimal } : {}),
    };
  }

  /**
   * PATCH (`replace` false: merge onto what is stored) or PUT (`replace`: the body is the whole
   * event) of an event or instance, checked as an insert is; a cancelled event comes back with
   * status "confirmed". A series whose start, end or recurrence changes keeps the exceptions
   * whose original start is still one of its occurrences and drops the others.
   */
  change(
    calendar: Calendar,
    id: string,
    body: Record<string, unknown>,
    replace: boolean,
    options: WriteOptions,
  ): EventView {
    const target = this.target(calendar, id);
    const stored = target.kind === 'event' ? target.event : target.exception;
    const current =
      target.kind === 'event'
        ? target.event.fields
        : instanceFields(target.series, target.occurrence, target.exception);
    const given = body['sequence'];
    const sequence = stored?.sequence ?? (target.kind === 'instance' ? target.series.sequence : 0);
    if (typeof given === 'number' && given < sequence)
      throw badRequest(
        'Invalid sequence value. The specified sequence number is below the current sequence number of the resource.',
      );
    const written = writableFields(body);
    const merged = replace ? { status: 'confirmed', ...written } : mergePatch(current, written);
    const fields = { status: 'confirmed', ...checkEvent(merged, { instance: target.kind === 'instance' }) };
    checkInvite(fields, options);
    const now = this.#now();
    const next = {
      updated: now,
      etag: this.#etag(now),
      revision: ++this.#revision,
      sequence: Math.max(sequence + 1, typeof given === 'number' ? given : 0),
    };
    if (target.kind === 'event') {
      const event = target.event;
      const shape = (f: EventFields) => JSON.stringify([f['start'], f['end'], f['recurrence'] ?? null]);
      const reshaped = shape(event.fields) !== shape(fields);
      Object.assign(event, next, { fields });
      if (reshaped) this.#pruneExceptions(calendar, event);
    } else {
      const exception = target.exception ?? this.#exception(calendar, target, now);
      Object.assign(exception, next, { fields: overridesOf(target.series, target.occurrence, fields) });
    }
    this.#notify(calendar, id, 'update', fields, options.sendUpdates);
    return this.view(calendar, this.target(calendar, id));
  }

  /** Cancels an event, a whole series, or one instance; the event stays, with its id, as cancelled. */
  delete(calendar: Calendar, id: string, sendUpdates: SendUpdates): void {
    const target = this.target(calendar, id);
    const now = this.#now();
    const next = { updated: now, etag: this.#etag(now), revision: ++this.#revision };
    if (target.kind === 'event') {
      if (isCancelled(target.event.fields)) throw deleted();
      Object.assign(target.event, next, { fields: { ...target.event.fields, status: 'cancelled' } });
      this.#notify(calendar, id, 'cancellation', target.event.fields, sendUpdates);
    } else {
      const fields = instanceFields(target.series, target.occurrence, target.exception);
      if (isCancelled(fields)) throw deleted();
      const exception = target.exception ?? this.#exception(calendar, target, now);
      Object.assign(exception, next, {
        fields: overridesOf(target.series, target.occurrence, { ...fields, status: 'cancelled' }),
      });
      this.#notify(calendar, id, 'cancellation', fields, sendUpdates);
    }
  }

  /** The private extended property values of what `id` names, for the fault log. */
  stamps(calendar: Calendar, id: string): string[] {
    return privateStamps(this.view(calendar, this.target(calendar, id)).fields);
  }

  /** Every stored event of a calendar (single events, series, exceptions), in creation order. */
  stored(calendar: Calendar): EventView[] {
    const events = [...calendar.events.values()];
    const exceptions = [...calendar.exceptions.values()].flatMap((m) => [...m.values()]);
    return [...events, ...exceptions]
      .sort((a, b) => a.order - b.order)
      .map((e) => {
        if (e.recurringEventId === undefined || e.original === undefined) return viewOf(e);
        const series = calendar.events.get(e.recurringEventId);
        if (series === undefined) return viewOf(e);
        return this.view(calendar, {
          kind: 'instance',
          id: e.id,
          series,
          occurrence: e.original,
          exception: e,
        });
      });
  }

  #exception(calendar: Calendar, target: Extract<Target, { kind: 'instance' }>, now: number): StoredEvent {
    const exception: StoredEvent = {
      id: instanceId(target.series.id, target.occurrence),
      calendar: calendar.owner,
      fields: {},
      // An exception is part of its series' event: created with it.
      created: target.series.created,
      updated: now,
      sequence: target.series.sequence,
      etag: '',
      iCalUID: target.series.iCalUID,
      order: this.#order++,
      revision: this.#revision,
      recurringEventId: target.series.id,
      original: target.occurrence,
    };
    let map = calendar.exceptions.get(target.series.id);
    if (map === undefined) {
      map = new Map<string, StoredEvent>();
      calendar.exceptions.set(target.series.id, map);
    }
    map.set(exception.id.slice(target.series.id.length + 1), exception);
    return exception;
  }

  #pruneExceptions(calendar: Calendar, series: StoredEvent): void {
    const map = calendar.exceptions.get(series.id);
    if (map === undefined) return;
    for (const [suffix, exception] of map) {
      const keep =
        isSeries(series) &&
        exception.original !== undefined &&
        isOccurrence(series.fields['recurrence'] as string[], seriesStartOf(series), exception.original);
      if (!keep) map.delete(suffix);
    }
  }

  #notify(
    calendar: Calendar,
    eventId: string,
    kind: Notification['kind'],
    fields: EventFields,
    sendUpdates: SendUpdates,
  ): void {
    if (sendUpdates === 'none') return;
    const attendees = ((fields['attendees'] ?? []) as { email: string }[]).map((a) => a.email);
    const to = attendees.filter(
      (email) => email !== calendar.owner && (sendUpdates === 'all' || !this.isUser(email)),
    );
    if (to.length > 0) calendar.notifications.push({ eventId, kind, to });
  }

  #etag(now: number): string {
    // Microseconds of the change, kept distinct for changes within one millisecond.
    return `"${now * 1000 + (this.#etags++ % 1000)}"`;
  }
}

function newCalendar(owner: string): Calendar {
  return { owner, events: new Map(), exceptions: new Map(), notifications: [] };
}

function viewOf(event: StoredEvent): EventView {
  return {
    id: event.id,
    calendar: event.calendar,
    fields: event.fields,
    created: event.created,
    updated: event.updated,
    sequence: event.sequence,
    etag: event.etag,
    iCalUID: event.iCalUID,
  };
}

/** Events.insert without an id: 26 base32hex characters, as Google's own ids look. */
function generatedId(): string {
  return Array.from({ length: 26 }, () => base32hex[randomInt(32)]).join('');
}

/** "Service accounts need to use domain-wide delegation of authority to populate the attendee list." */
function checkInvite(fields: EventFields, options: WriteOptions): void {
  const attendees = fields['attendees'] as unknown[] | undefined;
  if (!options.canInvite && attendees !== undefined && attendees.length > 0)
    throw new GoogleApiError(403, {
      domain: 'calendar',
      reason: 'forbiddenForServiceAccounts',
      message: 'Service accounts cannot invite attendees without Domain-Wide Delegation of Authority.',
    });
}
