import { describe, expect, it } from 'vitest';
import { designSystemRoutes, designSystemStylesheet, designSystemVersion } from './design-system-assets.ts';

describe('the Lightning Design System served from the installed package', () => {
  const app = designSystemRoutes();

  it('serves the stylesheet the pages link, to be kept for a year', async () => {
    const response = await app.request(designSystemStylesheet);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await response.text()).toContain('.slds-button_brand');
  });

  it('serves an image the stylesheet refers to', async () => {
    const response = await app.request(`/assets/slds/${designSystemVersion}/images/profile_avatar_96.png`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
  });

  it('serves nothing else: another version, another kind of file, a path out of its folder', async () => {
    for (const path of [
      '/assets/slds/0.0.1/styles/salesforce-lightning-design-system.min.css',
      `/assets/slds/${designSystemVersion}/styles/missing.css`,
      `/assets/slds/${designSystemVersion}/images/../../package.json`,
      `/assets/slds/${designSystemVersion}/images/..%2F..%2Fpackage.json`,
      `/assets/slds/${designSystemVersion}/icons/utility-sprite/svg/symbols.svg`,
      `/assets/slds/${designSystemVersion}/styles/../../README.md`,
      `/assets/slds/${designSystemVersion}/styles/..%2F..%2F..%2F..%2F..%2F..%2Ftmp%2Fx.css`,
    ])
      expect((await app.request(path)).status, path).toBe(404);
  });
});
