import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  currentHeapMode,
  defaultHeapModeThresholds,
  followLoadWithHeap,
  heapMayFollowLoad,
  heapModeFlags,
  HeapModeFollower,
} from './heap-mode.ts';
import { createLogger } from './logger.ts';

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
    const set: string[] = [];
    const { sampleMs, quietSamples } = defaultHeapModeThresholds;
    const samples = [0.9, 0.95, ...Array<number>(quietSamples).fill(0.01)];
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      destination: { write: (line: string) => lines.push(line) },
    });
    const watch = followLoadWithHeap(logger, {
      utilisation: () => samples.shift() ?? 0,
      setFlags: (flag) => set.push(flag),
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
