// The admin pages' activity charts over the last 24 hours: syncs per minute, their p50 and p95
// end-to-end latency per minute, and the queue's depth sampled each minute. Inline SVG (no
// script, no external assets) on one time axis, each with a text alternative for screen readers.
import { html, raw } from 'hono/html';
import type { QueuePoint } from '../reports/queue-history.ts';
import type { SyncPoint } from '../reports/sync-history.ts';
import { localDateTime } from '../domain/time-zones.ts';

const width = 720;
const height = 200;
const pad = { left: 48, right: 12, top: 12, bottom: 28 };
const day = 86_400_000;
const minute = 60_000;

/** The x of `at` on a chart of the 24 hours before `end`. */
function timeAxis(end: number): (at: number) => number {
  const start = end - day;
  return (at) => pad.left + ((at - start) / day) * (width - pad.left - pad.right);
}

/** The end of the window the sync points cover: the end of their last minute. */
const endOf = (points: readonly SyncPoint[]) => (points.at(-1)?.at ?? 0) + minute;

/** p50 and p95 latency of each minute with syncs, as lines broken where no sync was. */
export function latencyChart(points: readonly SyncPoint[], timeZone: string) {
  const synced = points.filter((p) => p.syncs > 0);
  const values = synced.flatMap((p) => [p.p50, p.p95]).filter((v): v is number => v !== null);
  if (values.length === 0)
    return html`<p class="slds-text-body_small slds-text-color_weak slds-m-top_small">
      No syncs in the last 24 hours.
    </p>`;
  const top = niceCeiling(Math.max(...values, 1000));
  const x = timeAxis(endOf(points));
  const y = (ms: number) => pad.top + (1 - ms / top) * (height - pad.top - pad.bottom);
  const total = synced.reduce((sum, p) => sum + p.syncs, 0);
  const latest = synced.at(-1);
  const worst = synced.reduce((best, p) => ((p.p95 ?? 0) > (best.p95 ?? 0) ? p : best));
  const label =
    `End-to-end latency per minute, last 24 hours: ${total} sync${total === 1 ? '' : 's'}; ` +
    `in the latest minute with syncs (${clock(latest?.at, timeZone)}) p50 ${seconds(latest?.p50)} and p95 ${seconds(latest?.p95)}; ` +
    `the highest p95, ${seconds(worst.p95)}, at ${clock(worst.at, timeZone)}.`;
  return html`<figure>
    <svg viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${label}">
      ${raw(
        gridLines([0, top / 2, top], y, seconds) +
          hourLabels(endOf(points), timeZone, height - 8) +
          brokenLine(points, (p) => p.p95, x, y, '#cf222e') +
          brokenLine(points, (p) => p.p50, x, y, '#0969da'),
      )}
    </svg>
    <figcaption class="slds-text-body_small slds-text-color_weak">
      <span class="p50">━ p50</span> <span class="p95">━ p95</span> — from the save in Salesforce to the item
      in the calendar, per minute (${timeZone}).
    </figcaption>
  </figure>`;
}

/** Syncs per minute over the same 24 hours, as a filled area (with a text alternative). */
export function syncsChart(points: readonly SyncPoint[], timeZone: string) {
  const total = points.reduce((sum, p) => sum + p.syncs, 0);
  if (total === 0) return '';
  const top = Math.max(...points.map((p) => p.syncs));
  const busiest = points.find((p) => p.syncs === top);
  const chartHeight = height / 2;
  const x = timeAxis(endOf(points));
  const y = (n: number) => pad.top + (1 - n / top) * (chartHeight - pad.top - pad.bottom);
  const base = y(0).toFixed(1);
  const area =
    `M${x(points[0]?.at ?? 0).toFixed(1)},${base}` +
    points.map((p) => `L${x(p.at + minute / 2).toFixed(1)},${y(p.syncs).toFixed(1)}`).join('') +
    `L${x(endOf(points)).toFixed(1)},${base}Z`;
  const label = `Syncs per minute, last 24 hours: ${total} in all; the busiest minute (${clock(busiest?.at, timeZone)}) had ${top}.`;
  return html`<figure>
    <svg viewBox="0 0 ${width} ${chartHeight}" width="100%" role="img" aria-label="${label}">
      ${raw(
        gridLines([0, top], y, String) +
          hourLabels(endOf(points), timeZone, chartHeight - 8) +
          `<path d="${area}" fill="#0176d3" fill-opacity=".35" stroke="#0176d3" stroke-width="1"/>`,
      )}
    </svg>
    <figcaption class="slds-text-body_small slds-text-color_weak">Syncs per minute (${timeZone}).</figcaption>
  </figure>`;
}

