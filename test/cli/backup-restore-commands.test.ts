// `backup`, `restore` and `migrate --dry-run` as an operator runs them: a copy taken while the
// service's database is in use, put back only while the service is stopped and only with the key
// that sealed it; a dry run that lists what would run and runs nothing.
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { generateSecretKey } from '../../src/lib/secret-box.ts';
import { allMigrations } from '../../src/store/migrations/index.ts';
import { openStore } from '../../src/store/open-store.ts';
import { sqliteCapabilities } from '../../src/store/backend.ts';
import { runCliInProcess } from '../support/cli-in-process.ts';
import { tempFolders } from '../support/temp-folders.ts';
import { migrateTo } from '../support/migrate-to.ts';

const cli = runCliInProcess;

const temp = tempFolders();
const names = Object.keys(allMigrations(sqliteCapabilities));

it('migrate --dry-run lists the migrations that would run, in order, and runs none', async () => {
  const url = `sqlite:${join(temp.make('instant-sync-dry-run-'), 'old.db')}`;
  const store = openStore(url);
  try {
    const older = names.at(-3) ?? '';
    await migrateTo(store, older);
  } finally {
    await store.close();
  }
  const env = { INSTANT_SYNC_DATABASE_URL: url };
  const dry = await cli(['migrate', '--dry-run'], env);
  expect(dry.code).toBe(0);
  expect(dry.stdout).toContain(
    `is at schema ${names.at(-3)}; migrate would apply, in order:\n  ${names.at(-2)}\n  ${names.at(-1)}\n`,
  );
  expect(JSON.parse((await cli(['migrate', '--dry-run', '--json'], env)).stdout)).toMatchObject({
    current: names.at(-3),
    pending: names.slice(-2),
  });
  // Nothing ran: the same two are still pending; a real migrate applies them.
  expect(JSON.parse((await cli(['migrate', '--json'], env)).stdout)).toMatchObject({
    applied: names.slice(-2),
  });
  expect((await cli(['migrate', '--dry-run'], env)).stdout).toContain('nothing would run');
});

it('backs the database up while it is open, and restores it only while the service is stopped and with its key', async () => {
  const dir = temp.make('instant-sync-backup-');
  const secretKey = generateSecretKey().toString('base64');
  const env = {
    INSTANT_SYNC_DATABASE_URL: `sqlite:${join(dir, 'live.db')}`,
    INSTANT_SYNC_SECRET_KEY: secretKey,
    INSTANT_SYNC_PUBLIC_URL: 'https://sync.example.com',
  };
  expect((await cli(['tenants', 'add', 'globex'], env)).code).toBe(0);
  // A node of the service is up: its row says so (as `serve` keeps it while it runs).
  const live = openStore(env.INSTANT_SYNC_DATABASE_URL);
  const now = Date.now();
  await live.repos.nodes.registerNode({
    id: 'host:1:abc',
    host: 'host',
    host_key: 'key',
    pid: 1,
    role: 'serve',
    version: 'test',
    started_at: now,
    now,
    ttlMs: 60_000,
  });

  const backup = join(dir, 'copy.db');
  const made = await cli(['backup', backup, '--json'], env);
  expect(made.code).toBe(0);
  expect(JSON.parse(made.stdout)).toMatchObject({ file: backup, schema: names.at(-1) });
  expect(statSync(backup).mode & 0o777).toBe(0o600);
  expect((await cli(['backup', backup], env)).stderr).toContain(
    'already exists: name a new file for the backup',
  );

  expect((await cli(['tenants', 'add', 'initech'], env)).code).toBe(0);
  const refused = await cli(['restore', backup], env);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain(
    'the service is running on this database (serve host:1:abc): stop it, then restore',
  );
  await live.repos.nodes.removeNode('host:1:abc');
  await live.close();

  const otherKey = await cli(['restore', backup], {
    ...env,
    INSTANT_SYNC_SECRET_KEY: generateSecretKey().toString('base64'),
  });
  expect(otherKey.stderr).toMatch(/was sealed with secret key \w+, but the configured key is \w+/);
  writeFileSync(join(dir, 'notes.txt'), 'not a database');
  expect((await cli(['restore', join(dir, 'notes.txt')], env)).stderr).toContain(
    'is not an Instant Sync database',
  );

  const restored = await cli(['restore', backup], env);
  expect(restored.code).toBe(0);
  expect(restored.stdout).toContain('The database it replaced is kept at');
  // Back as it was at the backup: globex, not initech; what it replaced is kept beside it.
  const listed = JSON.parse((await cli(['tenants', 'list', '--json'], env)).stdout) as { slug: string }[];
  expect(listed.map((t) => t.slug)).toEqual(['globex']);
  expect(readdirSync(dir).filter((f) => f.startsWith('live.db.before-restore-'))).toHaveLength(1);
  expect(existsSync(`${join(dir, 'live.db')}.restoring`)).toBe(false);
});

it('points PostgreSQL users to pg_dump', async () => {
  const result = await cli(['backup', '/tmp/never.db'], {
    INSTANT_SYNC_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
    INSTANT_SYNC_SECRET_KEY: generateSecretKey().toString('base64'),
  });
  expect(result.code).not.toBe(0);
  expect(result.stderr).toContain('for PostgreSQL use pg_dump and pg_restore');
  expect(existsSync('/tmp/never.db')).toBe(false);
});
