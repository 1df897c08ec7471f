// Where the secret key comes from: the INSTANT_SYNC_SECRET_KEY setting, else the key file.
// On the embedded default (SQLite) a missing key file is created once with a fresh key,
// readable by the owner only (0600, in a folder made 0700); with PostgreSQL every node must
// share one key, so a missing key is a configuration error rather than something to invent.
import { chmod, mkdir, open, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError } from './errors.ts';
import { generateSecretKey, parseSecretKey } from './secret-box.ts';

export type SecretKeyOrigin = 'setting' | 'file' | 'generated';

export interface SecretKeySource {
  key: Buffer;
  origin: SecretKeyOrigin;
  /** Set when the key file is readable by other users: worth a warning, not a refusal. */
  looseFileMode?: number;
}

export async function loadSecretKey(options: {
  secretKey: string | undefined;
  secretKeyFile: string;
  mayGenerate: boolean;
}): Promise<SecretKeySource> {
  if (options.secretKey !== undefined) {
    return { key: parseSecretKey(options.secretKey), origin: 'setting' };
  }
  const file = options.secretKeyFile;
  const existing = await readKeyFile(file);
  if (existing !== undefined) return existing;
  if (!options.mayGenerate) {
    throw new ConfigError([
      `INSTANT_SYNC_SECRET_KEY is not set and the key file ${file} does not exist. With PostgreSQL every ` +
        'node must use the same key: generate one with `openssl rand -base64 32` and set it on each node',
    ]);
  }
  return { key: await createKeyFile(file), origin: 'generated' };
}

async function readKeyFile(file: string): Promise<SecretKeySource | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError([`cannot read the secret key file ${file}: ${(error as Error).message}`]);
  }
  let key: Buffer;
  try {
    key = parseSecretKey(text);
  } catch {
    throw new ConfigError([`the secret key file ${file} does not hold a 32-byte key (base64 or hex)`]);
  }
  const mode = (await stat(file)).mode & 0o777;
  return (mode & 0o077) === 0 ? { key, origin: 'file' } : { key, origin: 'file', looseFileMode: mode };
}

async function createKeyFile(file: string): Promise<Buffer> {
  const key = generateSecretKey();
  try {
    await writeKeyFile(file, key);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      const raced = await readKeyFile(file);
      if (raced !== undefined) return raced.key;
    }
    throw new ConfigError([`cannot create the secret key file ${file}: ${(error as Error).message}`]);
  }
}

/**
 * Writes `key` to a new file readable by its owner only (0600); a folder made for it is 0700.
 * Never replaces a file: a key overwritten is every secret sealed with it lost, so an existing
 * file fails with EEXIST.
 */
export async function writeKeyFile(file: string, key: Buffer): Promise<void> {
  const folder = dirname(file);
  const firstCreated = await mkdir(folder, { recursive: true, mode: 0o700 });
  // The mode given to mkdir passes through the umask; an explicit chmod does not.
  if (firstCreated !== undefined) {
    for (let dir = folder; ; dir = dirname(dir)) {
      await chmod(dir, 0o700);
      if (dir === firstCreated || dir === dirname(dir)) break;
    }
  }
  // 'wx': fail rather than overwrite if another process created the file first.
  const handle = await open(file, 'wx', 0o600);
  try {
    await handle.writeFile(`${key.toString('base64')}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
