// Carries out a sync plan for a Lightning event series: the calendar series itself (created,
// updated, moved or deleted like any item, by apply-plan.ts), then its occurrences, so that they
// equal Salesforce's occurrence records one for one (domain/plan-series.ts decides which to
// cancel or change). What the occurrences hold is saved with the series (series_states) and the
// link only says "up to date" once they do, so a crash between the steps repeats what is left.
import type { CalendarItem } from '../domain/calendar-item.ts';
import type { SyncPlan } from '../domain/plan-sync.ts';
import { addDays, instantsOf, localDate, localDateTime } from '../domain/time-zones.ts';
import { planSeriesInstances, type AppliedSlots, type SeriesOccurrence } from '../domain/plan-series.ts';
import { PermanentError } from '../lib/errors.ts';
import { OccurrenceCannotMoveError, type ItemRef } from '../providers/calendar-provider.ts';
import { saveSeriesMembers, saveSeriesState } from '../store/series-repository.ts';
import { applyPlan, type ApplyDeps, type ApplyInput } from './apply-plan.ts';

/** The series as Salesforce has it: the calendar series' own content, and the occurrence records. */
export interface SeriesDesired {
  /** Hash of the series item (pattern, times, content). */
  masterHash: string;
  /** The pattern and times: when they change, a calendar drops its changed and cancelled occurrences. */
  timingKey: string;
  occurrences: readonly SeriesOccurrence[];
  /** The calendar item each occurrence record maps to, by Event id. */
  occurrenceItems: ReadonlyMap<string, CalendarItem>;
  /** Where the occurrences are: [from, to) epoch ms, and the zone their dates are in. */
  window: { from: number; to: number; timeZone: string };
}

/** What was applied to a calendar series (stored as series_states.state_json). */
export interface SeriesState {
  masterHash: string;
  timingKey: string;
  slots: AppliedSlots;
  /** Each occurrence record's signature when last applied (see signatureOf). */
  members: Record<string, string>;
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
    };
  } catch {
    return undefined;
  }
}

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
    // Deleting the calendar series deletes its occurrences with it.
    return { ref: await applyPlan(deps, plan, input), notes: [] };
  }
  // Until its occurrences are done, the link says the series is not up to date.
  const partial = { ...input, hash: `series-pending:${series.masterHash}` };
  let ref: ItemRef | undefined;
  let reset: boolean;
  if (plan.action === 'update' && state !== undefined && state.masterHash === series.masterHash) {
    ref = { itemId: input.link?.item_id ?? '', changeKey: input.link?.change_key ?? null };
    reset = false;
  } else {
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
    const run = <T>(operation: string, work: () => Promise<T>) => {
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
    const listed = await run('list-occurrences', () => instances.list(address, ref, series.window, options));
    const instancePlan = planSeriesInstances(listed, series.occurrences, slots);
    for (const instance of instancePlan.cancel)
      await run('cancel-occurrence', () => instances.cancel(address, instance.id, options));
    slots = { ...instancePlan.slots };
    for (const change of instancePlan.change) {
      const item = series.occurrenceItems.get(change.eventId);
      if (item === undefined) continue;
      try {
        await run('change-occurrence', () => instances.change(address, change.id, item, options));
      } catch (error) {
        if (!(error instanceof OccurrenceCannotMoveError)) throw error;
        // The calendar keeps an occurrence between its neighbours: it stays on its series date,
        // with the rest of what changed.
        await run('change-occurrence', () =>
          instances.change(
            address,
            change.id,
            atSlotTimes(item, change.date, series.window.timeZone),
            options,
          ),
        );
        notes.push(
          `the occurrence ${change.eventId} was moved past a neighbouring occurrence, which the calendar does not allow: it stays on ${change.date} there`,
        );
      }
    }
    if (instancePlan.cancel.length > 0)
      notes.push(`${instancePlan.cancel.length} occurrence(s) cancelled in the calendar series`);
    if (instancePlan.change.length > 0)
      notes.push(`${instancePlan.change.length} occurrence(s) changed on their own in the calendar series`);
    if (instancePlan.unplaced.length > 0)
      notes.push(
        `occurrence record(s) ${instancePlan.unplaced.map((o) => `${o.eventId} (${o.date})`).join(', ')} have no date in the calendar series' pattern`,
      );
    await saveSeriesMembers(
      deps.db,
      deps.tenant.id,
      instancePlan.members.map((m) => ({ ...m, seriesEventId: input.job.eventId })),
      deps.clock.now(),
    );
  }
  const next: SeriesState = { masterHash: series.masterHash, timingKey: series.timingKey, slots, members };
  await saveSeriesState(deps.db, {
    tenantId: deps.tenant.id,
    seriesEventId: input.job.eventId,
    stateJson: JSON.stringify(next),
    contentHash: input.hash,
    now: deps.clock.now(),
  });
  return { ref, notes };
}

/** What of an occurrence record the calendar shows: cancelled, its own content, or the series'. */
function signatureOf(occurrence: SeriesOccurrence): string {
  if (occurrence.isExclusion) return 'excluded';
  return occurrence.isException ? `changed:${occurrence.hash}` : 'plain';
}

/**
 * The item on its series date (kept when the calendar refuses to move it there): the record's
 * own time of day and length, in the series' zone.
 */
function atSlotTimes(item: CalendarItem, date: string, timeZone: string): CalendarItem {
  const timing = item.timing;
  const dayCount = (from: string, to: string) =>
    Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
  if (timing.kind === 'all-day')
    return {
      ...item,
      timing: {
        ...timing,
        startDate: date,
        endDate: addDays(date, dayCount(timing.startDate, timing.endDate)),
      },
    };
  const time = localDateTime(timing.start, timeZone).slice(10);
  const start =
    instantsOf(`${date}${time}`, timeZone)[0] ??
    timing.start + dayCount(localDate(timing.start, timeZone), date) * 86_400_000;
  return { ...item, timing: { ...timing, start, end: start + (timing.end - timing.start) } };
}
