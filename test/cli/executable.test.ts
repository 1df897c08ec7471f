// The `instant-sync` executable as an admin uses it on a fresh machine: help, tenants, and the
// server, in a fresh working directory with the embedded defaults (./data/).
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { fileURLToPath } from 'node:url';
import { serviceEntry } from '../../bin/entry-point.js';
import { runCliInProcess } from '../support/cli-in-process.ts';
import { runCliProcess, startCliProcess } from '../support/cli-process.ts';
import { waitFor } from '../support/wait-for.ts';

/** The MALLOC_* variables a running process of ours started with (from /proc; {} elsewhere). */
function mallocSettingsOf(pid: number): Record<string, string> {
  if (process.platform !== 'linux') return {};
  const pairs = readFileSync(`/proc/${pid}/environ`, 'utf8')
    .split('\0')
    .filter((entry) => entry.startsWith('MALLOC_'))
    .map((entry) => entry.split('=', 2) as [string, string]);
  return Object.fromEntries(pairs);
}

/** The Node.js flags a running process of ours was started with (from /proc/<pid>/cmdline). */
function nodeFlagsOf(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    .split('\0')
    .slice(1)
    .filter((arg) => arg.startsWith('--'));
}

/** What the executable sets, under what this test runner's own environment already gives ({} where /proc is not). */
function expectedMallocSettings(given: Record<string, string> = {}): Record<string, string> {
  if (process.platform !== 'linux') return {};
  const fromRunner = Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] => entry[0].startsWith('MALLOC_')),
  );
  if (process.env['GLIBC_TUNABLES'] !== undefined) return { ...fromRunner, ...given };
  return {
    MALLOC_ARENA_MAX: '2',
    MALLOC_MMAP_THRESHOLD_: '1048576',
    MALLOC_TRIM_THRESHOLD_: '1048576',
    ...fromRunner,
    ...given,
  };
}

const packageRootPath = fileURLToPath(new URL('../../', import.meta.url));

