#!/usr/bin/env node
// The `instant-sync` executable. The service is TypeScript that Node.js 24 runs directly (type
// stripping), or the bundle `npm run build` makes of it; this shim checks the Node version, sets
// V8's memory mode, glibc's malloc and ICU's list of locales, and loads one or the other
// (bin/entry-point.js).
import { mkdirSync, statSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { serviceEntry } from './entry-point.js';
import { localeListFolder } from './icu-locales.js';

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `instant-sync needs Node.js 24 or newer; this is ${process.version}.\n` +
      'Run it through npm (npm start, npx instant-sync ...), which uses the Node.js 24 the project installs.\n',
  );
  process.exit(2);
}
// glibc's malloc reads its settings from the environment once, as a process starts, so the
// executable starts itself again in place (the same process id, `process.execve`) with three of
// them set: two arenas instead of one per thread, and fixed thresholds for handing freed memory
// back to the system (glibc otherwise raises them as it goes, up to 32 MB, and then keeps what
// V8's compilers and the TLS and HTTP buffers once used). At rest that is 141 → 128 MB, and a
// burst's peak 184–195 → 168–173 MB, for no CPU that three runs of each could tell apart
// (docs/performance.md). A value the environment gives (MALLOC_ARENA_MAX=4, say) is kept, and
// GLIBC_TUNABLES, when set, is left to say everything.
//
// V8 sizes its young generation once, at start, too: the same new start gives it an upper size
// of 12 MB (`--max-semi-space-size=12`), which the service grows into only while it is busy
// (src/lib/heap-mode.ts): what a burst has in flight then dies young instead of being copied and
// promoted. With the collection on one thread (below), a 10,000-Event burst used 0.98-1.06× the
// Graph sandbox's CPU at 12 MB (1.01× on average over seven runs), 1.10× at 8 and 1.12-1.16× at 4,
// for a peak of 185-193 MB against 162-170 (docs/performance.md, "One thread for the young
// generation"). An operator who chose V8's mode
// or that size on Node's command line keeps what they chose.
const mallocSettings = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '1048576',
  MALLOC_TRIM_THRESHOLD_: '1048576',
};
/** Whether the operator gave a Node.js flag matching `pattern` (theirs is then kept, and ours not added). */
const chosen = (pattern) => process.execArgv.some((flag) => pattern.test(flag));
const heapModeChosen = chosen(/^--(no-)?optimize[-_]for[-_]size$/);
const heapFlags =
  heapModeChosen || chosen(/^--max[-_]semi[-_]space[-_]size=/) ? [] : ['--max-semi-space-size=12'];
const missing =
  process.env.GLIBC_TUNABLES === undefined
    ? Object.keys(mallocSettings).filter((name) => process.env[name] === undefined)
    : [];
// ICU's list of locales cut to the service's few (bin/icu-locales.js), given as ICU's data folder
// in the same new start: the first time-zone format of a process otherwise brings about 3.5 MB of
// the executable's pages in for the full list. A data folder the operator gave (NODE_ICU_DATA, or
// --icu-data-dir, to update the time zones, say) is theirs alone.
const icuFolder =
  process.env.NODE_ICU_DATA === undefined && !chosen(/^--icu-data-dir/)
    ? ownFolder(cacheFolder('icu', 'instant-sync-icu'), localeListFolder)
    : undefined;
// V8 drops the bytecode and baseline code of a function that has not run for 5 s (at its next full
// collection; it is compiled again if it runs again), instead of keeping bytecode through six full
// collections and baseline code for good. What a start, a tenant's connection and a first sync
// compiled and do not run again is then not kept while the service rests: 96-101 MB at rest against
// 100-101 (six runs each, alternating), for no CPU that `steady` or `burst` could tell apart, where
// flushing by V8's count of collections (`--bytecode-old-age=1`) cost `steady` a fifth more CPU and
// `burst` a tenth (docs/performance.md, "Code a resting service no longer runs"). An operator's own
// choice of code flushing is kept.
const codeFlushingChosen = chosen(
  /^--((no[-_])?(flush[-_]bytecode|flush[-_]baseline[-_]code|flush[-_]code[-_]based[-_]on[-_]time|jitless)|bytecode[-_]old[-_](age|time)=.*)$/,
);
const codeFlushingFlags = codeFlushingChosen
  ? []
  : ['--flush-code-based-on-time', '--bytecode-old-time=5', '--flush-baseline-code'];
