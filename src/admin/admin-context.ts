// What the admin routes share: their dependencies, and the signed-in session every page and API
// call past the sign-in guard carries (its CSRF token is derived from the session, so a token
// taken from one sign-in is worthless in another).
import type { Context } from 'hono';
import type { AdminAuth, AdminSession } from './admin-auth.ts';
import type { Clock } from '../lib/clock.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import type { OverviewDeps } from './overview.ts';
import type { Repositories } from '../store/repositories.ts';

export interface AdminDeps {
  repos: Repositories;
  auth: AdminAuth;
  secretBox: SecretBox;
  publicUrl: string;
  /** The zone the pages show times in (INSTANT_SYNC_DISPLAY_TIME_ZONE). */
  displayTimeZone: string;
  clock: Clock;
  overview: OverviewDeps;
  /** The address a request came from (behind a trusted proxy, the one the proxy saw). */
  clientAddress: (c: Context) => string;
}

/** Set by the guard on every admin page and on API calls made with the session cookie. */
export type AdminEnv = { Variables: { adminSession: AdminSession | undefined } };

/** The signed-in session's CSRF token, for the page's forms. */
export function sessionCsrf(c: Context<AdminEnv>): string {
  return c.get('adminSession')?.csrf ?? '';
}

/** Whether a form's token is the signed-in session's (constant time). */
export function sessionCsrfValid(c: Context<AdminEnv>, deps: AdminDeps, submitted: unknown): boolean {
  const session = c.get('adminSession');
  return session !== undefined && deps.auth.csrfValid(session, submitted);
}
