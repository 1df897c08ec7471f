// Temporary folders of a test file: made under the machine's temp folder and removed after the
// file's (or the describe block's) tests, whether they passed or failed. Call at collection time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

export function tempFolders(): { make: (prefix: string) => string } {
  const made: string[] = [];
  afterAll(() => {
    for (const folder of made.splice(0)) rmSync(folder, { recursive: true, force: true });
  });
  return {
    make: (prefix) => {
      const folder = mkdtempSync(join(tmpdir(), prefix));
      made.push(folder);
      return folder;
    },
  };
}
