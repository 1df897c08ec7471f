import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { options } from './options.ts';
import { renderConfigDocs } from './render-config-docs.ts';

it('docs/configuration.md matches the option table (regenerate with npm run docs:config)', () => {
  const onDisk = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  expect(onDisk).toBe(renderConfigDocs());
  for (const spec of Object.values(options)) expect(onDisk).toContain(`\`${spec.env}\``);
});
