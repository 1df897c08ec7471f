// The container image and compose.yaml as a self-hoster runs them, with Podman: the image built
// from the Containerfile (on the official Node.js base, or — where no registry can be reached —
// on a base made by scripts/container-base.sh, which the test says), compose.yaml up with
// PostgreSQL, secrets from files, the root file system read-only; then /readyz, a tenant created
// with the CLI inside the container, its page and /metrics, and SIGTERM ending it cleanly and
// quickly.
import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/service-under-test.ts';
import { waitFor } from '../support/wait-for.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const here = fileURLToPath(new URL('./', import.meta.url));
const env = { ...process.env, CONTAINERS_CONF: join(here, 'containers.conf') };
const officialBase = 'docker.io/library/node:24-bookworm-slim';
const officialPostgres = 'docker.io/library/postgres:17-bookworm';
const image = 'localhost/instant-sync:container-test';
/** The uid the image runs as: the secrets it reads must be its own. */
const serviceUid = 10001;

async function podman(args: string[], timeoutMs = 600_000): Promise<string> {
  const { stdout } = await run('podman', args, { env, cwd: root, timeout: timeoutMs, maxBuffer: 64 << 20 });
  return stdout.trim();
}

async function pulls(reference: string): Promise<string | undefined> {
  try {
    await podman(['pull', '--quiet', reference], 300_000);
    return undefined;
  } catch (error) {
    return String((error as { stderr?: string }).stderr ?? error)
      .trim()
      .split('\n')
      .at(-1);
  }
}

/** The CA bundle npm trusts here (a TLS-inspecting proxy's CA among them), for the build's npm ci alone. */
function npmCaFile(): string | undefined {
  return process.env['NODE_EXTRA_CA_CERTS'] ?? process.env['npm_config_cafile'];
}

describe('the container image and compose.yaml, with Podman', () => {
  const project = `instant-sync-test-${process.pid}`;
  const secrets = mkdtempSync(join(tmpdir(), 'instant-sync-secrets-'));
  let port: number;
  let composeEnv: NodeJS.ProcessEnv;
  const adminToken = randomBytes(24).toString('base64url');

  const compose = (args: string[]) =>
    run('podman-compose', ['--project-name', project, '--file', join(root, 'compose.yaml'), ...args], {
      env: composeEnv,
      cwd: root,
      timeout: 300_000,
    });

  beforeAll(async () => {
    // The base: the official image when it can be pulled, else one made here without a registry.
    let base = officialBase;
    const refused = await pulls(officialBase);
    if (refused !== undefined) {
      const { stdout } = await run(join(root, 'scripts/container-base.sh'), [], {
        env,
        cwd: root,
        timeout: 600_000,
      });
      base = stdout.trim().split('\n').at(-1) ?? '';
      // Said, not hidden: this run's image is not on the official base.
      process.stderr.write(
        `the default base ${officialBase} cannot be pulled (${refused}): using the local base ${base}\n`,
      );
    }
    const ca = npmCaFile();
    await podman([
      'build',
      '--format=docker',
      '--network=host',
      `--build-arg=BASE=${base}`,
      ...(ca === undefined ? [] : [`--secret=id=npm-ca,src=${ca}`]),
      '--file=Containerfile',
      `--tag=${image}`,
      '.',
    ]);
    let postgres = officialPostgres;
    const noPostgres = await pulls(officialPostgres);
    if (noPostgres !== undefined) {
      postgres = 'localhost/instant-sync-test-postgres:15';
      await podman([
        'build',
        '--network=host',
        `--build-arg=BASE=${base}`,
        `--file=${join(here, 'postgres.Containerfile')}`,
        `--tag=${postgres}`,
        here,
      ]);
      process.stderr.write(
        `${officialPostgres} cannot be pulled (${noPostgres}): using ${postgres}, built on the local base\n`,
      );
    }

    // The secrets as docs/deploy.md makes them, readable by the service's user alone.
    const password = randomBytes(24).toString('hex');
    const secret = (name: string, value: string, uid?: number) => {
      const file = join(secrets, name);
      writeFileSync(file, `${value}\n`, { mode: 0o600 });
      if (uid !== undefined) chownSync(file, uid, uid);
    };
    secret('secret-key', randomBytes(32).toString('base64'), serviceUid);
    secret('postgres-password', password);
    secret('database-url', `postgres://instant_sync:${password}@postgres:5432/instant_sync`, serviceUid);
    secret('admin-token', adminToken, serviceUid);

    port = await freePort();
    composeEnv = {
      ...env,
      INSTANT_SYNC_IMAGE: image,
      POSTGRES_IMAGE: postgres,
      INSTANT_SYNC_SECRETS: secrets,
      INSTANT_SYNC_HTTP_PORT: String(port),
      INSTANT_SYNC_PUBLIC_URL: `http://localhost:${port}`,
    };
    await compose(['up', '--detach', 'serve']);
  });

  afterAll(async () => {
    await compose(['down', '--volumes']).catch(() => undefined);
    // podman-compose 1.0 leaves the project's network behind.
    await podman(['network', 'rm', '--force', `${project}_default`]).catch(() => undefined);
    rmSync(secrets, { recursive: true, force: true });
  });

  const container = () => `${project}_serve_1`;

  it('serves the admin and tenant pages on localhost with PostgreSQL, and stops on SIGTERM at once', async () => {
    const ready = await waitFor(
      async () => {
        const response = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
        return response?.status === 200 ? await response.json() : undefined;
      },
      { what: '/readyz', timeoutMs: 180_000 },
    );
    expect(ready).toEqual({ status: 'ready', checks: { database: 'ok' } });
    // The root file system is read-only; the state is in PostgreSQL and /data.
    expect(await podman(['inspect', container(), '--format', '{{.HostConfig.ReadonlyRootfs}}'])).toBe('true');
    expect(await podman(['exec', container(), 'id', '-u'])).toBe(String(serviceUid));
    // The image's HEALTHCHECK (/readyz from inside), run once as the engine would run it.
    await podman(['healthcheck', 'run', container()]);

    const added = await podman([
      'exec',
      container(),
      'node',
      'bin/instant-sync.js',
      'tenants',
      'add',
      'acme',
    ]);
    expect(added).toContain(`Tenant URL:  http://localhost:${port}/t/acme/`);
    const page = await fetch(`http://127.0.0.1:${port}/t/acme/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Connect Instant Sync to Salesforce');
    const admin = await fetch(`http://127.0.0.1:${port}/admin/`);
    expect(admin.url).toBe(`http://127.0.0.1:${port}/admin/login`);
    expect(await admin.text()).toContain('Sign in');
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('instant_sync_salesforce_connections{state="disconnected"} 1');

    // SIGTERM (podman stop) ends it by itself within its shutdown timeout (10 s): exit 0. Podman
    // would SIGKILL it 15 s after the SIGTERM (exit 137), so a clean exit is also a quick one.
    await podman(['stop', '--time=15', container()]);
    expect(await podman(['inspect', container(), '--format', '{{.State.ExitCode}}'])).toBe('0');
    const logs = await run('podman', ['logs', container()], { env }).then((r) => r.stdout + r.stderr);
    expect(logs).toContain('"msg":"stopped"');
    // The image runs the bundle it was built with, not the sources beside it.
    expect(logs).toMatch(/"code":"bundle"[^\n]*"msg":"listening"/);
  });
});
