// decideSync: what one Event should be in its owner's calendar, decided from what the sync
// engine gathered for it (the Event as read or composed, its series, its owner's mailbox and that
// mailbox's provider, the tenant's policy). Pure: the engine does the reading before and the
// writing after; every reason a user reads in an Event's story ("an invitee's copy", "no mailbox
// to sync to", …) is worded here, once.
import type { CalendarItem } from './calendar-item.ts';
import { canonicalItem } from './calendar-item.ts';
import { exclusionReason, type ExclusionRule } from './exclusion-rules.ts';
import { mapEvent, type InvitationPolicy, type Invitee, type MapContext } from './map-event.ts';
import type { Desired } from './plan-sync.ts';
import type { SalesforceEvent } from './salesforce-event.ts';
import { seriesDesired, type Digest, type SeriesDesired } from './series-desired.ts';

/** The Event as the engine found it: its record, a record that is not a valid Event, or gone. */
export type FoundEvent =
  { event: SalesforceEvent; record: Record<string, unknown> } | { problem: string } | null;

/** The owner's mailbox, as far as the decision needs it. */
export interface MailboxView {
  id: string;
  /** Only an active mailbox with an address is synced to. */
  state: 'active' | 'inactive' | 'unresolved';
  address: string | null;
  timeZone: string | null;
  /** Why the mailbox is not active, when it is not. */
  lastError: string | null;
}

/** The provider the owner's mailbox goes through: usable (and what it cannot write), or why not. */
export type RouteView =
  { cannotWrite: (item: CalendarItem) => string | undefined } | { name: string; problem: string } | undefined;

export interface SyncDecisionInput {
  found: FoundEvent;
  /**
   * The Lightning series this Event is an occurrence record of: from this read (its
   * ActivityRecurrence2Id), else from earlier syncs (which still know it once the record is gone).
   */
  seriesFromRead: string | undefined;
  seriesFromEarlierSyncs: string | undefined;
  rules: readonly ExclusionRule[];
  /** The owner's mailbox, if one is known. */
  mailbox: MailboxView | undefined;
  /** The provider the owner's mailbox goes through (asked only when the mailbox can be synced to). */
  route: () => RouteView;
  invitees: readonly Invitee[];
  invitationPolicy: InvitationPolicy;
  internalDomains: readonly string[];
  /** For a series record: its occurrence records, and the date each known one was first seen standing for. */
  occurrences: readonly { event: SalesforceEvent }[];
  knownSlots: ReadonlyMap<string, string>;
  digest: Digest;
}

export type SyncDecision =
  | {
      kind: 'desired';
      desired: Desired;
      /** The series this Event is an occurrence record of (its job makes that series' job due). */
      seriesOf: string | undefined;
      /** The item to write, when `desired` is an item. */
      item: CalendarItem | undefined;
      /** A series record's series, when `desired` is its item. */
      series: SeriesDesired | undefined;
      /** What mapping changed or left out: each one step of the Event's story. */
      mapNotes: string[];
    }
  /** The Event cannot be decided now (its mailbox's provider cannot be used): it waits, no attempt spent. */
  | { kind: 'wait'; reason: string };

type Decided = Extract<SyncDecision, { kind: 'desired' }>;

export function decideSync(input: SyncDecisionInput): SyncDecision {
  const { found } = input;
  const event = found === null || 'problem' in found ? undefined : found.event;
  const seriesOf =
    event !== undefined && !event.isChild && event.occurrence !== null
      ? (input.seriesFromRead ?? input.seriesFromEarlierSyncs)
      : found === null
        ? input.seriesFromEarlierSyncs
        : undefined;
  const decided = (
    desired: Desired,
    more: Partial<Pick<Decided, 'item' | 'series' | 'mapNotes'>> = {},
  ): Decided => ({
    kind: 'desired',
    desired,
    seriesOf,
    item: more.item,
    series: more.series,
    mapNotes: more.mapNotes ?? [],
  });

  if (found === null)
    return decided({
      kind: 'absent',
      reason: 'deleted in Salesforce (or no longer visible to the connected user)',
    });
  if ('problem' in found)
    return decided({
      kind: 'unmappable',
      reason: `Salesforce sent a record that is not a valid Event: ${found.problem}`,
    });
  const { event: ev, record } = found;
  const excluded = exclusionReason(input.rules, record);
  if (excluded !== undefined) return decided({ kind: 'absent', reason: excluded });
  if (seriesOf !== undefined)
    return decided({
      kind: 'absent',
      reason: `an occurrence of the series ${seriesOf}: the calendar series stands for it, and the series is synced`,
    });
  if (ev.occurrence !== null && !ev.isChild)
    return decided({
      kind: 'unmappable',
      reason: `an occurrence of a series (${ev.seriesKey ?? ''}) whose series record the connected user cannot read: never synced on its own`,
    });
  // An invitee's copy is said before its owner's mailbox: which mailbox it has does not matter.
  const context: MapContext = {
    ownerTimeZone: input.mailbox?.timeZone ?? 'UTC',
    invitees: input.invitees,
    invitationPolicy: input.invitationPolicy,
    internalDomains: input.internalDomains,
  };
  if (ev.isChild) {
    const mapped = mapEvent(ev, context);
    if (mapped.kind === 'skip') return decided({ kind: 'unmappable', reason: mapped.reason });
  }
  const mailbox = input.mailbox;
  if (mailbox === undefined || mailbox.state !== 'active' || mailbox.address === null)
    return decided({
      kind: 'unmappable',
      reason: `the owner ${ev.ownerId} has no mailbox to sync to (${mailbox?.lastError ?? 'not resolved'})`,
    });
  const route = input.route();
  if (route === undefined || 'problem' in route)
    return {
      kind: 'wait',
      reason: `the mailbox ${mailbox.address} goes through ${route?.name ?? 'no'} provider, which cannot be used: ${route?.problem ?? 'none is set up'}`,
    };

  const mapped = mapEvent(ev, context);
  if (mapped.kind === 'skip') return decided({ kind: 'unmappable', reason: mapped.reason });
  const unwritable = route.cannotWrite(mapped.item);
  if (unwritable !== undefined)
    return decided({ kind: 'unmappable', reason: unwritable }, { mapNotes: steps(mapped.notes) });
  const itemHash = input.digest(canonicalItem(mapped.item));
  if (!ev.isSeries)
    return decided(
      { kind: 'item', mailboxId: mailbox.id, hash: itemHash },
      { item: mapped.item, mapNotes: steps(mapped.notes) },
    );
  const series = seriesDesired({
    seriesItem: mapped.item,
    seriesHash: itemHash,
    occurrences: input.occurrences,
    knownSlots: input.knownSlots,
    context,
    digest: input.digest,
  });
  return decided(
    { kind: 'item', mailboxId: mailbox.id, hash: series.hash },
    { item: series.item, series, mapNotes: [...steps(series.notes), ...steps(mapped.notes)] },
  );
}

/** Notes of one mapping as one step of the story (none when there are none). */
function steps(notes: readonly string[]): string[] {
  return notes.length === 0 ? [] : [notes.join('; ')];
}
