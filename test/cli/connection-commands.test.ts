// The connection commands' success paths and refusals that need no Salesforce: settings,
// where to connect, status, and disconnecting a tenant that is not connected.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.ts';
import { freePort } from '../support/service-under-test.ts';

describe('connection commands', () => {
  let env: Record<string, string>;
  let dir: string;

  async function cli(args: string[], extraEnv: Record<string, string> = {}) {
    let stdout = '';
    let stderr = '';
    const code = await runCli(args, {
      env: { ...env, ...extraEnv },
      stdout: (text) => (stdout += text),
      stderr: (text) => (stderr += text),
      logDestination: new Writable({ write: (_chunk, _encoding, done) => done() }),
    });
    return { code, stdout, stderr };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'instant-sync-connection-cli-'));
    env = {
      INSTANT_SYNC_DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
      INSTANT_SYNC_SECRET_KEY_FILE: join(dir, 'secret.key'),
      INSTANT_SYNC_PUBLIC_URL: 'https://sync.example.com',
    };
    expect((await cli(['tenants', 'add', 'acme'])).code).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('connect says what to configure when no Salesforce app is set, then where to click Connect', async () => {
    const missing = await cli(['connect', 'acme']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no Salesforce app is configured for this tenant');

    const ready = await cli(['connect', 'acme'], {
      INSTANT_SYNC_SALESFORCE_CLIENT_ID: '3MVG9demo',
      INSTANT_SYNC_SALESFORCE_CLIENT_SECRET: 'demo-secret',
    });
    expect(ready.code).toBe(0);
    expect(ready.stdout).toContain('https://sync.example.com/t/acme/\n');
    expect(ready.stdout).toContain('https://sync.example.com/t/acme/oauth/callback');
  });

  it('tenants set stores a per-tenant app, reading the secret from a file', async () => {
    const secretFile = join(dir, 'client-secret.txt');
    writeFileSync(secretFile, 'per-tenant-secret\n');
    const set = await cli([
      'tenants',
      'set',
      'acme',
      '--login-url',
      'https://acme.my.salesforce.com/',
      '--client-id',
      '3MVG9acme',
      '--client-secret-file',
      secretFile,
      '--refresh-token-policy',
      'idle:90d',
      '--settle-window',
      '5s',
    ]);
    expect(set).toMatchObject({ code: 0, stdout: 'Updated tenant acme.\n' });
    const status = JSON.parse((await cli(['status', '--json'])).stdout) as {
      slug: string;
      settleWindowMs: number;
      connection: { loginUrl: string; refreshTokenPolicy: string; status: string };
    }[];
    expect(status).toEqual([
      expect.objectContaining({
        slug: 'acme',
        settleWindowMs: 5000,
        connection: expect.objectContaining({
          status: 'Disconnected',
          loginUrl: 'https://acme.my.salesforce.com',
          refreshTokenPolicy: 'idle:90d',
        }) as unknown,
      }),
    ]);
    expect((await cli(['connect', 'acme'])).code).toBe(0);
  });

  it('tenants set refuses bad values all at once and changes nothing', async () => {
    const result = await cli([
      'tenants',
      'set',
      'acme',
      '--login-url',
      'not a url',
      '--refresh-token-policy',
      'forever',
      '--jwt-key-file',
      join(dir, 'client-secret.txt'),
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('the login URL must be an https URL');
    expect(result.stderr).toContain('unknown refresh-token policy "forever"');
    expect(result.stderr).toContain('does not hold a PEM private key');
    const status = JSON.parse((await cli(['status', '--json'])).stdout) as {
      connection: { refreshTokenPolicy: string };
    }[];
    expect(status[0]?.connection.refreshTokenPolicy).toBe('idle:90d');
  });

  it('status prints a table, and refuses an unknown tenant elsewhere', async () => {
    const status = await cli(['status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(
      /^TENANT\s+SALESFORCE\s+ORG\s+USER\s+EXPIRES\s+QUEUED\s+PAUSED\s+DEAD\s+CHANGES\nacme\s+Disconnected\s+-\s+-\s+-\s+0\s+0\s+0\s+-\n/,
    );
    const unknown = await cli(['disconnect', 'globex']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no tenant named "globex"');
  });

  it('disconnect of a tenant that is not connected changes nothing and says so', async () => {
    const result = await cli(['disconnect', 'acme']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Disconnected: tenant acme. Nothing was revoked at Salesforce');
  });

  it('connect --jwt without JWT settings says what to set', async () => {
    const result = await cli(['connect', 'acme', '--jwt']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('tenant acme has no JWT bearer settings');
  });

  it('connect --jwt with Salesforce out of reach says it cannot reach it, not that it refused (exit 1)', async () => {
    const loginUrl = `https://127.0.0.1:${await freePort()}`;
    const keyFile = join(dir, 'jwt.pem');
    writeFileSync(
      keyFile,
      generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
    );
    expect((await cli(['tenants', 'add', 'away'])).code).toBe(0);
    const set = await cli([
      'tenants',
      'set',
      'away',
      '--login-url',
      loginUrl,
      '--client-id',
      '3MVG9away',
      '--jwt-username',
      'integration@away.example',
      '--jwt-key-file',
      keyFile,
    ]);
    expect(set.code, set.stderr).toBe(0);
    const result = await cli(['connect', 'away', '--jwt']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error: cannot reach Salesforce at ${loginUrl}: fetch failed. Nothing was changed.\n`,
    );
    expect((await cli(['status'])).stdout).toMatch(/^away +Disconnected/m);
  });
});
