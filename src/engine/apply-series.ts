// Carries out a sync plan for a Lightning event series: the calendar series itself (created,
// updated, moved or deleted like any item, by apply-plan.ts), then its occurrences, so that they
// equal Salesforce's occurrence records one for one (domain/plan-series.ts decides which to
// cancel or change). What the occurrences hold is saved with the series (series_states) and the
// link only says "up to date" once they do, so a crash between the steps repeats what is left.
import type { SyncPlan } from '../domain/plan-sync.ts';
import type { SeriesDesired } from '../domain/series-desired.ts';
import {
  cancelled,
  planSeriesInstances,
  type AppliedSlots,
  type SeriesOccurrence,
} from '../domain/plan-series.ts';
import { PermanentError } from '../lib/errors.ts';
import {
  ItemNotFoundError,
  OccurrenceCannotMoveError,
  type ItemRef,
} from '../providers/calendar-provider.ts';
import { applyPlan, type ApplyDeps, type ApplyInput } from './apply-plan.ts';

/** What was applied to a calendar series (stored as series_states.state_json). */
export interface SeriesState {
  masterHash: string;
  timingKey: string;
  slots: AppliedSlots;
  /** Each occurrence record's signature when last applied (see signatureOf). */
  members: Record<string, string>;
  /**
   * Occurrence records the calendar series cannot hold (moved past a neighbour, or on no date of
   * its pattern), each shown as an item of its own, its series occurrence cancelled: never both.
   */
  detached: Record<string, { itemId: string; hash: string }>;
}

export function parseSeriesState(json: string | undefined): SeriesState | undefined {
  if (json === undefined) return undefined;
  try {
    const value = JSON.parse(json) as Partial<SeriesState>;
    if (typeof value.masterHash !== 'string' || typeof value.timingKey !== 'string') return undefined;
    return {
      masterHash: value.masterHash,
      timingKey: value.timingKey,
      slots: value.slots ?? {},
      members: value.members ?? {},
      detached: value.detached ?? {},
    };
  } catch {
    return undefined;
  }
}

/** The link's hash while a series' occurrences are not done yet. */
const pendingPrefix = 'series-pending:';

export interface SeriesApplied {
  ref: ItemRef | undefined;
  /** What the trace should say beyond "done": occurrences changed, cancelled, or not placed. */
  notes: string[];
}

