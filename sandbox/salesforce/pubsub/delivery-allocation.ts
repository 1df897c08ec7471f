// The org's event delivery allocation (the limits resource's DailyDeliveredPlatformEvents): how
// many event messages may be delivered to the org's subscribers in the last 24 hours, rolling.
// Salesforce shares it among every Pub/Sub API, CometD and empApi client and event relay of the
// org, and between high-volume platform events and change events, and counts each delivery to
// each subscriber (Platform Events Developer Guide, Platform Event Allocations). Usage is kept per
// minute of the sandbox clock: a minute's deliveries leave the window once 24 hours have passed
// since the minute began, so moving the clock 24 hours on frees everything delivered before.
import type { SandboxClock } from '../sandbox-clock.ts';

const day = 86_400_000;
const minute = 60_000;

export class DeliveryAllocation {
  readonly #clock: SandboxClock;
  #max: number;
  /** Deliveries by the minute (of the sandbox clock, in ms since the epoch / 60,000) they were made in. */
  readonly #minutes = new Map<number, number>();

  constructor(clock: SandboxClock, max: number) {
    this.#clock = clock;
    this.#max = checkedMax(max);
  }

  /** The allocation: at most this many deliveries in any 24 hours. */
  get max(): number {
    return this.#max;
  }

  set max(max: number) {
    this.#max = checkedMax(max);
  }

  /** Deliveries made in the last 24 hours. */
  used(): number {
    const since = Math.floor((this.#clock.now() - day) / minute);
    let used = 0;
    for (const [at, count] of this.#minutes) {
      if (at <= since) this.#minutes.delete(at);
      else used += count;
    }
    return used;
  }

  /** How many more deliveries the allocation allows now (never below 0). */
  remaining(): number {
    return Math.max(0, this.#max - this.used());
  }

  /** Counts `count` deliveries made now. */
  spend(count: number): void {
    if (!Number.isInteger(count) || count < 0) throw new Error('a delivery count is a whole number');
    if (count === 0) return;
    const at = Math.floor(this.#clock.now() / minute);
    this.#minutes.set(at, (this.#minutes.get(at) ?? 0) + count);
  }
}

function checkedMax(max: number): number {
  if (!Number.isInteger(max) || max < 0)
    throw new Error(`the event delivery allocation must be a whole number from 0 up, not ${max}`);
  return max;
}
