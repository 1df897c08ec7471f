// Runs a suite once per database backend, each on a fresh database of its own (a temporary
// SQLite file, or a new PostgreSQL database dropped afterwards). Dropping the PostgreSQL
// database without FORCE doubles as a leak check: it fails if a test left a connection open.
//
// PostgreSQL is found at $PG_TEST_URL (default postgres://postgres@127.0.0.1:5432/postgres).
// When it is unreachable the PostgreSQL half is skipped with the reason in its title, except
// with CI=true, where it runs and fails.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import type { BackendName } from '../../src/store/backend.ts';
import { migrateToLatest } from '../../src/store/migrate.ts';
import { openStore, type Store } from '../../src/store/open-store.ts';

export const postgresAdminUrl = process.env['PG_TEST_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const inCi = process.env['CI'] === 'true';

async function probePostgres(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: postgresAdminUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (error) {
    return `PostgreSQL is unreachable at ${postgresAdminUrl} (${(error as Error).message})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const postgresProblem = await probePostgres();

export class TestDatabase {
  readonly backend: BackendName;
  #url: string | undefined;
  #cleanups: (() => Promise<void>)[] = [];
  #stores: Store[] = [];
  #main: Store | undefined;

  constructor(backend: BackendName) {
    this.backend = backend;
  }

  /** The database URL, for other connections and other processes. */
  get url(): string {
    if (this.#url === undefined) throw new Error('the test database is not created yet');
    return this.#url;
  }

  /** A migrated store on this database, shared by the tests of the suite. */
  get store(): Store {
    if (this.#main === undefined) throw new Error('the test database is not created yet');
    return this.#main;
  }

  async create(): Promise<void> {
    this.#url = await this.createEmpty();
    this.#main = this.open();
    await migrateToLatest(this.#main);
  }

  /** A further empty database on the same backend, dropped with this one; returns its URL. */
  async createEmpty(): Promise<string> {
    if (this.backend === 'sqlite') {
      const dir = mkdtempSync(join(tmpdir(), 'instant-sync-test-'));
      this.#cleanups.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
      return `sqlite:${join(dir, 'test.db')}`;
    }
    if (postgresProblem !== undefined) {
      throw new Error(`${postgresProblem}; with CI=true the PostgreSQL tests must run`);
    }
    const name = `instant_sync_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    await adminQuery(`create database ${name}`);
    this.#cleanups.push(() => adminQuery(`drop database ${name}`));
    const url = new URL(postgresAdminUrl);
    url.pathname = `/${name}`;
    return url.toString();
  }

  /** Another store (its own connection or pool) on this database, or on `url`; closed by drop(). */
  open(options: { poolSize?: number; url?: string } = {}): Store {
    const store = openStore(options.url ?? this.url, { poolSize: options.poolSize ?? 4 });
    this.#stores.push(store);
    return store;
  }

  async drop(): Promise<void> {
    await Promise.all(this.#stores.map((store) => store.close()));
    this.#stores = [];
    for (const cleanup of this.#cleanups) await cleanup();
    this.#cleanups = [];
  }
}

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresAdminUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** Declares the suite once per backend, with a fresh database for each. */
export function describeEachBackend(title: string, body: (database: TestDatabase) => void): void {
  describeOnBackends(['sqlite', 'postgres'], title, body);
}

/** Declares a suite that only PostgreSQL can run (a network between the service and its database). */
export function describeOnPostgres(title: string, body: (database: TestDatabase) => void): void {
  describeOnBackends(['postgres'], title, body);
}

/** Declares the suite once per backend named, with a fresh database for each. */
export function describeOnBackends(
  backends: readonly BackendName[],
  title: string,
  body: (database: TestDatabase) => void,
): void {
  for (const backend of backends) {
    if (backend === 'postgres' && postgresProblem !== undefined && !inCi) {
      describe.skip(`${title} [postgres] — skipped because ${postgresProblem}; CI=true makes this fail`, () => {
        body(new TestDatabase(backend));
      });
      continue;
    }
    describe(`${title} [${backend}]`, () => {
      const database = new TestDatabase(backend);
      beforeAll(() => database.create());
      afterAll(() => database.drop());
      body(database);
    });
  }
}
