// Time as a dependency. Everything that needs "now" receives a Clock, so tests can stand
// still or jump 30 days without sleeping. Times are epoch milliseconds throughout.

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
