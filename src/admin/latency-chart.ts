// The overview's latency chart: p50 and p95 end-to-end latency per hour over the last 24 hours, as
// an inline SVG (no script, no external assets), with a text alternative for screen readers.
import { html, raw } from 'hono/html';
import type { LatencyBucket } from './overview.ts';
import type { QueuePoint } from '../reports/queue-history.ts';
import { localDateTime } from '../domain/time-zones.ts';

const width = 720;
const height = 200;
const pad = { left: 48, right: 12, top: 12, bottom: 28 };

export function latencyChart(buckets: readonly LatencyBucket[], timeZone: string) {
  const values = buckets.flatMap((b) => [b.p50, b.p95]).filter((v): v is number => v !== null);
  if (values.length === 0)
    return html`<p class="slds-text-body_small slds-text-color_weak slds-m-top_small">
      No syncs in the last 24 hours.
    </p>`;
  const top = niceCeiling(Math.max(...values, 1000));
  const x = (i: number) => pad.left + (i / Math.max(buckets.length - 1, 1)) * (width - pad.left - pad.right);
  const y = (ms: number) => pad.top + (1 - ms / top) * (height - pad.top - pad.bottom);
  const line = (pick: (b: LatencyBucket) => number | null) =>
    buckets
      .map((b, i) => ({ i, v: pick(b) }))
      .filter((p): p is { i: number; v: number } => p.v !== null)
      .map((p) => `${x(p.i).toFixed(1)},${y(p.v).toFixed(1)}`)
      .join(' ');
  const ticks = [0, top / 2, top];
  const total = buckets.reduce((sum, b) => sum + b.count, 0);
  const busiest = buckets.reduce((best, b) => (b.count > best.count ? b : best));
  const label = `End-to-end latency per hour, last 24 hours: ${total} sync${total === 1 ? '' : 's'}; in the busiest hour p50 ${seconds(busiest.p50)} and p95 ${seconds(busiest.p95)}.`;
  return html`<figure>
    <svg viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${label}">
      ${raw(gridLines(ticks, y, seconds))} ${raw(hourLabels(buckets, timeZone, x, height - 8))}
      <polyline points="${line((b) => b.p95)}" fill="none" stroke="#cf222e" stroke-width="2" />
      <polyline points="${line((b) => b.p50)}" fill="none" stroke="#0969da" stroke-width="2" />
      ${raw(
        dots(
          line((b) => b.p95),
          '#cf222e',
        ) +
          dots(
            line((b) => b.p50),
            '#0969da',
          ),
      )}
    </svg>
    <figcaption class="slds-text-body_small slds-text-color_weak">
      <span class="p50">━ p50</span> <span class="p95">━ p95</span> — from the save in Salesforce to the item
      in the calendar, per hour (${timeZone}).
    </figcaption>
  </figure>`;
}

/** Syncs per hour over the same 24 hours, as bars (with a text alternative for screen readers). */
export function syncsChart(buckets: readonly LatencyBucket[], timeZone: string) {
  const total = buckets.reduce((sum, b) => sum + b.count, 0);
  if (total === 0) return '';
  const top = Math.max(...buckets.map((b) => b.count));
  const busiest = buckets.find((b) => b.count === top);
  const slot = (width - pad.left - pad.right) / buckets.length;
  const y = (n: number) => pad.top + (1 - n / top) * (height / 2 - pad.top - pad.bottom);
  const base = y(0);
  const label = `Syncs per hour, last 24 hours: ${total} in all; the busiest hour (${busiest === undefined ? '' : localDateTime(busiest.from, timeZone).slice(11, 16)}) had ${top}.`;
  return html`<figure>
    <svg viewBox="0 0 ${width} ${height / 2}" width="100%" role="img" aria-label="${label}">
      ${raw(
        gridLines([0, top], y, String) +
          buckets
            .map((b, i) =>
              b.count === 0
                ? ''
                : `<rect x="${(pad.left + i * slot + 1).toFixed(1)}" y="${y(b.count).toFixed(1)}" width="${(slot - 2).toFixed(1)}" height="${(base - y(b.count)).toFixed(1)}" fill="#0176d3"/>`,
            )
            .join('') +
          hourLabels(buckets, timeZone, (i) => pad.left + (i + 0.5) * slot, height / 2 - 8),
      )}
    </svg>
    <figcaption class="slds-text-body_small slds-text-color_weak">Syncs per hour (${timeZone}).</figcaption>
  </figure>`;
}

