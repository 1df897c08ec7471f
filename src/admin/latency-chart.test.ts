import { describe, expect, it } from 'vitest';
import { latencyChart, queueChart, syncsChart } from './latency-chart.ts';
import type { SyncPoint } from '../reports/sync-history.ts';

const minute = 60_000;
const end = Date.UTC(2026, 11, 5, 0);
const start = end - 1440 * minute;
// 12 syncs at 09:00 UTC, 3 at 09:01, one alone at 15:30.
const busy: Record<number, Omit<SyncPoint, 'at'>> = {
  540: { syncs: 12, p50: 800, p95: 1900 },
  541: { syncs: 3, p50: 600, p95: 900 },
  930: { syncs: 1, p50: 400, p95: 400 },
};
const points: SyncPoint[] = Array.from({ length: 1440 }, (_, i) => ({
  at: start + i * minute,
  ...(busy[i] ?? { syncs: 0, p50: null, p95: null }),
}));

describe('the activity charts', () => {
  it('draws syncs per minute as an area, says what it shows in words, and labels the hours in the zone asked', async () => {
    const chart = String(await syncsChart(points, 'Europe/Berlin'));
    expect(chart).toContain(
      'aria-label="Syncs per minute, last 24 hours: 16 in all; the busiest minute (10:00) had 12."',
    );
    expect(chart.match(/<path /g)).toHaveLength(1);
    // 00:00, 06:00, 12:00 and 18:00 in Berlin.
    expect(chart.match(/>(00|06|12|18):00<\/text>/g)).toHaveLength(4);
    expect(chart).toContain('Syncs per minute (Europe/Berlin).');
  });

  it('labels the whole hours of zones a half or three quarters of an hour off UTC', async () => {
    for (const zone of ['Asia/Kolkata', 'Asia/Kathmandu'])
      expect(String(await syncsChart(points, zone)).match(/>(00|06|12|18):00<\/text>/g)).toHaveLength(4);
  });

  it('draws nothing for a day without syncs, and the latency per minute with a lone minute as a dot, in words too', async () => {
    const quiet = points.map((p) => ({ ...p, syncs: 0, p50: null, p95: null }));
    expect(String(await syncsChart(quiet, 'UTC'))).toBe('');
    expect(String(await latencyChart(quiet, 'UTC'))).toContain('No syncs in the last 24 hours.');
    const chart = String(await latencyChart(points, 'UTC'));
    expect(chart).toContain(
      'End-to-end latency per minute, last 24 hours: 16 syncs; in the latest minute with syncs (15:30) p50 0.4 s and p95 0.4 s; the highest p95, 1.9 s, at 09:00.',
    );
    // Two lines (p95, p50), each a two-minute segment and a lone minute.
    const lines = chart.match(/<path d="[^"]*"/g) ?? [];
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line.match(/M/g)).toHaveLength(2);
  });

  it('draws the queue depth of the last day with what it was at its deepest and now, in words', async () => {
    const now = start + 24 * 3_600_000;
    const queue = [
      { at: now - 3 * 3_600_000, queued: 40, dead: 0 },
      { at: now - 2 * 3_600_000, queued: 120, dead: 1 },
      { at: now - 60_000, queued: 3, dead: 1 },
    ];
    const chart = String(await queueChart(queue, now, 'UTC'));
    expect(chart).toContain(
      'aria-label="Queue depth, last 24 hours: now 3 queued and 1 dead; the most queued, 120, at 22:00."',
    );
    expect(chart.match(/<polyline /g)).toHaveLength(2);
    expect(String(await queueChart([], now, 'UTC'))).toBe('');
  });
});
