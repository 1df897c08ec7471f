// Kysely over Node's built-in `node:sqlite` (no native addon to build). Where it differs from
// Kysely's stock SQLite dialect (the first two for correctness with several processes on one file):
// - every transaction starts with BEGIN IMMEDIATE, so it takes the write lock up front and
//   waits (busy_timeout) instead of failing when a read lock cannot be upgraded;
// - migrations run inside one transaction (SQLite supports transactional DDL), which is also
//   what stops two processes from migrating the same file at once;
// - callers take turns on the one connection in arrival order, each woken alone when its turn
//   comes. (Kysely's own mutex for single-connection drivers wakes every waiter at each release;
//   with hundreds of syncs waiting, that made most of the engine's garbage and a good part of
//   its CPU.)
// - a LIMIT is written `limit (select ?)`: SQLite (3.53, in Node 24) compiles a statement whose
//   LIMIT is a bare parameter again each time a value is bound to it, as it does when a value
//   may change the plan; as a scalar subquery the value is read at run time and the compiled
//   statement is kept (the claim, 9 KB of SQL, took twice as long compiled at each run). SQLite
//   does the same with a parameter compared with a column a partial index is conditioned on
//   (`jobs.state`, `links.state`, `mailbox_providers.is_default`): queries compare those with
//   literals (`sql.lit`).
import { constants, DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteDriver,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type LimitNode,
  type QueryCompiler,
  type SqliteDatabase,
  type SqliteStatement,
} from 'kysely';

export interface NodeSqliteOptions {
  path: string;
  /** How long a writer waits for another process's write lock before failing. */
  busyTimeoutMs: number;
  /**
   * Told of each check SQLite makes while it compiles a statement (its authorizer): a statement
   * run again from the cache is told of none, unless SQLite compiles it again. For tests.
   */
  onCompileCheck?: (() => void) | undefined;
}

export class NodeSqliteDialect implements Dialect {
  readonly #options: NodeSqliteOptions;

  constructor(options: NodeSqliteOptions) {
    this.#options = options;
  }

