// A worker renews the leases of the jobs it is still working on; the ids it gets back are the
// ones it still holds. A job missing from the answer was taken back: stop working on it.
import type { Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import { heldBy, type JobRun } from './job.ts';

export async function renewLeases(
  db: Kysely<Database>,
  renewal: { workerId: string; runs: readonly JobRun[]; leaseMs: number; now: number },
): Promise<number[]> {
  const held: number[] = [];
  for (let i = 0; i < renewal.runs.length; i += 500) {
    const rows = await db
      .updateTable('jobs')
      .set({ lease_expires_at: renewal.now + renewal.leaseMs, updated_at: renewal.now })
      .where(heldBy(renewal.runs.slice(i, i + 500), renewal.workerId))
      .returning('id')
      .execute();
    held.push(...rows.map((row) => Number(row.id)));
  }
  return held;
}
