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
  /** Called for errors on idle PostgreSQL connections (a restart, a network cut), which must not crash us. */
  onIdleError?: (error: Error) => void;
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
    // Epoch-millisecond columns are bigint: read them as numbers (exact below 2^53).
    types: { getTypeParser: parseInt8AsNumber },
  });
  pool.on('error', (error) => options.onIdleError?.(error));
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
