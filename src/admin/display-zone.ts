// The zone the admin pages show times in, as each admin chooses for their own browser (Preferences):
// kept in a cookie on /admin, which the server renders every time and chart in, and the page
// script reads to show times in it rather than in the browser's zone. Without a choice, times are
// in the browser's zone (by the script), and in INSTANT_SYNC_DISPLAY_TIME_ZONE without JavaScript.
import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import { isKnownTimeZone } from '../domain/time-zones.ts';
import { htmlPage } from '../http/html-page.ts';
import { readForm } from '../http/read-form.ts';
import { sessionCsrf, sessionCsrfValid, type AdminDeps, type AdminEnv } from './admin-context.ts';
import { adminNav } from './admin-views.ts';

/** The cookie's name; the page script reads it too (page-script.ts). */
export const zoneCookie = 'is_zone';

/** The zone this request's pages show times in, and whether the admin chose it. */
export function displayZone(c: Context, fallback: string): { zone: string; chosen: boolean } {
  const chosen = getCookie(c, zoneCookie);
  return chosen !== undefined && isKnownTimeZone(chosen)
    ? { zone: chosen, chosen: true }
    : { zone: fallback, chosen: false };
}

/**
 * Zones the runtime's list still names by their old IANA name (ICU keeps them as canonical), listed
 * by the names an admin looks for. Both names work; the list shows the current one.
 */
const renamed: Record<string, string> = {
  'America/Buenos_Aires': 'America/Argentina/Buenos_Aires',
  'America/Catamarca': 'America/Argentina/Catamarca',
  'America/Coral_Harbour': 'America/Atikokan',
  'America/Cordoba': 'America/Argentina/Cordoba',
  'America/Godthab': 'America/Nuuk',
  'America/Indianapolis': 'America/Indiana/Indianapolis',
  'America/Jujuy': 'America/Argentina/Jujuy',
  'America/Louisville': 'America/Kentucky/Louisville',
  'America/Mendoza': 'America/Argentina/Mendoza',
  'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Rangoon': 'Asia/Yangon',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Atlantic/Faeroe': 'Atlantic/Faroe',
  'Europe/Kiev': 'Europe/Kyiv',
  'Pacific/Enderbury': 'Pacific/Kanton',
  'Pacific/Ponape': 'Pacific/Pohnpei',
  'Pacific/Truk': 'Pacific/Chuuk',
};

let zoneNames: string[] | undefined;
/** Every zone the runtime knows by its current name, UTC first, then alphabetically. */
function knownZones(): string[] {
  zoneNames ??= [
    'UTC',
    ...Intl.supportedValuesOf('timeZone')
      .filter((zone) => zone !== 'UTC')
      .map((zone) => {
        const current = renamed[zone];
        return current !== undefined && isKnownTimeZone(current) ? current : zone;
      })
      .sort(),
  ];
  return zoneNames;
}

export function displayZoneRoutes(deps: AdminDeps): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();
  const cookie = { path: '/admin', sameSite: 'Lax' as const, secure: deps.publicUrl.startsWith('https:') };
  app.get('/admin/preferences', (c) =>
    c.html(
      preferencesPage(
        sessionCsrf(c),
        displayZone(c, deps.displayTimeZone),
        deps.displayTimeZone,
        c.req.query('saved') !== undefined,
      ),
    ),
  );
  app.post('/admin/preferences', async (c) => {
    const form = await readForm(c);
    if (!sessionCsrfValid(c, deps, form['csrf']))
      return c.text('The form expired. Open the page again and retry.', 403);
    const zone = typeof form['timeZone'] === 'string' ? form['timeZone'].trim() : '';
    if (zone === '') deleteCookie(c, zoneCookie, cookie);
    else if (isKnownTimeZone(zone))
      // Not HttpOnly: the page script reads it. It holds a zone name and nothing else.
      setCookie(c, zoneCookie, zone, { ...cookie, maxAge: 400 * 86_400 });
    else
      return c.html(
        preferencesPage(
          sessionCsrf(c),
          displayZone(c, deps.displayTimeZone),
          deps.displayTimeZone,
          false,
          zone,
        ),
        400,
      );
    return c.redirect('/admin/preferences?saved=1', 303);
  });
  return app;
}

function preferencesPage(
  csrf: string,
  current: { zone: string; chosen: boolean },
  fallback: string,
  saved: boolean,
  refused?: string,
) {
  return htmlPage(
    'Preferences',
    html`${adminNav(csrf)}
      <h1 class="slds-text-heading_large slds-m-bottom_small">Preferences</h1>
      <p class="slds-text-color_weak slds-m-bottom_medium">Kept in this browser only.</p>
      ${
        refused === undefined
          ? ''
          : html`<p
              class="slds-notify slds-notify_alert slds-theme_error slds-m-vertical_medium"
              role="alert"
            >
              “${refused}” is not a time zone this service knows: pick one from the list.
            </p>`
      }
      ${
        saved
          ? html`<p
              class="slds-notify slds-notify_alert slds-theme_success slds-m-vertical_medium"
              role="status"
            >
              Saved.
            </p>`
          : ''
      }
      <form method="post" action="/admin/preferences">
        <input type="hidden" name="csrf" value="${csrf}" />
        <label class="slds-form-element__label" for="time-zone">Show times and charts in</label>
        <select class="slds-select" id="time-zone" name="timeZone" aria-describedby="time-zone-help">
          <option value="" ${current.chosen ? '' : 'selected'}>this browser’s time zone</option>
          ${(current.chosen && !knownZones().includes(current.zone)
            ? [current.zone, ...knownZones()]
            : knownZones()
          ).map(
            (zone) =>
              html`<option value="${zone}" ${current.chosen && zone === current.zone ? 'selected' : ''}>
                ${zone}
              </option>`,
          )}
        </select>
        <p class="slds-form-element__help" id="time-zone-help">
          With this browser’s zone, times show in it and the charts in ${fallback} (the service’s display
          zone, also used where JavaScript is off).
        </p>
        <button class="slds-button slds-button_brand slds-m-top_small" type="submit">Save</button>
      </form>`,
  );
}
