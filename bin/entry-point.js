// Which code `instant-sync` runs: the bundle `npm run build` wrote (dist/bundle/, made by
// scripts/bundle.ts), or the TypeScript sources. The bundle while it is current: no file it was
// made from (src/, package.json, package-lock.json) has changed since; otherwise, or when
// INSTANT_SYNC_FROM_SOURCE=1, the sources, so an edit always runs as written.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The newest modification time, in ms, among src/ and the package's manifest and lock file. */
export function newestSourceTimeMs(root) {
  let newest = 0;
  const consider = (path) => {
    try {
      newest = Math.max(newest, statSync(path).mtimeMs);
    } catch {
      // Absent (no lock file, say): nothing to compare.
    }
  };
  consider(join(root, 'package.json'));
  consider(join(root, 'package-lock.json'));
  let entries = [];
  try {
    entries = readdirSync(join(root, 'src'), { recursive: true, withFileTypes: true });
  } catch {
    // No sources beside the bundle: nothing newer than it.
  }
  for (const entry of entries) if (entry.isFile()) consider(join(entry.parentPath, entry.name));
  return newest;
}

/**
 * The module to import for the service, and why: `{ url, from: 'bundle' | 'sources', reason }`.
 * `root` is the package's folder (with a trailing slash).
 */
export function serviceEntry(root, env = process.env) {
  const sources = { url: new globalThis.URL('src/cli/main.ts', pathToFileURL(root)), from: 'sources' };
  if (env.INSTANT_SYNC_FROM_SOURCE === '1') return { ...sources, reason: 'INSTANT_SYNC_FROM_SOURCE=1' };
  let built;
  try {
    built = JSON.parse(readFileSync(join(root, 'dist/bundle/build.json'), 'utf8'));
  } catch {
    return { ...sources, reason: 'no bundle (npm run build makes one)' };
  }
  if (typeof built?.sourcesAt !== 'number')
    return { ...sources, reason: 'dist/bundle/build.json is not one npm run build wrote' };
  if (newestSourceTimeMs(root) > built.sourcesAt)
    return { ...sources, reason: 'a source file changed after the bundle was built (npm run build)' };
  return {
    url: new globalThis.URL('dist/bundle/main.js', pathToFileURL(root)),
    from: 'bundle',
    reason: `built ${built.builtAt}`,
  };
}
