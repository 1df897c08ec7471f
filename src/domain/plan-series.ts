// planSeriesInstances: what to do to a calendar series' occurrences so that they equal, one for
// one, a Salesforce Lightning series' occurrence records. Pure. Salesforce keeps one Event record
// per occurrence; the calendar keeps one series whose occurrences it computes from the pattern.
// Each calendar occurrence (an instance, named by its original date) is matched with the record
// made for that date: no record (deleted) or an excluded one → the instance is cancelled; a
// record edited on its own (IsRecurrence2Exception) → the instance is changed to it. A record
// keeps the date it was first seen on, so a moved occurrence still finds its instance; a moved
// record seen for the first time takes the nearest free date.

/** A calendar occurrence of the series: its id and original date (YYYY-MM-DD in the series' zone). */
export interface SeriesInstance {
  id: string;
  date: string;
}

/** One Salesforce occurrence record as the plan needs it. */
export interface SeriesOccurrence {
  eventId: string;
  /** The record's own start date in the series' zone (an all-day record's ActivityDate). */
  date: string;
  /** The series date this record was first seen standing for, if it was. */
  knownSlot: string | undefined;
  isException: boolean;
  isExclusion: boolean;
  /** The hash of the calendar item the record maps to (what an exception writes). */
  hash: string;
}

/**
 * What the calendar's occurrences hold beyond the pattern, by date: `cancelled`, or the hash of
 * the record an occurrence was changed to. Dates not listed hold the series' own content.
 */
export type AppliedSlots = Record<string, string>;

export interface SeriesInstancePlan {
  /** Instances to cancel: their record is gone or excluded. */
  cancel: SeriesInstance[];
  /** Instances to change to their record's content. */
  change: (SeriesInstance & { eventId: string })[];
  /** Records with no calendar occurrence to stand for (the calendar's pattern has no such date free). */
  unplaced: SeriesOccurrence[];
  /** Each placed record's series date. */
  members: { eventId: string; slotDate: string }[];
  /** What the occurrences hold once the plan is carried out. */
  slots: AppliedSlots;
}

export const cancelled = 'cancelled';

export function planSeriesInstances(
  instances: readonly SeriesInstance[],
  occurrences: readonly SeriesOccurrence[],
  applied: AppliedSlots,
): SeriesInstancePlan {
  const byDate = new Map(instances.map((instance) => [instance.date, instance]));
  const placed = new Map<string, SeriesOccurrence>();
  const waiting: SeriesOccurrence[] = [];
  const unplaced: SeriesOccurrence[] = [];
  // Records that keep their date first (known ones, then unmoved ones), so a moved record never
  // takes the date of one that stands where it always stood.
  const ordered = [...occurrences].sort(
    (a, b) => rank(a) - rank(b) || a.date.localeCompare(b.date) || a.eventId.localeCompare(b.eventId),
  );
  for (const occurrence of ordered) {
    const slot =
      occurrence.knownSlot !== undefined && byDate.has(occurrence.knownSlot)
        ? occurrence.knownSlot
        : !occurrence.isException && byDate.has(occurrence.date)
          ? occurrence.date
          : undefined;
    if (slot !== undefined && !placed.has(slot)) placed.set(slot, occurrence);
    else if (occurrence.isException && occurrence.knownSlot === undefined) waiting.push(occurrence);
    else unplaced.push(occurrence);
  }
  for (const occurrence of waiting) {
    const free = instances
      .filter((instance) => !placed.has(instance.date))
      .sort(
        (a, b) =>
          Math.abs(days(a.date) - days(occurrence.date)) - Math.abs(days(b.date) - days(occurrence.date)) ||
          a.date.localeCompare(b.date),
      )[0];
    if (free === undefined) unplaced.push(occurrence);
    else placed.set(free.date, occurrence);
  }

  const plan: SeriesInstancePlan = { cancel: [], change: [], unplaced, members: [], slots: {} };
  for (const instance of instances) {
    const record = placed.get(instance.date);
    if (record !== undefined) plan.members.push({ eventId: record.eventId, slotDate: instance.date });
    if (record === undefined || record.isExclusion) {
      plan.cancel.push(instance);
      plan.slots[instance.date] = cancelled;
      continue;
    }
    const desired = record.isException ? record.hash : undefined;
    if (desired !== undefined) plan.slots[instance.date] = desired;
    // A listed instance is not cancelled, whatever was applied before (a new pattern brings
    // cancelled dates back); one changed before and now back to the series' content is changed back.
    const before = applied[instance.date] === cancelled ? undefined : applied[instance.date];
    if (desired !== before) plan.change.push({ ...instance, eventId: record.eventId });
  }
  return plan;
}

function rank(occurrence: SeriesOccurrence): number {
  if (occurrence.knownSlot !== undefined) return 0;
  return occurrence.isException ? 2 : 1;
}

function days(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / 86_400_000;
}
