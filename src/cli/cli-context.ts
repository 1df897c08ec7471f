// What a CLI command may touch: its output streams, the environment it reads its
// configuration from, and a signal that stops long-running commands. The real process passes
// its own; tests pass captured ones and run the CLI in-process.
import type { DestinationStream } from 'pino';

export interface CliContext {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Where JSON log lines go (standard error for the real process). */
  logDestination?: DestinationStream;
  /** Environment to read INSTANT_SYNC_* settings from; defaults to the process environment. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Aborting it stops `serve` as SIGINT/SIGTERM would. */
  stopSignal?: AbortSignal;
  /** Standard output is a terminal: progress may redraw one line. */
  isTerminal?: boolean;
}

export function printJson(ctx: CliContext, value: unknown): void {
  ctx.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints rows as aligned columns under a header. */
export function printTable(
  ctx: CliContext,
  header: readonly string[],
  rows: readonly (readonly string[])[],
): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  ctx.stdout(`${[line(header), ...rows.map(line)].join('\n')}\n`);
}
