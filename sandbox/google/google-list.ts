// Events.list and Events.instances as Google answers them: the query parameters checked as the
// API reference describes them (timeMin/timeMax RFC 3339 with a mandatory offset, timeMin before
// timeMax, orderBy=startTime only with singleEvents, maxResults up to 2,500), which events a
// query returns (cancelled ones only with showDeleted or in an incremental sync; a series'
// changed and cancelled instances as their own items unless singleEvents expands the series),
// extended property constraints (repeated ones OR'ed within private or shared, the two kinds
// AND'ed, as the "Extended properties" guide says), pages and sync tokens.
import { createHash } from 'node:crypto';
import { badRequest, GoogleApiError, invalidParameter } from './google-errors.ts';
import { timesOf, type EventTimes } from './google-event-input.ts';
import { eventJson, type EventView } from './google-event-json.ts';
import type { Calendar, GoogleCalendars, Target } from './google-calendars.ts';
import {
  isCancelled,
  isSeries,
  openSeriesHorizonMs,
  seriesInstances,
  seriesStartOf,
  type Instance,
  type StoredEvent,
} from './google-instances.ts';
import { instant, parseDateTime, timestamp } from './google-time.ts';

export interface ListQuery {
  timeMin: number | undefined;
  timeMax: number | undefined;
  showDeleted: boolean;
  singleEvents: boolean;
  orderBy: 'startTime' | 'updated' | undefined;
  maxResults: number;
  offset: number;
  privateProperties: [string, string][];
  sharedProperties: [string, string][];
  updatedMin: number | undefined;
  iCalUID: string | undefined;
  /** The revision a sync token carries: changes after it. */
  since: number | undefined;
  originalStart: number | undefined;
}

const bool = (url: URL, name: string): boolean => {
  const value = url.searchParams.get(name);
  if (value === null) return false;
  if (value !== 'true' && value !== 'false')
    throw invalidParameter(name, `Invalid boolean value: '${value}'.`);
  return value === 'true';
};

/** A timestamp parameter: RFC 3339 "with mandatory time zone offset", else 400 Bad Request. */
const time = (url: URL, name: string): number | undefined => {
  const value = url.searchParams.get(name);
  if (value === null) return undefined;
  const ms = parseDateTime(value)?.ms;
  if (ms === undefined) throw badRequest('Bad Request', 'badRequest');
  return ms;
};

const queryKey = (url: URL) =>
  createHash('sha1')
    .update(
      [...url.searchParams]
        .filter(([name]) => name !== 'pageToken')
        .sort()
        .join('&'),
    )
    .digest('base64url')
    .slice(0, 12);

export function parseListQuery(url: URL, kind: 'list' | 'instances'): ListQuery {
  const max = url.searchParams.get('maxResults');
  if (max !== null && (!/^\d+$/.test(max) || Number(max) < 1))
    throw invalidParameter(
      'maxResults',
      `Invalid value '${max}'. Values must be within the range: [1, 2500]`,
    );
  const orderBy = url.searchParams.get('orderBy') ?? undefined;
  if (orderBy !== undefined && orderBy !== 'startTime' && orderBy !== 'updated')
    throw invalidParameter(
      'orderBy',
      `Invalid string value: '${orderBy}'. Allowed values: [startTime, updated]`,
    );
  const singleEvents = bool(url, 'singleEvents');
  if (orderBy === 'startTime' && !singleEvents)
    throw badRequest('The requested ordering is not available for the particular query.', 'badRequest');
  const timeMin = time(url, 'timeMin');
  const timeMax = time(url, 'timeMax');
  if (timeMin !== undefined && timeMax !== undefined && timeMax <= timeMin)
    throw new GoogleApiError(400, {
      domain: 'calendar',
      reason: 'timeRangeEmpty',
      message: 'The specified time range is empty.',
      locationType: 'parameter',
      location: 'timeMax',
    });
  const constraints = (name: string): [string, string][] =>
    url.searchParams.getAll(name).map((constraint) => {
      const at = constraint.indexOf('=');
      if (at <= 0) throw invalidParameter(name, `Invalid value for ${name}: '${constraint}'.`);
      return [constraint.slice(0, at), constraint.slice(at + 1)];
    });
  const syncToken = url.searchParams.get('syncToken') ?? undefined;
  let since: number | undefined;
  if (syncToken !== undefined && kind === 'list') {
    const excluded = [
      'iCalUID',
      'orderBy',
      'privateExtendedProperty',
      'q',
      'sharedExtendedProperty',
      'timeMin',
      'timeMax',
      'updatedMin',
    ];
    const clash = excluded.find((name) => url.searchParams.has(name));
    if (clash !== undefined) throw invalidParameter('syncToken', `Sync token cannot be used with ${clash}.`);
    const match = /^CP(\d+)$/.exec(syncToken);
    if (match === null)
      throw new GoogleApiError(410, {
        domain: 'calendar',
        reason: 'fullSyncRequired',
        message: 'Sync token is no longer valid, a full sync is required.',
      });
    since = Number(match[1]);
  }
  const pageToken = url.searchParams.get('pageToken');
  let offset = 0;
  if (pageToken !== null) {
    const match = /^([0-9]+)\.(.+)$/.exec(Buffer.from(pageToken, 'base64url').toString());
    if (match === null || match[2] !== queryKey(url))
      throw invalidParameter('pageToken', 'Invalid page token value.');
    offset = Number(match[1]);
  }
  return {
    timeMin,
    timeMax,
    showDeleted: bool(url, 'showDeleted'),
    singleEvents,
    orderBy,
    maxResults: Math.min(max === null ? 250 : Number(max), 2500),
    offset,
    privateProperties: constraints('privateExtendedProperty'),
    sharedProperties: constraints('sharedExtendedProperty'),
    updatedMin: time(url, 'updatedMin'),
    iCalUID: url.searchParams.get('iCalUID') ?? undefined,
    since,
    originalStart: time(url, 'originalStart'),
  };
}

