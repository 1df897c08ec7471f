// POST /t/<slug>/hooks/salesforce: changes pushed by our Salesforce package (or any caller
// holding the tenant's webhook secret). Every refusal is a JSON error and records nothing; an
// accepted delivery records its changes with their jobs (a slice of them per transaction) and
// answers 202.
// A body that is not JSON by its Content-Type is refused before a byte of it is read.
// Intake only: no Salesforce read, no mailbox call, so it answers fast whatever they are doing.
// Each tenant may deliver `rateLimitPerMinute` Event changes a minute (counted across nodes, only
// for authentic deliveries); beyond it a delivery is 429 with Retry-After, and once the minute's
// budget is spent later deliveries are refused before their bodies are read.
// A tenant's deliveries take turns, two at a time per process, from reading their bodies to
// their answers: a crowd of 1 MiB deliveries read at once kept the process busy reading and
// parsing for over a second (health checks and other tenants waited behind it), while one that
// waits its turn costs nothing (its bytes wait in the network). A delivery whose turn comes once
// the tenant's minute is spent is refused without being read.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import type { SecretBox } from '../../lib/secret-box.ts';
import {
  isJsonContentType,
  maxWebhookBodyBytes,
  readWebhookBody,
  unsupportedMediaType,
  verifyWebhook,
  webhookHeaders,
  type WebhookRefusal,
} from './webhook-delivery.ts';
import { sealContext } from '../../store/seal-contexts.ts';
import type { Repositories } from '../../store/repositories.ts';

export interface WebhookDeps {
  repos: Repositories;
  secretBox: SecretBox;
  clock: Clock;
  logger: Logger;
  /** Event changes a tenant may deliver per minute. */
  rateLimitPerMinute: number;
}

const rateWindowMs = 60_000;

export function webhookRoutes(deps: WebhookDeps): Hono {
  const app = new Hono();
  const turns = new TenantTurns(deliveriesAtOnce);
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
      const tenant = await deps.repos.tenants.findTenantBySlug(slug);
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
      const spentAlready = async () => {
        const spent = await deps.repos.rateLimits.peekRateLimit(rateKey, {
          now: deps.clock.now(),
          windowMs: rateWindowMs,
        });
        return spent !== undefined && spent.hits >= deps.rateLimitPerMinute
          ? Math.max(1, Math.ceil((spent.windowStartedAt + rateWindowMs - deps.clock.now()) / 1000))
          : undefined;
      };
      return turns.run(tenant.id, async () => {
        const wait = await spentAlready();
        if (wait !== undefined) return tooMany(wait);
        const body = await c.req.text();
        const timestamp = c.req.header(webhookHeaders.timestamp);
        const refusal = verifyWebhook({
          secret: deps.secretBox.open(tenant.webhook_secret_sealed, sealContext.webhookSecret(tenant.id)),
          timestamp,
          signature: c.req.header(webhookHeaders.signature),
          body,
          now: deps.clock.now(),
        });
        if (refusal !== undefined) return refuse(c, slug, refusal);
        const changes = readWebhookBody(body, timestamp ?? '', deps.clock.now());
        if (!Array.isArray(changes)) return refuse(c, slug, changes);
        const budget = await deps.repos.rateLimits.reserveRateLimit(rateKey, {
          limit: deps.rateLimitPerMinute,
          windowMs: rateWindowMs,
          now: deps.clock.now(),
          cost: changes.length,
        });
        if (!budget.allowed) {
          await deps.repos.rateLimits.refundRateLimit(rateKey, budget.hit, changes.length);
          return tooMany(budget.retryAfterSeconds);
        }
        // Recorded a slice at a time, with a turn of the event loop between slices: SQLite
        // answers synchronously, and 2,000 changes at once held the thread for ~50 ms. A delivery
        // needs no single transaction: each change is deduplicated by its key, so one answered
        // with an error and sent again records only what is missing.
        const result = { recorded: 0, duplicates: 0 };
        for (let i = 0; i < changes.length; i += changesPerSlice) {
          if (i > 0) await nextTurn();
          const slice = await deps.repos.changes.recordChanges({
            tenantId: tenant.id,
            settleWindowMs: tenant.settle_window_ms,
            now: deps.clock.now(),
            changes: changes.slice(i, i + changesPerSlice),
          });
          result.recorded += slice.recorded;
          result.duplicates += slice.duplicates;
        }
        deps.logger.info(
          { tenant: slug, source: 'webhook', recorded: result.recorded, duplicates: result.duplicates },
          'changes received',
        );
        return c.json(
          { received: changes.length, recorded: result.recorded, duplicates: result.duplicates },
          202,
        );
      });
    },
  );
  return app;
}

/** Changes recorded in one transaction; a slice of 250 holds the thread a few milliseconds. */
const changesPerSlice = 250;

/** Deliveries of one tenant handled at once by one process. */
const deliveriesAtOnce = 2;

/** Per-tenant turns: at most `size` holders per tenant, the rest waiting in arrival order. */
class TenantTurns {
  readonly #size: number;
  readonly #tenants = new Map<string, { held: number; waiting: (() => void)[] }>();

  constructor(size: number) {
    this.#size = size;
  }

  async run<T>(tenantId: string, work: () => Promise<T>): Promise<T> {
    let turns = this.#tenants.get(tenantId);
    if (turns === undefined) {
      turns = { held: 0, waiting: [] };
      this.#tenants.set(tenantId, turns);
    }
    if (turns.held < this.#size) turns.held += 1;
    else await new Promise<void>((resolve) => turns.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = turns.waiting.shift();
      if (next !== undefined) next();
      else if (--turns.held === 0) this.#tenants.delete(tenantId);
    }
  }
}
