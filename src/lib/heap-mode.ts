// V8's heap follows the load. bin/instant-sync.js starts V8 in its memory-saving mode
// (`--optimize-for-size`), which keeps the heap near what is live: right for a service that waits
// for work most of the day. Under a burst that mode costs CPU: its young generation stays at 1 MB,
// so what is in flight for a mailbox call outlives it and is copied, then promoted and marked.
// While the process is busy (its event loop at least half used in two samples a quarter second
// apart: half a second) the follower switches V8 to its default mode, whose young generation
// grows to the size the executable gave at start (4 MB) and whose old generation grows by a fixed
// 50 % a step; after 30 quiet seconds it switches back. Measured on `burst`: a fifth less CPU per
// change for up to 10 MB more at its peak; a resting service is as it was. The step is 50 % rather
// than 30 because the full collections' marking was then the largest single cost of a burst: 50 %
// makes them fewer, for about 10 MB more at the peak. Half a second rather than two seconds
// because a burst's first seconds, still saving memory, made a third of its full collections
// (docs/performance.md).
//
// V8 reads these two flags at each of its decisions, so setting them on a running process takes
// effect at the next collection; the young generation's upper size is fixed at start, and without
// it (an executable that could not start itself again) the follower stays off.
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import type { Logger } from './logger.ts';

export type HeapMode = 'memory-saving' | 'throughput';

export interface HeapModeThresholds {
  /** How often the event loop is sampled. */
  sampleMs: number;
  /** A sample is busy when the event loop was used at least this share of it. */
  busyAt: number;
  /** Busy samples in a row that switch to throughput. */
  busySamples: number;
  /** A sample is quiet when the event loop was used less than this share of it. */
  quietBelow: number;
  /** Quiet samples in a row that switch back to memory saving. */
  quietSamples: number;
}

export const defaultHeapModeThresholds: HeapModeThresholds = {
  sampleMs: 250,
  busyAt: 0.5,
  busySamples: 2,
  quietBelow: 0.2,
  quietSamples: 120,
};

/** The flags each mode sets; the young generation's upper size is given at start (bin/instant-sync.js). */
export const heapModeFlags: Readonly<Record<HeapMode, readonly string[]>> = {
  'memory-saving': ['--optimize-for-size', '--heap-growing-percent=0'],
  throughput: ['--no-optimize-for-size', '--heap-growing-percent=50'],
};

/**
 * The mode for a run of event-loop samples (each the share of its interval the loop was used):
 * a pure state machine, so when it switches is testable without a clock.
 */
export class HeapModeFollower {
  #mode: HeapMode = 'memory-saving';
  #run = 0;

  get mode(): HeapMode {
    return this.#mode;
  }

  /** Takes one sample; returns the new mode when it changes. */
  observe(utilisation: number): HeapMode | undefined {
    const t = defaultHeapModeThresholds;
    const leaning = this.#mode === 'memory-saving' ? utilisation >= t.busyAt : utilisation < t.quietBelow;
    this.#run = leaning ? this.#run + 1 : 0;
    if (this.#run < (this.#mode === 'memory-saving' ? t.busySamples : t.quietSamples)) return undefined;
    this.#mode = this.#mode === 'memory-saving' ? 'throughput' : 'memory-saving';
    this.#run = 0;
    return this.#mode;
  }
}

/**
 * Whether the process's heap may follow its load: not when the operator chose V8's mode on the
 * command line (`--optimize-for-size` or `--no-optimize-for-size`, which the executable then
 * leaves alone), and not without a bounded young generation to grow into.
 */
export function heapMayFollowLoad(execArgv: readonly string[]): boolean {
  return (
    !execArgv.some((flag) => /^--(no-)?optimize[-_]for[-_]size$/.test(flag)) &&
    execArgv.some((flag) => /^--max[-_]semi[-_]space[-_]size=\d+$/.test(flag))
  );
}

let current: HeapMode | 'fixed' = 'fixed';

/** The mode this process's heap is in now; `fixed` while no follower runs. */
export function currentHeapMode(): HeapMode | 'fixed' {
  return current;
}

export interface HeapModeWatch {
  stop(): void;
}

/**
 * Samples the event loop every `sampleMs` and switches V8's mode as the follower says. One per
 * process (V8's flags are the process's); stopping it puts the memory-saving mode back.
 */
export function followLoadWithHeap(
  logger: Logger,
  options: {
    sampleMs?: number;
    /** For tests: how busy the loop was since the last sample (0–1). */
    utilisation?: () => number;
    setFlags?: (flags: string) => void;
  } = {},
): HeapModeWatch {
  const setFlags = options.setFlags ?? setFlagsFromString;
  const follower = new HeapModeFollower();
  const utilisation = options.utilisation ?? loopUtilisation();
  const apply = (mode: HeapMode) => {
    for (const flag of heapModeFlags[mode]) setFlags(flag);
    current = mode;
  };
  apply('memory-saving');
  const timer = setInterval(() => {
    const used = utilisation();
    const mode = follower.observe(used);
    if (mode === undefined) return;
    apply(mode);
    logger.info({ heapMode: mode, eventLoopUtilisation: Math.round(used * 100) / 100 }, 'heap mode');
  }, options.sampleMs ?? defaultHeapModeThresholds.sampleMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      if (current === 'throughput') apply('memory-saving');
      current = 'fixed';
    },
  };
}

/** The event loop's utilisation since the previous call. */
function loopUtilisation(): () => number {
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const used = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    return used;
  };
}