interface Candidate {
  target: Target;
  times: EventTimes;
  updated: number;
  revision: number;
  order: number;
  cancelled: boolean;
  /** A deleted event or cancelled instance shown with only what Google guarantees for one. */
  minimal: boolean;
}

function candidateOf(
  calendar: Calendar,
  store: GoogleCalendars,
  target: Target,
  minimalIfCancelled: boolean,
): Candidate {
  const view = store.view(calendar, target);
  const stored = target.kind === 'event' ? target.event : (target.exception ?? target.series);
  const cancelled = isCancelled(view.fields);
  return {
    target,
    times: timesOf(view.fields),
    updated: view.updated,
    revision: stored.revision,
    order: target.kind === 'event' ? target.event.order : (target.exception?.order ?? target.series.order),
    cancelled,
    minimal: cancelled && (target.kind === 'instance' || minimalIfCancelled),
  };
}

/** The window of a query for expanding series: a series without an end is expanded five years ahead. */
function expansionWindow(series: StoredEvent, query: ListQuery, now: number) {
  const start = seriesStartOf(series);
  const first = instant(start.allDay ? `${start.wall}T00:00:00` : start.wall, start.zone);
  return {
    fromMs: query.timeMin ?? -8.64e15,
    toMs: query.timeMax ?? Math.max(now, first) + openSeriesHorizonMs,
  };
}

