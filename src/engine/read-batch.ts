// The Salesforce reads for one batch of a tenant's jobs, as few calls as possible: the Events by
// id in one composite call (per 2,000) unless their record is already known (composed from CDC,
// store/changes/known-from-changes.ts) or they are gone, invitees only for group Events, and
// owners only when their mailbox is unknown or its record is older than an hour.
import { eventFieldNames, parseSalesforceEvent, type SalesforceEvent } from '../domain/salesforce-event.ts';
import type { Invitee } from '../domain/map-event.ts';
import type { Clock } from '../lib/clock.ts';
import type { SalesforceRestClient } from '../salesforce/rest-client.ts';
import { soqlIdList } from '../salesforce/soql.ts';
import { UserDirectory } from './user-directory.ts';
import type { MailboxRow } from '../store/schema.ts';
import type { Repositories } from '../store/repositories.ts';

export const mailboxTtlMs = 3_600_000;

export interface BatchRead {
  /** Every requested id: the Event, or null when Salesforce no longer has it (deleted, or not visible). */
  events: Map<
    string,
    { event: SalesforceEvent; record: Record<string, unknown> } | { problem: string } | null
  >;
  /** The Events read from Salesforce (the others were known, or gone). */
  readFromSalesforce: Set<string>;
  /** Known records not used because they lack a field the sync needs, with that field. */
  incomplete: Map<string, string>;
  invitees: Map<string, Invitee[]>;
  /** For each Lightning series record read (by its Event id), its occurrence records (invitees' copies left out). */
  occurrences: Map<string, { event: SalesforceEvent; record: Record<string, unknown> }[]>;
  /** For each occurrence record read, the Event id of its series record (when Salesforce has one). */
  seriesOf: Map<string, string>;
  mailboxes: Map<string, MailboxRow>;
  /** Salesforce calls made, for the API budget and the bench. */
  calls: number;
}

