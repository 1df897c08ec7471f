// ICU's list of installed locales, cut to the few the service formats with. The first
// Intl.DateTimeFormat a process makes (the service needs one per time zone) has V8 list every
// locale ICU has by opening each one's resources in the ICU data built into Node.js: about 3.5 MB of
// the executable's pages come in for that list alone, and stay (docs/performance.md). ICU looks for
// a file of its data in the folder `--icu-data-dir` names before it looks in the data built in
// (the way Node.js documents for updating the time zones), so a `res_index` there listing only
// these locales leaves the others unopened; every other piece of ICU data still comes from the data
// built in. The service formats in English only (`en-US` for time zones, `en-GB` on the admin
// pages); the admin's browser formats what it shows in its own language.
import { Buffer } from 'node:buffer';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { join } from 'node:path';

/** The locales the service names (ICU's spelling). */
export const serviceLocales = ['en', 'en_GB', 'en_US'];

/** The folder ICU reads its files from under `--icu-data-dir`: `icudt<major>l` (or `b`, big-endian). */
export function icuDataFolderName(icuVersion = process.versions.icu ?? '', endian = endianness()) {
  const major = /^(\d+)\./.exec(icuVersion)?.[1];
  return major === undefined ? undefined : `icudt${major}${endian === 'LE' ? 'l' : 'b'}`;
}

/**
 * ICU's `res_index` resource bundle (its binary format 2, little-endian) with `locales` as the
 * installed ones: a table `InstalledLocales` of empty strings, keyed by locale, and no fallback.
 */
export function localeIndex(locales) {
  const sorted = [...new Set(locales)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (sorted.length === 0 || sorted.some((locale) => !/^[A-Za-z0-9_]+$/.test(locale)))
    throw new Error(`not a list of ICU locale names: ${locales.join(', ')}`);
  // The bundle's body: its root resource and 7 index words, the keys, the 16-bit units (the
  // empty string, then the locales' table), and the root table; offsets count from its start.
  const keysStart = 4 + 7 * 4;
  const keyNames = ['InstalledLocales', ...sorted];
  const keyOffsets = [];
  let keys = '';
  for (const name of keyNames) {
    keyOffsets.push(keysStart + keys.length);
    keys += `${name}\0`;
  }
  while (keys.length % 4 !== 0) keys += '\xaa';
  const keysTop = (keysStart + keys.length) / 4;
  // Unit 0 is the empty string every locale maps to; the table starts at unit 1: its length,
  // its keys, then its values (each 0, that empty string).
  const units = [0, sorted.length, ...keyOffsets.slice(1), ...sorted.map(() => 0)];
  if (units.length % 2 !== 0) units.push(0);
  const unitsTop = keysTop + units.length / 2;
  const rootTableAt = unitsTop;
  const resourcesTop = rootTableAt + 2;
  const body = Buffer.alloc(resourcesTop * 4);
  const urTable = 2;
  const urTable16 = 5;
  body.writeUInt32LE(((urTable << 28) | rootTableAt) >>> 0, 0);
  const indexes = [7, keysTop, resourcesTop, resourcesTop, sorted.length, 1, unitsTop];
  indexes.forEach((value, i) => body.writeUInt32LE(value, 4 + i * 4));
  body.write(keys, keysStart, 'latin1');
  units.forEach((unit, i) => body.writeUInt16LE(unit, keysTop * 4 + i * 2));
  body.writeUInt16LE(1, rootTableAt * 4);
  body.writeUInt16LE(keyOffsets[0], rootTableAt * 4 + 2);
  body.writeUInt32LE(((urTable16 << 28) | 1) >>> 0, rootTableAt * 4 + 4);
  // The data header: its size, ICU's magic, and what the data is (ResB 2.0, ASCII, UTF-16).
  const header = Buffer.alloc(32);
  header.writeUInt16LE(32, 0);
  header.writeUInt8(0xda, 2);
  header.writeUInt8(0x27, 3);
  header.writeUInt16LE(20, 4);
  header.writeUInt8(2, 10);
  header.write('ResB', 12, 'latin1');
  header.set([2, 0, 0, 0, 1, 4, 0, 0], 16);
  return Buffer.concat([header, body]);
}

/**
 * Writes the cut list under `folder` for this Node.js's ICU, unless it is there already; returns
 * the folder to give as `--icu-data-dir`, or undefined where that cannot be (a big-endian machine,
 * no ICU, a folder that cannot be written).
 */
export function localeListFolder(folder) {
  const name = icuDataFolderName();
  if (name === undefined || endianness() !== 'LE') return undefined;
  const file = join(folder, name, 'res_index.res');
  const content = localeIndex(serviceLocales);
  try {
    if (readFileSync(file).equals(content)) return folder;
  } catch {
    // Not written yet.
  }
  try {
    mkdirSync(join(folder, name), { recursive: true, mode: 0o700 });
    // Written whole, then renamed: a process starting meanwhile sees the old file or the new one.
    const partial = `${file}.${process.pid}`;
    writeFileSync(partial, content, { mode: 0o600 });
    renameSync(partial, file);
    return folder;
  } catch {
    return undefined;
  }
}
