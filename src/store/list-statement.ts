// Statements on the hot paths whose text depends only on the length of their lists (an IN list,
// an OR of one term per Event), written as SQL text once per length instead of built by Kysely
// on every call: building and compiling a batch's two reads of its changes node by node took
// about as long as SQLite took to run them in a burst (docs/performance.md). The text is plain SQL both
// databases read alike; only the parameter markers differ (`?` for SQLite, `$n` for PostgreSQL).
// With lists padded to a power of two (padded-list.ts), a batch of any size uses one of a few
// texts, and handing the driver the same text object lets SQLite's statement cache find it
// without hashing the SQL anew.
import { CompiledQuery, sql, type Kysely, type QueryResult } from 'kysely';

export type Markers = 'question' | 'numbered';
const markersOf = new WeakMap<object, Markers>();

/** How this database's dialect writes a parameter: asked once per Kysely instance. */
export function markers<DB>(db: Kysely<DB>): Markers {
  let found = markersOf.get(db);
  if (found === undefined) {
    found = sql`${0}`.compile(db).sql === '$1' ? 'numbered' : 'question';
    markersOf.set(db, found);
  }
  return found;
}

/** `count` markers, comma-separated, each from `mark`. */
export function markerList(mark: () => string, count: number): string {
  const marks: string[] = [];
  for (let i = 0; i < count; i++) marks.push(mark());
  return marks.join(', ');
}

/**
 * A statement whose text `write` gives for a count (its lists' length) and the dialect's markers,
 * calling `mark` for each parameter in the order the parameters come. Returns the function that
 * runs it with that count and those parameters.
 */
export function listStatement<Row>(
  write: (mark: () => string, count: number, style: Markers) => string,
): <DB>(db: Kysely<DB>, count: number, parameters: unknown[]) => Promise<QueryResult<Row>> {
  const texts: Record<Markers, Map<number, string>> = { question: new Map(), numbered: new Map() };
  return async (db, count, parameters) => {
    const style = markers(db);
    let text = texts[style].get(count);
    if (text === undefined) {
      let n = 0;
      text = write(() => (style === 'numbered' ? `$${++n}` : '?'), count, style);
      texts[style].set(count, text);
    }
    return db.executeQuery<Row>(CompiledQuery.raw(text, parameters));
  };
}
