// What the system's processes cost while a scenario runs, read from /proc: CPU seconds per
// process (grouped by what it is), how busy the whole machine was, a process's peak memory, and the machine.
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import type { RunningSystem } from '../test/support/system-processes.ts';

export interface CpuUse {
  /** CPU seconds by part of the system (service, workers, each sandbox, the harness). */
  seconds: Record<string, number>;
  machineBusyPercent: number;
}

/** CPU seconds a process has used (user + system), from /proc. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** The machine's busy and total CPU time so far, from /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const [, ...ticks] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/);
  const values = ticks.map(Number);
  const total = values.reduce((a, b) => a + b, 0);
  return { busy: total - (values[3] ?? 0) - (values[4] ?? 0), total };
}

/** CPU use of the system's processes (and the harness) since `cpuSnapshot` was taken. */
export function cpuSnapshot(system: RunningSystem): () => CpuUse {
  const before = new Map(system.processes().map(({ pid }) => [pid, cpuSeconds(pid)]));
  const harness = process.cpuUsage();
  const machine = machineTicks();
  return () => {
    const seconds: Record<string, number> = {};
    for (const { role, pid } of system.processes())
      seconds[role] = (seconds[role] ?? 0) + cpuSeconds(pid) - (before.get(pid) ?? 0);
    const used = process.cpuUsage(harness);
    seconds['harness'] = (used.user + used.system) / 1e6;
    // To the hundredth: /proc counts in ticks of 10 ms, and a tenth would move a 3-second part by 3 %.
    for (const role of Object.keys(seconds)) seconds[role] = Math.round((seconds[role] ?? 0) * 100) / 100;
    const now = machineTicks();
    const total = now.total - machine.total;
    return {
      seconds,
      machineBusyPercent: total > 0 ? Math.round(((now.busy - machine.busy) / total) * 100) : Number.NaN,
    };
  };
}

/**
 * Bytes these processes have caused to be written to storage so far (write_bytes of
 * /proc/<pid>/io: counted as the pages are dirtied, so SQLite's write-ahead log and the
 * checkpoints that copy it into the database file both count); undefined where /proc does not say.
 */
export function storageBytesWritten(pids: readonly number[]): number | undefined {
  let sum = 0;
  for (const pid of pids) {
    try {
      const bytes = /write_bytes: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1];
      if (bytes === undefined) return undefined;
      sum += Number(bytes);
    } catch {
      return undefined;
    }
  }
  return sum;
}

/** The process's peak resident memory (VmHWM), in MB. */
export function peakRssMb(pid: number | undefined): number | null {
  return statusMb(pid, 'VmHWM');
}

/** The process's resident memory now (VmRSS), in MB. */
export function rssMb(pid: number | undefined): number | null {
  return statusMb(pid, 'VmRSS');
}

function statusMb(pid: number | undefined, field: 'VmHWM' | 'VmRSS'): number | null {
  if (pid === undefined) return null;
  try {
    const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : Math.round(Number(kb) / 1024);
  } catch {
    return null;
  }
}

/** The machine a result was measured on: cores, CPU model, Node.js version. */
export function machine(): { cores: number; cpu: string; node: string } {
  return { cores: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', node: process.version };
}
