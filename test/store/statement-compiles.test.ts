// SQLite compiles a statement once and runs it from the statement cache after that, unless the
// statement binds a value SQLite reads while compiling: a bare `limit ?`, or a parameter compared
// with a column a partial index is conditioned on (`jobs.state = ?`: does it imply the index's
// `state = 'waiting'`?). Such a statement is compiled again at every run, which for the claim
// (9 KB of SQL) was more than half its time. The queue's statements are written so they are not.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sqliteCapabilities } from '../../src/store/backend.ts';
import { migrateToLatest } from '../../src/store/migrate.ts';
import { NodeSqliteDialect } from '../../src/store/node-sqlite-dialect.ts';
import { openStore } from '../../src/store/open-store.ts';
import { repositories } from '../../src/store/repositories.ts';
import { findLinks } from '../../src/store/links-repository.ts';
import { findMailboxes } from '../../src/store/mailboxes-repository.ts';
import type { Database } from '../../src/store/schema.ts';
import { seedTenant } from '../support/seed-tenant.ts';

/** A migrated database with a tenant, through a Kysely that calls `onCompileCheck` while SQLite compiles. */
async function seededDatabase(
  path: string,
  onCompileCheck: () => void,
): Promise<{ db: Kysely<Database>; tenantId: string }> {
  const store = openStore(`sqlite:${path}`);
  await migrateToLatest(store);
  const tenantId = await seedTenant(store.db);
  await store.close();
  return {
    db: new Kysely<Database>({
      dialect: new NodeSqliteDialect({ path, busyTimeoutMs: 1000, onCompileCheck }),
    }),
    tenantId,
  };
}

/**
 * Runs `batch` (a batch of `count` Events, its statements counted into `counter.checks`) for 5
 * Events, then 8 and 6, which compile nothing (the texts of 8 serve them), then 9, which is past the
 * next power of two and compiles statements of its own.
 */
async function expectTextsPerPowerOfTwo(
  batch: (count: number, at: number) => Promise<void>,
  counter: { checks: number },
): Promise<void> {
  await batch(5, 0);
  expect(counter.checks).toBeGreaterThan(0); // the first batch compiled them
  counter.checks = 0;
  await batch(8, 100);
  await batch(6, 200);
  expect(counter.checks).toBe(0);
  counter.checks = 0;
  await batch(9, 300);
  expect(counter.checks).toBeGreaterThan(0);
}

