// The data commands on both backends, run in-process: tenants add/list and migrate, and the
// secret-key rule that differs between them.
import { Writable } from 'node:stream';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.ts';
import { generateSecretKey } from '../../src/lib/secret-box.ts';
import { allMigrations } from '../../src/store/migrations/index.ts';
import { freePort } from '../support/service-under-test.ts';
import { tempFolders } from '../support/temp-folders.ts';
import { describeEachBackend } from '../support/test-databases.ts';

async function cli(args: string[], env: Record<string, string>) {
  let stdout = '';
  let stderr = '';
  const logs: string[] = [];
  const code = await runCli(args, {
    env,
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    logDestination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(chunk.toString());
        done();
      },
    }),
  });
  return { code, stdout, stderr, logs: logs.join('') };
}

describeEachBackend('CLI data commands', (database) => {
  const temp = tempFolders();
  const secretKey = generateSecretKey().toString('base64');
  const envWithKey = () => ({
    INSTANT_SYNC_DATABASE_URL: database.url,
    INSTANT_SYNC_SECRET_KEY: secretKey,
    INSTANT_SYNC_PUBLIC_URL: 'https://sync.example.com',
  });

  it('migrate reports an up-to-date schema', async () => {
    const result = await cli(['migrate', '--json'], { INSTANT_SYNC_DATABASE_URL: database.url });
    expect(result.code).toBe(0);
    const migrations = Object.keys(allMigrations(database.store.backend));
    expect(JSON.parse(result.stdout)).toMatchObject({
      applied: [],
      current: migrations.at(-1),
      known: migrations.length,
    });
  });

  it('tenants add then tenants list --json show the tenant with its Client ID and tenant URL', async () => {
    const added = await cli(['tenants', 'add', 'globex', '--json'], envWithKey());
    expect(added.code).toBe(0);
    const tenant = JSON.parse(added.stdout) as { clientId: string; webhookSecret: string };
    expect(added.logs).not.toContain(tenant.webhookSecret);

    const listed = await cli(['tenants', 'list', '--json'], envWithKey());
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toContainEqual(
      expect.objectContaining({
        slug: 'globex',
        clientId: tenant.clientId,
        tenantUrl: 'https://sync.example.com/t/globex/',
      }),
    );
  });

  it('refuses to run with a different secret key than the database was sealed with', async () => {
    await cli(['tenants', 'add', 'umbrella'], envWithKey());
    const other = await cli(['tenants', 'add', 'umbrella-2'], {
      ...envWithKey(),
      INSTANT_SYNC_SECRET_KEY: generateSecretKey().toString('hex'),
    });
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(
      /the database's secrets were sealed with key \w{8}, but the configured key is \w{8}/,
    );
  });

  it(`${database.backend === 'postgres' ? 'requires a configured' : 'creates its own'} secret key when none is set`, async () => {
    const dir = temp.make('instant-sync-key-');
    const keyFile = join(dir, 'secret.key');
    // On SQLite, a database of its own: the suite's shared one is sealed with the suite's key.
    const url = database.backend === 'postgres' ? database.url : `sqlite:${join(dir, 'fresh.db')}`;
    const result = await cli(['tenants', 'add', 'keyless'], {
      INSTANT_SYNC_DATABASE_URL: url,
      INSTANT_SYNC_SECRET_KEY_FILE: keyFile,
    });
    if (database.backend === 'postgres') {
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('INSTANT_SYNC_SECRET_KEY is not set');
      expect(existsSync(keyFile)).toBe(false);
    } else {
      expect(result.code).toBe(0);
      expect(existsSync(keyFile)).toBe(true);
      expect(result.logs).toContain('created a new secret key file');
    }
  });
});

it('says the database at host:port is unreachable when PostgreSQL is not there, without its password', async () => {
  const port = await freePort();
  const url = `postgres://sync:hunter2-not-shown@127.0.0.1:${port}/instant_sync`;
  for (const command of [['migrate'], ['tenants', 'list']]) {
    const result = await cli(command, {
      INSTANT_SYNC_DATABASE_URL: url,
      INSTANT_SYNC_SECRET_KEY: generateSecretKey().toString('base64'),
    });
    expect(result.code, command.join(' ')).toBe(1);
    expect(result.stderr).toBe(
      `error: the database at 127.0.0.1:${port} is unreachable: connect ECONNREFUSED 127.0.0.1:${port}\n`,
    );
    expect(result.stderr + result.stdout + result.logs).not.toContain('hunter2');
  }
});
