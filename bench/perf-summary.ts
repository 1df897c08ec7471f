// Where the service's CPU goes with every thread counted: Linux perf samples the whole process
// (V8's garbage-collector and compiler threads, libuv's, the kernel on its behalf), where the
// V8 profile of --profile samples the main thread only, and counts time spent waiting in a
// system call (SQLite's writes and syncs) as if it were CPU.
//   npm run bench -- burst --perf /tmp/burst.perf     (records the service while the changes sync)
//   npm run bench:perf -- /tmp/burst.perf [--top N]   (CPU by area, then the busiest symbols)
// Needs `perf` (Debian: linux-perf) and the right to attach to the service (root, or
// kernel.perf_event_paranoid at most 1).
import { spawn, spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

export interface PerfRecording {
  /** Ends the recording and waits until perf has written its file. */
  stop(): Promise<void>;
}

/** Samples `pids` (every thread, with call stacks) into `file` until stopped. */
export async function recordPerf(file: string, pids: readonly number[]): Promise<PerfRecording> {
  const child = spawn('perf', ['record', '-F', '499', '-g', '-p', pids.join(','), '-o', file], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', (error) =>
      reject(new Error(`could not start perf (Debian: apt-get install linux-perf): ${error.message}`)),
    );
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  // perf says nothing when it is attached; one that cannot attach exits at once.
  const early = await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 500, 'running'))]);
  if (early !== 'running') throw new Error(`perf record stopped at once: ${stderr.trim()}`);
  return {
    async stop() {
      child.kill('SIGINT');
      // perf writes its file and exits on SIGINT (by the signal, or with 0).
      const { code, signal } = await exited;
      if (code !== 0 && signal !== 'SIGINT')
        throw new Error(`perf record failed (${code ?? signal}): ${stderr.trim()}`);
    },
  };
}

/** The part of the process a sample's symbol belongs to. */
export function areaOfSymbol(dso: string, symbol: string, kernel: boolean): string {
  if (kernel) return 'kernel (system calls, page faults)';
  if (dso.startsWith('[JIT]')) return 'JavaScript (compiled code)';
  if (/Scaveng|IterateAndScavengePromoted/.test(symbol)) return 'GC: young generation';
  if (/Marking|MarkCompact|ConcurrentMark/.test(symbol)) return 'GC: marking';
  if (
    /Sweep|Evacuat|RememberedSet|SlotSet|UpdatePointers|SizeFromMap|FreeList|IteratePointers|ArrayBufferSweeper|GCTracer|v8::internal::Heap::/.test(
      symbol,
    )
  )
    return 'GC: sweeping, compaction';
  if (
    /^sqlite3|^(balance_|btree|pager|wal|vdbe|moveto|insertCell|dropCell|fillInCell|allocateSpace|defragmentPage|pageInsertList|computeCellSize|cellSize|btreeParseCell|accessPayload|copyPayload|pcache|getPageNormal|saveCursor|releasePage|unixRead|unixWrite|yy_|sqlite)/i.test(
      symbol,
    )
  )
    return 'SQLite';
  if (
    /^(_int_malloc|malloc|cfree|free|_int_free|unlink_chunk|realloc|calloc|_int_realloc|malloc_consolidate|tcache|__malloc|operator new|operator delete)/.test(
      symbol,
    )
  )
    return 'malloc';
  if (/^__(mem|str)/.test(symbol)) return 'libc: memory and string copies';
  if (/Json/.test(symbol)) return 'V8: JSON';
  if (/maglev|compiler|Compile|turboshaft|Turbofan/.test(symbol)) return 'V8: compilers';
  if (symbol.startsWith('Builtins_')) return 'V8: builtins (property access, calls, strings, maps)';
  if (symbol.startsWith('v8::')) return 'V8: runtime';
  if (/^(ssl|SSL|EVP|aes|_aes|sha|BN_|bn_|ossl|CRYPTO|OPENSSL|X509|ASN1|gcm|ChaCha|ecp_)/.test(symbol))
    return 'OpenSSL (TLS)';
  if (symbol.startsWith('node::')) return 'Node.js (C++)';
  if (/^uv_|^uv__/.test(symbol)) return 'libuv';
  return 'other';
}

export interface PerfSummary {
  cpuMs: number;
  areas: { area: string; share: number; ms: number }[];
  symbols: { symbol: string; dso: string; area: string; share: number }[];
}

/** Reads `perf report`'s flat listing of a recording. */
export function summarisePerf(report: string, top: number): PerfSummary {
  const eventCount = /Event count \(approx\.\): (\d+)/.exec(report)?.[1];
  // The recording samples the cpu-clock event, whose count is nanoseconds of CPU.
  const cpuMs = eventCount === undefined ? Number.NaN : Number(eventCount) / 1e6;
  const byArea = new Map<string, number>();
  const symbols: PerfSummary['symbols'] = [];
  for (const line of report.split('\n')) {
    const match = /^\s*([\d.]+)%\s+(\S.*?)\s+\[([k.])\]\s+(.*)$/.exec(line);
    if (match === null) continue;
    const [, share = '0', dso = '', kind, symbol = ''] = match;
    const area = areaOfSymbol(dso, symbol, kind === 'k');
    byArea.set(area, (byArea.get(area) ?? 0) + Number(share));
    if (symbols.length < top) symbols.push({ symbol, dso, area, share: Number(share) });
  }
  const total = [...byArea.values()].reduce((a, b) => a + b, 0);
  const areas = [...byArea]
    .map(([area, share]) => ({ area, share: (share / total) * 100, ms: (cpuMs * share) / total }))
    .sort((a, b) => b.share - a.share);
  return { cpuMs, areas, symbols };
}

if (import.meta.main) {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const file = positionals[0];
  if (values.help === true || file === undefined) {
    (values.help === true ? console.log : console.error)(
      'Usage: npm run bench:perf -- <perf.data from `npm run bench -- <scenario> --perf <file>`> [--top N]\n\n' +
        "Where the service's CPU went, every thread counted: CPU by area, then the N busiest symbols\n" +
        '(default 25). Runs `perf report` on the file (Debian: linux-perf).',
    );
    process.exit(values.help === true ? 0 : 2);
  }
  const report = spawnSync(
    'perf',
    ['report', '-i', file, '--no-children', '--sort', 'dso,sym', '-g', 'none', '--stdio'],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  if (report.status !== 0) {
    console.error(`perf report failed: ${report.error?.message ?? report.stderr}`);
    process.exit(1);
  }
  const summary = summarisePerf(report.stdout, Number(values.top ?? 25));
  console.log(`${file}: ${Math.round(summary.cpuMs)} ms of CPU sampled, every thread\n\nBy area:`);
  for (const { area, share, ms } of summary.areas)
    console.log(
      `  ${area.padEnd(54)} ${String(Math.round(ms)).padStart(6)} ms  ${share.toFixed(1).padStart(5)}%`,
    );
  console.log('\nBusiest symbols:');
  for (const { symbol, area, share } of summary.symbols)
    console.log(`  ${share.toFixed(2).padStart(6)}%  ${symbol.slice(0, 90)}  (${area})`);
}