  createDriver(): Driver {
    return new ImmediateSqliteDriver({ database: new NodeSqliteDatabase(this.#options) });
  }

  createQueryCompiler(): QueryCompiler {
    return new NodeSqliteQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new TransactionalSqliteAdapter();
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

/** A LIMIT as a scalar subquery, so that binding its value does not compile the statement again. */
class NodeSqliteQueryCompiler extends SqliteQueryCompiler {
  protected override visitLimit(node: LimitNode): void {
    this.append('limit (select ');
    this.visitNode(node.limit);
    this.append(')');
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  readonly #turns = new Turns();

  override async acquireConnection(): Promise<DatabaseConnection> {
    await this.#turns.take();
    return super.acquireConnection();
  }

  override releaseConnection(): Promise<void> {
    this.#turns.pass();
    return Promise.resolve();
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/** One holder at a time; the others wait in a line and are woken one by one. */
export class Turns {
  #held = false;
  #line: (() => void)[] = [];
  #head = 0;

  take(): Promise<void> {
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#line.push(resolve));
  }

  pass(): void {
    const next = this.#line[this.#head];
    if (next === undefined) {
      this.#held = false;
      this.#line = [];
      this.#head = 0;
      return;
    }
    this.#line[this.#head++] = noop;
    if (this.#head > 1024 && this.#head * 2 > this.#line.length) {
      this.#line = this.#line.slice(this.#head);
      this.#head = 0;
    }
    next();
  }

  /** Callers waiting for their turn. */
  get waiting(): number {
    return this.#line.length - this.#head;
  }
}

const noop = () => undefined;

class TransactionalSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }

  /** The driver lines callers up itself (see Turns), so Kysely's mutex is not wanted. */
  override get supportsMultipleConnections(): boolean {
    return true;
  }
}

/** What the statement cache may hold: SQL characters in all, statements, and characters of one. */
const statementCacheChars = 256 * 1024;
const statementCacheEntries = 200;
const maxCachedStatementChars = 32 * 1024;

/** Adapts `DatabaseSync` to the better-sqlite3 shape Kysely's SQLite driver expects. */
class NodeSqliteDatabase implements SqliteDatabase {
  readonly #db: DatabaseSync;
  /**
   * Prepared statements by SQL text: the queue runs the same few statements all day. A prepared
   * statement holds SQLite's compiled program in native memory, which for a multi-row write grows
   * with its rows (hundreds of kilobytes for 500), and batches come in every size: the cache is
   * bounded by the length of the SQL it holds, least recently used out first, and a statement too long to be
   * worth holding is not kept. (A cache of 500 statements of any size added about 20 MB to the
   * peak of a 10,000-Event burst.)
   */
  readonly #statements = new Map<string, SqliteStatement>();
  #cachedChars = 0;

  constructor(options: NodeSqliteOptions) {
    this.#db = new DatabaseSync(options.path, { timeout: options.busyTimeoutMs });
    this.#db.exec('pragma journal_mode = wal');
    // NORMAL is durable against a process crash in WAL mode; only a power loss can drop the
    // last commits, and then the intake positions stored beside them roll back too.
    this.#db.exec('pragma synchronous = normal');
    this.#db.exec('pragma foreign_keys = on');
    // A page changed in a transaction goes to the write-ahead log whole, and into the database
    // file at the next checkpoint, however many times it changed since the last: checkpoints
    // every 10,000 pages (40 MB of log) instead of SQLite's 1,000 copy the pages that change
    // all the time (the queue's, the indexes' upper levels) a tenth as often. Measured: 16 % fewer
    // bytes written to disk a change in `burst`, 12 % in `steady` (docs/performance.md).
    this.#db.exec('pragma wal_autocheckpoint = 10000');
    const { onCompileCheck } = options;
    if (onCompileCheck !== undefined)
      this.#db.setAuthorizer(() => {
        onCompileCheck();
        return constants.SQLITE_OK;
      });
  }

  prepare(sql: string): SqliteStatement {
    const cached = this.#statements.get(sql);
    if (cached !== undefined) {
      // Most recently used last, so what runs all the time (the claim's 9 KB) is never let go.
      this.#statements.delete(sql);
      this.#statements.set(sql, cached);
      return cached;
    }
    const statement = wrapStatement(this.#db.prepare(sql));
    if (sql.length > maxCachedStatementChars) return statement;
    this.#statements.set(sql, statement);
    this.#cachedChars += sql.length;
    for (const oldest of this.#statements.keys()) {
      if (this.#cachedChars <= statementCacheChars && this.#statements.size <= statementCacheEntries) break;
      this.#statements.delete(oldest);
      this.#cachedChars -= oldest.length;
    }
    return statement;
  }

  close(): void {
    this.#statements.clear();
    this.#cachedChars = 0;
    this.#db.close();
  }
}

function wrapStatement(statement: StatementSync): SqliteStatement {
  return {
    reader: statement.columns().length > 0,
    all: (parameters) => statement.all(...toSqliteValues(parameters)),
    run: (parameters) => statement.run(...toSqliteValues(parameters)),
    iterate: (parameters) => statement.iterate(...toSqliteValues(parameters)),
  };
}

/** The parameters as SQLite takes them: the same array when every value already is one (the usual case). */
function toSqliteValues(parameters: readonly unknown[]): SQLInputValue[] {
  for (let i = 0; i < parameters.length; i++)
    if (!isSqliteValue(parameters[i])) return parameters.map(toSqliteValue);
  return parameters as SQLInputValue[];
}

function isSqliteValue(value: unknown): value is SQLInputValue {
  const type = typeof value;
  return (
    value === null ||
    type === 'number' ||
    type === 'string' ||
    type === 'bigint' ||
    value instanceof Uint8Array
  );
}

function toSqliteValue(value: unknown): SQLInputValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (isSqliteValue(value)) return value;
  throw new TypeError(`cannot bind a ${typeof value} to an SQLite parameter`);
}
