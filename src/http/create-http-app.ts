// The HTTP surface of the service: liveness and readiness, Prometheus metrics, the admin pages
// and JSON API, the tenants' connect pages and the signed Salesforce webhook.
// Routes receive what they need through `deps`; they never build services themselves.
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { describeError, NotFoundError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import type { Metrics } from '../lib/metrics.ts';
import { adminRoutes, type AdminDeps } from './admin-routes.ts';
import { errorResponse } from './error-response.ts';
import { tenantPages, type TenantPagesDeps } from './tenant-pages.ts';
import { webhookRoutes, type WebhookDeps } from './webhook-route.ts';

export interface HttpDeps {
  logger: Logger;
  version: string;
  /** Resolves when the database answers. */
  pingDatabase: () => Promise<void>;
  /** How long /readyz waits for the database before answering 503. */
  readinessTimeoutMs?: number;
  /** The tenants' connect pages; absent where no secrets are loaded (health checks only). */
  tenantPages?: TenantPagesDeps;
  /** The signed Salesforce webhook. */
  webhook?: WebhookDeps;
  /** The admin pages and the JSON API. */
  admin?: AdminDeps;
  /** Prometheus metrics at /metrics. */
  metrics?: Pick<Metrics, 'contentType' | 'render'>;
}

export function createHttpApp(deps: HttpDeps): Hono {
  const app = new Hono();

  // Every request gets an id (the caller's x-request-id when it sends a sane one): in the
  // response, and in the log lines about it.
  app.use('*', async (c, next) => {
    const given = c.req.header('x-request-id');
    const requestId = given !== undefined && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : randomUUID();
    c.header('x-request-id', requestId);
    const started = performance.now();
    await next();
    deps.logger.debug(
      {
        requestId,
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
      },
      'request',
    );
  });

  app.get('/healthz', (c) => c.json({ status: 'ok', version: deps.version }));

  app.get('/readyz', async (c) => {
    try {
      await withTimeout(
        deps.pingDatabase(),
        deps.readinessTimeoutMs ?? 2000,
        'the database did not answer in time',
      );
      return c.json({ status: 'ready', checks: { database: 'ok' } });
    } catch (error) {
      deps.logger.warn({ err: error }, 'readiness check failed');
      return c.json({ status: 'not ready', checks: { database: describeError(error) } }, 503);
    }
  });

  const { metrics } = deps;
  if (metrics !== undefined)
    app.get('/metrics', async (c) =>
      c.body(await metrics.render(), 200, { 'content-type': metrics.contentType }),
    );

  if (deps.admin !== undefined) app.route('/', adminRoutes(deps.admin));
  if (deps.webhook !== undefined) app.route('/', webhookRoutes(deps.webhook));
  if (deps.tenantPages !== undefined) app.route('/', tenantPages(deps.tenantPages, deps.logger));

  app.notFound((c) =>
    errorResponse(c, new NotFoundError(`no route for ${c.req.method} ${c.req.path}`), deps.logger),
  );
  app.onError((error, c) => errorResponse(c, error, deps.logger));
  return app;
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
