// Lanes: each job says which work it is (0 live, 1 reconciliation, 2 bulk), and claims take the
// due jobs of the best lane first through an index of waiting jobs by lane and due time. Jobs
// already queued are live (the lane they would have had at worst waits less).
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function jobLanesSchema(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('jobs')
        .addColumn('lane', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createIndex('jobs_lane_ready')
        .on('jobs')
        .columns(['lane', 'run_at', 'id'])
        .where(sql.ref('state'), '=', sql.lit('waiting'))
        .execute();
    },
  };
}
