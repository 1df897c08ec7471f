// The service's one page script, plain JavaScript the browser runs as it is (no build step),
// served by the service (CSP script-src 'self'); every page works without it. It shows each
// <time datetime> in the viewer's own zone (or in the one the admin chose in Preferences, the
// is_zone cookie of admin/display-zone.ts), a recent or near one as "5 min ago" or "in 3 days"
// with the exact time on hover; and a page marked data-refresh="<seconds>" (the overview) loads
// itself again that often while it is in view, unless a field of it is being edited.
import { createHash } from 'node:crypto';
import { Hono } from 'hono';

const script = `// Instant Sync: times in the viewer's own zone (or the one chosen in Preferences); pages that ask for it kept fresh.
(() => {
  const options = {
    day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
    timeZoneName: 'short',
  };
  const chosen = /(?:^|; )is_zone=([^;]*)/.exec(document.cookie);
  let exact = new Intl.DateTimeFormat(undefined, options);
  try {
    if (chosen !== null) exact = new Intl.DateTimeFormat(undefined, { ...options, timeZone: decodeURIComponent(chosen[1]) });
  } catch {
    // A zone this browser does not know: its own zone, then.
  }
  const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  const units = [['day', 86400000], ['hour', 3600000], ['minute', 60000], ['second', 1000]];
  const showTimes = () => {
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
  const refresh = async () => {
    const main = document.querySelector('main');
    const editing = main !== null && main.contains(document.activeElement) && document.activeElement.matches('input, select, textarea');
    if (main === null || editing || document.visibilityState !== 'visible') return;
    try {
      const response = await fetch(location.href, { credentials: 'same-origin', headers: { accept: 'text/html' } });
      if (!response.ok || response.redirected) return;
      const fresh = new DOMParser().parseFromString(await response.text(), 'text/html').querySelector('main');
      if (fresh !== null) {
        main.replaceChildren(...fresh.childNodes);
        showTimes();
      }
    } catch {
      // Offline for a moment: the next turn tries again.
    }
  };
  showTimes();
  setInterval(showTimes, 30000);
  const seconds = Number(document.body.dataset.refresh);
  if (seconds > 0) setInterval(refresh, seconds * 1000);
})();
`;

/** Where the pages load the script from (its content's hash in the name: a year's cache, new on change). */
export const pageScriptPath = `/assets/instant-sync/page-${createHash('sha256').update(script).digest('hex').slice(0, 12)}.js`;

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
