// Opens the database named by INSTANT_SYNC_DATABASE_URL: SQLite through node:sqlite for the
// embedded default, PostgreSQL through a pg pool for scale-out. Everything above this file
// sees one Kysely<Database> plus the backend's named capabilities.
//
// A SQLite file holds Event contents and sealed secrets, so it is for the service's user alone:
// a folder made for it is 0700, the file is created 0600 before SQLite opens it (SQLite gives
// its -wal and -shm files the database file's mode), and files found readable by others are
// tightened at open, with a warning.
import { chmodSync, closeSync, fstatSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type pg from 'pg';
import type { Pool, PoolConfig } from 'pg';
import { ConfigError } from '../lib/errors.ts';
import { postgresCapabilities, sqliteCapabilities, type BackendCapabilities } from './backend.ts';
import { NodeSqliteDialect } from './node-sqlite-dialect.ts';
import { repositories, type Repositories } from './repositories.ts';
import type { Database } from './schema.ts';
import { countingStatements, type StatementCount } from './statement-count.ts';

export interface Store {
  /** The query builder: for store/ and migrations only; everything else is handed `repos`. */
  db: Kysely<Database>;
  /** Every repository bound to `db`: what the composition root hands to the modules it builds. */
  repos: Repositories;
  backend: BackendCapabilities;
  /** The database URL with any password masked, for logs and messages. */
  location: string;
  /** Statements this process has sent to the database (each a round trip on PostgreSQL). */
  statements: StatementCount;
  /** Resolves when the database answers a trivial query; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  poolSize?: number;
  /**
   * Told of a PostgreSQL connection that failed (the server restarted, the network was cut),
   * idle or in use. It never crashes the process: the query in flight on it fails, and the
   * pool opens a new connection for the next one.
   */
  onConnectionError?: (error: Error) => void;
  /**
   * Told of something worth an operator's attention that did not stop the open: a SQLite file
   * that other users could read (its mode was tightened to 0600, or could not be).
   */
  onWarning?: (message: string, details: Record<string, unknown>) => void;
}

const int8Oid = 20;

export function openStore(url: string, options: OpenStoreOptions = {}): Store {
  if (url.startsWith('sqlite:')) return openSqlite(url.slice('sqlite:'.length), options);
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url, options);
  throw new ConfigError([
    `unsupported database URL ${maskPassword(url)}: use sqlite:<path> or postgres://...`,
  ]);
}

function openSqlite(path: string, options: OpenStoreOptions): Store {
  const inMemory = path === ':memory:';
  const file = inMemory ? path : resolve(path);
  if (!inMemory) prepareSqliteFiles(file, options.onWarning ?? (() => undefined));
  const { dialect, count } = countingStatements(new NodeSqliteDialect({ path: file, busyTimeoutMs: 10_000 }));
  return makeStore(new Kysely<Database>({ dialect }), count, sqliteCapabilities, `sqlite:${file}`);
}

function openPostgres(url: string, options: OpenStoreOptions): Store {
  // The pg driver loads with the first query, so a service on SQLite never holds it in memory.
  const pool = async (): Promise<Pool> => {
    const { default: driver } = await import('pg');
    const config: PoolConfig = {
      connectionString: url,
      max: options.poolSize ?? 10,
      application_name: 'instant-sync',
      connectionTimeoutMillis: 10_000,
      // A peer that vanished without closing (a cut network) is noticed by TCP keepalive instead
      // of holding a connection forever.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      types: { getTypeParser: int8AsNumber(driver.types) },
    };
    const created = new driver.Pool(config);
    const report = (error: Error) => options.onConnectionError?.(error);
    // The pool listens for errors only on idle connections. A connection checked out (inside a
    // transaction, say) emits its error on the client itself, and an 'error' event nobody listens
    // to ends the process: every connection gets a listener of its own for its whole life.
    created.on('error', report);
    created.on('connect', (client) => client.on('error', report));
    return created;
  };
  const { dialect, count } = countingStatements(new PostgresDialect({ pool }));
  return makeStore(new Kysely<Database>({ dialect }), count, postgresCapabilities, maskPassword(url));
}

const privateFileMode = 0o600;
const privateFolderMode = 0o700;

/**
 * Makes the database's folder (0700 when we create it) and its file (0600 when we create it),
 * and tightens an existing database, -wal or -shm file that group or others may read. An
 * existing folder is left as it is: it may be shared on purpose (a mounted volume).
 */
function prepareSqliteFiles(
  file: string,
  warn: (message: string, details: Record<string, unknown>) => void,
): void {
  const folder = dirname(file);
  const firstCreated = mkdirSync(folder, { recursive: true, mode: privateFolderMode });
  // The mode given to mkdir passes through the umask; an explicit chmod does not.
  if (firstCreated !== undefined) {
    for (let dir = folder; ; dir = dirname(dir)) {
      chmodSync(dir, privateFolderMode);
      if (dir === firstCreated || dir === dirname(dir)) break;
    }
  }
  // 'a' creates the file if it is missing (with this mode) and never truncates one that exists.
  const handle = openSync(file, 'a', privateFileMode);
  try {
    tighten(file, fstatSync(handle).mode, warn);
  } finally {
    closeSync(handle);
  }
  for (const companion of [`${file}-wal`, `${file}-shm`]) {
    let mode: number;
    try {
      mode = statSync(companion).mode;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    tighten(companion, mode, warn);
  }
}

function tighten(
  file: string,
  mode: number,
  warn: (message: string, details: Record<string, unknown>) => void,
): void {
  if ((mode & 0o077) === 0) return;
  const was = (mode & 0o777).toString(8).padStart(4, '0');
  try {
    chmodSync(file, privateFileMode);
    warn('a database file was readable by other users; its mode is now 0600', { file, mode: was });
  } catch (error) {
    warn(
      'a database file is readable by other users and its mode could not be changed: run chmod 600 on it',
      {
        file,
        mode: was,
        error: (error as Error).message,
      },
    );
  }
}

/** pg's type parsers, but epoch-millisecond columns (bigint) read as numbers (exact below 2^53). */
function int8AsNumber(types: typeof pg.types): typeof pg.types.getTypeParser {
  return ((oid: number, format?: 'text' | 'binary') =>
    oid === int8Oid
      ? (value: string) => Number(value)
      : (types.getTypeParser(oid, format) as (value: string) => unknown)) as typeof pg.types.getTypeParser;
}

function makeStore(
  db: Kysely<Database>,
  statements: StatementCount,
  backend: BackendCapabilities,
  location: string,
): Store {
  let closed = false;
  return {
    db,
    repos: repositories(db),
    backend,
    location,
    statements,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

export function maskPassword(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]+:)[^@]*@/, '$1***@');
}
