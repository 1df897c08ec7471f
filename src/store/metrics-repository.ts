// The database-backed metric counts: rows of a table counted by one of its columns, so /metrics
// can report what all processes share (changes by source, jobs by state, connections by state).
import { sql, type Kysely } from 'kysely';
import { removedChanges } from './retention-repository.ts';
import type { Database } from './schema.ts';

export type CountedTable = 'changes' | 'jobs' | 'salesforce_connections';
export type CountedColumn = 'source' | 'state';

/**
 * How many rows of `table` have each value of `column` (a value no row has is absent), in one
 * grouped count; for changes, with those retention removed. PostgreSQL's bigint counts come back
 * as numbers here.
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
  const counts = rows.map((row) => ({ value: row.value, n: Number(row.n) }));
  if (table !== 'changes') return counts;
  // Changes received is a counter: the ones retention removed still count.
  for (const [source, n] of await removedChanges(db)) {
    const found = counts.find((count) => count.value === source);
    if (found === undefined) counts.push({ value: source, n });
    else found.n += n;
  }
  return counts;
}
