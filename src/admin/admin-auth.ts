// Who may use the admin pages and the JSON API: whoever knows the admin token
// (INSTANT_SYNC_ADMIN_TOKEN) or the admin password (set with `instant-sync admin set-password`,
// stored as a scrypt hash). Signing in creates a session row (the cookie holds a random id, the
// database its hash), so signing out or a new password ends it on every node at once.
//
// Guessing is limited per client address, 5 failures per 15 minutes for the form and 5 for
// bearer tokens, counted in the database (shared by nodes, kept across restarts). Each attempt
// reserves its place in the count before the secret is checked and hands it back on success, so
// concurrent guesses cannot all be checked before the first failure is counted.
import { createHash, randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { BadInputError } from '../lib/errors.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import type { RateLimitDecision } from '../store/rate-limits-repository.ts';
import type { Repositories } from '../store/repositories.ts';

const passwordKey = 'admin_password';
export const adminSessionLifetimeMs = 12 * 3_600_000;
export const signInLimit = { limit: 5, windowMs: 15 * 60_000 } as const;

/** scrypt cost: N = 2^17, r = 8, p = 1 (OWASP's floor), 128 MiB and a few hundred ms per check. */
const currentParams = { logN: 17, r: 8, p: 1 } as const;
/** What passwords set before the cost was raised used; they are rehashed at the next sign-in. */
const legacyParams = { logN: 14, r: 8, p: 1 } as const;
type ScryptParams = { logN: number; r: number; p: number };

function scrypt(secret: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.logN;
  return new Promise((resolve, reject) =>
    scryptCallback(
      secret,
      salt,
      32,
      { N, r: params.r, p: params.p, maxmem: 128 * N * params.r * 2 },
      (error, key) => (error === null ? resolve(key) : reject(error)),
    ),
  );
}

/**
 * At most two scrypt checks run at once: each takes 128 MiB, so a crowd of sign-ins from many
 * addresses waits its turn instead of exhausting memory.
 */
class Gate {
  #free: number;
  readonly #waiting: (() => void)[] = [];
  constructor(size: number) {
    this.#free = size;
  }
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free -= 1;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.#waiting.shift();
      if (next === undefined) this.#free += 1;
      else next();
    }
  }
}
const scryptGate = new Gate(2);

function same(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right) && a.length === b.length;
}

async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptGate.run(() => scrypt(password, salt, currentParams));
  const { logN, r, p } = currentParams;
  return `scrypt2.${logN}.${r}.${p}.${salt.toString('base64url')}.${hash.toString('base64url')}`;
}

