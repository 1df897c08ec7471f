// Multi-row INSERTs on the hot paths (intake's changes and jobs, a worker's traces and links of one
// moment), written as SQL text once per row count instead of built by Kysely on every call:
// building a 300-row statement node by node was a tenth of what a burst allocated, and handing the
// driver the same text object each time lets SQLite's statement cache find it without hashing
// 20 KB of SQL anew. The text is plain SQL both databases read alike (quoted names, `ON CONFLICT
// … DO UPDATE`, `RETURNING`); only the parameter markers differ (`?` for SQLite, `$n` for
// PostgreSQL).
//
// On SQLite the rows go in as many as the next power of two, the rest of them NULLs, through
// `SELECT * FROM (VALUES …) WHERE column1 IS NOT NULL`, which leaves the padding out: a batch of
// any size up to 512 rows uses one of at most ten texts, each compiled once and kept in the
// statement cache, where a text per row count had SQLite compile most batches' inserts anew (514
// of the 750 compilations in a 10,000-Event burst). The first column is therefore never NULL in a row
// (the tenant's id, in every table written this way). PostgreSQL plans each statement as it
// comes and gains nothing from padding: it gets the rows as they are.
import type { Insertable, Kysely, Selectable } from 'kysely';
import { listStatement, markerList, markers, type Markers } from './list-statement.ts';

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** The rows a statement carries for `rowCount` rows: on SQLite, the next power of two. */
export function paddedRowCount(style: Markers, rowCount: number): number {
  return style === 'numbered' ? rowCount : 2 ** Math.ceil(Math.log2(Math.max(1, rowCount)));
}

/**
 * An INSERT of many rows into `table`, `rowsPerStatement` rows per statement, with `tail` (an
 * `ON CONFLICT` clause, say) after the values, and the rows' `returning` columns given back.
 * Returns the function that runs it. The first of `columns` is never NULL in a row.
 */
export function bulkInsert<
  DB,
  Table extends keyof DB & string,
  Column extends keyof Insertable<DB[Table]> & string,
  Returned extends keyof Selectable<DB[Table]> & string = never,
>(
  table: Table,
  columns: readonly Column[],
  options: { rowsPerStatement: number; tail?: string; returning?: readonly Returned[] },
): (
  db: Kysely<DB>,
  rows: readonly Pick<Insertable<DB[Table]>, Column>[],
) => Promise<Pick<Selectable<DB[Table]>, Returned>[]> {
  const names = columns.map(quote).join(', ');
  const tail =
    (options.tail === undefined ? '' : ` ${options.tail}`) +
    (options.returning === undefined || options.returning.length === 0
      ? ''
      : ` returning ${options.returning.map(quote).join(', ')}`);
  const insert = listStatement<Pick<Selectable<DB[Table]>, Returned>>((mark, rowCount, style) => {
    const tuples: string[] = [];
    for (let row = 0; row < rowCount; row++) tuples.push(`(${markerList(mark, columns.length)})`);
    return style === 'numbered'
      ? `insert into ${quote(table)} (${names}) values ${tuples.join(', ')}${tail}`
      : // (The WHERE also keeps SQLite from reading the tail's ON as a join's.)
        `insert into ${quote(table)} (${names}) select * from (values ${tuples.join(', ')}) where column1 is not null${tail}`;
  });
  const first = columns[0]!;
  return async (db, rows) => {
    const style = markers(db);
    const returned: Pick<Selectable<DB[Table]>, Returned>[] = [];
    for (let start = 0; start < rows.length; start += options.rowsPerStatement) {
      const end = Math.min(rows.length, start + options.rowsPerStatement);
      const carried = paddedRowCount(style, end - start);
      const parameters: unknown[] = new Array(carried * columns.length);
      let at = 0;
      // (Indexed loops: an iterator here made a result object per value in a burst's garbage.)
      for (let index = start; index < end; index++) {
        const row = rows[index] as Record<string, unknown>;
        if (row[first] === undefined || row[first] === null)
          throw new TypeError(`a row for ${table} without its ${first}`);
        for (let column = 0; column < columns.length; column++)
          parameters[at++] = row[columns[column]!] ?? null;
      }
      while (at < parameters.length) parameters[at++] = null; // the padding
      const result = await insert(db, carried, parameters);
      for (const row of result.rows) returned.push(row);
    }
    return returned;
  };
}
