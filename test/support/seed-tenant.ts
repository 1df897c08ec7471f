// Inserts a tenant row directly, for store tests that need one to hang jobs and changes on.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/store/schema.ts';

export async function seedTenant(
  db: Kysely<Database>,
  overrides: { settleWindowMs?: number } = {},
): Promise<string> {
  const id = randomUUID();
  await db
    .insertInto('tenants')
    .values({
      id,
      slug: `t-${id.slice(0, 8)}`,
      name: 'Test tenant',
      client_id: String(Math.floor(Math.random() * 9e9) + 1e9),
      webhook_secret_sealed: 'v1.test.not-a-real-secret',
      settle_window_ms: overrides.settleWindowMs ?? 2000,
      created_at: 0,
      updated_at: 0,
    })
    .execute();
  return id;
}
