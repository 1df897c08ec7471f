// Adding a provider touches its folder and its line in registry.ts, nothing else in src/: the
// folders that work from the providers' descriptions never name one in code (no import of a
// provider's folder, no provider kind as a string). Comments and help text may name them.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { providerPlugins } from './registry.ts';

const src = fileURLToPath(new URL('..', import.meta.url));
const folders = ['cli', 'tenants', 'reports', 'engine', 'http', 'demo'];
const kinds = ['graph', 'ews', 'google'];

function sources(folder: string): string[] {
  return readdirSync(join(src, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
    .map((file) => join(folder, file));
}

/** The code of a file without its comments (block and line comments outside strings, roughly). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

describe('provider boundaries', () => {
  it('knows every provider kind the rule looks for', () => {
    for (const plugin of providerPlugins) expect(kinds).toContain(plugin.kind);
  });

  it.each(folders)('src/%s names no provider in code', (folder) => {
    const found: string[] = [];
    for (const file of sources(folder)) {
      const lines = code(readFileSync(join(src, file), 'utf8')).split('\n');
      lines.forEach((line, i) => {
        if (new RegExp(`providers/(${kinds.join('|')})/`).test(line))
          found.push(`${file}:${i + 1} imports a provider's folder`);
        if (new RegExp(`['"\`](${kinds.join('|')})['"\`]`).test(line))
          found.push(`${file}:${i + 1} names a provider kind: ${line.trim()}`);
      });
    }
    expect(found).toEqual([]);
  });
});
