// Where the service's CPU time goes, from the profile `npm run bench -- <scenario> --profile <dir>`
// wrote (node --cpu-prof): self time by area (the project's folders, each npm package, Node's
// internals, the garbage collector, idle) and the busiest functions.
//   node bench/profile-summary.ts <dir or .cpuprofile file> [--top N]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  totalMs: number;
  areas: { area: string; ms: number; share: number }[];
  functions: { name: string; where: string; area: string; ms: number; share: number }[];
}

/** What part of the system a frame belongs to, from its script URL. */
export function areaOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg !== undefined) return pkg;
  const own = /\/(src|sandbox|bench|bin)\/(?:([^/]+)\/)?/.exec(url);
  if (own !== null) return own[1] === 'src' && own[2] !== undefined ? `src/${own[2]}` : (own[1] ?? url);
  return url;
}

export function summarise(profile: CpuProfile, top: number): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const areas = new Map<string, number>();
  const functions = new Map<string, { name: string; where: string; area: string; us: number }>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) continue;
    const area = areaOf(frame.url, frame.functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const where =
      frame.url === ''
        ? ''
        : `${frame.url.replace(/^.*\/(node_modules|src|sandbox)\//, '$1/')}:${frame.lineNumber + 1}`;
    const key = `${frame.functionName}@${where}`;
    const entry = functions.get(key) ?? { name: frame.functionName || '(anonymous)', where, area, us: 0 };
    entry.us += us;
    functions.set(key, entry);
  }
  const share = (us: number) => Math.round((us / totalUs) * 1000) / 10;
  return {
    totalMs: Math.round(totalUs / 1000),
    areas: [...areas]
      .sort((a, b) => b[1] - a[1])
      .map(([area, us]) => ({ area, ms: Math.round(us / 1000), share: share(us) })),
    functions: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({
        name: f.name,
        where: f.where,
        area: f.area,
        ms: Math.round(f.us / 1000),
        share: share(f.us),
      })),
  };
}

if (import.meta.main) {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const target = positionals[0];
  if (values.help === true || target === undefined) {
    (values.help === true ? console.log : console.error)(
      'Usage: npm run bench:profile -- <dir or .cpuprofile file> [--top N]\n\n' +
        'Where a CPU profile of the service (`npm run bench -- <scenario> --profile <dir>`) spends its time:\n' +
        'self time by area, then the N busiest functions (default 15). Given a folder, reads its largest\n' +
        '.cpuprofile file.',
    );
    process.exit(values.help === true ? 0 : 2);
  }
  const file = statSync(target).isDirectory()
    ? join(
        target,
        readdirSync(target)
          .filter((f) => f.endsWith('.cpuprofile'))
          .map((f) => ({ f, size: statSync(join(target, f)).size }))
          .sort((a, b) => b.size - a.size)[0]?.f ?? '',
      )
    : target;
  const summary = summarise(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(values.top ?? 15));
  console.log(`${file}: ${summary.totalMs} ms sampled\n\nSelf time by area:`);
  for (const a of summary.areas.slice(0, 15))
    console.log(`  ${a.area.padEnd(32)} ${String(a.ms).padStart(7)} ms  ${a.share}%`);
  console.log('\nBusiest functions (self time):');
  for (const f of summary.functions)
    console.log(`  ${String(f.ms).padStart(7)} ms  ${String(f.share).padStart(4)}%  ${f.name}  ${f.where}`);
}
