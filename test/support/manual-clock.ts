// A clock tests move by hand: time stands still until the test says otherwise.
import type { Clock } from '../../src/lib/clock.ts';

export class ManualClock implements Clock {
  #now: number;

  constructor(start = Date.UTC(2026, 10, 24, 9, 0, 0)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  advance(ms: number): void {
    this.#now += ms;
  }
}
