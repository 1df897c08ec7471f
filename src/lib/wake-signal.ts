// A wake-up call between parts of one process: intake rings it when it records changes whose
// jobs are due now, and the sync worker, idle between claims, claims at once instead of at the
// end of its pause. Another process's changes still wait for the pause (or a claim after it).
//
// A ring while nobody waits is kept for the next wait, so a change recorded while the worker is
// busy claiming is not missed.

export class WakeSignal {
  #waiters = new Set<() => void>();
  #rung = false;

  ring(): void {
    if (this.#waiters.size === 0) {
      this.#rung = true;
      return;
    }
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }

  /** Resolves after `ms`, or sooner when rung (or rung since the last wait) or when `signal` aborts. */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.#rung || signal?.aborted === true) {
      this.#rung = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.#waiters.add(done);
    });
  }
}