describe('statements compiled once', () => {
  let folder: string;
  let path: string;
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'statement-compiles-'));
    path = join(folder, 'db');
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('is why: SQLite compiles again at each run a statement with a bare LIMIT or a partial index column bound', () => {
    const db = new DatabaseSync(path);
    try {
      db.exec(`create table jobs (id integer primary key, state text not null, run_at integer not null);
               create index jobs_ready on jobs (run_at) where state = 'waiting';`);
      let checks = 0;
      db.setAuthorizer(() => {
        checks += 1;
        return 0;
      });
      const checksPerRun = (text: string, ...values: (string | number)[]) => {
        const statement = db.prepare(text);
        checks = 0;
        for (let run = 0; run < 3; run += 1) statement.all(...values);
        return checks;
      };
      expect(checksPerRun('select id from jobs where run_at > ? limit ?', 0, 5)).toBeGreaterThan(0);
      expect(
        checksPerRun('select id from jobs where state = ? and run_at > ?', 'waiting', 0),
      ).toBeGreaterThan(0);
      expect(checksPerRun('select id from jobs where run_at > ? limit (select ?)', 0, 5)).toBe(0);
      expect(checksPerRun(`select id from jobs where state = 'waiting' and run_at > ?`, 0)).toBe(0);
    } finally {
      db.close();
    }
  });

  it('runs the queue’s statements (enqueue, claim, renew, complete, release) and a LIMIT without compiling them again', async () => {
    let checks = 0;
    const { db, tenantId } = await seededDatabase(path, () => (checks += 1));
    const repos = repositories(db);
    const now = Date.now();
    /** One job's life, twice over: the same statements with other values. */
    const round = async (n: number) => {
      const eventIds = [0, 1, 2].map((i) => `00U00000000${n}${i}AAA`);
      await repos.jobs.enqueueJobs(
        eventIds.map((eventId) => ({ tenantId, eventId, runAt: now, changeAt: now, now })),
      );
      const claimed = await repos.jobs.claimJobs(sqliteCapabilities, {
        workerId: 'worker-1',
        limit: 3,
        leaseMs: 60_000,
        now,
      });
      expect(claimed).toHaveLength(3);
      await repos.jobs.renewLeases({ workerId: 'worker-1', runs: claimed, leaseMs: 60_000, now });
      const [first, ...rest] = claimed;
      await repos.jobs.completeJobs({ runs: rest, workerId: 'worker-1', now });
      await repos.jobs.completeJobs({ runs: [first!], workerId: 'worker-1', now });
      await repos.jobs.releaseExpiredLeases({ now: now + 120_000, maxAttempts: 5 });
      // A query Kysely builds with a LIMIT (the admin page's dead letters).
      await repos.overview.deadLetters({ tenantId, limit: 10 + n });
    };
    try {
      await round(1);
      expect(checks).toBeGreaterThan(0); // the first round compiled them
      checks = 0;
      await round(2);
      expect(checks).toBe(0);
    } finally {
      await db.destroy();
    }
  });

  it("reads a batch's mailboxes and links and completes its jobs, of any size up to the next power of two, with the statements of the first", async () => {
    const counter = { checks: 0, counting: false };
    const { db, tenantId } = await seededDatabase(path, () => {
      if (counter.counting) counter.checks += 1;
    });
    const repos = repositories(db);
    const now = Date.now();
    const ids = (prefix: string, count: number, at: number) =>
      Array.from({ length: count }, (_, i) => `${prefix}${String(at + i).padStart(12, '0')}AAA`);
    /** A batch of `count` Events: their owners' mailboxes and their links read, their jobs completed. */
    const batch = async (count: number, at: number) => {
      const eventIds = ids('00U', count, at);
      // Writing the jobs is not what is counted here (the next test counts it).
      await repos.jobs.enqueueJobs(
        eventIds.map((eventId) => ({ tenantId, eventId, runAt: now, changeAt: now, now })),
      );
      const claimed = await repos.jobs.claimJobs(sqliteCapabilities, {
        workerId: 'w',
        limit: count,
        leaseMs: 60_000,
        now,
      });
      expect(claimed).toHaveLength(count);
      counter.counting = true;
      await findMailboxes(db, tenantId, ids('005', count, at));
      await findLinks(db, tenantId, eventIds);
      const outcomes = await repos.jobs.completeJobs({ runs: claimed, workerId: 'w', now });
      counter.counting = false;
      expect([...outcomes.values()].filter((o) => o === 'completed')).toHaveLength(count);
    };
    try {
      await expectTextsPerPowerOfTwo(batch, counter);
    } finally {
      await db.destroy();
    }
  });

  it("records a batch's changes and jobs, and writes its traces, of any size up to the next power of two, with the statements of the first", async () => {
    const counter = { checks: 0, counting: false };
    const { db, tenantId } = await seededDatabase(path, () => {
      if (counter.counting) counter.checks += 1;
    });
    const repos = repositories(db);
    const now = Date.now();
    /** `count` Events' changes recorded (with their jobs) and a trace of each written: multi-row inserts. */
    const batch = async (count: number, at: number) => {
      const eventIds = Array.from({ length: count }, (_, i) => `00U${String(at + i).padStart(12, '0')}AAA`);
      counter.counting = true;
      const result = await repos.changes.recordChanges({
        tenantId,
        settleWindowMs: 500,
        now,
        changes: eventIds.map((eventId) => ({
          eventId,
          changeType: 'create' as const,
          source: 'cdc' as const,
          dedupeKey: `cdc:${eventId}`,
          committedAt: now,
        })),
      });
      await repos.traces.addTraces(
        eventIds.map((eventId) => ({
          tenant_id: tenantId,
          event_id: eventId,
          job_id: null,
          at: now,
          step: 'received',
          message: 'a change',
          data_json: null,
        })),
      );
      counter.counting = false;
      expect(result.recorded).toBe(count);
    };
    try {
      await expectTextsPerPowerOfTwo(batch, counter);
      // The padding never reaches the tables: each Event once, with its one job.
      const changes = await db.selectFrom('changes').select('event_id').execute();
      const jobs = await db.selectFrom('jobs').select(['event_id', 'state']).execute();
      const traces = await db.selectFrom('traces').select('event_id').execute();
      for (const rows of [changes, jobs, traces]) {
        expect(rows).toHaveLength(5 + 8 + 6 + 9);
        expect(new Set(rows.map((row) => row.event_id)).size).toBe(5 + 8 + 6 + 9);
      }
      expect(jobs.every((job) => job.state === 'waiting')).toBe(true);
    } finally {
      await db.destroy();
    }
  });

  it('keeps a statement that runs all the time while hundreds of others pass through the cache', async () => {
    let checks = 0;
    const db = new Kysely<Database>({
      dialect: new NodeSqliteDialect({ path, busyTimeoutMs: 1000, onCompileCheck: () => (checks += 1) }),
    });
    try {
      await sql`create table t (id integer primary key, v integer)`.execute(db);
      const often = () => sql`select v from t where id = ${1}`.execute(db);
      await often();
      let oftenChecks = 0;
      for (let i = 0; i < 400; i++) {
        await sql`select v from t where id = ${i} and ${sql.raw(String(i))} = ${sql.raw(String(i))}`.execute(
          db,
        );
        checks = 0;
        await often();
        oftenChecks += checks;
      }
      expect(oftenChecks).toBe(0);
    } finally {
      await db.destroy();
    }
  });
});
