// The words of docs/architecture.md ("Terminology") each name what they stand for in the code:
// this keeps every named type, column or function where the table says it is, so renaming one
// without the table (or the other way round) fails here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const doc = readFileSync(new URL('docs/architecture.md', root), 'utf8');
const section = doc.slice(doc.indexOf('## Terminology'), doc.indexOf('## Data flow'));
const rows = section
  .split('\n')
  .filter((line) => line.startsWith('| **'))
  .map((line) => {
    const [word = '', where = ''] = line
      .split('|')
      .slice(1)
      .map((cell) => cell.trim());
    const names = [...where.matchAll(/`([A-Za-z_]+)` \(([\w/.-]+)\)/g)].map((m) => ({
      name: m[1]!,
      file: m[2]!,
    }));
    return { word: word.replaceAll('*', ''), names };
  });

describe('the terminology names what is in the code', () => {
  it('has its words', () => {
    expect(rows.map((r) => r.word)).toEqual(
      expect.arrayContaining(['Tenant', 'Sync job (job)', 'Link', 'Trace']),
    );
  });

  it.each(rows)('$word names something that exists', ({ names }) => {
    expect(names.length).toBeGreaterThan(0);
    for (const { name, file } of names) {
      const source = readFileSync(new URL(`src/${file}`, root), 'utf8');
      const declared = new RegExp(
        `export\\s+(?:async\\s+)?(?:interface|type|class|function|const)\\s+${name}\\b|^\\s+${name}\\??:`,
        'm',
      );
      expect(declared.test(source), `${name} in src/${file}`).toBe(true);
    }
  });
});
