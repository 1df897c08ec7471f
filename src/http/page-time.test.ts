import { describe, expect, it } from 'vitest';
import { pageScriptPath, pageScriptRoutes } from './page-script.ts';
import { exactTime, pageTime } from './page-time.ts';

const at = Date.UTC(2026, 11, 4, 19, 19, 13);

describe('times on the pages', () => {
  it('shows the exact time in the display zone, with the instant for the script and the zone named', async () => {
    expect(exactTime(at, 'Europe/Berlin')).toBe('4 Dec 2026, 20:19:13 CET');
    expect(exactTime(at, 'UTC')).toBe('4 Dec 2026, 19:19:13 UTC');
    const element = String(await pageTime(at, 'America/New_York'));
    expect(element).toMatch(
      /^<time\s+datetime="2026-12-04T19:19:13.000Z"\s+title="4 Dec 2026, 14:19:13 GMT-5"\s*>4 Dec 2026, 14:19:13 GMT-5<\/time\s*>$/,
    );
    expect(String(await pageTime('2026-12-04T19:19:13.000Z', 'UTC', { exact: true }))).toContain(
      'data-exact',
    );
  });

  it('serves the script that shows them in the viewer’s zone, to be kept for a year', async () => {
    const response = await pageScriptRoutes().request(pageScriptPath);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await response.text()).toContain("querySelectorAll('time[datetime]')");
  });
});
