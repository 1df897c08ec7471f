// The load the bench puts on the service, and how it sees each change arrive: Events created,
// edited and deleted in the sandbox org through its control API (as users would in Salesforce),
// with the version each mailbox must show and when Salesforce committed it; then the owners'
// mailboxes read in the calendar sandbox to see which changes are there, and when the sandbox
// stored each (its own timestamps, so how often the bench looks does not change the latency it
// measures). Used by the scenarios (run.ts) and the soak (soak.ts).
import type { Calendars } from '../test/support/calendar-sandboxes.ts';
import type { RunningSystem } from '../test/support/system-processes.ts';

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** A deterministic pseudo-random sequence, so a scenario makes the same changes every run. */
export function sequence(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** What an Event's mailbox must show after the last change the bench made to it. */
export interface Expected {
  owner: string;
  subject: string;
  /** Salesforce commit time of the version the mailbox must show. */
  committedAt: number;
  kind: 'create' | 'update';
  deleted: boolean;
}

export type ChangeKind = 'create' | 'update' | 'delete';

export interface LoadOptions {
  /** Shares of creates, edits and deletions once there are enough live Events. */
  mix: { create: number; update: number; delete: number };
  /**
   * Every change is a create while fewer Events than this are live: there must be something to
   * edit or delete beyond the Events changing at the same moment.
   */
  createsBelow: number;
  /**
   * An edited Event is left as it is from then on: never edited again, never deleted. The
   * scenarios of run.ts have always run so (their results stay comparable from one date to the
   * next); a long run must not, or every live Event ends up edited and nothing is left to change.
   */
  editOnce?: boolean;
  /**
   * Keeps this many Events live once there (the soak): past `createsBelow`, the mix's share of the
   * changes are edits (evenly spread: with 0.2, every fifth), the others a create while fewer are
   * live (counting the creates under way) and a deletion while as many or more. The shares so come
   * out exact whatever the pseudo-random sequence does: left to it, its bias (it loses the low bits
   * of its products to floating point) adds live Events all along, about 1,100 in 60,000 changes
   * at 40 % creates and 40 % deletions, and gives a hold 12 % edits instead of 20.
   */
  holdLive?: number;
  /** Seed of the pseudo-random choices (default 42). */
  seed?: number;
}

export interface EventLoad {
  /** Every Event the bench made, live or deleted, with what its mailbox must show. */
  readonly events: Map<string, Expected>;
  /** The live Events, in the order they were made. */
  readonly live: readonly string[];
  readonly counts: { creates: number; updates: number; deletes: number };
  /**
   * One change: a create, or an edit or deletion of a random live Event (one change at a time per
   * Event, so the bench knows its last version). Resolves once the sandbox org committed it.
   */
  change(): Promise<{ id: string; kind: ChangeKind }>;
}

export function eventLoad(
  system: Pick<RunningSystem, 'owners' | 'salesforce'>,
  options: LoadOptions,
): EventLoad {
  const { mix, createsBelow } = options;
  const random = sequence(options.seed ?? 42);
  const events = new Map<string, Expected>();
  const live: string[] = [];
  const busy = new Set<string>();
  const counts = { creates: 0, updates: 0, deletes: 0 };
  let serial = 0;
  /** holdLive: creates sent and not yet answered, and the changes made since the live Events got there. */
  let creating = 0;
  let held = 0;

  const choose = (roll: number): ChangeKind => {
    // Holding starts once `createsBelow` Events are live, and goes on below it too.
    if (options.holdLive !== undefined && (held > 0 || live.length >= createsBelow)) {
      const edit = Math.floor((held + 1) * mix.update) > Math.floor(held * mix.update);
      held++;
      return edit ? 'update' : live.length + creating < options.holdLive ? 'create' : 'delete';
    }
    if (live.length < createsBelow) return 'create';
    return roll < mix.create ? 'create' : roll < mix.create + mix.update ? 'update' : 'delete';
  };

  const change = async (): Promise<{ id: string; kind: ChangeKind }> => {
    const n = serial++;
    const kind = choose(random());
    if (kind === 'create') {
      const owner = system.owners[n % system.owners.length]!;
      const subject = `Bench ${n}`;
      creating++;
      const record = await system.salesforce
        .createEvent(owner.id, {
          Subject: subject,
          StartDateTime: `2026-12-${String(1 + (n % 28)).padStart(2, '0')}T${String(8 + (n % 9)).padStart(2, '0')}:00:00Z`,
          DurationInMinutes: 30,
        })
        .finally(() => creating--);
      const id = String(record['Id']);
      events.set(id, {
        owner: owner.email,
        subject,
        committedAt: Date.parse(String(record['CreatedDate'])),
        kind,
        deleted: false,
      });
      live.push(id);
      counts.creates++;
      return { id, kind };
    }
    // An Event changes once at a time, so the harness knows its last version.
    let index = Math.floor(random() * live.length);
    while (busy.has(live[index] ?? '')) index = (index + 1) % live.length;
    const id = live[index]!;
    busy.add(id);
    const expected = events.get(id)!;
    if (kind === 'update') {
      const subject = `${expected.subject.replace(/ \(edit \d+\)$/, '')} (edit ${n})`;
      const record = await system.salesforce.updateEvent(id, { Subject: subject });
      events.set(id, {
        ...expected,
        subject,
        committedAt: Date.parse(String(record['SystemModstamp'])),
        kind: 'update',
      });
      counts.updates++;
      if (options.editOnce !== true) busy.delete(id);
      return { id, kind };
    }
    live.splice(index, 1);
    await system.salesforce.deleteEvent(id);
    events.set(id, { ...expected, deleted: true });
    counts.deletes++;
    busy.delete(id);
    return { id, kind };
  };

  return { events, live, counts, change };
}

/**
 * One look at the mailboxes: reads the items of each owner with a pending Event (10 owners at a
 * time, so the reads do not crowd out the service's calls to the sandbox) and takes out of
 * `pending` every Event whose mailbox now shows its last version (its subject; no item once it is
 * deleted). Returns when each create or edit so matched arrived: the sandbox's time of storing it.
 */
export async function matchMailboxes(
  calendars: Pick<Calendars, 'items'>,
  events: ReadonlyMap<string, Expected>,
  pending: Set<string>,
): Promise<Map<string, number>> {
  const arrivedAt = new Map<string, number>();
  const byOwner = new Map<string, string[]>();
  for (const id of pending) {
    const owner = events.get(id)!.owner;
    byOwner.set(owner, [...(byOwner.get(owner) ?? []), id]);
  }
  const owners = [...byOwner.keys()];
  for (let i = 0; i < owners.length; i += 10) {
    await Promise.all(
      owners.slice(i, i + 10).map(async (owner) => {
        const items = new Map((await calendars.items(owner)).map((item) => [item.salesforceId ?? '', item]));
        for (const id of byOwner.get(owner) ?? []) {
          if (!pending.has(id)) continue;
          const expected = events.get(id)!;
          const item = items.get(id);
          if (expected.deleted ? item === undefined : item?.subject === expected.subject) {
            pending.delete(id);
            if (!expected.deleted && item !== undefined)
              arrivedAt.set(id, Date.parse(expected.kind === 'create' ? item.createdAt : item.modifiedAt));
          }
        }
      }),
    );
  }
  return arrivedAt;
}
