// The HTTP frame of the service: security headers, body caps, request ids, liveness and
// readiness, Prometheus metrics, and the route groups the composition root mounts (the admin
// pages and JSON API, the signed Salesforce webhook, the package's hooks, the tenants' pages).
// Routes receive what they need through `deps`; they never build services themselves.
// Every request body is capped before it is read (forms 16 KiB, the JSON API 64 KiB, the
// webhook 1 MiB): a larger one is answered 413 without being buffered.
import { randomUUID } from 'node:crypto';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { describeError, NotFoundError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { errorResponse } from './error-response.ts';
import { designSystemRoutes } from './design-system-assets.ts';
import { pageScriptRoutes } from './page-script.ts';
import { securityHeaders } from './security-headers.ts';

/** What /metrics serves: Prometheus' text format (reports/metrics.ts). */
export interface MetricsSource {
  contentType: string;
  render(): Promise<string>;
}

export interface HttpDeps {
  logger: Logger;
  version: string;
  /** Resolves when the database answers. */
  pingDatabase: () => Promise<void>;
  /** How long /readyz waits for the database before answering 503. */
  readinessTimeoutMs?: number;
  /**
   * The route groups, matched in this order: the admin pages and JSON API, the signed Salesforce
   * webhook, the package's hooks, the tenants' pages. None where no secrets are loaded (health
   * checks only).
   */
  routes?: readonly Hono[];
  /**
   * Prometheus metrics at /metrics, for callers holding the admin token as a bearer token (with
   * INSTANT_SYNC_METRICS_PORT they are also served without it on a separate listener).
   */
  metrics?: {
    source: MetricsSource;
    /** The admin token check, with its per-address lockout (admin-auth.ts). */
    auth: {
      checkBearer(token: string, client: string, now: number): Promise<'ok' | 'wrong' | { locked: number }>;
    };
    clientAddress: (c: Context) => string;
    now: () => number;
  };
  /** Whether the public URL is https (then responses carry HSTS). */
  https?: boolean;
}

export const bodyLimits = { form: 16 * 1024, api: 64 * 1024 } as const;

/** 413 for a body over the route's cap; the webhook route applies its own 1 MiB cap. */
function boundedBodies(): MiddlewareHandler {
  const limit = (maxSize: number, what: string) =>
    bodyLimit({
      maxSize,
      onError: (c) =>
        c.json(
          {
            error: {
              code: 'too_large',
              message: `the body is larger than ${maxSize / 1024} KiB, the limit for ${what}`,
            },
          },
          413,
        ),
    });
  const forms = limit(bodyLimits.form, 'forms');
  const api = limit(bodyLimits.api, 'the JSON API');
  return async (c, next) => {
    if (/^\/t\/[^/]+\/hooks\//.test(c.req.path)) return next();
    return c.req.path.startsWith('/api/') ? api(c, next) : forms(c, next);
  };
}

export function createHttpApp(deps: HttpDeps): Hono {
  const app = new Hono();
  app.use('*', securityHeaders({ https: deps.https ?? false }));
  app.use('*', boundedBodies());

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
  if (metrics !== undefined) {
    app.get('/metrics', async (c) => {
      const bearer = /^Bearer ([\x21-\x7e]{1,512})$/.exec(c.req.header('authorization') ?? '')?.[1];
      const result =
        bearer === undefined
          ? 'wrong'
          : await metrics.auth.checkBearer(bearer, metrics.clientAddress(c), metrics.now());
      if (typeof result === 'object') {
        c.header('retry-after', String(result.locked));
        return c.json(
          { error: { code: 'too_many_attempts', message: 'too many wrong tokens from this address' } },
          429,
        );
      }
      if (result === 'wrong') {
        c.header('www-authenticate', 'Bearer realm="instant-sync"');
        return c.json(
          {
            error: {
              code: 'unauthorized',
              message:
                'send Authorization: Bearer <INSTANT_SYNC_ADMIN_TOKEN>, or scrape INSTANT_SYNC_METRICS_PORT on the server',
            },
          },
          401,
        );
      }
      return c.body(await metrics.source.render(), 200, { 'content-type': metrics.source.contentType });
    });
  }

  app.route('/', designSystemRoutes());
  app.route('/', pageScriptRoutes());
  for (const routes of deps.routes ?? []) app.route('/', routes);

  app.notFound((c) =>
    errorResponse(c, new NotFoundError(`no route for ${c.req.method} ${c.req.path}`), deps.logger),
  );
  app.onError((error, c) => errorResponse(c, error, deps.logger));
  return app;
}

/** The separate metrics listener (INSTANT_SYNC_METRICS_PORT, on localhost by default): /metrics without a token. */
export function createMetricsApp(metrics: MetricsSource, logger: Logger): Hono {
  const app = new Hono();
  app.get('/metrics', async (c) =>
    c.body(await metrics.render(), 200, { 'content-type': metrics.contentType }),
  );
  app.notFound((c) =>
    errorResponse(c, new NotFoundError(`no route for ${c.req.method} ${c.req.path}`), logger),
  );
  app.onError((error, c) => errorResponse(c, error, logger));
  return app;
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
