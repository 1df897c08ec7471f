// A steady stream of Event changes into the sandbox org, as a sales team makes them: creates,
// edits and deletions spread over the owners, at a set rate, whatever happens to the service.
// The chaos cases run their faults beside it and compare every mailbox with the org at the end.
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningSystem } from '../support/system-processes.ts';

export interface StreamPlan {
  changes: number;
  ratePerSecond: number;
}

export class ChangeStream {
  readonly #system: RunningSystem;
  readonly #plan: StreamPlan;
  readonly #live: string[] = [];
  readonly #busy = new Set<string>();
  #made = 0;
  #random = 42;
  #done: Promise<void> | undefined;
  #stopped = false;

  constructor(system: RunningSystem, plan: StreamPlan) {
    this.#system = system;
    this.#plan = plan;
  }

  /** Changes made so far. */
  get made(): number {
    return this.#made;
  }

  get total(): number {
    return this.#plan.changes;
  }

  /** How long the whole stream takes at its rate. */
  get plannedMs(): number {
    return (this.#plan.changes / this.#plan.ratePerSecond) * 1000;
  }

  start(): void {
    this.#done ??= this.#run();
  }

  /** Resolves when every change is made (or the stream was stopped). */
  async finished(): Promise<void> {
    await this.#done;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#done;
  }

  /** Resolves once `count` changes are made. */
  async reach(count: number): Promise<void> {
    while (this.#made < Math.min(count, this.#plan.changes) && !this.#stopped) await sleep(50);
  }

  async #run(): Promise<void> {
    const started = Date.now();
    const width = 10;
    while (this.#made < this.#plan.changes && !this.#stopped) {
      const batch = Math.min(width, this.#plan.changes - this.#made);
      await Promise.all(Array.from({ length: batch }, () => this.#change()));
      const due = started + (this.#made / this.#plan.ratePerSecond) * 1000;
      if (due > Date.now()) await sleep(due - Date.now());
    }
  }

  #next(): number {
    this.#random = (this.#random * 1_103_515_245 + 12_345) % 2 ** 31;
    return this.#random / 2 ** 31;
  }

  async #change(): Promise<void> {
    const n = this.#made++;
    const roll = this.#next();
    const { salesforce, owners } = this.#system;
    const free = this.#live.filter((id) => !this.#busy.has(id));
    if (free.length < 10 || roll < 0.6) {
      const owner = owners[n % owners.length]!;
      const day = String(1 + (n % 28)).padStart(2, '0');
      const record = await salesforce.createEvent(owner.id, {
        Subject: `Chaos ${n}`,
        StartDateTime: `2026-12-${day}T${String(8 + (n % 9)).padStart(2, '0')}:00:00Z`,
        DurationInMinutes: 30,
      });
      this.#live.push(String(record['Id']));
      return;
    }
    // One change at a time per Event, so the org's last word is clear.
    const id = free[Math.floor(this.#next() * free.length)]!;
    this.#busy.add(id);
    try {
      if (roll < 0.9) await salesforce.updateEvent(id, { Subject: `Chaos ${n} (edited)` });
      else {
        this.#live.splice(this.#live.indexOf(id), 1);
        await salesforce.deleteEvent(id);
      }
    } finally {
      this.#busy.delete(id);
    }
  }
}
