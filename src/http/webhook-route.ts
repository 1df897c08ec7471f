// POST /t/<slug>/hooks/salesforce: changes pushed by our Salesforce package (or any caller
// holding the tenant's webhook secret). Every refusal is a JSON error and records nothing; an
// accepted delivery records its changes and their jobs in one transaction and answers 202.
// A body that is not JSON by its Content-Type is refused before a byte of it is read.
// Intake only: no Salesforce read, no mailbox call, so it answers fast whatever they are doing.
// Each tenant may deliver `rateLimitPerMinute` Event changes a minute (counted across nodes, only
// for authentic deliveries); beyond it a delivery is 429 with Retry-After, and once the minute's
// budget is spent later deliveries are refused before their bodies are read.
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Kysely } from 'kysely';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import {
  isJsonContentType,
  maxWebhookBodyBytes,
  readWebhookBody,
  unsupportedMediaType,
  verifyWebhook,
  webhookHeaders,
  type WebhookRefusal,
} from '../salesforce/change-sources/webhook-delivery.ts';
import { recordChanges } from '../store/changes/record-changes.ts';
import { peekRateLimit, refundRateLimit, reserveRateLimit } from '../store/rate-limits-repository.ts';
import type { Database } from '../store/schema.ts';
import { findTenantBySlug } from '../store/tenants-repository.ts';
import { webhookSecretContext } from '../tenants/create-tenant.ts';

export interface WebhookDeps {
  db: Kysely<Database>;
  secretBox: SecretBox;
  clock: Clock;
  logger: Logger;
  /** Event changes a tenant may deliver per minute. */
  rateLimitPerMinute: number;
}

const rateWindowMs = 60_000;

export function webhookRoutes(deps: WebhookDeps): Hono {
  const app = new Hono();
  const refuse = (
    c: Context,
    slug: string,
    refusal: WebhookRefusal | { status: 404 | 413 | 429; code: string; message: string },
  ) => {
    deps.logger.warn({ tenant: slug, code: refusal.code }, `webhook delivery refused: ${refusal.message}`);
    return c.json({ error: { code: refusal.code, message: refusal.message } }, refusal.status);
  };

  app.post(
    '/t/:slug/hooks/salesforce',
    async (c, next) => {
      if (isJsonContentType(c.req.header('content-type'))) return next();
      return refuse(c, c.req.param('slug') ?? '', unsupportedMediaType);
    },
    bodyLimit({
      maxSize: maxWebhookBodyBytes,
      onError: (c) =>
        refuse(c, c.req.param('slug') ?? '', {
          status: 413,
          code: 'too_large',
          message: 'the body is larger than 1 MiB: send fewer events per delivery',
        }),
    }),
    async (c) => {
      const slug = c.req.param('slug');
      const tenant = await findTenantBySlug(deps.db, slug);
      if (tenant === undefined)
        return refuse(c, slug, {
          status: 404,
          code: 'unknown_tenant',
          message: `no tenant named ${JSON.stringify(slug)}`,
        });
      if (c.req.header(webhookHeaders.clientId) !== tenant.client_id) {
        return refuse(c, slug, {
          status: 401,
          code: 'unknown_client',
          message: `${webhookHeaders.clientId} does not match this tenant's Client ID`,
        });
      }
      const rateKey = `webhook:${tenant.id}`;
      const tooMany = (retryAfterSeconds: number) => {
        c.header('retry-after', String(retryAfterSeconds));
        return refuse(c, slug, {
          status: 429,
          code: 'rate_limited',
          message: `this tenant may deliver ${deps.rateLimitPerMinute} Event changes a minute: retry after ${retryAfterSeconds} s`,
        });
      };
      const spent = await peekRateLimit(deps.db, rateKey, { now: deps.clock.now(), windowMs: rateWindowMs });
      if (spent !== undefined && spent.hits >= deps.rateLimitPerMinute)
        return tooMany(
          Math.max(1, Math.ceil((spent.windowStartedAt + rateWindowMs - deps.clock.now()) / 1000)),
        );
      const body = await c.req.text();
      const timestamp = c.req.header(webhookHeaders.timestamp);
      const refusal = verifyWebhook({
        secret: deps.secretBox.open(tenant.webhook_secret_sealed, webhookSecretContext(tenant.id)),
        timestamp,
        signature: c.req.header(webhookHeaders.signature),
        body,
        now: deps.clock.now(),
      });
      if (refusal !== undefined) return refuse(c, slug, refusal);
      const changes = readWebhookBody(body, timestamp ?? '', deps.clock.now());
      if (!Array.isArray(changes)) return refuse(c, slug, changes);
      const budget = await reserveRateLimit(deps.db, rateKey, {
        limit: deps.rateLimitPerMinute,
        windowMs: rateWindowMs,
        now: deps.clock.now(),
        cost: changes.length,
      });
      if (!budget.allowed) {
        await refundRateLimit(deps.db, rateKey, budget.hit, changes.length);
        return tooMany(budget.retryAfterSeconds);
      }
      const result = await recordChanges(deps.db, {
        tenantId: tenant.id,
        settleWindowMs: tenant.settle_window_ms,
        now: deps.clock.now(),
        changes,
      });
      deps.logger.info(
        { tenant: slug, source: 'webhook', recorded: result.recorded, duplicates: result.duplicates },
        'changes received',
      );
      return c.json(
        { received: changes.length, recorded: result.recorded, duplicates: result.duplicates },
        202,
      );
    },
  );
  return app;
}