// V8 collects the young generation on the main thread alone instead of sharing each collection
// with helper threads, which on a small machine cost more CPU in coordination than they saved: at
// 4 MB, a 10,000-Event burst used 1.115× the Graph sandbox's CPU against 1.139× (eight runs each,
// alternating), with the same peak; and only on one thread did a larger young generation pay
// (docs/performance.md, "One thread for the young generation"). An operator's own choice kept.
const scavengeFlags = chosen(/^--(no[-_])?parallel[-_]scavenge$/) ? [] : ['--no-parallel-scavenge'];
const newFlags = [
  ...heapFlags,
  ...scavengeFlags,
  ...codeFlushingFlags,
  ...(icuFolder === undefined ? [] : [`--icu-data-dir=${icuFolder}`]),
];
if (
  process.platform === 'linux' &&
  typeof process.execve === 'function' &&
  missing.length + newFlags.length > 0
) {
  try {
    process.execve(
      process.execPath,
      [process.execPath, ...process.execArgv, ...newFlags, ...process.argv.slice(1)],
      {
        ...process.env,
        ...Object.fromEntries(missing.map((name) => [name, mallocSettings[name]])),
      },
    );
  } catch {
    // Not allowed here (a sandbox forbidding exec): run on with glibc's and V8's defaults.
  }
}
// The service keeps little in memory (its work is in the database) but allocates fast in a
// burst, and V8 by default lets the heap grow to several times what is live. Its memory-saving
// mode keeps the heap near the live set: a 10,000-Event burst peaks at about 200 MB instead of
// 400–480 MB, for about twice the CPU (docs/performance.md), so `serve` and `worker` leave it
// while they are busy (src/lib/heap-mode.ts). NODE_OPTIONS cannot carry this flag, so it is set
// here, before anything else is loaded; `node --no-optimize-for-size bin/instant-sync.js …` keeps
// V8's default, and `node --optimize-for-size …` the memory-saving mode throughout.
if (!heapModeChosen) setFlagsFromString('--optimize-for-size');
// V8's optimizing compilers (Maglev, TurboFan) are off until the process has work: `serve`,
// `worker` and the demo turn them on once their event loop is used a tenth of the time over 10 s, or busy
// (src/lib/heap-mode.ts). A service that rests, or syncs a change now and then, never brings in the
// compilers' code and working memory (3-6 MB at rest, docs/performance.md); a short command has no
// use for them. An operator who chose them on Node's command line (`--no-turbofan`, `--max-opt=…`,
// `--jitless`) keeps that.
if (!chosen(/^--((no-)?(maglev|turbofan)|max[-_]opt=.*|jitless)$/)) {
  setFlagsFromString('--no-maglev');
  setFlagsFromString('--no-turbofan');
}
// Node.js keeps what it compiled, and the JavaScript it stripped from our TypeScript, in a cache
// beside the installed packages: a later start reads it instead of compiling again, and never
// loads the type stripper (about 20 MB of a resting process). The folder is this user's alone
// (a cache others could write to could hand us code); a read-only install runs without it.
// NODE_COMPILE_CACHE chooses another folder, NODE_DISABLE_COMPILE_CACHE=1 turns it off; under
// systemd's CacheDirectory= it is $CACHE_DIRECTORY/compile.
if (process.env.NODE_COMPILE_CACHE === undefined && process.env.NODE_DISABLE_COMPILE_CACHE === undefined)
  // Not writable here: every start compiles afresh, as without the cache.
  ownFolder(cacheFolder('compile', 'instant-sync-compile'), (folder) => enableCompileCache(folder));

/**
 * A cache folder of ours: under systemd's CacheDirectory= (`$CACHE_DIRECTORY`, the unit's
 * /var/cache/instant-sync/, writable where the installation is not), else in node_modules/.cache/.
 */
function cacheFolder(name, besidePackages) {
  const systemd = process.env.CACHE_DIRECTORY?.split(':')[0];
  if (systemd !== undefined && systemd !== '') return join(systemd, name, '/');
  return fileURLToPath(new globalThis.URL(`../node_modules/.cache/${besidePackages}/`, import.meta.url));
}

/**
 * Calls `use` with `folder`, made if need be, when that folder is this user's alone (a cache
 * others could write to could hand us code or ICU data); undefined otherwise.
 */
function ownFolder(folder, use) {
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const { uid, mode } = statSync(folder);
    return uid === process.getuid?.() && (mode & 0o077) === 0 ? use(folder) : undefined;
  } catch {
    return undefined;
  }
}
// The bundle `npm run build` made, while no source file is newer; the sources otherwise
// (bin/entry-point.js).
await import(serviceEntry(fileURLToPath(new globalThis.URL('../', import.meta.url))).url.href);
