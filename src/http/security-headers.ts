// The headers every response carries so a browser keeps the pages to themselves: no framing (the
// admin page's buttons cannot be clicked through another site's frame), scripts only the
// service's own (the one that shows times in the viewer's zone), styles only from the service itself (the Lightning Design System's stylesheet)
// and the one inline stylesheet its hash allows, no sniffing, no referrer, and HSTS when the
// public URL is https.
import type { MiddlewareHandler } from 'hono';
import { pageStylesHash } from './html-page.ts';

/** The Content-Security-Policy of a page whose forms may also lead to `formTargets` (origins). */
export function contentSecurityPolicy(formTargets: readonly string[] = []): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    // The page script reloads the overview from the service itself.
    "connect-src 'self'",
    `style-src 'self' '${pageStylesHash}'`,
    "img-src 'self' data:",
    `form-action 'self'${formTargets.map((origin) => ` ${origin}`).join('')}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

export function securityHeaders(options: { https: boolean }): MiddlewareHandler {
  const policy = contentSecurityPolicy();
  return async (c, next) => {
    await next();
    const headers = c.res.headers;
    // A route may set a wider form-action (the tenant page's Connect leads to Salesforce).
    if (!headers.has('content-security-policy')) headers.set('content-security-policy', policy);
    headers.set('x-frame-options', 'DENY');
    headers.set('x-content-type-options', 'nosniff');
    headers.set('referrer-policy', 'no-referrer');
    headers.set('cross-origin-opener-policy', 'same-origin');
    headers.set('cross-origin-resource-policy', 'same-origin');
    if (options.https) headers.set('strict-transport-security', 'max-age=31536000');
  };
}