/** The queue's depth over the last 24 hours (a sample a minute), as a line, with a text alternative. */
export function queueChart(points: readonly QueuePoint[], now: number, timeZone: string) {
  if (points.length === 0) return '';
  const start = now - 86_400_000;
  const top = Math.max(1, ...points.map((p) => p.queued + p.dead));
  const chartHeight = height / 2;
  const x = (at: number) => pad.left + ((at - start) / 86_400_000) * (width - pad.left - pad.right);
  const y = (n: number) => pad.top + (1 - n / top) * (chartHeight - pad.top - pad.bottom);
  const line = (pick: (p: QueuePoint) => number) =>
    points.map((p) => `${x(p.at).toFixed(1)},${y(pick(p)).toFixed(1)}`).join(' ');
  const latest = points.at(-1);
  const deepest = points.reduce((best, p) => (p.queued > best.queued ? p : best));
  const label = `Queue depth, last 24 hours: now ${latest?.queued ?? 0} queued and ${latest?.dead ?? 0} dead; the most queued, ${deepest.queued}, at ${localDateTime(deepest.at, timeZone).slice(11, 16)}.`;
  const hours = Array.from({ length: 24 }, (_, i) => ({
    from: Math.floor(start / 3_600_000 + 1 + i) * 3_600_000,
  }));
  return html`<figure>
    <svg viewBox="0 0 ${width} ${chartHeight}" width="100%" role="img" aria-label="${label}">
      ${raw(
        gridLines([0, top], y, String) +
          hourLabels(
            hours.map((h) => ({ from: h.from, count: 0, p50: null, p95: null })),
            timeZone,
            (i) => x(hours[i]?.from ?? start),
            chartHeight - 8,
          ),
      )}
      <polyline points="${line((p) => p.dead)}" fill="none" stroke="#ba0517" stroke-width="2" />
      <polyline points="${line((p) => p.queued)}" fill="none" stroke="#0176d3" stroke-width="2" />
    </svg>
    <figcaption class="slds-text-body_small slds-text-color_weak">
      <span class="p50">━ queued</span> <span class="p95">━ dead</span> — jobs, sampled each minute
      (${timeZone}).
    </figcaption>
  </figure>`;
}

/** A faint line across the chart at each of `values`, labelled on the left. */
function gridLines(
  values: readonly number[],
  y: (value: number) => number,
  label: (value: number) => string,
): string {
  return values
    .map(
      (v) =>
        `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(v)}" y2="${y(v)}" stroke="currentColor" stroke-opacity=".15"/>` +
        `<text x="${pad.left - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11" fill="currentColor">${label(v)}</text>`,
    )
    .join('');
}

/** The hour (HH:MM in `timeZone`) under every sixth bucket and the last, centred on `x(i)`, at height `y`. */
function hourLabels(
  buckets: readonly LatencyBucket[],
  timeZone: string,
  x: (index: number) => number,
  y: number,
): string {
  return [0, 6, 12, 18, 23]
    .map((i) => {
      const at = buckets[i]?.from;
      return at === undefined
        ? ''
        : `<text x="${x(i).toFixed(1)}" y="${y}" text-anchor="middle" font-size="11" fill="currentColor">${localDateTime(at, timeZone).slice(11, 16)}</text>`;
    })
    .join('');
}

/** A dot on every point, so an hour with syncs shows even when its neighbours have none. */
function dots(points: string, colour: string): string {
  return points
    .split(' ')
    .filter((p) => p !== '')
    .map((p) => {
      const [cx, cy] = p.split(',');
      return `<circle cx="${cx}" cy="${cy}" r="3" fill="${colour}"/>`;
    })
    .join('');
}

function seconds(ms: number | null): string {
  return ms === null ? '–' : ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/** 1, 2 or 5 times a power of ten, at least `ms`. */
function niceCeiling(ms: number): number {
  const power = 10 ** Math.floor(Math.log10(ms));
  for (const step of [1, 2, 5, 10]) if (step * power >= ms) return step * power;
  return 10 * power;
}
