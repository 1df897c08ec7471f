// Writes docs/configuration.md from the option table in src/config/options.ts.
import { writeFileSync } from 'node:fs';
import { renderConfigDocs } from '../src/config/render-config-docs.ts';

const target = new URL('../docs/configuration.md', import.meta.url);
writeFileSync(target, renderConfigDocs());
console.log(`wrote ${target.pathname}`);
