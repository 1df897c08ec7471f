// The sandbox org's time: real time from a chosen start, which tests can move forward (or set)
// to make codes, sessions, refresh-token policies and API-limit windows expire without waiting.

export class SandboxClock {
  #offset: number;

  constructor(startTime: number = Date.now()) {
    this.#offset = startTime - Date.now();
  }

  now(): number {
    return Date.now() + this.#offset;
  }

  advance(ms: number): void {
    this.#offset += ms;
  }

  set(ms: number): void {
    this.#offset = ms - Date.now();
  }
}
