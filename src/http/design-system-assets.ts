// The Salesforce Lightning Design System, served by the service itself from the installed
// package (@salesforce-ux/design-system), on the pages' own origin: the admin and tenant pages
// look like Salesforce Setup without loading anything from elsewhere. Only the stylesheet and the
// images it refers to are served (`/assets/slds/<version>/styles/…`, `…/images/…`); the version in
// the path lets browsers keep them for a year and still get the new ones after an upgrade.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, normalize, sep } from 'node:path';
import { Hono } from 'hono';

const require = createRequire(import.meta.url);
const packageJson = require.resolve('@salesforce-ux/design-system/package.json');
const assetsRoot = join(dirname(packageJson), 'assets');
export const designSystemVersion = (
  require('@salesforce-ux/design-system/package.json') as { version: string }
).version;

/** Where the pages link the stylesheet from. */
export const designSystemStylesheet = `/assets/slds/${designSystemVersion}/styles/salesforce-lightning-design-system.min.css`;

const contentTypes: Record<string, string> = {
  css: 'text/css; charset=utf-8',
  png: 'image/png',
  svg: 'image/svg+xml',
};

/** Files once read, by path: the stylesheet is about 1 MB and every page asks for it. */
const cache = new Map<string, Buffer>();

export function designSystemRoutes(): Hono {
  const app = new Hono();
  app.get('/assets/slds/:version/:folder{styles|images}/:file{.+}', async (c) => {
    const { version, folder, file } = c.req.param();
    const type = contentTypes[file.slice(file.lastIndexOf('.') + 1)];
    const path = normalize(join(assetsRoot, folder, file));
    if (version !== designSystemVersion || type === undefined || !path.startsWith(assetsRoot + sep))
      return c.text('not found', 404);
    let body = cache.get(path);
    if (body === undefined) {
      body = await readFile(path).catch(() => undefined);
      if (body === undefined) return c.text('not found', 404);
      cache.set(path, body);
    }
    return c.body(new Uint8Array(body), 200, {
      'content-type': type,
      'cache-control': 'public, max-age=31536000, immutable',
    });
  });
  return app;
}
