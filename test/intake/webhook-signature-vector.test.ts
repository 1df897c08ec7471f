// The shared webhook signature vector (salesforce-package/test-vectors/webhook-signature.json), which the
// Salesforce package's Apex test (InstantSyncWebhookTest) asserts too: the server's own verification
// accepts it, and so does the real webhook route, driven in-process with the vector's secret as the
// tenant's. A retry as the package sends it (same body and deliveryId, a later timestamp, signed again)
// is accepted and recorded once. So the package and the server cannot drift apart unnoticed.
import { repositories } from '../../src/store/repositories.ts';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger.ts';
import { generateSecretKey, SecretBox } from '../../src/lib/secret-box.ts';
import { webhookRoutes } from '../../src/intake/webhook/webhook-route.ts';
import { readWebhookBody, signWebhook, verifyWebhook } from '../../src/intake/webhook/webhook-delivery.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { seedTenant } from '../support/seed-tenant.ts';
import { describeOnBackends } from '../support/test-databases.ts';
import { sealContext } from '../../src/store/seal-contexts.ts';

interface SignatureVector {
  secret: string;
  timestamp: string;
  body: string;
  signature: string;
}

const vector = JSON.parse(
  readFileSync(
    new URL('../../salesforce-package/test-vectors/webhook-signature.json', import.meta.url),
    'utf8',
  ),
) as SignatureVector;
const sentAt = Number(vector.timestamp) * 1000;
const deliveryId = (JSON.parse(vector.body) as { deliveryId: string }).deliveryId;

describe('the shared webhook signature vector', () => {
  it('is signed as the server signs', () => {
    expect(signWebhook(vector.secret, vector.timestamp, vector.body)).toBe(vector.signature);
  });

  it("passes the server's verification, and fails it with any byte changed", () => {
    const verify = (overrides: Partial<SignatureVector>) =>
      verifyWebhook({ ...vector, ...overrides, now: sentAt })?.code;
    expect(verify({})).toBeUndefined();
    expect(verify({ body: vector.body.replace('UPDATE', 'DELETE') })).toBe('bad_signature');
    expect(verify({ timestamp: String(Number(vector.timestamp) + 1) })).toBe('bad_signature');
    expect(verify({ secret: `${vector.secret}x` })).toBe('bad_signature');
  });

  it('has a body the server reads: its Events, their change and stamp, under its deliveryId', () => {
    const changes = readWebhookBody(vector.body, vector.timestamp, sentAt);
    if (!Array.isArray(changes)) throw new Error(`refused: ${changes.message}`);
    expect(changes.map((change) => [change.eventId, change.changeType])).toEqual([
      ['00U8d00000QmTx2EAF', 'update'],
      ['00U8d00000QmTyAEAV', 'update'],
      ['00U8d00000Rk3vLEAR', 'update'],
    ]);
    expect(changes.every((change) => change.dedupeKey.startsWith(`webhook:${deliveryId}:`))).toBe(true);
    expect(changes[0]!.committedAt).toBe(Date.parse('2026-11-24T09:00:00.000Z'));
  });
});

describeOnBackends(
  ['sqlite'],
  'the shared webhook signature vector through the webhook route',
  (database) => {
    let app: ReturnType<typeof webhookRoutes>;
    let clock: ManualClock;
    let tenant: { id: string; slug: string; clientId: string };

    beforeAll(async () => {
      const db = database.store.db;
      const secretBox = new SecretBox(generateSecretKey());
      const id = await seedTenant(db);
      await db
        .updateTable('tenants')
        .set({ webhook_secret_sealed: secretBox.seal(vector.secret, sealContext.webhookSecret(id)) })
        .where('id', '=', id)
        .execute();
      const row = await db
        .selectFrom('tenants')
        .select(['slug', 'client_id'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      tenant = { id, slug: row.slug, clientId: row.client_id };
      clock = new ManualClock(sentAt);
      app = webhookRoutes({
        repos: repositories(db),
        secretBox,
        clock,
        logger: createLogger({ level: 'silent' }),
        rateLimitPerMinute: 20_000,
      });
    });

    const deliver = (timestamp: string, signature: string, contentType = 'application/json') =>
      app.request(`/t/${tenant.slug}/hooks/salesforce`, {
        method: 'POST',
        headers: {
          'content-type': contentType,
          'x-instant-sync-client-id': tenant.clientId,
          'x-instant-sync-timestamp': timestamp,
          'x-instant-sync-signature': signature,
        },
        body: vector.body,
      });

    it('accepts the vector as the package sends it and records its three changes', async () => {
      const response = await deliver(vector.timestamp, vector.signature);
      expect(response.status).toBe(202);
      expect(await response.json()).toEqual({ received: 3, recorded: 3, duplicates: 0 });
      const recorded = await database.store.db
        .selectFrom('changes')
        .select(['event_id', 'change_type', 'source'])
        .where('tenant_id', '=', tenant.id)
        .orderBy('event_id')
        .execute();
      expect(recorded).toEqual([
        { event_id: '00U8d00000QmTx2EAF', change_type: 'update', source: 'webhook' },
        { event_id: '00U8d00000QmTyAEAV', change_type: 'update', source: 'webhook' },
        { event_id: '00U8d00000Rk3vLEAR', change_type: 'update', source: 'webhook' },
      ]);
    });

    it("records a retry (same deliveryId, later timestamp, Salesforce's charset) once", async () => {
      clock.advance(60_000);
      const retriedAt = String(Number(vector.timestamp) + 60);
      const response = await deliver(
        retriedAt,
        signWebhook(vector.secret, retriedAt, vector.body),
        'application/json;charset=UTF-8',
      );
      expect(response.status).toBe(202);
      expect(await response.json()).toEqual({ received: 3, recorded: 0, duplicates: 3 });
    });

    it('refuses the vector with another signature', async () => {
      const response = await deliver(
        vector.timestamp,
        signWebhook('whsec_other', vector.timestamp, vector.body),
      );
      expect(response.status).toBe(401);
    });
  },
);