/** The queue's depth over the last 24 hours (a sample a minute), as a line, with a text alternative. */
export function queueChart(points: readonly QueuePoint[], now: number, timeZone: string) {
  if (points.length === 0) return '';
  const top = Math.max(1, ...points.map((p) => p.queued + p.dead));
  const chartHeight = height / 2;
  const x = timeAxis(now);
  const y = (n: number) => pad.top + (1 - n / top) * (chartHeight - pad.top - pad.bottom);
  const line = (pick: (p: QueuePoint) => number) =>
    points.map((p) => `${x(p.at).toFixed(1)},${y(pick(p)).toFixed(1)}`).join(' ');
  const latest = points.at(-1);
  const deepest = points.reduce((best, p) => (p.queued > best.queued ? p : best));
  const label = `Queue depth, last 24 hours: now ${latest?.queued ?? 0} queued and ${latest?.dead ?? 0} dead; the most queued, ${deepest.queued}, at ${clock(deepest.at, timeZone)}.`;
  return html`<figure>
    <svg viewBox="0 0 ${width} ${chartHeight}" width="100%" role="img" aria-label="${label}">
      ${raw(gridLines([0, top], y, String) + hourLabels(now, timeZone, chartHeight - 8))}
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

/**
 * Under the 24 hours before `end`, the times that are 00:00, 06:00, 12:00 and 18:00 in `timeZone`
 * (every six hours from the start where the zone never shows a whole hour), at height `y`.
 */
function hourLabels(end: number, timeZone: string, y: number): string {
  const x = timeAxis(end);
  const quarter = 15 * minute;
  const candidates = Array.from(
    { length: 96 },
    (_, i) => (Math.floor((end - day) / quarter) + 1 + i) * quarter,
  );
  let marks = candidates.filter((at) => /^(00|06|12|18):00$/.test(clock(at, timeZone)));
  if (marks.length === 0) marks = [0, 24, 48, 72].map((i) => candidates[i] ?? end);
  return marks
    .map(
      (at) =>
        `<text x="${x(at).toFixed(1)}" y="${y}" text-anchor="middle" font-size="11" fill="currentColor">${clock(at, timeZone)}</text>`,
    )
    .join('');
}

/** A line through the points `pick` gives a value for, broken where it gives none; a lone point is a dot. */
function brokenLine(
  points: readonly SyncPoint[],
  pick: (point: SyncPoint) => number | null,
  x: (at: number) => number,
  y: (value: number) => number,
  colour: string,
): string {
  let d = '';
  let drawing = false;
  for (const point of points) {
    const value = pick(point);
    if (value === null) {
      drawing = false;
      continue;
    }
    const at = `${x(point.at + minute / 2).toFixed(1)},${y(value).toFixed(1)}`;
    // A segment starts with a zero-length stroke so that a minute alone still shows as a dot.
    d += drawing ? `L${at}` : `M${at}l0,0`;
    drawing = true;
  }
  return `<path d="${d}" fill="none" stroke="${colour}" stroke-width="2.5" stroke-linecap="round" stroke-linejoin="round"/>`;
}

/** HH:MM of `at` in `timeZone`. */
function clock(at: number | undefined, timeZone: string): string {
  return at === undefined ? '–' : localDateTime(at, timeZone).slice(11, 16);
}

function seconds(ms: number | null | undefined): string {
  return ms === null || ms === undefined
    ? '–'
    : ms < 10_000
      ? `${(ms / 1000).toFixed(1)} s`
      : `${Math.round(ms / 1000)} s`;
}

/** 1, 2 or 5 times a power of ten, at least `ms`. */
function niceCeiling(ms: number): number {
  const power = 10 ** Math.floor(Math.log10(ms));
  for (const step of [1, 2, 5, 10]) if (step * power >= ms) return step * power;
  return 10 * power;
}
