// Draws the end-to-end latency distribution of the newest bench results as one SVG: for each
// scenario, the share of changes in the mailbox within a given time (log scale from 100 ms to
// 10 minutes), with the 3-second target and the admin guide's "usually within 5 minutes" marked.
//   node bench/latency-chart.ts [--out docs/img/latency-distribution.svg] [scenario ...]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { latestResult, type BenchResult } from './results.ts';

const width = 760;
const plotHeight = 420;
const margin = { left: 64, right: 24, top: 40, bottom: 56 };
const minMs = 100;
const maxMs = 600_000;
const colours = ['#1f6feb', '#d1242f', '#1a7f37', '#9a6700', '#8250df', '#bf3989'];
const xTicks: [number, string][] = [
  [100, '100 ms'],
  [300, '300 ms'],
  [1000, '1 s'],
  [3000, '3 s'],
  [10_000, '10 s'],
  [30_000, '30 s'],
  [60_000, '1 min'],
  [180_000, '3 min'],
  [600_000, '10 min'],
];

function x(ms: number): number {
  const clamped = Math.min(maxMs, Math.max(minMs, ms));
  const share = (Math.log10(clamped) - Math.log10(minMs)) / (Math.log10(maxMs) - Math.log10(minMs));
  return margin.left + share * (width - margin.left - margin.right);
}

function y(percent: number): number {
  return margin.top + (1 - percent / 100) * (plotHeight - margin.top - margin.bottom);
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function seconds(ms: number): string {
  return ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(2)} s`;
}

export function latencyChart(results: readonly BenchResult[]): string {
  // The legend sits under the plot, a line per scenario, so it never covers a curve.
  const height = plotHeight + 12 + results.length * 20;
  const lines = results.map((result, i) => {
    const points = result.latencyDistributionMs
      .map((ms, p) => `${x(ms).toFixed(1)},${y(p).toFixed(1)}`)
      .join(' ');
    return `<polyline fill="none" stroke="${colours[i % colours.length]}" stroke-width="2.5" points="${points}"/>`;
  });
  const legend = results.map((result, i) => {
    const top = plotHeight + 8 + i * 20;
    const label = `${result.scenario}: p50 ${seconds(result.latencyMs.p50)}, p99 ${seconds(result.latencyMs.p99)}`;
    return `<rect x="${margin.left + 12}" y="${top - 9}" width="14" height="4" fill="${colours[i % colours.length]}"/><text x="${margin.left + 32}" y="${top}">${escape(label)}</text>`;
  });
  const grid = [
    ...xTicks.map(
      ([ms, label]) =>
        `<line x1="${x(ms)}" x2="${x(ms)}" y1="${y(0)}" y2="${y(100)}" stroke="#d0d7de"/><text x="${x(ms)}" y="${y(0) + 18}" text-anchor="middle">${label}</text>`,
    ),
    ...[0, 25, 50, 75, 100].map(
      (p) =>
        `<line x1="${margin.left}" x2="${width - margin.right}" y1="${y(p)}" y2="${y(p)}" stroke="#d0d7de"/><text x="${margin.left - 8}" y="${y(p) + 4}" text-anchor="end">${p} %</text>`,
    ),
  ];
  const marks = [
    [3000, 'target: p99 ≤ 3 s'],
    [300_000, 'admin guide: “usually within 5 minutes”'],
  ].map(
    ([ms, label]) =>
      `<line x1="${x(Number(ms))}" x2="${x(Number(ms))}" y1="${y(0)}" y2="${y(100)}" stroke="#57606a" stroke-dasharray="4 4"/><text x="${x(Number(ms)) - 4}" y="${y(100) - 6}" text-anchor="end" fill="#57606a">${escape(String(label))}</text>`,
  );
  const description = results
    .map(
      (r) =>
        `${r.scenario} (${r.description}): p50 ${seconds(r.latencyMs.p50)}, p95 ${seconds(r.latencyMs.p95)}, p99 ${seconds(r.latencyMs.p99)}, max ${seconds(r.latencyMs.max)}`,
    )
    .join('; ');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="title desc" font-family="system-ui, sans-serif" font-size="12">
<title id="title">End-to-end latency: share of changes in the mailbox within a given time</title>
<desc id="desc">${escape(description)}</desc>
<rect width="${width}" height="${height}" fill="#ffffff"/>
<text x="${margin.left}" y="22" font-size="14" font-weight="600">Changes in the mailbox within… (Salesforce commit → item stored; log scale)</text>
${grid.join('\n')}
${marks.join('\n')}
${lines.join('\n')}
${legend.join('\n')}
<text x="${(margin.left + width - margin.right) / 2}" y="${plotHeight - 20}" text-anchor="middle">time from the Salesforce commit</text>
</svg>
`;
}

if (import.meta.main) {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help === true) {
    console.log(
      'Usage: npm run bench:chart -- [--out <file>] [scenario ...]\n\n' +
        'Draws the end-to-end latency distribution of the newest result of each scenario in bench/results\n' +
        '(default: steady, baseline, first, burst and one-mailbox) as one SVG, written to --out\n' +
        '(default docs/img/latency-distribution.svg). A scenario without such a result is left out.',
    );
    process.exit(0);
  }
  const names =
    positionals.length > 0 ? positionals : ['steady', 'baseline', 'first', 'burst', 'one-mailbox'];
  const results = names.flatMap((name) => {
    const found = latestResult(name);
    if (found === undefined) console.error(`no result of ${name} in bench/results: left out`);
    return found === undefined || found.result.latencyDistributionMs === undefined ? [] : [found.result];
  });
  const out = values.out ?? 'docs/img/latency-distribution.svg';
  writeFileSync(out, latencyChart(results));
  console.log(`wrote ${out} (${results.map((r) => r.scenario).join(', ')})`);
}
