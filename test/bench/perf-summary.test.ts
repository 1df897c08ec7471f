// bench:perf reads `perf report`'s flat listing: the CPU sampled, by part of the process.
import { describe, expect, it } from 'vitest';
import { summarisePerf } from '../../bench/perf-summary.ts';

const report = `# Samples: 3K of event 'cpu-clock:ppp'
# Event count (approx.): 2000000000
#
# Overhead  Shared Object      Symbol
# ........  .................  ......
#
    40.00%  node               [.] v8::internal::ConcurrentMarking::RunMajor
    20.00%  node               [.] sqlite3VdbeExec
    15.00%  [kernel.kallsyms]  [k] _raw_spin_unlock_irqrestore
    10.00%  [JIT] tid 23035    [.] 0x00007f3a1c2d4e10
     5.00%  libc.so.6          [.] _int_malloc
     5.00%  node               [.] Builtins_LoadIC
     5.00%  node               [.] v8::internal::Scavenger::ScavengeObject<v8::internal::FullHeapObjectSlot>
`;

describe('summarisePerf', () => {
  it('gives the CPU sampled and each area its share and milliseconds, largest first', () => {
    const summary = summarisePerf(report, 3);
    expect(summary.cpuMs).toBe(2000);
    expect(summary.areas.map(({ area, ms }) => [area, Math.round(ms)])).toEqual([
      ['GC: marking', 800],
      ['SQLite', 400],
      ['kernel (system calls, page faults)', 300],
      ['JavaScript (compiled code)', 200],
      ['malloc', 100],
      ['V8: builtins (property access, calls, strings, maps)', 100],
      ['GC: young generation', 100],
    ]);
    expect(summary.symbols.map((s) => s.symbol)).toEqual([
      'v8::internal::ConcurrentMarking::RunMajor',
      'sqlite3VdbeExec',
      '_raw_spin_unlock_irqrestore',
    ]);
  });
});
