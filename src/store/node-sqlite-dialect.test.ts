// The one SQLite connection is shared in arrival order: every caller gets its turn once, alone,
// and a transaction holds the connection until it ends.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { NodeSqliteDialect, Turns } from './node-sqlite-dialect.ts';

describe('Turns', () => {
  it('wakes waiters one at a time, first come first served', async () => {
    const turns = new Turns();
    const order: number[] = [];
    let holders = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 3000 }, async (_, i) => {
        await turns.take();
        holders++;
        most = Math.max(most, holders);
        order.push(i);
        await Promise.resolve();
        holders--;
        turns.pass();
      }),
    );
    expect(most).toBe(1);
    expect(order).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    expect(turns.waiting).toBe(0);
  });
});

describe('NodeSqliteDialect', () => {
  it('keeps concurrent transactions apart and loses no write', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'sqlite-dialect-'));
    const db = new Kysely<{ counter: { n: number } }>({
      dialect: new NodeSqliteDialect({
        path: join(folder, 'db'),
        busyTimeoutMs: 1000,
      }),
    });
    try {
      await sql`create table counter (n integer not null)`.execute(db);
      await db.insertInto('counter').values({ n: 0 }).execute();
      // Read-then-write in each transaction: interleaving on the shared connection would lose updates.
      await Promise.all(
        Array.from({ length: 200 }, () =>
          db.transaction().execute(async (tx) => {
            const { n } = await tx.selectFrom('counter').select('n').executeTakeFirstOrThrow();
            await new Promise((resolve) => setImmediate(resolve));
            await tx
              .updateTable('counter')
              .set({ n: n + 1 })
              .execute();
          }),
        ),
      );
      expect((await db.selectFrom('counter').select('n').executeTakeFirstOrThrow()).n).toBe(200);
    } finally {
      await db.destroy();
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('checkpoints its write-ahead log every 10,000 pages, not every 1,000', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'sqlite-dialect-'));
    const path = join(folder, 'db');
    const db = new Kysely<{ blobs: { data: string } }>({
      dialect: new NodeSqliteDialect({ path, busyTimeoutMs: 1000 }),
    });
    try {
      await sql`create table blobs (data text not null)`.execute(db);
      // 12 MB in 120 transactions: SQLite's default would have copied the log into the database
      // file at 4 MB and begun it again from its start.
      for (let i = 0; i < 120; i++)
        await db
          .insertInto('blobs')
          .values({ data: `${i}`.padEnd(100_000, 'x') })
          .execute();
      expect(statSync(`${path}-wal`).size).toBeGreaterThan(10_000_000);
    } finally {
      await db.destroy();
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('writes batches of every size, longer than its statement cache holds, each row once', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'sqlite-dialect-'));
    const db = new Kysely<{ rows: { batch: number; n: number; label: string } }>({
      dialect: new NodeSqliteDialect({ path: join(folder, 'db'), busyTimeoutMs: 1000 }),
    });
    try {
      await sql`create table rows (batch integer not null, n integer not null, label text not null)`.execute(
        db,
      );
      // Batches of 1 to 600 rows, then the first sizes again (their statements were let go meanwhile).
      const sizes = [...Array.from({ length: 600 }, (_, i) => i + 1), 1, 2, 3, 600];
      for (const [batch, size] of sizes.entries())
        await db
          .insertInto('rows')
          .values(Array.from({ length: size }, (_, n) => ({ batch, n, label: `${batch}-${n}` })))
          .execute();
      const total = sizes.reduce((a, b) => a + b, 0);
      const counted = await db
        .selectFrom('rows')
        .select((eb) => [
          eb.fn.countAll<number>().as('rows'),
          eb.fn.count<number>('label').distinct().as('labels'),
        ])
        .executeTakeFirstOrThrow();
      expect(counted).toEqual({ rows: total, labels: total });
    } finally {
      await db.destroy();
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('binds booleans as 1 and 0 and undefined as NULL, passes other values as they are, and refuses an object', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'sqlite-dialect-'));
    const db = new Kysely<Record<string, never>>({
      dialect: new NodeSqliteDialect({ path: join(folder, 'db'), busyTimeoutMs: 1000 }),
    });
    try {
      const bytes = new Uint8Array([1, 2, 3]);
      const { rows } = await sql<
        Record<string, unknown>
      >`select ${true} as t, ${false} as f, ${undefined} as u,
        ${null} as n, ${1.5} as x, ${2n} as b, ${'text'} as s, ${bytes} as y`.execute(db);
      expect(rows).toEqual([{ t: 1, f: 0, u: null, n: null, x: 1.5, b: 2, s: 'text', y: bytes }]);
      await expect(sql`select ${{ an: 'object' }} as o`.execute(db)).rejects.toThrow(
        'cannot bind a object to an SQLite parameter',
      );
    } finally {
      await db.destroy();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
