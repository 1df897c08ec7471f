// ICU's locale list cut to the service's locales (bin/icu-locales.js): Node.js started with it
// formats every time zone as before, in the locales the service uses, and lists no other locale.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { icuDataFolderName, localeIndex, localeListFolder, serviceLocales } from '../../bin/icu-locales.js';

const run = promisify(execFile);

let folder: string;
beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'instant-sync-icu-'));
});
afterEach(() => rmSync(folder, { recursive: true, force: true }));

/** What a fresh Node.js process (with `flags`) prints for `script`. */
async function inNode(flags: readonly string[], script: string): Promise<unknown> {
  const { stdout } = await run(process.execPath, [...flags, '-e', `console.log(JSON.stringify(${script}))`]);
  return JSON.parse(stdout);
}

// Wall clocks and offsets across daylight saving, half- and quarter-hour zones and a zone whose
// shift is half an hour; the date formats of the admin pages (en-GB) and of the sync (en-US).
const formats = `(() => {
  const at = [Date.UTC(2026, 2, 8, 6, 59), Date.UTC(2026, 2, 8, 7, 1), Date.UTC(2026, 9, 4, 14, 30), Date.UTC(2026, 11, 31, 23, 59)];
  const zones = ['America/New_York', 'Europe/Berlin', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'Pacific/Chatham', 'UTC'];
  const out = [];
  for (const timeZone of zones) {
    const wall = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    const offset = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
    const page = new Intl.DateTimeFormat('en-GB', { timeZone, dateStyle: 'medium', timeStyle: 'short' });
    for (const t of at) out.push([wall.format(t), offset.format(t), page.format(t)]);
  }
  return { out, resolved: [new Intl.DateTimeFormat('en-US').resolvedOptions().locale, new Intl.DateTimeFormat('en-GB').resolvedOptions().locale] };
})()`;

describe("ICU's locale list cut to the service's", () => {
  it('is a resource bundle ICU reads: the same wall clocks and offsets, and no other locale listed', async () => {
    const written = localeListFolder(folder);
    expect(written).toBe(folder);
    const flag = `--icu-data-dir=${folder}`;
    expect(await inNode([flag], formats)).toEqual(await inNode([], formats));
    const asked = "Intl.DateTimeFormat.supportedLocalesOf(['en-GB', 'en-US', 'fr-FR', 'de-DE', 'ja'])";
    expect(await inNode([], asked)).toEqual(['en-GB', 'en-US', 'fr-FR', 'de-DE', 'ja']);
    expect(await inNode([flag], asked)).toEqual(['en-GB', 'en-US']);
  });

  it("is written once, into a folder named for this Node.js's ICU, readable by this user alone", () => {
    const name = icuDataFolderName();
    expect(name).toMatch(/^icudt\d+[lb]$/);
    expect(localeListFolder(folder)).toBe(folder);
    const file = join(folder, name!, 'res_index.res');
    expect(readFileSync(file).equals(localeIndex(serviceLocales))).toBe(true);
    expect(statSync(join(folder, name!)).mode & 0o077).toBe(0);
    const { mtimeMs } = statSync(file);
    expect(localeListFolder(folder)).toBe(folder);
    expect(statSync(file).mtimeMs).toBe(mtimeMs);
  });

  it('names the folder for the ICU version and byte order', () => {
    expect(icuDataFolderName('78.3', 'LE')).toBe('icudt78l');
    expect(icuDataFolderName('74.2', 'BE')).toBe('icudt74b');
    expect(icuDataFolderName('', 'LE')).toBeUndefined();
  });

  it('refuses what is not a list of ICU locale names', () => {
    expect(() => localeIndex([])).toThrow(/not a list of ICU locale names/);
    expect(() => localeIndex(['en', 'en-US'])).toThrow(/not a list of ICU locale names/);
  });

  it("is ICU's own encoding: the bytes genrb writes for the same list", () => {
    // `genrb` (ICU 72) on: res_index:table(nofallback) { InstalledLocales { en {""} en_GB {""} en_US {""} } }
    const genrb =
      '2000da2714000000000002005265734202000000010400000000000000000000' +
      '1400002007000000100000001600000016000000030000000100000014000000' +
      '496e7374616c6c65644c6f63616c657300656e00656e5f474200656e5f555300' +
      '00000300310034003a000000000000000100200001000050';
    expect(localeIndex(['en_US', 'en', 'en_GB']).toString('hex')).toBe(genrb);
  });
});