export async function applySeries(
  deps: ApplyDeps,
  plan: Exclude<SyncPlan, { action: 'none' }>,
  input: ApplyInput,
  series: SeriesDesired | undefined,
  state: SeriesState | undefined,
): Promise<SeriesApplied> {
  if (plan.action === 'delete' || series === undefined) {
    // Deleting the calendar series deletes its occurrences with it; occurrences shown as items
    // of their own go with it.
    const detached = Object.entries(state?.detached ?? {});
    if (plan.action === 'delete' && detached.length > 0) {
      const address = input.mailboxOf(plan.mailboxId)?.address;
      if (address !== undefined && address !== null) {
        const run = limited(deps, input, address);
        for (const [, { itemId }] of detached)
          await run('delete', () =>
            deps.provider.delete(address, { itemId, changeKey: null }, { signal: input.signal }),
          );
        await deps.repos.series.saveSeriesState({
          tenantId: deps.tenant.id,
          seriesEventId: input.job.eventId,
          stateJson: JSON.stringify({ ...state, detached: {} }),
          contentHash: input.link?.content_hash ?? '',
          now: deps.clock.now(),
        });
      }
    }
    return { ref: await applyPlan(deps, plan, input), notes: [] };
  }
  // Until its occurrences are done, the link says the series is not up to date.
  const partial = {
    ...input,
    hash: `${pendingPrefix}${series.masterHash}`,
    // What the calendar holds is what the state says only once a write finished (the link's hash
    // says so, saved with the state): then unchanged times and pattern need not be written again.
    keepSeriesTiming:
      plan.action === 'update' &&
      state?.timingKey === series.timingKey &&
      input.link !== undefined &&
      !input.link.content_hash.startsWith(pendingPrefix),
  };
  let ref: ItemRef | undefined;
  let reset: boolean;
  if (plan.action === 'update' && state !== undefined && state.masterHash === series.masterHash) {
    ref = { itemId: input.link?.item_id ?? '', changeKey: input.link?.change_key ?? null };
    reset = false;
  } else {
    if (plan.action === 'move' && Object.keys(state?.detached ?? {}).length > 0) {
      // Occurrences shown as items of their own leave the old mailbox with the series.
      const from = input.mailboxOf(plan.fromMailboxId)?.address;
      if (from !== undefined && from !== null) {
        const former = deps.providerOf(plan.fromMailboxId).provider;
        const run = limited({ ...deps, provider: former }, input, from);
        for (const { itemId } of Object.values(state?.detached ?? {}))
          await run('delete', () =>
            former.delete(from, { itemId, changeKey: null }, { signal: input.signal }),
          );
      }
    }
    ref = await applyPlan(deps, plan, partial);
    reset =
      plan.action !== 'update' ||
      state === undefined ||
      state.timingKey !== series.timingKey ||
      ref?.itemId !== input.link?.item_id;
  }
  if (ref === undefined) throw new PermanentError('the calendar series was not written');

  const members = Object.fromEntries(series.occurrences.map((o) => [o.eventId, signatureOf(o)]));
  const notes: string[] = [];
  let slots: AppliedSlots = reset ? {} : (state?.slots ?? {});
  let detached = plan.action === 'move' ? {} : (state?.detached ?? {});
  const unchanged =
    !reset &&
    state !== undefined &&
    Object.keys(members).length === Object.keys(state.members).length &&
    Object.entries(members).every(([id, signature]) => state.members[id] === signature);
  const instances = deps.provider.instances;
  if (!unchanged && instances !== undefined) {
    const address = input.mailboxOf(plan.action === 'move' ? plan.toMailboxId : plan.mailboxId)?.address;
    if (address === undefined || address === null) throw new PermanentError('the mailbox has no address');
    const options = { signal: input.signal };
    const run = limited(deps, input, address);
    const listed = await run('list-occurrences', () => instances.list(address, ref, series.window, options));
    const instancePlan = planSeriesInstances(listed, series.occurrences, slots);
    for (const instance of instancePlan.cancel)
      await run('cancel-occurrence', () => instances.cancel(address, instance.id, options));
    slots = { ...instancePlan.slots };
    // Records the calendar series cannot hold are shown as items of their own.
    const toDetach = new Set(instancePlan.unplaced.filter((o) => !o.isExclusion).map((o) => o.eventId));
    let changed = 0;
    for (const change of instancePlan.change) {
      const item = series.occurrenceItems.get(change.eventId);
      if (item === undefined) continue;
      try {
        await run('change-occurrence', () => instances.change(address, change.id, item, options));
        changed++;
      } catch (error) {
        if (!(error instanceof OccurrenceCannotMoveError)) throw error;
        // The calendar keeps an occurrence between its neighbours: this one is cancelled there
        // and shown as an item of its own, at its own time.
        await run('cancel-occurrence', () => instances.cancel(address, change.id, options));
        slots[change.date] = cancelled;
        toDetach.add(change.eventId);
        notes.push(
          `the occurrence ${change.eventId} was moved past a neighbouring occurrence, which the calendar series does not allow: it is shown as an item of its own, its series occurrence cancelled`,
        );
      }
    }
    const saveNow = async (pending: SeriesState['detached']) =>
      deps.repos.series.saveSeriesState({
        tenantId: deps.tenant.id,
        seriesEventId: input.job.eventId,
        // The series item is written; what its occurrences hold is not known for sure until the
        // end, so a sync after a crash here lists and applies them all again.
        stateJson: JSON.stringify({
          masterHash: series.masterHash,
          timingKey: series.timingKey,
          slots: {},
          members: {},
          detached: pending,
        } satisfies SeriesState),
        contentHash: `${pendingPrefix}${series.masterHash}`,
        now: deps.clock.now(),
      });
    detached = await applyDetached(deps, address, input, run, series, detached, toDetach, saveNow);
    if (instancePlan.cancel.length > 0)
      notes.push(`${instancePlan.cancel.length} occurrence(s) cancelled in the calendar series`);
    if (changed > 0) notes.push(`${changed} occurrence(s) changed on their own in the calendar series`);
    const unplaced = instancePlan.unplaced.filter((o) => toDetach.has(o.eventId));
    if (unplaced.length > 0)
      notes.push(
        `occurrence record(s) ${unplaced.map((o) => `${o.eventId} (${o.date})`).join(', ')} fall on no date of the calendar series' pattern: shown as items of their own`,
      );
    // Every record remembers its series (a detached one its own date), so that its deletion,
    // which Salesforce no longer describes, still reaches the series.
    const placed = new Set(instancePlan.members.map((m) => m.eventId));
    await deps.repos.series.saveSeriesMembers(
      deps.tenant.id,
      [
        ...instancePlan.members,
        ...series.occurrences
          .filter((o) => !placed.has(o.eventId))
          .map((o) => ({ eventId: o.eventId, slotDate: o.knownSlot ?? o.date })),
      ].map((m) => ({ ...m, seriesEventId: input.job.eventId })),
      deps.clock.now(),
    );
  }
  const next: SeriesState = {
    masterHash: series.masterHash,
    timingKey: series.timingKey,
    slots,
    members,
    detached,
  };
  await deps.repos.series.saveSeriesState({
    tenantId: deps.tenant.id,
    seriesEventId: input.job.eventId,
    stateJson: JSON.stringify(next),
    contentHash: input.hash,
    now: deps.clock.now(),
  });
  return { ref, notes };
}

