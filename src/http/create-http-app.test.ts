import { createHash } from 'node:crypto';
import { html } from 'hono/html';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../lib/logger.ts';
import { createHttpApp } from './create-http-app.ts';
import { htmlPage, pageStylesHash } from './html-page.ts';

const logger = createLogger({ level: 'silent' });

describe('health endpoints', () => {
  it('/healthz answers while the process runs', async () => {
    const app = createHttpApp({
      logger,
      version: '1.2.3',
      pingDatabase: () => Promise.reject(new Error('down')),
    });
    const response = await app.request('/healthz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', version: '1.2.3' });
  });

  it('/readyz is ready only when the database answers', async () => {
    const ready = createHttpApp({ logger, version: '1', pingDatabase: () => Promise.resolve() });
    expect(await (await ready.request('/readyz')).json()).toEqual({
      status: 'ready',
      checks: { database: 'ok' },
    });

    const down = createHttpApp({
      logger,
      version: '1',
      pingDatabase: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')),
    });
    const response = await down.request('/readyz');
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      status: 'not ready',
      checks: { database: 'connect ECONNREFUSED 127.0.0.1:5432' },
    });
  });

  it('/readyz gives up on a database that hangs', async () => {
    const app = createHttpApp({
      logger,
      version: '1',
      pingDatabase: () => new Promise(() => undefined),
      readinessTimeoutMs: 50,
    });
    const response = await app.request('/readyz');
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      checks: { database: 'the database did not answer in time' },
    });
  });

  it('answers unknown routes with a JSON 404', async () => {
    const app = createHttpApp({ logger, version: '1', pingDatabase: () => Promise.resolve() });
    const response = await app.request('/nowhere');
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: { code: 'not_found', message: 'no route for GET /nowhere' },
    });
  });
});

describe('security headers', () => {
  it('allows exactly the stylesheet the pages carry, and HSTS only behind https', async () => {
    const page = String(await htmlPage('x', html`<p>x</p>`));
    const inline = /<style>([\s\S]*?)<\/style>/.exec(page)?.[1] ?? '';
    expect(pageStylesHash).toBe(`sha256-${createHash('sha256').update(inline).digest('base64')}`);
    const plain = createHttpApp({ logger, version: '1', pingDatabase: () => Promise.resolve() });
    const response = await plain.request('/healthz');
    expect(response.headers.get('content-security-policy')).toContain(`style-src 'self' '${pageStylesHash}'`);
    expect(response.headers.get('strict-transport-security')).toBeNull();
    const secure = createHttpApp({
      logger,
      version: '1',
      pingDatabase: () => Promise.resolve(),
      https: true,
    });
    expect((await secure.request('/healthz')).headers.get('strict-transport-security')).toBe(
      'max-age=31536000',
    );
  });
});