/** A stored hash read back: its parameters, salt and hash; undefined when it is not one of ours. */
function parseStoredHash(stored: string): { params: ScryptParams; salt: Buffer; hash: string } | undefined {
  const parts = stored.split('.');
  if (parts[0] === 'scrypt' && parts.length === 3) {
    return { params: legacyParams, salt: Buffer.from(parts[1] ?? '', 'base64url'), hash: parts[2] ?? '' };
  }
  if (parts[0] === 'scrypt2' && parts.length === 6) {
    const [logN, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
    if (![logN, r, p].every((n) => Number.isInteger(n) && n > 0) || logN > 20 || r > 32 || p > 4)
      return undefined;
    return { params: { logN, r, p }, salt: Buffer.from(parts[4] ?? '', 'base64url'), hash: parts[5] ?? '' };
  }
  return undefined;
}

/** Sets the admin password and ends every admin session (signed in with the old one or not). */
export async function setAdminPassword(
  repos: Repositories,
  password: string,
): Promise<{ endedSessions: number }> {
  if (password.length < 12) throw new BadInputError('the admin password must be at least 12 characters');
  if (password.length > 1024) throw new BadInputError('the admin password must be at most 1,024 characters');
  await repos.meta.writeMeta(passwordKey, await hashPassword(password));
  return { endedSessions: await repos.adminSessions.deleteAllAdminSessions() };
}

export type SignInResult =
  | { ok: true; sessionId: string }
  | { ok: false; reason: 'wrong' }
  | { ok: false; reason: 'locked'; retryAfterSeconds: number };

export type BearerResult = 'ok' | 'wrong' | { locked: number };

export interface AdminSession {
  /** The hash of the cookie's id: what the session's CSRF token is derived from. */
  idHash: string;
  csrf: string;
}

export class AdminAuth {
  readonly #repos: Repositories;
  readonly #secretBox: SecretBox;
  readonly #token: string | undefined;

  constructor(deps: { repos: Repositories; secretBox: SecretBox; token: string | undefined }) {
    this.#repos = deps.repos;
    this.#secretBox = deps.secretBox;
    this.#token = deps.token;
  }

  /** Whether any way to sign in is configured. */
  async configured(): Promise<boolean> {
    return this.#token !== undefined || (await this.#repos.meta.readMeta(passwordKey)) !== undefined;
  }

  /** The sign-in form: the admin token or password, limited per client address. */
  async signIn(secret: string, client: string, now: number): Promise<SignInResult> {
    const decision = await this.#reserve(`signin:${client}`, now);
    if (!decision.allowed)
      return { ok: false, reason: 'locked', retryAfterSeconds: decision.retryAfterSeconds };
    const credential = await this.#check(secret);
    if (credential === undefined) return { ok: false, reason: 'wrong' };
    await this.#repos.rateLimits.refundRateLimit(`signin:${client}`, decision.hit);
    const sessionId = randomBytes(32).toString('base64url');
    await this.#repos.adminSessions.insertAdminSession({
      id_hash: hashId(sessionId),
      credential,
      client,
      created_at: now,
      expires_at: now + adminSessionLifetimeMs,
    });
    return { ok: true, sessionId };
  }

  /** `Authorization: Bearer` for scripts and Prometheus: only the admin token, never the password. */
  async checkBearer(token: string, client: string, now: number): Promise<BearerResult> {
    const decision = await this.#reserve(`bearer:${client}`, now);
    if (!decision.allowed) return { locked: decision.retryAfterSeconds };
    if (this.#token === undefined || !same(token, this.#token)) return 'wrong';
    await this.#repos.rateLimits.refundRateLimit(`bearer:${client}`, decision.hit);
    return 'ok';
  }

  /** The live session a cookie names, if any. A session signed in with a token ends when the token changes. */
  async session(cookie: string | undefined, now: number): Promise<AdminSession | undefined> {
    if (cookie === undefined || !/^[A-Za-z0-9_-]{43}$/.test(cookie)) return undefined;
    const idHash = hashId(cookie);
    const row = await this.#repos.adminSessions.findAdminSession(idHash, now);
    if (row === undefined) return undefined;
    if (row.credential !== 'password' && row.credential !== this.#tokenCredential()) return undefined;
    return { idHash, csrf: this.#secretBox.mac('admin-csrf', idHash) };
  }

  /** Whether `submitted` is the CSRF token of `session` (constant time). */
  csrfValid(session: AdminSession, submitted: unknown): boolean {
    return typeof submitted === 'string' && same(submitted, session.csrf);
  }

  async signOut(session: AdminSession): Promise<void> {
    await this.#repos.adminSessions.deleteAdminSession(session.idHash);
  }

  async #reserve(key: string, now: number): Promise<RateLimitDecision> {
    return this.#repos.rateLimits.reserveRateLimit(key, { ...signInLimit, now });
  }

  /** Which credential `secret` is (the session records it), or undefined when it is neither. */
  async #check(secret: string): Promise<string | undefined> {
    if (this.#token !== undefined && same(secret, this.#token)) return this.#tokenCredential();
    const stored = await this.#repos.meta.readMeta(passwordKey);
    const parsed = stored === undefined ? undefined : parseStoredHash(stored);
    if (stored === undefined || parsed === undefined || secret.length > 1024) return undefined;
    const computed = await scryptGate.run(() => scrypt(secret, parsed.salt, parsed.params));
    if (!same(computed.toString('base64url'), parsed.hash)) return undefined;
    const { logN, r, p } = currentParams;
    if (parsed.params.logN !== logN || parsed.params.r !== r || parsed.params.p !== p) {
      // A hash from before the cost was raised: store the stronger one, unless the password
      // was changed meanwhile.
      await this.#repos.meta.compareAndWriteMeta(passwordKey, stored, await hashPassword(secret));
    }
    return 'password';
  }

  #tokenCredential(): string | undefined {
    return this.#token === undefined ? undefined : `token:${this.#secretBox.mac('admin-token', this.#token)}`;
  }
}

function hashId(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}