describe('the instant-sync executable', () => {
  let cwd: string;
  beforeAll(() => {
    cwd = mkdtempSync(join(tmpdir(), 'instant-sync-cli-'));
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('prints help for itself', async () => {
    const top = await runCliProcess(['--help'], { cwd });
    expect(top.code).toBe(0);
    for (const command of [
      'start',
      'demo',
      'serve',
      'worker',
      'migrate',
      'tenants',
      'connect',
      'disconnect',
      'status',
      'provider',
      'mailboxes',
      'backfill',
      'retry',
      'trace',
      'doctor',
      'admin',
      'secret-key',
    ]) {
      expect(top.stdout).toContain(command);
    }
    expect(top.stdout).toContain(
      'Exit codes: 0 success, 1 the command failed, 2 bad command line or configuration.',
    );
  });

  // The same program as the executable's, run in this process: a process per command took most
  // of this file's time, and the executable's own start is checked above and below.
  it('prints help for every command', async () => {
    const commands = [
      ['start'],
      ['demo'],
      ['serve'],
      ['worker'],
      ['migrate'],
      ['tenants'],
      ['tenants', 'add'],
      ['tenants', 'show'],
      ['tenants', 'set'],
      ['tenants', 'list'],
      ['tenants', 'remove'],
      ['connect'],
      ['disconnect'],
      ['status'],
      ['provider', 'set'],
      ['provider', 'show'],
      ['mailboxes', 'map'],
      ['mailboxes', 'list'],
      ['backfill'],
      ['retry'],
      ['trace'],
      ['doctor'],
      ['admin', 'set-password'],
      ['secret-key', 'rotate'],
      ['tenants', 'rotate-webhook-secret'],
    ];
    for (const args of commands) {
      const result = await runCliInProcess([...args, '--help'], {});
      expect(result.code, args.join(' ')).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^Usage: instant-sync ${args.join(' ')}`));
    }
  });

  it('creates a tenant whose secret the database file never holds in plaintext', async () => {
    const added = await runCliProcess(['tenants', 'add', 'acme', '--name', 'Acme Corp'], { cwd });
    expect(added.code).toBe(0);
    const secret = /whsec_[A-Za-z0-9_-]+/.exec(added.stdout)?.[0];
    expect(secret).toBeDefined();

    const listed = await runCliProcess(['tenants', 'list', '--json'], { cwd });
    expect(listed.code).toBe(0);
    const tenants = JSON.parse(listed.stdout) as {
      slug: string;
      name: string;
      clientId: string;
      tenantUrl: string;
    }[];
    expect(tenants).toEqual([
      expect.objectContaining({
        slug: 'acme',
        name: 'Acme Corp',
        clientId: expect.stringMatching(/^\d{10}$/) as string,
        tenantUrl: 'http://localhost:8080/t/acme/',
      }),
    ]);
    expect(listed.stdout).not.toContain('whsec_');

    const dataDir = join(cwd, 'data');
    const files = readdirSync(dataDir).filter((f) => f.startsWith('instant-sync.db'));
    expect(files).toContain('instant-sync.db');
    for (const file of files) {
      expect(readFileSync(join(dataDir, file)).includes(Buffer.from(secret!)), file).toBe(false);
    }
    expect(statSync(join(dataDir, 'secret.key')).mode & 0o777).toBe(0o600);

    const table = await runCliProcess(['tenants', 'list'], { cwd });
    expect(table.stdout).toMatch(
      /^SLUG\s+NAME\s+CLIENT ID\s+TENANT URL\s+CREATED\nacme\s+Acme Corp\s+\d{10}\s+http:\/\/localhost:8080\/t\/acme\//,
    );
  });

  it('refuses bad arguments with a clear message and exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [['tenants', 'add'], /missing required argument 'slug'/],
      [['tenants', 'add', 'Acme!'], /invalid tenant slug "Acme!"/],
      [['tenants', 'list', '--jsn'], /unknown option '--jsn'/],
      [['tenant', 'list'], /unknown command 'tenant'[\s\S]*Did you mean tenants\?/],
      [['tenants', 'add', 'a', 'b'], /too many arguments/],
    ];
    // The program in this process (a process each took seconds on a busy machine); the
    // executable's own exit code 2 is checked with a bad configuration below.
    for (const [args, message] of cases) {
      const result = await runCliInProcess(args, {});
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
    }
  });

  it('refuses a bad configuration with every problem in one message', async () => {
    const result = await runCliProcess(['tenants', 'list'], {
      cwd,
      env: { INSTANT_SYNC_PORT: 'abc', INSTANT_SYNC_LOG_LEVEL: 'loud' },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Invalid configuration (2 problems):');
    expect(result.stderr).toContain('INSTANT_SYNC_PORT: expected a whole number from 0 to 65535, got "abc"');
    expect(result.stderr).toContain('INSTANT_SYNC_LOG_LEVEL: expected one of');
  });

  it('serves /healthz and /readyz, and stops cleanly on SIGTERM', async () => {
    const server = await startCliProcess(['serve'], {
      cwd,
      env: { INSTANT_SYNC_PORT: '0' },
      ready: /listening on (http:\/\/\S+)/,
    });
    // A failed expectation below must not leave the server running.
    onTestFinished(() => void server.child.kill('SIGKILL'));
    const url = server.match[1]!;
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok' } });
    // It runs with glibc malloc's settings for a smaller footprint (set by the executable itself).
    expect(mallocSettingsOf(server.child.pid!)).toEqual(expectedMallocSettings());
    // And with a young generation it may grow into while busy (src/lib/heap-mode.ts).
    if (process.platform === 'linux')
      expect(nodeFlagsOf(server.child.pid!)).toContain('--max-semi-space-size=12');
    // And with V8 dropping the code of functions that have not run for 5 s, and collecting the
    // young generation on its main thread alone (bin/instant-sync.js).
    if (process.platform === 'linux')
      expect(nodeFlagsOf(server.child.pid!)).toEqual(
        expect.arrayContaining([
          '--no-parallel-scavenge',
          '--flush-code-based-on-time',
          '--bytecode-old-time=5',
          '--flush-baseline-code',
        ]),
      );
    // And with ICU's list of locales cut to the service's (bin/icu-locales.js).
    if (process.platform === 'linux')
      expect(nodeFlagsOf(server.child.pid!)).toContain(
        `--icu-data-dir=${packageRootPath}node_modules/.cache/instant-sync-icu/`,
      );
    // It says which code it runs: the bundle while it is current, the sources otherwise.
    await waitFor(() => server.output().stderr.includes('"msg":"listening"'), {
      what: 'the listening log line',
    });
    expect(server.output().stderr).toMatch(
      new RegExp(`"code":"${serviceEntry(packageRootPath).from}"[^\\n]*"msg":"listening"`),
    );
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.output().stderr).toContain('"msg":"stopped"');
  });

  it('runs its sources when INSTANT_SYNC_FROM_SOURCE=1, bundle or not', async () => {
    const server = await startCliProcess(['serve'], {
      cwd,
      env: { INSTANT_SYNC_PORT: '0', INSTANT_SYNC_FROM_SOURCE: '1' },
      ready: /listening on (http:\/\/\S+)/,
    });
    onTestFinished(() => void server.child.kill('SIGKILL'));
    // The log goes to stderr, which may reach us after the banner on stdout.
    await waitFor(() => server.output().stderr.includes('"msg":"listening"'), {
      what: 'the listening log line',
    });
    expect(server.output().stderr).toMatch(/"code":"sources"[^\n]*"msg":"listening"/);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });

  it('serves /metrics only with the admin token on the main port, and without it on INSTANT_SYNC_METRICS_PORT', async () => {
    const token = 'scraper-token-0123456789abcdef';
    const server = await startCliProcess(['serve'], {
      cwd,
      env: { INSTANT_SYNC_PORT: '0', INSTANT_SYNC_METRICS_PORT: '0', INSTANT_SYNC_ADMIN_TOKEN: token },
      ready: /metrics: +(http:\/\/\S+)\/metrics/,
    });
    const main = /listening on (http:\/\/\S+)/.exec(server.output().stdout)?.[1];
    expect((await fetch(`${main}/metrics`)).status).toBe(401);
    const withToken = await fetch(`${main}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(withToken.status).toBe(200);
    expect(await withToken.text()).toContain('instant_sync_jobs');
    const local = await fetch(`${server.match[1]!}/metrics`);
    expect(local.status).toBe(200);
    const scraped = await local.text();
    expect(scraped).toContain('instant_sync_jobs');
    // Quiet: V8's heap in its memory-saving mode, following the load.
    expect(scraped).toContain('instant_sync_heap_mode{mode="memory-saving"} 1');
    expect(server.match[1]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);

    // A worker has engine counters of its own: it serves them the same way.
    // This one's V8 mode, code flushing and young-generation helpers chosen on Node's command
    // line: kept, and the heap does not follow the load.
    const worker = await startCliProcess(['worker'], {
      cwd,
      env: { INSTANT_SYNC_METRICS_PORT: '0' },
      nodeArgs: ['--no-optimize-for-size', '--bytecode-old-age=3', '--parallel-scavenge'],
      ready: /metrics: +(http:\/\/\S+)\/metrics/,
    });
    const fromWorker = await (await fetch(`${worker.match[1]!}/metrics`)).text();
    expect(fromWorker).toContain('instant_sync_syncs_total');
    expect(fromWorker).toContain('instant_sync_heap_mode{mode="fixed"} 1');
    if (process.platform === 'linux')
      expect(
        nodeFlagsOf(worker.child.pid!).filter((flag) => flag.startsWith('--max-semi-space-size')),
      ).toEqual([]);
    if (process.platform === 'linux') {
      expect(nodeFlagsOf(worker.child.pid!)).toContain('--bytecode-old-age=3');
      expect(nodeFlagsOf(worker.child.pid!)).not.toContain('--flush-code-based-on-time');
      expect(nodeFlagsOf(worker.child.pid!)).toContain('--parallel-scavenge');
      expect(nodeFlagsOf(worker.child.pid!)).not.toContain('--no-parallel-scavenge');
    }
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  });

  it('runs the engine alone as `worker`, stops cleanly on SIGTERM, and refuses a bad batch size', async () => {
    const worker = await startCliProcess(['worker'], {
      cwd,
      env: { MALLOC_ARENA_MAX: '4' },
      ready: /worker started/,
    });
    onTestFinished(() => void worker.child.kill('SIGKILL'));
    // An operator's own malloc setting is kept; the executable adds only the ones not given.
    expect(mallocSettingsOf(worker.child.pid!)).toEqual(expectedMallocSettings({ MALLOC_ARENA_MAX: '4' }));
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(worker.output().stderr).toContain('"msg":"stopped"');
    const bad = await runCliProcess(['worker'], { cwd, env: { INSTANT_SYNC_WORKER_BATCH_SIZE: '0' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      'INSTANT_SYNC_WORKER_BATCH_SIZE: expected a whole number from 1 to 2000, got "0"',
    );
  });

  it('says which port is taken instead of crashing', async () => {
    const first = await startCliProcess(['serve'], {
      cwd,
      env: { INSTANT_SYNC_PORT: '0' },
      ready: /listening on http:\/\/[^:]+:(\d+)/,
    });
    const port = first.match[1]!;
    const second = await runCliProcess(['serve'], { cwd, env: { INSTANT_SYNC_PORT: port } });
    first.child.kill('SIGTERM');
    await first.exited;
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`port ${port} is already in use`);
  });
});
