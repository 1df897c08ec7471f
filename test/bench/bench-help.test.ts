// Every bench script of package.json answers --help with its usage on stdout and exit code 0, without
// running its bench (a bench takes minutes): `npm run bench:<name> -- --help` says what it accepts.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const { scripts } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
  scripts: Record<string, string>;
};
const benches = Object.entries(scripts)
  .filter(([name]) => name === 'bench' || name.startsWith('bench:'))
  .map(([name, command]) => ({ name, command, file: /^node (bench\/[\w-]+\.ts)$/.exec(command)?.[1] }));

/** The script run as `npm run` would, with --help: its exit code and what it printed. */
async function help(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [file, '--help'], {
      cwd: root,
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('the bench scripts', () => {
  it('are each `node bench/<file>.ts` in package.json', () => {
    expect(benches.map((b) => b.name)).toEqual(
      expect.arrayContaining(['bench', 'bench:chart', 'bench:rest']),
    );
    expect(benches.filter((b) => b.file === undefined)).toEqual([]);
  });

  it.each(benches)(
    '$name ($command) prints its usage for --help',
    async ({ file }) => {
      const { code, stdout, stderr } = await help(file ?? '');
      // stderr shown only when it failed: what it said instead.
      expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
      expect(stdout).toMatch(/^Usage:/);
    },
    90_000,
  );
});
