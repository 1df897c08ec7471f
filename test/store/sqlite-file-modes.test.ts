// The SQLite files hold Event contents and sealed secrets: a folder made for them is 0700, the
// database and its -wal and -shm files are 0600 (SQLite copies the database file's mode to
// them), and files another user could read are tightened at open, with a warning.
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.ts';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('SQLite file modes', () => {
  const root = mkdtempSync(join(tmpdir(), 'instant-sync-modes-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('creates the folder 0700 and the database, -wal and -shm files 0600', async () => {
    const folder = join(root, 'fresh', 'data');
    const file = join(folder, 'instant-sync.db');
    const warnings: string[] = [];
    const store = openStore(`sqlite:${file}`, { onWarning: (message) => warnings.push(message) });
    try {
      // A write makes SQLite create the write-ahead log and its shared-memory index.
      await sql`create table t (x integer)`.execute(store.db);
      await sql`insert into t values (1)`.execute(store.db);
      expect(existsSync(`${file}-wal`)).toBe(true);
      expect(existsSync(`${file}-shm`)).toBe(true);
      expect({
        parent: mode(join(root, 'fresh')),
        folder: mode(folder),
        db: mode(file),
        wal: mode(`${file}-wal`),
        shm: mode(`${file}-shm`),
      }).toEqual({ parent: 0o700, folder: 0o700, db: 0o600, wal: 0o600, shm: 0o600 });
    } finally {
      await store.close();
    }
    expect(warnings).toEqual([]);
  });

  it('tightens a database, -wal and -shm another user could read, and says so', async () => {
    const file = join(root, 'loose.db');
    const first = openStore(`sqlite:${file}`);
    await sql`create table t (x integer)`.execute(first.db);
    await first.close();
    for (const companion of [`${file}-wal`, `${file}-shm`]) closeSync(openSync(companion, 'a'));
    for (const path of [file, `${file}-wal`, `${file}-shm`]) chmodSync(path, 0o644);

    const warnings: { message: string; details: Record<string, unknown> }[] = [];
    const store = openStore(`sqlite:${file}`, {
      onWarning: (message, details) => warnings.push({ message, details }),
    });
    try {
      expect([mode(file), mode(`${file}-wal`), mode(`${file}-shm`)]).toEqual([0o600, 0o600, 0o600]);
      expect(warnings).toEqual(
        [file, `${file}-wal`, `${file}-shm`].map((path) => ({
          message: 'a database file was readable by other users; its mode is now 0600',
          details: { file: path, mode: '0644' },
        })),
      );
      // Still the same database.
      expect(await sql<{ n: number }>`select count(*) as n from t`.execute(store.db)).toMatchObject({
        rows: [{ n: 0 }],
      });
    } finally {
      await store.close();
    }
  });

  it('leaves an existing folder as it is: it may be shared on purpose', async () => {
    const folder = join(root, 'shared');
    mkdirSync(folder, { mode: 0o755 });
    chmodSync(folder, 0o755);
    const store = openStore(`sqlite:${join(folder, 'instant-sync.db')}`);
    await store.close();
    expect(mode(folder)).toBe(0o755);
  });
});
