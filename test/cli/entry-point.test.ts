// Which code `instant-sync` runs: the bundle while it is current, the sources otherwise.
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newestSourceTimeMs, serviceEntry } from '../../bin/entry-point.js';
import { packageFile, packageRoot } from '../../src/lib/package-files.ts';

let root: string;
const at = (iso: string) => new Date(iso);

function file(path: string, modified: string): void {
  const full = join(root, path);
  mkdirSync(join(full, '..'), { recursive: true });
  writeFileSync(full, '');
  utimesSync(full, at(modified), at(modified));
}

function bundleBuiltFrom(sourcesAt: string): void {
  file('dist/bundle/main.js', '2026-12-06T10:00:00Z');
  writeFileSync(
    join(root, 'dist/bundle/build.json'),
    JSON.stringify({ sourcesAt: at(sourcesAt).getTime(), builtAt: '2026-12-06T10:00:00.000Z' }),
  );
}

beforeEach(() => {
  root = `${mkdtempSync(join(tmpdir(), 'instant-sync-entry-'))}/`;
  file('package.json', '2026-12-01T00:00:00Z');
  file('package-lock.json', '2026-12-01T00:00:00Z');
  file('src/cli/main.ts', '2026-12-02T00:00:00Z');
  file('src/engine/sync-worker.ts', '2026-12-03T00:00:00Z');
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('serviceEntry', () => {
  it('runs the bundle when no file it was made from changed since', () => {
    bundleBuiltFrom('2026-12-03T00:00:00Z');
    const entry = serviceEntry(root, {});
    expect(entry.from).toBe('bundle');
    expect(entry.url.pathname).toBe(join(root, 'dist/bundle/main.js'));
  });

  it('runs the sources once a source file is newer than the bundle, in any folder of src/', () => {
    bundleBuiltFrom('2026-12-03T00:00:00Z');
    file('src/store/migrations/0009-new.ts', '2026-12-04T00:00:00Z');
    const entry = serviceEntry(root, {});
    expect(entry.from).toBe('sources');
    expect(entry.url.pathname).toBe(join(root, 'src/cli/main.ts'));
    expect(entry.reason).toMatch(/changed after the bundle was built/);
  });

  it('runs the sources when the dependencies changed (a newer lock file)', () => {
    bundleBuiltFrom('2026-12-03T00:00:00Z');
    file('package-lock.json', '2026-12-05T00:00:00Z');
    expect(serviceEntry(root, {}).from).toBe('sources');
  });

  it('runs the sources when there is no bundle, or its record is not one the build wrote', () => {
    const none = serviceEntry(root, {});
    expect(none.from).toBe('sources');
    expect(none.reason).toMatch(/no bundle/);
    file('dist/bundle/main.js', '2026-12-06T10:00:00Z');
    writeFileSync(join(root, 'dist/bundle/build.json'), '{"sourcesAt":"yesterday"}');
    const foreign = serviceEntry(root, {});
    expect(foreign.from).toBe('sources');
    expect(foreign.reason).toMatch(/not one/);
  });

  it('runs the sources when INSTANT_SYNC_FROM_SOURCE=1, current bundle or not', () => {
    bundleBuiltFrom('2026-12-03T00:00:00Z');
    expect(serviceEntry(root, { INSTANT_SYNC_FROM_SOURCE: '1' }).from).toBe('sources');
  });
});

describe('newestSourceTimeMs', () => {
  it('is the newest time among src/, package.json and package-lock.json, and ignores the rest', () => {
    file('docs/notes.md', '2026-12-09T00:00:00Z');
    expect(newestSourceTimeMs(root)).toBe(at('2026-12-03T00:00:00Z').getTime());
  });
});

describe('packageFile', () => {
  it("names the package's own files from its root, two folders above src/lib/ (and dist/bundle/)", () => {
    expect(existsSync(packageFile('src/intake/cdc/pubsub_api.proto'))).toBe(true);
    expect(existsSync(packageFile('sandbox/graph/main.ts'))).toBe(true);
    expect(fileURLToPath(packageRoot)).toBe(fileURLToPath(new URL('../../', import.meta.url)));
  });
});