type LimitedRun = <T>(operation: string, work: () => Promise<T>) => Promise<T>;

/** Runs provider calls for one mailbox within its limits, counted and measured. */
function limited(deps: ApplyDeps, input: ApplyInput, address: string): LimitedRun {
  return <T>(operation: string, work: () => Promise<T>) => {
    input.countCall();
    return deps.limiter.run(address, deps.provider.capabilities, input.signal, async () => {
      const started = performance.now();
      let outcome: 'ok' | 'permanent' | 'retryable' = 'ok';
      try {
        return await work();
      } catch (error) {
        outcome = error instanceof PermanentError ? 'permanent' : 'retryable';
        throw error;
      } finally {
        deps.metrics?.providerCall(deps.provider.kind, operation, performance.now() - started, outcome);
      }
    });
  };
}

/**
 * Brings the items of detached occurrences in line: each record in `wanted` has an item showing
 * it (found by its stamp before one is made, so a lost answer makes no second), and items of
 * records no longer detached are deleted. Returns what is detached now.
 */
async function applyDetached(
  deps: ApplyDeps,
  mailbox: string,
  input: ApplyInput,
  run: LimitedRun,
  series: SeriesDesired,
  before: SeriesState['detached'],
  wanted: ReadonlySet<string>,
  /** Saves the detached items known so far (with one about to be created) before the create is sent. */
  persistPending: (detached: SeriesState['detached']) => Promise<void>,
): Promise<SeriesState['detached']> {
  const options = { signal: input.signal };
  const now: SeriesState['detached'] = {};
  // An item whose create may have been sent without its answer saved (itemId '') is found by its stamp.
  const refOf = async (eventId: string, itemId: string): Promise<ItemRef | undefined> =>
    itemId !== ''
      ? { itemId, changeKey: null }
      : run('find', () => deps.provider.findBySalesforceId(mailbox, eventId, options));
  for (const [eventId, { itemId }] of Object.entries(before)) {
    if (wanted.has(eventId)) continue;
    const ref = await refOf(eventId, itemId);
    if (ref !== undefined) await run('delete', () => deps.provider.delete(mailbox, ref, options));
  }
  for (const eventId of wanted) {
    const item = series.occurrenceItems.get(eventId);
    const hash = series.occurrences.find((o) => o.eventId === eventId)?.hash;
    if (item === undefined || hash === undefined) continue;
    const known = before[eventId];
    if (known !== undefined && known.hash === hash) {
      now[eventId] = known;
      continue;
    }
    let ref = await refOf(eventId, known?.itemId ?? '');
    if (ref !== undefined) {
      const existing = ref;
      try {
        ref = await run('update', () => deps.provider.update(mailbox, existing, item, options));
      } catch (error) {
        if (!(error instanceof ItemNotFoundError)) throw error;
        ref = undefined;
      }
    }
    if (ref === undefined) {
      // The create's intent is kept first: if its answer is lost, the next sync finds the item.
      await persistPending({ ...now, ...before, [eventId]: { itemId: '', hash: '' } });
    }
    ref ??= await run('create', () =>
      deps.provider.create(mailbox, item, { ...options, idempotencyKey: `${eventId}-${hash.slice(0, 16)}` }),
    );
    now[eventId] = { itemId: ref.itemId, hash };
  }
  return now;
}

/** What of an occurrence record the calendar shows: cancelled, its own content, or the series'. */
function signatureOf(occurrence: SeriesOccurrence): string {
  if (occurrence.isExclusion) return 'excluded';
  return occurrence.isException ? `changed:${occurrence.hash}` : 'plain';
}
