// V8's heap follows the load. bin/instant-sync.js starts V8 in its memory-saving mode
// (`--optimize-for-size`), which keeps the heap near what is live: right for a service that waits
// for work most of the day. Under a burst that mode costs CPU: its young generation stays at 1 MB,
// so what is in flight for a mailbox call outlives it and is copied, then promoted and marked.
// While the process is busy (its event loop at least half used in two samples a quarter second
// apart: half a second) the follower switches V8 to its default mode, whose young generation
// grows to the size the executable gave at start (12 MB) and whose old generation grows by a fixed
// 100 % a step; after 30 quiet seconds it switches back. Measured on `burst`: a fifth less CPU per
// change for up to 10 MB more at its peak; a resting service is as it was. The step is 100 % rather
// than 30 or 50 because the full collections' marking was the largest single cost of a burst: what
// a burst has in flight (about 35 MB live) was marked every 0.4 s at 50 %; 100 % halves how often,
// for 7 % less CPU per change and 12-15 MB more at the peak. Half a second rather than two seconds
// because a burst's first seconds, still saving memory, made a third of its full collections
// (docs/performance.md).
//
// V8 reads these two flags at each of its decisions, so setting them on a running process takes
// effect at the next collection; the young generation's upper size is fixed at start, and without
// it (an executable that could not start itself again) the follower stays off.
//
// V8's optimizing compilers (Maglev and TurboFan) follow the load too, one way. The executable
// starts V8 without them (bin/instant-sync.js), so a service that rests, or syncs a change now and
// then, runs its JavaScript as bytecode and baseline code, and neither the compilers' own code
// (pages of the Node.js executable) nor the memory they compile in comes in: 3-6 MB of a resting
// service (docs/performance.md, "Memory at rest: ICU's locale list, and the compilers when there is
// work"). Once the event loop has been used a tenth of the time over 10 s (or the heap turns to
// throughput) they are on for good: a service that works optimizes what it runs, and what the
// compilers touched stays touched anyway. An operator who chose them on Node's command line
// (`--no-turbofan`, `--max-opt=…`, …) keeps that.
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
  /** The optimizing compilers turn on once the loop was used at least this share of the time… */
  workingAt: number;
  /** …on average over this many samples. */
  workingSamples: number;
}

export const defaultHeapModeThresholds: HeapModeThresholds = {
  sampleMs: 250,
  busyAt: 0.5,
  busySamples: 2,
  quietBelow: 0.2,
  quietSamples: 120,
  workingAt: 0.1,
  workingSamples: 40,
};

/** The flags each mode sets; the young generation's upper size is given at start (bin/instant-sync.js). */
export const heapModeFlags: Readonly<Record<HeapMode, readonly string[]>> = {
  'memory-saving': ['--optimize-for-size', '--heap-growing-percent=0'],
  throughput: ['--no-optimize-for-size', '--heap-growing-percent=100'],
};

/** V8's optimizing compilers: off until the process has work, then on (and on again when it stops). */
export const compilerFlags: Readonly<Record<'off' | 'on', readonly string[]>> = {
  off: ['--no-maglev', '--no-turbofan'],
  on: ['--maglev', '--turbofan'],
};

/** Whether the compilers may follow the load: not when the operator chose them on the command line. */
export function compilersMayFollowLoad(execArgv: readonly string[]): boolean {
  return !execArgv.some((flag) => /^--((no-)?(maglev|turbofan|jitless)|max[-_]opt=.*)$/.test(flag));
}

/** When the optimizing compilers turn on, for a run of event-loop samples (a pure state machine). */
export class CompilerFollower {
  #on = false;
  /** The latest samples, at most `workingSamples` of them, and their sum. */
  #window: number[] = [];
  #sum = 0;

  get on(): boolean {
    return this.#on;
  }

  /**
   * Takes one sample; true when the compilers are to be turned on now. An average over 10 s, not a
   * run of busy samples: a start and a tenant's first sync keep the loop busy for a second or two,
   * and a service that then rests should not have compiled for them.
   */
  observe(utilisation: number): boolean {
    if (this.#on) return false;
    const { workingAt, workingSamples } = defaultHeapModeThresholds;
    this.#window.push(utilisation);
    this.#sum += utilisation;
    if (this.#window.length > workingSamples) this.#sum -= this.#window.shift()!;
    if (this.#window.length < workingSamples || this.#sum < workingAt * workingSamples) return false;
    this.#on = true;
    return true;
  }

  /** Turns them on now (the heap turned to throughput); true when they were off. */
  force(): boolean {
    if (this.#on) return false;
    this.#on = true;
    return true;
  }
}

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
    /** Whether the heap's mode follows the load (default: as heapMayFollowLoad says). */
    heap?: boolean;
    /** Whether the optimizing compilers do (default: as compilersMayFollowLoad says). */
    compilers?: boolean;
  } = {},
): HeapModeWatch {
  const setFlags = options.setFlags ?? setFlagsFromString;
  const heap = (options.heap ?? heapMayFollowLoad(process.execArgv)) ? new HeapModeFollower() : undefined;
  const compilers =
    (options.compilers ?? compilersMayFollowLoad(process.execArgv)) ? new CompilerFollower() : undefined;
  const utilisation = options.utilisation ?? loopUtilisation();
  const apply = (mode: HeapMode) => {
    for (const flag of heapModeFlags[mode]) setFlags(flag);
    current = mode;
  };
  const compilersOn = (used: number) => {
    for (const flag of compilerFlags.on) setFlags(flag);
    logger.info(
      { compilers: 'on', eventLoopUtilisation: Math.round(used * 100) / 100 },
      'optimizing compilers on',
    );
  };
  if (heap !== undefined) apply('memory-saving');
  // Off until there is work (the executable turned them off as the process started, bin/instant-sync.js).
  if (compilers !== undefined) for (const flag of compilerFlags.off) setFlags(flag);
  const timer = setInterval(() => {
    const used = utilisation();
    if (compilers?.observe(used) === true) compilersOn(used);
    const mode = heap?.observe(used);
    if (mode === undefined) return;
    if (mode === 'throughput' && compilers?.force() === true) compilersOn(used);
    apply(mode);
    logger.info({ heapMode: mode, eventLoopUtilisation: Math.round(used * 100) / 100 }, 'heap mode');
  }, options.sampleMs ?? defaultHeapModeThresholds.sampleMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      if (current === 'throughput') apply('memory-saving');
      // As the process started: off (what it compiles from here is cached for the next start).
      if (compilers?.on === true) for (const flag of compilerFlags.off) setFlags(flag);
      current = 'fixed';
    },
  };
}

/**
 * What a long-running command (`serve`, `worker`, the demo) starts: V8's heap and its optimizing
 * compilers each following the load, unless the operator chose it on Node's command line.
 */
export function followLoad(
  logger: Logger,
  execArgv: readonly string[] = process.execArgv,
): HeapModeWatch | undefined {
  const heap = heapMayFollowLoad(execArgv);
  const compilers = compilersMayFollowLoad(execArgv);
  return heap || compilers ? followLoadWithHeap(logger, { heap, compilers }) : undefined;
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
