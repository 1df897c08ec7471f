import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  compilerFlags,
  CompilerFollower,
  compilersMayFollowLoad,
  currentHeapMode,
  defaultHeapModeThresholds,
  followLoad,
  followLoadWithHeap,
  heapMayFollowLoad,
  heapModeFlags,
  HeapModeFollower,
} from './heap-mode.ts';
import { createLogger } from './logger.ts';

/** A follower fed `samples` (then quiet ones), with the flags it sets and the lines it logs kept. */
function watchWith(samples: number[], follow: { heap: boolean; compilers: boolean }) {
  const set: string[] = [];
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => lines.push(line) } });
  const watch = followLoadWithHeap(logger, {
    utilisation: () => samples.shift() ?? 0,
    setFlags: (flag) => set.push(flag),
    ...follow,
  });
  return { set, lines, samples, watch };
}

describe('the heap mode follower', () => {
  it('samples the loop every quarter second: throughput after half a second busy, memory saving after 30 s quiet', () => {
    const t = defaultHeapModeThresholds;
    expect(t.sampleMs * t.busySamples).toBe(500);
    expect(t.sampleMs * t.quietSamples).toBe(30_000);
  });

  it('turns to throughput after two busy samples in a row, not after one', () => {
    const follower = new HeapModeFollower();
    expect(follower.observe(0.9)).toBeUndefined();
    expect(follower.observe(0.1)).toBeUndefined();
    expect(follower.observe(0.6)).toBeUndefined();
    expect(follower.mode).toBe('memory-saving');
    expect(follower.observe(0.5)).toBe('throughput');
    expect(follower.mode).toBe('throughput');
  });

  it('goes back to saving memory after 30 quiet seconds in a row; a busy sample starts the count again', () => {
    const follower = new HeapModeFollower();
    follower.observe(1);
    follower.observe(1);
    for (let i = 0; i < defaultHeapModeThresholds.quietSamples - 1; i++)
      expect(follower.observe(0.05)).toBeUndefined();
    // Neither busy nor quiet: the count of quiet samples starts again.
    expect(follower.observe(0.3)).toBeUndefined();
    for (let i = 0; i < defaultHeapModeThresholds.quietSamples - 1; i++)
      expect(follower.observe(0.05)).toBeUndefined();
    expect(follower.mode).toBe('throughput');
    expect(follower.observe(0.05)).toBe('memory-saving');
  });

  it('follows the load only when the operator chose no mode and the young generation has an upper size', () => {
    expect(heapMayFollowLoad(['--max-semi-space-size=4'])).toBe(true);
    expect(heapMayFollowLoad(['--max_semi_space_size=8', '--enable-source-maps'])).toBe(true);
    expect(heapMayFollowLoad([])).toBe(false);
    expect(heapMayFollowLoad(['--no-optimize-for-size', '--max-semi-space-size=4'])).toBe(false);
    expect(heapMayFollowLoad(['--optimize_for_size', '--max-semi-space-size=4'])).toBe(false);
  });
});

describe('following the load with V8’s flags', () => {
  afterEach(() => vi.useRealTimers());

  it('sets each mode’s flags as the samples say, logs the change, and saves memory again when stopped', () => {
    vi.useFakeTimers();
    const { sampleMs, quietSamples } = defaultHeapModeThresholds;
    const { set, lines, samples, watch } = watchWith([0.9, 0.95, ...Array<number>(quietSamples).fill(0.01)], {
      heap: true,
      compilers: false,
    });
    expect(set).toEqual(heapModeFlags['memory-saving']);
    expect(currentHeapMode()).toBe('memory-saving');
    vi.advanceTimersByTime(2 * sampleMs);
    expect(set.slice(2)).toEqual(heapModeFlags.throughput);
    expect(currentHeapMode()).toBe('throughput');
    expect(lines.join('')).toContain('"heapMode":"throughput","eventLoopUtilisation":0.95');
    vi.advanceTimersByTime(quietSamples * sampleMs - 1);
    expect(currentHeapMode()).toBe('throughput');
    vi.advanceTimersByTime(1);
    expect(set.slice(4)).toEqual(heapModeFlags['memory-saving']);
    expect(currentHeapMode()).toBe('memory-saving');
    // Busy again, then stopped: the memory-saving mode is what is left behind.
    samples.push(1, 1);
    vi.advanceTimersByTime(2 * sampleMs);
    expect(currentHeapMode()).toBe('throughput');
    watch.stop();
    expect(set.slice(-2)).toEqual(heapModeFlags['memory-saving']);
    expect(currentHeapMode()).toBe('fixed');
  });
});