export function listEvents(
  store: GoogleCalendars,
  calendar: Calendar,
  query: ListQuery,
  now: number,
): Candidate[] {
  const incremental = query.updatedMin !== undefined || query.since !== undefined;
  const overlaps = (t: EventTimes) =>
    (query.timeMin === undefined || t.endMs > query.timeMin) &&
    (query.timeMax === undefined || t.startMs < query.timeMax);
  const found: Candidate[] = [];
  for (const event of calendar.events.values()) {
    const seriesCancelled = isCancelled(event.fields);
    if (!isSeries(event)) {
      const candidate = candidateOf(calendar, store, { kind: 'event', event }, !query.showDeleted);
      if (overlaps(candidate.times) && (!candidate.cancelled || query.showDeleted || incremental))
        found.push(candidate);
      continue;
    }
    const exceptions = calendar.exceptions.get(event.id) ?? new Map<string, StoredEvent>();
    const instance = (i: Instance): Target => ({
      kind: 'instance',
      id: i.id,
      series: event,
      occurrence: i.occurrence,
      exception: i.exception,
    });
    const windowed = query.timeMin !== undefined || query.timeMax !== undefined;
    if (query.singleEvents) {
      // Only instances, never the series: cancelled ones with showDeleted (or when syncing).
      for (const i of seriesInstances(event, exceptions, expansionWindow(event, query, now), overlaps)) {
        const candidate = candidateOf(calendar, store, instance(i), true);
        if (!candidate.cancelled || query.showDeleted || incremental) found.push(candidate);
      }
      continue;
    }
    // Without a window every series is listed (no need to expand it); with one, a series that
    // has an instance in it, and the exceptions that are in it.
    const instances = windowed
      ? seriesInstances(event, exceptions, expansionWindow(event, query, now), overlaps)
      : [];
    if ((!windowed || instances.length > 0) && (!seriesCancelled || query.showDeleted || incremental))
      found.push(candidateOf(calendar, store, { kind: 'event', event }, !query.showDeleted));
    // A series' exceptions are items of their own; its cancelled instances are listed even
    // without showDeleted ("Cancelled instances of recurring events (but not the underlying
    // recurring event) will still be included if showDeleted and singleEvents are both False").
    if (seriesCancelled && !query.showDeleted && !incremental) continue;
    if (windowed) {
      for (const i of instances)
        if (i.exception !== undefined) found.push(candidateOf(calendar, store, instance(i), true));
    } else
      for (const exception of [...exceptions.values()].sort((a, b) => a.order - b.order))
        if (exception.original !== undefined)
          found.push(
            candidateOf(
              calendar,
              store,
              {
                kind: 'instance',
                id: exception.id,
                series: event,
                occurrence: exception.original,
                exception,
              },
              true,
            ),
          );
  }
  const stamped = (candidate: Candidate, kind: 'private' | 'shared', wanted: [string, string][]) => {
    if (wanted.length === 0) return true;
    const properties = store.view(calendar, candidate.target).fields['extendedProperties'] as
      Record<string, Record<string, string>> | undefined;
    return wanted.some(([key, value]) => properties?.[kind]?.[key] === value);
  };
  const selected = found.filter(
    (c) =>
      stamped(c, 'private', query.privateProperties) &&
      stamped(c, 'shared', query.sharedProperties) &&
      (query.updatedMin === undefined || c.updated >= query.updatedMin) &&
      (query.since === undefined || c.revision > query.since) &&
      (query.iCalUID === undefined || store.view(calendar, c.target).iCalUID === query.iCalUID),
  );
  const id = (c: Candidate) => (c.target.kind === 'event' ? c.target.event.id : c.target.id);
  if (query.orderBy === 'startTime')
    selected.sort((a, b) => a.times.startMs - b.times.startMs || (id(a) < id(b) ? -1 : 1));
  else if (query.orderBy === 'updated') selected.sort((a, b) => a.updated - b.updated || a.order - b.order);
  return selected;
}

/** Events.instances: a series' instances in the window (timeMin inclusive for their end here), cancelled ones with showDeleted. */
export function listInstances(
  store: GoogleCalendars,
  calendar: Calendar,
  series: StoredEvent,
  query: ListQuery,
  now: number,
): Candidate[] {
  if (!isSeries(series)) return [];
  const overlaps = (t: EventTimes) =>
    (query.timeMin === undefined || t.endMs >= query.timeMin) &&
    (query.timeMax === undefined || t.startMs < query.timeMax);
  const exceptions = calendar.exceptions.get(series.id) ?? new Map<string, StoredEvent>();
  return seriesInstances(series, exceptions, expansionWindow(series, query, now), overlaps)
    .filter((i) => query.originalStart === undefined || i.occurrence.startMs === query.originalStart)
    .map((i) =>
      candidateOf(
        calendar,
        store,
        { kind: 'instance', id: i.id, series, occurrence: i.occurrence, exception: i.exception },
        true,
      ),
    )
    .filter((c) => !c.cancelled || query.showDeleted);
}

/** One page of a list as Google returns it: the calendar's own fields, the items, nextPageToken or, on the last page, nextSyncToken. */
export function listPage(
  store: GoogleCalendars,
  calendar: Calendar,
  url: URL,
  query: ListQuery,
  candidates: Candidate[],
  syncable: boolean,
): Record<string, unknown> {
  const items = candidates.slice(query.offset, query.offset + query.maxResults);
  const more = query.offset + query.maxResults < candidates.length;
  const views: EventView[] = items.map((c) => store.view(calendar, c.target, c.minimal));
  const updated = Math.max(0, ...candidates.map((c) => c.updated));
  return {
    kind: 'calendar#events',
    etag: `"${updated * 1000}"`,
    summary: calendar.owner,
    updated: timestamp(updated),
    timeZone: 'UTC',
    accessRole: 'owner',
    defaultReminders: [{ method: 'popup', minutes: 10 }],
    ...(more
      ? {
          nextPageToken: Buffer.from(`${query.offset + query.maxResults}.${queryKey(url)}`).toString(
            'base64url',
          ),
        }
      : syncable
        ? { nextSyncToken: `CP${store.revision()}` }
        : {}),
    items: views.map(eventJson),
  };
}
