// The sandbox org's event bus for /data/EventChangeEvent: every change event with its replay id,
// kept for 72 hours of sandbox time (Salesforce's CDC retention). A subscriber resumes after a
// replay id only while every later event is still retained; otherwise Salesforce answers that the
// replay id is invalid, and so does this log.
import { randomUUID } from 'node:crypto';
import type { SandboxClock } from '../sandbox-clock.ts';
import { encodeChangeEvent, type ChangeEvent } from './change-event-schema.ts';

export const retentionMs = 72 * 3_600_000;

export interface LoggedEvent {
  replayId: bigint;
  /** The event's own UUID. */
  id: string;
  payload: Buffer;
  commitTimestamp: number;
  /**
   * When it was appended, on the monotonic clock (performance.now(): never moved by tests, as the
   * sandbox clock is, nor stepped back, as the wall clock may be).
   */
  loggedAt: number;
}

export class ChangeEventLog {
  readonly #clock: SandboxClock;
  readonly #entries: LoggedEvent[] = [];
  readonly #listeners = new Set<() => void>();
  /** Replay ids are large, opaque and increasing, as Salesforce's are. */
  #lastReplayId = 4_200_000n;
  /** The newest replay id dropped by retention: resuming from it or before it is refused. */
  #prunedThrough = 4_200_000n;
  #pruned = false;

  constructor(clock: SandboxClock) {
    this.#clock = clock;
  }

  append(event: ChangeEvent): LoggedEvent {
    this.prune();
    this.#lastReplayId += 1n;
    const logged = {
      replayId: this.#lastReplayId,
      id: randomUUID(),
      payload: encodeChangeEvent(event),
      commitTimestamp: event.commitTimestamp,
      loggedAt: performance.now(),
    };
    this.#entries.push(logged);
    for (const listener of this.#listeners) listener();
    return logged;
  }

  prune(): void {
    const oldestKept = this.#clock.now() - retentionMs;
    while (this.#entries.length > 0 && (this.#entries[0]?.commitTimestamp ?? 0) < oldestKept) {
      this.#prunedThrough = this.#entries.shift()?.replayId ?? this.#prunedThrough;
      this.#pruned = true;
    }
  }

  /**
   * Drops every event issued so far, as 72 hours passing would: resuming after any of their
   * replay ids is refused from now on (for tests of a subscriber that was away too long).
   */
  expireAll(): void {
    this.#entries.length = 0;
    this.#prunedThrough = this.#lastReplayId;
    this.#pruned = true;
  }

  get latestReplayId(): bigint {
    return this.#lastReplayId;
  }

  /** The replay id before the oldest retained event (an EARLIEST subscription starts after it). */
  get earliestPosition(): bigint {
    this.prune();
    return this.#prunedThrough;
  }

  /** Whether `replayId` is one a subscriber may resume after: issued, and not yet out of retention. */
  canResumeAfter(replayId: bigint): boolean {
    this.prune();
    const retained = replayId > this.#prunedThrough || (!this.#pruned && replayId === this.#prunedThrough);
    return retained && replayId <= this.#lastReplayId;
  }

  /** Up to `limit` events after `replayId`. */
  after(replayId: bigint, limit: number): LoggedEvent[] {
    let low = 0;
    let high = this.#entries.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((this.#entries[middle]?.replayId ?? 0n) <= replayId) low = middle + 1;
      else high = middle;
    }
    return this.#entries.slice(low, low + limit);
  }

  /** Calls `listener` after each append; returns the function that stops it. */
  listen(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