export async function readBatch(
  deps: {
    repos: Repositories;
    clock: Clock;
    rest: SalesforceRestClient;
    tenantId: string;
    /** The org's users, cached across batches (a fresh lookup per batch when absent). */
    users?: UserDirectory | undefined;
  },
  eventIds: readonly string[],
  /** More Event fields to read (the ones the tenant's exclusion rules look at). */
  extraFields: readonly string[] = [],
  /** Events whose record is already known: not read, if it has every field needed. */
  knownRecords: ReadonlyMap<string, Record<string, unknown>> = new Map(),
  /** Events whose latest change is their deletion: gone, nothing to read. */
  gone: ReadonlySet<string> = new Set(),
): Promise<BatchRead> {
  let calls = 0;
  const fields = [...new Set<string>([...eventFieldNames, 'IsGroupEvent', ...extraFields])];
  // A record kept from before the tenant's exclusion rules looked at a field lacks that field.
  const incomplete = new Map<string, string>();
  const delivered = new Map<string, Record<string, unknown>>();
  for (const [id, record] of knownRecords) {
    const missing = fields.find((field) => !(field in record));
    if (missing === undefined) delivered.set(id, record);
    else incomplete.set(id, missing);
  }
  const toRead = eventIds.filter((id) => !delivered.has(id) && !gone.has(id));
  const read = toRead.length === 0 ? [] : await deps.rest.retrieve('Event', toRead, fields);
  calls += Math.ceil(toRead.length / 2000);
  const records = new Map<string, Record<string, unknown> | null>(
    toRead.map((id, i) => [id, read[i] ?? null]),
  );
  const events: BatchRead['events'] = new Map();
  eventIds.forEach((id) => {
    const record = delivered.get(id) ?? records.get(id) ?? null;
    if (record === null) events.set(id, null);
    else {
      const parsed = parseSalesforceEvent(record);
      events.set(id, 'problem' in parsed ? parsed : { event: parsed, record });
    }
  });

  const live = [...events.values()].filter(
    (e): e is { event: SalesforceEvent; record: Record<string, unknown> } => e !== null && !('problem' in e),
  );
  const invitees = new Map<string, Invitee[]>();
  const groupIds = live.filter((e) => e.record['IsGroupEvent'] === true).map((e) => e.event.id);
  for (let i = 0; i < groupIds.length; i += 500) {
    const ids = soqlIdList(groupIds.slice(i, i + 500));
    const relations = await deps.rest.query(
      `SELECT EventId, Relation.Name, Relation.Email, Status FROM EventRelation WHERE EventId IN (${ids}) AND IsInvitee = true`,
    );
    calls++;
    for (const relation of relations) {
      const eventId = String(relation['EventId']);
      const related = relation['Relation'] as { Name?: string | null; Email?: string | null } | null;
      const list = invitees.get(eventId) ?? [];
      list.push({
        email: related?.Email ?? null,
        name: related?.Name ?? null,
        status: typeof relation['Status'] === 'string' ? relation['Status'] : null,
      });
      invitees.set(eventId, list);
    }
  }

  // A series' occurrences are Event records of their own, tied to the series record by the
  // ActivityRecurrence2Id they share: read with it, one query per 500 series.
  const occurrences: BatchRead['occurrences'] = new Map();
  const series = live.filter((e) => e.event.isSeries && e.event.seriesKey !== null);
  for (let i = 0; i < series.length; i += 500) {
    const chunk = series.slice(i, i + 500);
    const byKey = new Map(chunk.map((e) => [e.event.seriesKey, e.event.id]));
    const records = await deps.rest.query(
      `SELECT ${fields.join(', ')} FROM Event WHERE ActivityRecurrence2Id IN (${soqlIdList([...byKey.keys()].filter((k) => k !== null))}) AND IsChild = false`,
    );
    calls++;
    for (const e of chunk) occurrences.set(e.event.id, []);
    for (const record of records) {
      const parsed = parseSalesforceEvent(record);
      if ('problem' in parsed || parsed.occurrence === null || parsed.seriesKey === null) continue;
      const seriesId = byKey.get(parsed.seriesKey);
      if (seriesId !== undefined) occurrences.get(seriesId)?.push({ event: parsed, record });
    }
  }
  // An occurrence record's series record: the Event of its ActivityRecurrence2Id that is the series.
  const seriesOf = new Map<string, string>();
  const occurrenceRecords = live.filter((e) => e.event.occurrence !== null && !e.event.isChild);
  // A series record read in this batch needs no look-up (a new series arrives with its occurrences).
  const inBatch = new Map(series.map((e) => [e.event.seriesKey ?? '', e.event.id]));
  for (const e of occurrenceRecords) {
    const seriesId = inBatch.get(e.event.seriesKey ?? '');
    if (seriesId !== undefined) seriesOf.set(e.event.id, seriesId);
  }
  const keys = [
    ...new Set(
      occurrenceRecords.filter((e) => !seriesOf.has(e.event.id)).map((e) => e.event.seriesKey ?? ''),
    ),
  ].filter((k) => k !== '');
  for (let i = 0; i < keys.length; i += 500) {
    const rows = await deps.rest.query(
      `SELECT Id, ActivityRecurrence2Id FROM Event WHERE ActivityRecurrence2Id IN (${soqlIdList(keys.slice(i, i + 500))}) AND GroupEventType = '3'`,
    );
    calls++;
    const seriesByKey = new Map(rows.map((row) => [String(row['ActivityRecurrence2Id']), String(row['Id'])]));
    for (const e of occurrenceRecords) {
      const seriesId = seriesByKey.get(e.event.seriesKey ?? '');
      if (seriesId !== undefined && !seriesOf.has(e.event.id)) seriesOf.set(e.event.id, seriesId);
    }
  }

  const ownerIds = [...new Set(live.map((e) => e.event.ownerId))];
  const known = await deps.repos.mailboxes.findMailboxes(deps.tenantId, ownerIds);
  const now = deps.clock.now();
  const stale = ownerIds.filter((id) => {
    const row = known.get(id);
    return (
      row === undefined ||
      row.time_zone === null ||
      (row.source === 'salesforce' && (row.resolved_at ?? 0) < now - mailboxTtlMs)
    );
  });
  if (stale.length > 0) {
    const directory = deps.users ?? new UserDirectory(() => now);
    const { users, calls: lookups } = await directory.lookup(deps.rest, deps.tenantId, stale);
    calls += lookups;
    await deps.repos.mailboxes.saveResolvedMailboxes(
      stale.map((id) => {
        const user = users.get(id) ?? null;
        return {
          tenantId: deps.tenantId,
          userId: id,
          address: user?.email ?? null,
          state: user === null ? 'unresolved' : user.isActive ? 'active' : 'inactive',
          timeZone: user?.timeZone ?? null,
          lastError:
            user === null
              ? 'the user is not visible to the connection'
              : user.email === null
                ? 'the user has no email address'
                : user.isActive
                  ? null
                  : 'the user is inactive',
          now,
        };
      }),
    );
  }
  const mailboxes =
    stale.length === 0 ? known : await deps.repos.mailboxes.findMailboxes(deps.tenantId, ownerIds);
  return {
    events,
    readFromSalesforce: new Set(toRead),
    incomplete,
    invitees,
    occurrences,
    seriesOf,
    mailboxes,
    calls,
  };
}
