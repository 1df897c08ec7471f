// Many callers' writes of one moment, made as one: each caller adds its item and awaits its own
// promise; the items added in one turn of the event loop are written together by `writeMany` (one
// statement instead of one per caller), and while a write is in flight the items added meanwhile
// wait for it and go together in the next: a lone item is written at once, and the busier the
// database, the more items share a statement. Should writing them together fail, each is written
// alone, so every caller gets its own outcome and one bad item never fails the others.
//
// Items with the same key never go in one write (a database refuses to upsert one row twice in a
// statement): a later one waits for the next write.

export interface CoalescerOptions<T> {
  writeMany: (items: readonly T[]) => Promise<void>;
  /** Items with equal keys are written one after the other, never together. */
  keyOf: (item: T) => string;
  /**
   * Runs the write of the items added so far (default: `setImmediate`, once this turn's I/O is
   * handled, so that every caller of the turn joins it).
   */
  schedule?: (write: () => void) => void;
}

interface Waiting<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class Coalescer<T> {
  readonly #options: CoalescerOptions<T>;
  #waiting: Waiting<T>[] = [];
  #scheduled = false;
  #writing = false;

  constructor(options: CoalescerOptions<T>) {
    this.#options = options;
  }

  /** Resolves once `item` is written (with the others of its moment), rejects if it could not be. */
  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#waiting.push({ item, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#writing) return;
    this.#scheduled = true;
    (this.#options.schedule ?? setImmediate)(() => {
      this.#scheduled = false;
      this.#writing = true;
      void this.#flush().finally(() => {
        this.#writing = false;
        if (this.#waiting.length > 0) this.#schedule();
      });
    });
  }

  async #flush(): Promise<void> {
    let rest = this.#waiting;
    this.#waiting = [];
    while (rest.length > 0) {
      const keys = new Set<string>();
      const round: Waiting<T>[] = [];
      const later: Waiting<T>[] = [];
      for (const entry of rest) {
        const key = this.#options.keyOf(entry.item);
        if (keys.has(key)) later.push(entry);
        else {
          keys.add(key);
          round.push(entry);
        }
      }
      await this.#write(round);
      rest = later;
    }
  }

  async #write(round: readonly Waiting<T>[]): Promise<void> {
    try {
      await this.#options.writeMany(round.map((entry) => entry.item));
      for (const entry of round) entry.resolve();
    } catch (error) {
      if (round.length === 1) {
        round[0]!.reject(error);
        return;
      }
      for (const entry of round)
        await this.#options.writeMany([entry.item]).then(entry.resolve, entry.reject);
    }
  }
}
