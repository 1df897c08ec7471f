// Multi-row INSERTs on the sync path (a worker's traces and links of one moment), written as SQL
// text once per row count instead of built by Kysely on every call: building a 300-row statement
// node by node was a tenth of what a burst allocated, and handing the driver the same text object
// each time lets SQLite's statement cache find it without hashing 20 KB of SQL anew. The text is
// plain SQL both databases read alike (quoted names, `ON CONFLICT … DO UPDATE`); only the
// parameter markers differ (`?` for SQLite, `$n` for PostgreSQL).
import { CompiledQuery, sql, type Insertable, type Kysely } from 'kysely';

type Markers = 'question' | 'numbered';
const markersOf = new WeakMap<object, Markers>();

/** How this database's dialect writes a parameter: asked once per Kysely instance. */
function markers<DB>(db: Kysely<DB>): Markers {
  let found = markersOf.get(db);
  if (found === undefined) {
    found = sql`${0}`.compile(db).sql === '$1' ? 'numbered' : 'question';
    markersOf.set(db, found);
  }
  return found;
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * An INSERT of many rows into `table`, `rowsPerStatement` rows per statement, with `tail` (an
 * `ON CONFLICT` clause, say) after the values. Returns the function that runs it.
 */
export function bulkInsert<
  DB,
  Table extends keyof DB & string,
  Column extends keyof Insertable<DB[Table]> & string,
>(
  table: Table,
  columns: readonly Column[],
  options: { rowsPerStatement: number; tail?: string },
): (db: Kysely<DB>, rows: readonly Pick<Insertable<DB[Table]>, Column>[]) => Promise<void> {
  const head = `insert into ${quote(table)} (${columns.map(quote).join(', ')}) values `;
  const tail = options.tail === undefined ? '' : ` ${options.tail}`;
  const texts: Record<Markers, Map<number, string>> = { question: new Map(), numbered: new Map() };
  const textFor = (style: Markers, rowCount: number): string => {
    let text = texts[style].get(rowCount);
    if (text === undefined) {
      const tuples: string[] = [];
      for (let row = 0; row < rowCount; row++) {
        const marks: string[] = [];
        for (let column = 0; column < columns.length; column++)
          marks.push(style === 'numbered' ? `$${row * columns.length + column + 1}` : '?');
        tuples.push(`(${marks.join(', ')})`);
      }
      text = head + tuples.join(', ') + tail;
      texts[style].set(rowCount, text);
    }
    return text;
  };
  return async (db, rows) => {
    const style = markers(db);
    for (let start = 0; start < rows.length; start += options.rowsPerStatement) {
      const end = Math.min(rows.length, start + options.rowsPerStatement);
      const parameters: unknown[] = new Array((end - start) * columns.length);
      let at = 0;
      // (Indexed loops: an iterator here made a result object per value in a burst's garbage.)
      for (let index = start; index < end; index++) {
        const row = rows[index] as Record<string, unknown>;
        for (let column = 0; column < columns.length; column++)
          parameters[at++] = row[columns[column]!] ?? null;
      }
      await db.executeQuery(CompiledQuery.raw(textFor(style, end - start), parameters));
    }
  };
}
