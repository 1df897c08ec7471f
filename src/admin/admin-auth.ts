// Who may use the admin pages and the JSON API: whoever knows the admin token
// (INSTANT_SYNC_ADMIN_TOKEN) or the admin password (set with `instant-sync admin set-password`,
// stored as a scrypt hash). Signing in gives a session cookie signed with a key derived from the
// secret key; failed sign-ins are limited per client address.
import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { Kysely } from 'kysely';
import { BadInputError } from '../lib/errors.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import type { Database } from '../store/schema.ts';
import { readMeta, writeMeta } from '../store/meta-repository.ts';

const scrypt = promisify(scryptCallback) as (
  password: string,
  salt: Buffer,
  keylen: number,
) => Promise<Buffer>;
const passwordKey = 'admin_password';
export const adminSessionLifetimeMs = 12 * 3_600_000;

function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export async function setAdminPassword(db: Kysely<Database>, password: string): Promise<void> {
  if (password.length < 12) throw new BadInputError('the admin password must be at least 12 characters');
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, 32);
  const value = `scrypt.${salt.toString('base64url')}.${hash.toString('base64url')}`;
  await writeMeta(db, passwordKey, value);
}

export class AdminAuth {
  readonly #db: Kysely<Database>;
  readonly #secretBox: SecretBox;
  readonly #token: string | undefined;
  readonly #failures = new Map<string, number[]>();

  constructor(deps: { db: Kysely<Database>; secretBox: SecretBox; token: string | undefined }) {
    this.#db = deps.db;
    this.#secretBox = deps.secretBox;
    this.#token = deps.token;
  }

  /** Whether any way to sign in is configured. */
  async configured(): Promise<boolean> {
    return this.#token !== undefined || (await this.#storedHash()) !== undefined;
  }

  /** Checks a token or password (constant time where it matters). */
  async verify(secret: string): Promise<boolean> {
    if (this.#token !== undefined && same(secret, this.#token)) return true;
    const stored = await this.#storedHash();
    if (stored === undefined) return false;
    const [, salt, hash] = stored.split('.');
    if (salt === undefined || hash === undefined) return false;
    const computed = await scrypt(secret, Buffer.from(salt, 'base64url'), 32);
    return same(computed.toString('base64url'), hash);
  }

  /** Checks a bearer token (the JSON API for scripts): only the admin token, never the password. */
  verifyBearer(token: string): boolean {
    return this.#token !== undefined && same(token, this.#token);
  }

  /** Seconds to wait before `client` may try again, when it failed too often (5 per 15 minutes). */
  lockedFor(client: string, now: number): number {
    const recent = (this.#failures.get(client) ?? []).filter((t) => t > now - 900_000);
    this.#failures.set(client, recent);
    return recent.length >= 5 ? Math.ceil(((recent[0] ?? now) + 900_000 - now) / 1000) : 0;
  }

  failed(client: string, now: number): void {
    this.#failures.set(client, [...(this.#failures.get(client) ?? []), now]);
  }

  succeeded(client: string): void {
    this.#failures.delete(client);
  }

  sessionValue(now: number): string {
    const expires = String(now + adminSessionLifetimeMs);
    return `${expires}.${this.#secretBox.mac('admin-session', expires)}`;
  }

  sessionValid(value: string | undefined, now: number): boolean {
    if (value === undefined) return false;
    const [expires, tag] = value.split('.');
    if (expires === undefined || tag === undefined || !/^\d+$/.test(expires)) return false;
    return Number(expires) > now && this.#secretBox.verifyMac('admin-session', expires, tag);
  }

  #storedHash(): Promise<string | undefined> {
    return readMeta(this.#db, passwordKey);
  }
}
