// Vitest global setup: every temporary folder of a test run (the tests', the service processes'
// they start, the sandboxes') is made under one folder of its own, removed when the run ends, so
// a run leaves nothing behind in the machine's temp folder however its tests end.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const previous = process.env['TMPDIR'];
  const root = mkdtempSync(join(tmpdir(), 'instant-sync-tests-'));
  // Workers and child processes started from here on inherit it; os.tmpdir() reads it each call.
  process.env['TMPDIR'] = root;
  return () => {
    if (previous === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = previous;
    rmSync(root, { recursive: true, force: true });
  };
}
