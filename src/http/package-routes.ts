// POST /t/<slug>/hooks/connection: the Connect page inside Salesforce (our package's Lightning
// page, through its Apex controller) asks the server for the tenant's connection as it is now,
// or disconnects it. Signed exactly as the webhook is (docs/webhook.md: Client ID, timestamp,
// HMAC-SHA256 of `timestamp.body` with the webhook secret, which only the org's protected
// setting holds), so only that org may ask; every refusal is JSON in the house shape.
//
// Body: {"action": "status"} or {"action": "disconnect"}. Answer: the connection in the admin
// guide's words ({ state, status, expiresAt, orgId, username }), after a disconnect with `revoked`.
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import {
  isJsonContentType,
  unsupportedMediaType,
  verifyWebhook,
  webhookHeaders,
} from '../intake/webhook/webhook-delivery.ts';
import type { ConnectionManager } from '../salesforce/connection-manager.ts';
import type { ConnectionView } from '../salesforce/connection-view.ts';
import { sealContext } from '../store/seal-contexts.ts';
import type { Repositories } from '../store/repositories.ts';

export interface PackageHooksDeps {
  repos: Repositories;
  secretBox: SecretBox;
  clock: Clock;
  logger: Logger;
  connections: Pick<ConnectionManager, 'get' | 'disconnect'>;
}

const actions = ['status', 'disconnect'] as const;
type Action = (typeof actions)[number];

export function packageRoutes(deps: PackageHooksDeps): Hono {
  const app = new Hono();
  const refuse = (c: Context, status: 400 | 401 | 404 | 413 | 415, code: string, message: string) => {
    deps.logger.warn({ tenant: c.req.param('slug'), code }, `package request refused: ${message}`);
    return c.json({ error: { code, message } }, status);
  };

  app.post(
    '/t/:slug/hooks/connection',
    async (c, next) => {
      if (isJsonContentType(c.req.header('content-type'))) return next();
      return refuse(c, unsupportedMediaType.status, unsupportedMediaType.code, unsupportedMediaType.message);
    },
    bodyLimit({
      maxSize: 4096,
      onError: (c) => refuse(c, 413, 'too_large', 'the body is larger than 4 KiB'),
    }),
    async (c) => {
      const slug = c.req.param('slug');
      const tenant = await deps.repos.tenants.findTenantBySlug(slug);
      if (tenant === undefined)
        return refuse(c, 404, 'unknown_tenant', `no tenant named ${JSON.stringify(slug)}`);
      if (c.req.header(webhookHeaders.clientId) !== tenant.client_id)
        return refuse(
          c,
          401,
          'unknown_client',
          `${webhookHeaders.clientId} does not match this tenant's Client ID`,
        );
      const body = await c.req.text();
      const refusal = verifyWebhook({
        secret: deps.secretBox.open(tenant.webhook_secret_sealed, sealContext.webhookSecret(tenant.id)),
        timestamp: c.req.header(webhookHeaders.timestamp),
        signature: c.req.header(webhookHeaders.signature),
        body,
        now: deps.clock.now(),
      });
      if (refusal !== undefined) return refuse(c, refusal.status, refusal.code, refusal.message);
      const action = readAction(body);
      if (action === undefined)
        return refuse(c, 400, 'malformed_body', `the body must be {"action": "${actions.join('" or "')}"}`);
      if (action === 'status') return c.json(toPackageView((await deps.connections.get(slug)).connection));
      const done = await deps.connections.disconnect(slug);
      deps.logger.info({ tenant: slug }, 'disconnected from the Connect page inside Salesforce');
      return c.json({ ...toPackageView(done.connection), revoked: done.revoked });
    },
  );
  return app;
}

function readAction(body: string): Action | undefined {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    const action = (parsed as { action?: unknown }).action;
    return actions.find((a) => a === action);
  } catch {
    return undefined;
  }
}

/** What the Connect page shows: never a token. */
function toPackageView(connection: ConnectionView) {
  return {
    state: connection.state,
    status: connection.status,
    expiresAt: connection.expiresAt,
    orgId: connection.orgId,
    username: connection.username,
    lastError: connection.lastError,
  };
}
