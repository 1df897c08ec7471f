// How the pages show a time: a <time> element whose text is the exact time in the service's
// display zone (INSTANT_SYNC_DISPLAY_TIME_ZONE, UTC unless set), never a raw ISO string. The
// service's page script (page-script.ts) then shows each one in the viewer's own zone, a recent or
// near one as "5 min ago" or "in 3 days" with the exact time on hover; without JavaScript the page
// reads the same, in the display zone.
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
