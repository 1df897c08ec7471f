// A worker renews the leases of the jobs it is still working on; the ids it gets back are the
// ones it still holds. A job missing from the answer was taken back: stop working on it.
import type { Kysely } from 'kysely';
import type { Database } from '../schema.ts';

export async function renewLeases(
  db: Kysely<Database>,
  renewal: { workerId: string; jobIds: readonly number[]; leaseMs: number; now: number },
): Promise<number[]> {
  if (renewal.jobIds.length === 0) return [];
  const rows = await db
    .updateTable('jobs')
    .set({ lease_expires_at: renewal.now + renewal.leaseMs, updated_at: renewal.now })
    .where('id', 'in', [...renewal.jobIds])
    .where('state', '=', 'running')
    .where('lease_owner', '=', renewal.workerId)
    .returning('id')
    .execute();
  return rows.map((row) => Number(row.id));
}
