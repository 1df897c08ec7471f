// When to refresh a Salesforce access token. Salesforce sends no expires_in: an access token
// lives as long as its session, which ends after the org's idle timeout (2 hours unless the org
// set otherwise). So: use the token we have; refresh when we have none, when it sat unused
// nearly as long as a default session lasts, or when the API rejected it (INVALID_SESSION_ID).
// Pure: the caller passes the facts and the time.

/** Salesforce's default session timeout. Orgs with a shorter one cost one rejected call, then a refresh. */
export const assumedSessionIdleMs = 2 * 3_600_000;
/** Refresh this long before the assumed idle timeout rather than spend a call on a dead token. */
export const sessionRefreshMarginMs = 15 * 60_000;

export type SessionDecision =
  { action: 'use' } | { action: 'refresh'; reason: 'no-token' | 'idle' | 'rejected' };

export function decideSessionRefresh(input: {
  hasToken: boolean;
  /** When the token was last used (or issued), as far as we know. */
  lastUsedAt: number | null;
  now: number;
  /** The API just answered INVALID_SESSION_ID for this very token. */
  rejected: boolean;
}): SessionDecision {
  if (!input.hasToken) return { action: 'refresh', reason: 'no-token' };
  if (input.rejected) return { action: 'refresh', reason: 'rejected' };
  if (
    input.lastUsedAt === null ||
    input.now - input.lastUsedAt >= assumedSessionIdleMs - sessionRefreshMarginMs
  ) {
    return { action: 'refresh', reason: 'idle' };
  }
  return { action: 'use' };
}
