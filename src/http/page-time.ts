// How the pages show a time: a <time> element whose text is the exact time in the service's
// display zone (INSTANT_SYNC_DISPLAY_TIME_ZONE, UTC unless set), never a raw ISO string. A small
// script of the service's own (served below, allowed by the CSP as 'self') then shows each one in
// the viewer's own zone, a recent or near one as "5 min ago" or "in 3 days" with the exact time
// on hover, and keeps those fresh; without JavaScript the page reads the same, in the display zone.
import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { html } from 'hono/html';

const formats = new Map<string, Intl.DateTimeFormat>();

/** "4 Dec 2026, 20:19:13 CET": the exact time in `timeZone`, with the zone's short name. */
export function exactTime(ms: number, timeZone: string): string {
  let format = formats.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-GB', {
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
      timeZone,
    });
    formats.set(timeZone, format);
  }
  return format.format(ms);
}

/**
 * A time on a page. `exact` keeps it an exact time in the viewer's zone too (in a sentence such
 * as "expires on …", where "in 30 days" would not read).
 */
export function pageTime(at: number | string, timeZone: string, options: { exact?: boolean } = {}) {
  const ms = typeof at === 'number' ? at : Date.parse(at);
  const text = exactTime(ms, timeZone);
  return html`<time
    datetime="${new Date(ms).toISOString()}"
    title="${text}"
    ${options.exact === true ? html`data-exact` : ''}
    >${text}</time
  >`;
}

/** The script: plain JavaScript the browser runs as it is (no build step). */
const script = `// Instant Sync: every <time datetime> in the viewer's own time zone; recent or near ones relative.
(() => {
  const exact = new Intl.DateTimeFormat(undefined, {
    day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
    timeZoneName: 'short',
  });
  const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  const units = [['day', 86400000], ['hour', 3600000], ['minute', 60000], ['second', 1000]];
  const show = () => {
    const now = Date.now();
    for (const element of document.querySelectorAll('time[datetime]')) {
      const at = Date.parse(element.getAttribute('datetime'));
      if (Number.isNaN(at)) continue;
      const full = exact.format(at);
      element.title = full;
      const away = at - now;
      if (element.hasAttribute('data-exact') || Math.abs(away) >= 7 * 86400000) {
        element.textContent = full;
        continue;
      }
      const [unit, ms] = units.find(([, size]) => Math.abs(away) >= size) ?? units[3];
      element.textContent = relative.format(Math.round(away / ms), unit);
    }
  };
  show();
  setInterval(show, 30000);
})();
`;

/** Where the pages load the script from (its content's hash in the name: a year's cache, new on change). */
export const pageScriptPath = `/assets/instant-sync/local-times-${createHash('sha256').update(script).digest('hex').slice(0, 12)}.js`;

export function pageScriptRoutes(): Hono {
  const app = new Hono();
  app.get(pageScriptPath, (c) =>
    c.body(script, 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=31536000, immutable',
    }),
  );
  return app;
}
