// Types of bin/entry-point.js (plain JavaScript, as the executable is), for scripts/bundle.ts.
export function newestSourceTimeMs(root: string): number;
export function serviceEntry(
  root: string,
  env?: NodeJS.ProcessEnv,
): { url: URL; from: 'bundle' | 'sources'; reason: string };