describe("V8's optimizing compilers following the load", () => {
  afterEach(() => vi.useRealTimers());

  it('turn on once the loop was used a tenth of the time over 10 s, once and for good', () => {
    const t = defaultHeapModeThresholds;
    expect(t.sampleMs * t.workingSamples).toBe(10_000);
    const follower = new CompilerFollower();
    // A start and a first sync (two busy seconds), then rest: never on.
    const start = [...Array<number>(8).fill(0.3), ...Array<number>(200).fill(0.01)];
    for (const sample of start) expect(follower.observe(sample)).toBe(false);
    // Steady work at 12 %: on once the last 10 s average a tenth.
    let samples = 0;
    while (!follower.observe(0.12)) samples++;
    expect(samples).toBeGreaterThanOrEqual(t.workingSamples * 0.75);
    expect(samples).toBeLessThan(t.workingSamples);
    expect(follower.on).toBe(true);
    for (let i = 0; i < 200; i++) expect(follower.observe(0)).toBe(false);
    expect(follower.on).toBe(true);
    expect(follower.force()).toBe(false);
  });

  it('are off from the start, on once there is work or the heap turns to throughput, and off again when stopped', () => {
    vi.useFakeTimers();
    const { sampleMs, workingSamples } = defaultHeapModeThresholds;
    const run = (samples: number[]) => watchWith(samples, { heap: true, compilers: true });
    const working = run(Array<number>(workingSamples).fill(0.3));
    expect(working.set).toEqual([...heapModeFlags['memory-saving'], ...compilerFlags.off]);
    vi.advanceTimersByTime((workingSamples - 1) * sampleMs);
    expect(working.set).not.toContain('--turbofan');
    vi.advanceTimersByTime(sampleMs);
    expect(working.set.slice(-2)).toEqual(compilerFlags.on);
    expect(working.lines.join('')).toContain('"compilers":"on"');
    working.watch.stop();
    // Stopped: off again, as the executable started the process (what it compiles now is cached).
    expect(working.set.slice(-2)).toEqual(compilerFlags.off);

    // Busy at once: the heap's switch to throughput turns them on with it.
    const busy = run([1, 1]);
    vi.advanceTimersByTime(2 * sampleMs);
    expect(busy.set).toContain('--turbofan');
    expect(currentHeapMode()).toBe('throughput');
    busy.watch.stop();

    // Never any work: they stay off, and stopping sets nothing for them.
    const resting = run([]);
    vi.advanceTimersByTime(60_000);
    expect(resting.set).toEqual([...heapModeFlags['memory-saving'], ...compilerFlags.off]);
    resting.watch.stop();
    expect(resting.set).toEqual([...heapModeFlags['memory-saving'], ...compilerFlags.off]);
  });

  it('follow the load alone when the heap does not (the operator chose its mode)', () => {
    vi.useFakeTimers();
    const { sampleMs, workingSamples } = defaultHeapModeThresholds;
    const { set, watch } = watchWith(Array<number>(workingSamples).fill(1), { heap: false, compilers: true });
    vi.advanceTimersByTime(workingSamples * sampleMs);
    expect(set).toEqual([...compilerFlags.off, ...compilerFlags.on]);
    expect(currentHeapMode()).toBe('fixed');
    watch.stop();
  });

  it('are not followed, nor the heap, when the operator chose both', () => {
    const logger = createLogger({ level: 'silent' });
    expect(followLoad(logger, ['--optimize-for-size', '--no-turbofan'])).toBeUndefined();
    expect(
      followLoad(logger, ['--max-semi-space-size=4', '--no-optimize-for-size', '--max-opt=2']),
    ).toBeUndefined();
  });

  it("leave the operator's choice of compilers alone", () => {
    expect(compilersMayFollowLoad(['--max-semi-space-size=4'])).toBe(true);
    expect(compilersMayFollowLoad(['--no-turbofan'])).toBe(false);
    expect(compilersMayFollowLoad(['--maglev'])).toBe(false);
    expect(compilersMayFollowLoad(['--max-opt=2'])).toBe(false);
    expect(compilersMayFollowLoad(['--max_opt=4'])).toBe(false);
    expect(compilersMayFollowLoad(['--jitless'])).toBe(false);
  });
});
