import { describe, expect, it } from 'vitest';
import { latencyChart, queueChart, syncsChart } from './latency-chart.ts';
import type { LatencyBucket } from './overview.ts';

const start = Date.UTC(2026, 11, 4, 0);
const buckets: LatencyBucket[] = Array.from({ length: 24 }, (_, i) => ({
  from: start + i * 3_600_000,
  count: i === 9 ? 12 : i === 10 ? 3 : 0,
  p50: i === 9 ? 800 : i === 10 ? 600 : null,
  p95: i === 9 ? 1900 : i === 10 ? 900 : null,
}));

describe('the activity charts', () => {
  it('draws syncs per hour as bars, says what they show in words, and labels the hours in the zone asked', async () => {
    const chart = String(await syncsChart(buckets, 'Europe/Berlin'));
    expect(chart).toContain(
      'aria-label="Syncs per hour, last 24 hours: 15 in all; the busiest hour (10:00) had 12."',
    );
    expect(chart.match(/<rect /g)).toHaveLength(2);
    expect(chart).toContain('>01:00</text>');
    expect(chart).toContain('Syncs per hour (Europe/Berlin).');
  });

  it('draws nothing for a day without syncs, and the latency in words too', async () => {
    const quiet = buckets.map((b) => ({ ...b, count: 0, p50: null, p95: null }));
    expect(String(await syncsChart(quiet, 'UTC'))).toBe('');
    expect(String(await latencyChart(buckets, 'UTC'))).toContain(
      'End-to-end latency per hour, last 24 hours: 15 syncs; in the busiest hour p50 0.8 s and p95 1.9 s.',
    );
  });

  it('draws the queue depth of the last day with what it was at its deepest and now, in words', async () => {
    const now = start + 24 * 3_600_000;
    const points = [
      { at: now - 3 * 3_600_000, queued: 40, dead: 0 },
      { at: now - 2 * 3_600_000, queued: 120, dead: 1 },
      { at: now - 60_000, queued: 3, dead: 1 },
    ];
    const chart = String(await queueChart(points, now, 'UTC'));
    expect(chart).toContain(
      'aria-label="Queue depth, last 24 hours: now 3 queued and 1 dead; the most queued, 120, at 22:00."',
    );
    expect(chart.match(/<polyline /g)).toHaveLength(2);
    expect(String(await queueChart([], now, 'UTC'))).toBe('');
  });
});
