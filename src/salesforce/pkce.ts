// PKCE (RFC 7636) and the random values of the OAuth web server flow.
import { createHash, randomBytes } from 'node:crypto';

/** A URL-safe random string of `bytes` bytes of entropy. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function createPkcePair(): { verifier: string; challenge: string } {
  const verifier = randomToken(48);
  return { verifier, challenge: pkceChallenge(verifier) };
}

/** base64url(SHA-256(verifier)): the S256 code challenge. */
export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

/** How values such as OAuth states are kept in the database: a hash, so a database reader cannot replay them. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
