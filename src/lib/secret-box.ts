// Secrets at rest: AES-256-GCM with a 32-byte key held outside the database.
//
// A sealed value looks like `v1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url parts). The key id
// lets a wrong key be named in the error instead of failing as "bad tag"; the `context`
// (for example `tenant:<id>:webhook-secret`) is bound as associated data, so a ciphertext
// copied into another row or column does not decrypt. Plaintext never leaves this module
// except as the return value of `open`.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { ConfigError } from './errors.ts';

const version = 'v1';
const ivBytes = 12;
const keyBytes = 32;

export class SecretBox {
  readonly keyId: string;
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== keyBytes) {
      throw new ConfigError([`the secret key must be ${keyBytes} bytes, got ${key.length}`]);
    }
    this.#key = Buffer.from(key);
    this.keyId = createHash('sha256').update('instant-sync key id\0').update(key).digest('hex').slice(0, 8);
  }

  /** Encrypts `plaintext`, bound to `context`. Each call uses a fresh random IV. */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(ivBytes);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const parts = [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url'));
    return [version, this.keyId, ...parts].join('.');
  }

  /** An HMAC-SHA256 of `data` under a key derived for `purpose` (cookies, state binding), base64url. */
  mac(purpose: string, data: string): string {
    const key = Buffer.from(hkdfSync('sha256', this.#key, 'instant-sync', `mac:${purpose}`, 32));
    return createHmac('sha256', key).update(data, 'utf8').digest('base64url');
  }

  /** Whether `tag` is `mac(purpose, data)`, compared in constant time. */
  verifyMac(purpose: string, data: string, tag: string): boolean {
    const expected = Buffer.from(this.mac(purpose, data));
    const given = Buffer.from(tag);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  /** Decrypts a value made by `seal` with the same key and context; throws a clear error otherwise. */
  open(sealed: string, context: string): string {
    const [v, keyId, iv, tag, body, ...rest] = sealed.split('.');
    if (
      v !== version ||
      keyId === undefined ||
      iv === undefined ||
      tag === undefined ||
      body === undefined ||
      rest.length > 0
    ) {
      throw new Error(`stored secret for ${context} is not in the ${version} format`);
    }
    if (keyId !== this.keyId) {
      throw new ConfigError([
        `the secret for ${context} was encrypted with key ${keyId}, but the configured key is ${this.keyId}: ` +
          'set INSTANT_SYNC_SECRET_KEY (or the key file) to the key this database was created with',
      ]);
    }
    const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    } catch (error) {
      throw new Error(
        `stored secret for ${context} failed its integrity check (tampered, or moved from another row)`,
        {
          cause: error,
        },
      );
    }
  }
}

/** Parses a key written as base64 (44 characters) or hex (64 characters). */
export function parseSecretKey(text: string): Buffer {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) {
    const key = Buffer.from(trimmed, trimmed.includes('-') || trimmed.includes('_') ? 'base64url' : 'base64');
    if (key.length === keyBytes) return key;
  }
  throw new ConfigError([
    'the secret key must be 32 bytes written as base64 (44 characters) or hex (64 characters); ' +
      'generate one with: openssl rand -base64 32',
  ]);
}

export function generateSecretKey(): Buffer {
  return randomBytes(keyBytes);
}
