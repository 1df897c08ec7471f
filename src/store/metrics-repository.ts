// The database-backed metric counts: rows of a table counted by one of its columns, so /metrics
// can report what all processes share (changes by source, jobs by state, connections by state).
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';

export type CountedTable = 'changes' | 'jobs' | 'salesforce_connections';
export type CountedColumn = 'source' | 'state';

/**
 * How many rows of `table` have each value of `column` (a value no row has is absent), in one
 * grouped count. PostgreSQL's bigint counts come back as numbers here.
 */
export async function countRowsBy(
  db: Kysely<Database>,
  table: CountedTable,
  column: CountedColumn,
): Promise<{ value: string; n: number }[]> {
  const rows = (await db
    .selectFrom(table)
    .select([sql.ref<string>(column).as('value'), (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy(column)
    .execute()) as { value: string; n: number | string }[];
  return rows.map((row) => ({ value: row.value, n: Number(row.n) }));
}
