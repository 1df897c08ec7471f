// The cookies of the tenant pages. All are HttpOnly and SameSite=Lax, and Secure when the public
// URL is https.
// - csrf: a random token the page's forms echo back (double submit), so another site cannot
//   post to Connect or Disconnect in the admin's name;
// - oauth binding: a random value tying an OAuth state to the browser that clicked Connect, so a
//   sign-in link cannot be completed in another browser (login CSRF);
// - tenant session: proof that this browser completed a Connect for this tenant and org, signed
//   with a key derived from the secret key. It allows Disconnect from the page: whoever can sign
//   in to the tenant's Salesforce org may disconnect it, as on the Salesforce package's Connect page.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { SecretBox } from '../lib/secret-box.ts';
import { randomToken } from '../salesforce/pkce.ts';

const csrfCookie = 'is_csrf';
const bindingCookie = 'is_oauth';
const sessionCookie = 'is_session';
const sessionLifetimeMs = 12 * 3_600_000;

export interface CookieSettings {
  secure: boolean;
  secretBox: SecretBox;
}

function options(settings: CookieSettings, path: string, maxAgeSeconds?: number) {
  return {
    path,
    httpOnly: true,
    sameSite: 'Lax' as const,
    secure: settings.secure,
    ...(maxAgeSeconds === undefined ? {} : { maxAge: maxAgeSeconds }),
  };
}

/** The browser's CSRF token, created on first sight. */
export function csrfToken(c: Context, settings: CookieSettings): string {
  const existing = getCookie(c, csrfCookie);
  if (existing !== undefined && existing.length >= 32) return existing;
  const token = randomToken();
  setCookie(c, csrfCookie, token, options(settings, '/'));
  return token;
}

export function csrfValid(c: Context, submitted: unknown): boolean {
  const cookie = getCookie(c, csrfCookie);
  if (typeof submitted !== 'string' || cookie === undefined || cookie.length < 32) return false;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(submitted), digest(cookie));
}

export function startOAuthBinding(c: Context, settings: CookieSettings, tenantPath: string): string {
  const binding = randomToken();
  setCookie(c, bindingCookie, binding, options(settings, tenantPath, 600));
  return binding;
}

export function takeOAuthBinding(
  c: Context,
  settings: CookieSettings,
  tenantPath: string,
): string | undefined {
  const binding = getCookie(c, bindingCookie);
  deleteCookie(c, bindingCookie, options(settings, tenantPath));
  return binding;
}

export function startTenantSession(
  c: Context,
  settings: CookieSettings,
  tenantPath: string,
  session: { tenantId: string; orgId: string; now: number },
): void {
  const expires = session.now + sessionLifetimeMs;
  const payload = `${session.tenantId}.${session.orgId}.${expires}`;
  const value = `${payload}.${settings.secretBox.mac('tenant-session', payload)}`;
  setCookie(c, sessionCookie, value, options(settings, tenantPath, sessionLifetimeMs / 1000));
}

/** Whether this browser holds a live session for `tenantId` connected to `orgId`. */
export function hasTenantSession(
  c: Context,
  settings: CookieSettings,
  expected: { tenantId: string; orgId: string | null; now: number },
): boolean {
  const value = getCookie(c, sessionCookie);
  if (value === undefined || expected.orgId === null) return false;
  const parts = value.split('.');
  if (parts.length !== 4) return false;
  const [tenantId, orgId, expires, tag] = parts as [string, string, string, string];
  return (
    settings.secretBox.verifyMac('tenant-session', `${tenantId}.${orgId}.${expires}`, tag) &&
    tenantId === expected.tenantId &&
    orgId === expected.orgId &&
    Number(expires) > expected.now
  );
}
