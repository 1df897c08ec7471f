// Keeps each mailbox within its provider's limits: at most N requests in flight (Graph: 4) and at
// most M per window (Graph: 10,000 per 10 minutes), and, after the provider said "slow down"
// (429 with Retry-After), nothing to that mailbox until the delay has passed. Callers wait for a
// slot instead of being throttled.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProviderCapabilities } from '../providers/calendar-provider.ts';

interface MailboxState {
  running: number;
  waiting: (() => void)[];
  /**
   * The requests of the current window, oldest first, each stamped when it ended (while it runs,
   * when it started): a request may reach the provider some time after it started (a token is
   * fetched first, say), but never after it ended, so counting the window from the end keeps the
   * provider's own count, taken at arrival, within the limit.
   */
  sent: { at: number }[];
  pausedUntil: number;
}

export class MailboxLimiter {
  readonly #mailboxes = new Map<string, MailboxState>();
  readonly #now: () => number;
  /** Time spent waiting for a slot, for metrics. */
  waitedMs = 0;

  readonly #onWait: ((ms: number) => void) | undefined;

  constructor(now: () => number = Date.now, onWait?: (ms: number) => void) {
    this.#now = now;
    this.#onWait = onWait;
  }

  /** Runs `work` once the mailbox has room; `signal` gives up waiting (and is the caller's to pass on to `work`). */
  async run<T>(
    mailbox: string,
    limits: Pick<ProviderCapabilities, 'maxConcurrentPerMailbox' | 'requestsPerWindow'>,
    signal: AbortSignal | undefined,
    work: () => Promise<T>,
  ): Promise<T> {
    const state = this.#state(mailbox);
    const started = this.#now();
    while (state.running >= limits.maxConcurrentPerMailbox) await waitTurn(state, signal);
    if (signal?.aborted === true) {
      // Woken for a free slot but given up meanwhile: the next in line gets the slot instead.
      state.waiting.shift()?.();
      throw signal.reason as Error;
    }
    state.running++;
    try {
      for (;;) {
        const now = this.#now();
        const windowStart = now - limits.requestsPerWindow.windowMs;
        while (state.sent.length > 0 && (state.sent[0]?.at ?? 0) <= windowStart) state.sent.shift();
        const waitFor = Math.max(
          state.pausedUntil - now,
          state.sent.length >= limits.requestsPerWindow.count
            ? (state.sent[0]?.at ?? now) + limits.requestsPerWindow.windowMs - now
            : 0,
        );
        if (waitFor <= 0) break;
        await sleep(waitFor, undefined, signal === undefined ? {} : { signal });
      }
      const stamp = { at: this.#now() };
      state.sent.push(stamp);
      const waited = stamp.at - started;
      this.waitedMs += waited;
      if (waited > 0) this.#onWait?.(waited);
      try {
        return await work();
      } finally {
        stamp.at = this.#now();
      }
    } finally {
      state.running--;
      state.waiting.shift()?.();
    }
  }

  /** The provider asked this mailbox to wait (Retry-After): hold every request until then. */
  pause(mailbox: string, ms: number): void {
    const state = this.#state(mailbox);
    state.pausedUntil = Math.max(state.pausedUntil, this.#now() + ms);
  }

  #state(mailbox: string): MailboxState {
    let state = this.#mailboxes.get(mailbox);
    if (state === undefined) {
      state = { running: 0, waiting: [], sent: [], pausedUntil: 0 };
      this.#mailboxes.set(mailbox, state);
    }
    return state;
  }
}

/** Waits for a slot of the mailbox to free up, or for `signal` to give up (then leaves the line). */
function waitTurn(state: MailboxState, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = () => {
      state.waiting.splice(state.waiting.indexOf(turn), 1);
      reject(signal?.reason as Error);
    };
    const turn = () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    state.waiting.push(turn);
  });
}
