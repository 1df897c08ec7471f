// Opens the database named by INSTANT_SYNC_DATABASE_URL: SQLite through node:sqlite for the
// embedded default, PostgreSQL through a pg pool for scale-out. Everything above this file
// sees one Kysely<Database> plus the backend's named capabilities.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { ConfigError } from '../lib/errors.ts';
import { postgresCapabilities, sqliteCapabilities, type BackendCapabilities } from './backend.ts';
import { NodeSqliteDialect } from './node-sqlite-dialect.ts';
import type { Database } from './schema.ts';

export interface Store {
  db: Kysely<Database>;
  backend: BackendCapabilities;
  /** The database URL with any password masked, for logs and messages. */
  location: string;
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
}

const int8Oid = 20;

export function openStore(url: string, options: OpenStoreOptions = {}): Store {
  if (url.startsWith('sqlite:')) return openSqlite(url.slice('sqlite:'.length));
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url, options);
  throw new ConfigError([
    `unsupported database URL ${maskPassword(url)}: use sqlite:<path> or postgres://...`,
  ]);
}

function openSqlite(path: string): Store {
  const inMemory = path === ':memory:';
  const file = inMemory ? path : resolve(path);
  if (!inMemory) mkdirSync(dirname(file), { recursive: true });
  const db = new Kysely<Database>({ dialect: new NodeSqliteDialect({ path: file, busyTimeoutMs: 10_000 }) });
  return makeStore(db, sqliteCapabilities, `sqlite:${file}`);
}

function openPostgres(url: string, options: OpenStoreOptions): Store {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    application_name: 'instant-sync',
    connectionTimeoutMillis: 10_000,
    // A peer that vanished without closing (a cut network) is noticed by TCP keepalive instead
    // of holding a connection forever.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    // Epoch-millisecond columns are bigint: read them as numbers (exact below 2^53).
    types: { getTypeParser: parseInt8AsNumber },
  });
  const report = (error: Error) => options.onConnectionError?.(error);
  // The pool listens for errors only on idle connections. A connection checked out (inside a
  // transaction, say) emits its error on the client itself, and an 'error' event nobody listens
  // to ends the process: every connection gets a listener of its own for its whole life.
  pool.on('error', report);
  pool.on('connect', (client) => client.on('error', report));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return makeStore(db, postgresCapabilities, maskPassword(url));
}

const parseInt8AsNumber = ((oid: number, format?: 'text' | 'binary') =>
  oid === int8Oid
    ? (value: string) => Number(value)
    : (pg.types.getTypeParser(oid, format) as (value: string) => unknown)) as typeof pg.types.getTypeParser;

function makeStore(db: Kysely<Database>, backend: BackendCapabilities, location: string): Store {
  let closed = false;
  return {
    db,
    backend,
    location,
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
