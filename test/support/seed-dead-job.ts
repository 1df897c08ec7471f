// A job dead-lettered after its last attempt, as the engine leaves one, for tests of what admins do
// about it (Retry, the failures page).
import type { Kysely } from 'kysely';
import type { Database } from '../../src/store/schema.ts';

export async function seedDeadJob(
  db: Kysely<Database>,
  job: { tenantId: string; eventId: string; lastError: string; attempts?: number; at?: number },
): Promise<void> {
  await db
    .insertInto('jobs')
    .values({
      tenant_id: job.tenantId,
      event_id: job.eventId,
      state: 'dead',
      run_at: job.at ?? 0,
      attempts: job.attempts ?? 20,
      first_change_at: job.at ?? 0,
      last_error: job.lastError,
      created_at: job.at ?? 0,
      updated_at: job.at ?? 0,
    })
    .execute();
}
