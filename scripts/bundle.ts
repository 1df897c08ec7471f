// `npm run build` (also run by `npm ci` and `npm install`, as the package's `prepare`): bundles
// the service's sources and the libraries they load into dist/bundle/, which bin/instant-sync.js
// runs instead of the sources while it is current. One minified file per part that loads
// together (the service, and each mailbox provider's code, which still loads with a tenant's
// first provider of that kind) instead of 1,240 modules: at rest about 11 MB less, a burst's
// peak about 10 MB less, and its CPU per change about 7 % less (docs/performance.md).
//
// dist/bundle/build.json records the newest modification time among the files the bundle was
// made from (src/, package.json, package-lock.json); bin/entry-point.js runs the sources instead
// whenever one of them is newer, so an edit is never hidden behind an old bundle.
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as Esbuild from 'esbuild';
import { newestSourceTimeMs } from '../bin/entry-point.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const target = `${root}dist/bundle`;
const staging = `${root}dist/bundle.tmp`;

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(
      'Usage: npm run build\n\n' +
        'Bundles the service (src/cli/main.ts and what it loads) into dist/bundle/, which bin/instant-sync.js runs\n' +
        'while no source file is newer than it. INSTANT_SYNC_FROM_SOURCE=1 runs the sources regardless.',
    );
    return;
  }
  let esbuild: typeof Esbuild;
  try {
    esbuild = await import('esbuild');
  } catch (error) {
    // An install without the dev dependencies (npm ci --omit=dev) still installs: the
    // executable then runs the sources, as it does without a bundle.
    if (process.env.npm_lifecycle_event !== 'prepare') throw error;
    console.warn('esbuild is not installed (a dev dependency): no bundle; instant-sync runs the sources');
    return;
  }
  const sourcesAt = newestSourceTimeMs(root);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  await esbuild.build({
    // The service, and the provider registry alone, so the container image can load every
    // provider once as it is built (filling the compile cache) through the same files.
    entryPoints: [`${root}src/cli/main.ts`, `${root}src/providers/registry.ts`],
    outdir: staging,
    // Every file in one folder, two below the package's root, as src/lib/package-files.ts expects.
    entryNames: '[name]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    minify: true,
    // Functions and classes keep the short names minifying gave them. Keeping those written
    // (esbuild's keepNames) gives every function a \`name\` property of its own at load: 4-5 MB more
    // at rest (docs/performance.md). What reads a class's name reads a built-in's (Error,
    // DOMException, TypedArrays), and the log's error type is the error's own name (src/lib/logger.ts).
    keepNames: false,
    // A minified stack reads as the sources' with NODE_OPTIONS=--enable-source-maps (docs/operations.md);
    // without it Node.js never reads the maps. They point at src/ and node_modules/, which ship beside.
    sourcemap: 'linked',
    sourcesContent: false,
    // Non-ASCII characters as escapes, so V8 holds the source in one byte a character, not two.
    charset: 'ascii',
    legalComments: 'linked',
    logLevel: 'warning',
    // The libraries written as CommonJS call require(); in an ES module it comes from here.
    banner: {
      js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);",
    },
  });
  for (const name of readdirSync(staging)) if (name.endsWith('.js')) asciiOnly(`${staging}/${name}`);
  writeFileSync(
    `${staging}/build.json`,
    `${JSON.stringify({ sourcesAt, builtAt: new Date().toISOString() })}\n`,
  );
  // Swapped in whole, so a start during a build sees the old bundle or the new one, never half.
  rmSync(target, { recursive: true, force: true });
  renameSync(staging, target);
  console.log(`bundled the service into ${target}`);
}

/**
 * esbuild writes non-ASCII characters as escapes, except in tagged templates (the admin pages'
 * html`…`), whose raw text it keeps. One such character in a file makes V8 hold all of that
 * file's source in two bytes a character: the service's 1.9 MB file would take 3.8 MB of heap.
 * Every tag the service uses (Hono's html, Kysely's sql) reads the cooked strings, where an
 * escape and its character are the same string, so they are escaped here too.
 */
function asciiOnly(file: string): void {
  const text = readFileSync(file, 'utf8');
  if (!/[\u0080-\uffff]/.test(text)) return;
  writeFileSync(
    file,
    text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
  );
}

await main();
