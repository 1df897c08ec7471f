// Durations as people write them in settings: 500ms, 30s, 10m, 2h, 7d.
import { z } from 'zod';

const units = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const pattern = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/** Milliseconds for a duration string, or undefined if it is not one. */
export function parseDuration(text: string): number | undefined {
  const match = pattern.exec(text.trim());
  if (match === null) return text.trim() === '0' ? 0 : undefined;
  const [, amount, unit] = match;
  return Math.round(Number(amount) * units[unit as keyof typeof units]);
}

export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * A zod schema that reads a duration string and yields milliseconds within [min, max]; its
 * description names the range (docs/configuration.md shows it).
 */
export function durationSchema(bounds: { min: number; max: number }) {
  const range = `${formatDuration(bounds.min)} to ${formatDuration(bounds.max)}`;
  return z
    .union([z.string(), z.number()])
    .transform((value, ctx) => {
      const ms = typeof value === 'number' ? undefined : parseDuration(value);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: 'expected a duration like 500ms, 30s, 10m or 2h' });
        return z.NEVER;
      }
      if (ms < bounds.min || ms > bounds.max) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a duration from ${range}`,
        });
        return z.NEVER;
      }
      return ms;
    })
    .describe(`from ${range}`);
}
