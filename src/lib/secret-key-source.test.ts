import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSecretKey } from './secret-box.ts';
import { loadSecretKey, writeKeyFile } from './secret-key-source.ts';

const tempDirs: string[] = [];
const tempFile = () => {
  const dir = mkdtempSync(join(tmpdir(), 'instant-sync-key-'));
  tempDirs.push(dir);
  return join(dir, 'data', 'secret.key');
};
afterAll(() => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('loadSecretKey', () => {
  it('creates the key file once (mode 0600, in a folder made 0700) and reuses it', async () => {
    const file = tempFile();
    const first = await loadSecretKey({ secretKey: undefined, secretKeyFile: file, mayGenerate: true });
    expect(first.origin).toBe('generated');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(file)).mode & 0o777).toBe(0o700);
    const second = await loadSecretKey({ secretKey: undefined, secretKeyFile: file, mayGenerate: true });
    expect(second).toEqual({ key: first.key, origin: 'file' });
  });

  it('prefers the setting over the file', async () => {
    const key = generateSecretKey();
    const result = await loadSecretKey({
      secretKey: key.toString('hex'),
      secretKeyFile: tempFile(),
      mayGenerate: true,
    });
    expect(result).toEqual({ key, origin: 'setting' });
  });

  it('will not invent a key where nodes must share one', async () => {
    const file = tempFile();
    await expect(
      loadSecretKey({ secretKey: undefined, secretKeyFile: file, mayGenerate: false }),
    ).rejects.toThrow(/INSTANT_SYNC_SECRET_KEY is not set .* every node must use the same key/);
  });

  it('flags a key file other users can read, and refuses one that holds no key', async () => {
    const file = tempFile();
    await loadSecretKey({ secretKey: undefined, secretKeyFile: file, mayGenerate: true });
    chmodSync(file, 0o644);
    expect(
      (await loadSecretKey({ secretKey: undefined, secretKeyFile: file, mayGenerate: true })).looseFileMode,
    ).toBe(0o644);
    writeFileSync(file, 'not a key');
    await expect(
      loadSecretKey({ secretKey: undefined, secretKeyFile: file, mayGenerate: true }),
    ).rejects.toThrow(/does not hold a 32-byte key/);
  });

  it('writes a new key file but never replaces one', async () => {
    const file = tempFile();
    const key = generateSecretKey();
    await writeKeyFile(file, key);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(
      (await loadSecretKey({ secretKey: undefined, secretKeyFile: file, mayGenerate: false })).key,
    ).toEqual(key);
    await expect(writeKeyFile(file, generateSecretKey())).rejects.toMatchObject({ code: 'EEXIST' });
  });
});
