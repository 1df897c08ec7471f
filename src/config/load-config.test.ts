import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../lib/errors.ts';
import { demoSettingsFile, loadConfig } from './load-config.ts';

const folders: string[] = [];
afterAll(() => folders.forEach((folder) => rmSync(folder, { recursive: true, force: true })));

function tempFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'instant-sync-config-'));
  folders.push(folder);
  return folder;
}

function configFile(content: string): string {
  const folder = tempFolder();
  const file = join(folder, 'config.json');
  writeFileSync(file, content);
  return file;
}

function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('runs on the embedded defaults with an empty environment', () => {
    expect(loadConfig({ env: {} })).toEqual({
      databaseUrl: 'sqlite:./data/instant-sync.db',
      databasePoolSize: 10,
      secretKeyFile: './data/secret.key',
      host: '127.0.0.1',
      port: 8080,
      publicUrl: 'http://localhost:8080',
      displayTimeZone: 'UTC',
      logLevel: 'info',
      migrateOnStart: true,
      salesforceLoginUrl: 'https://login.salesforce.com',
      salesforceApiVersion: '66.0',
      refreshTokenPolicy: { kind: 'expire_after', days: 30 },
      expiryCheckInterval: 60_000,
      retainHistory: 30 * 86_400_000,
      retainFailures: 90 * 86_400_000,
      retentionInterval: 3_600_000,
      cdc: true,
      pubSubEndpoint: 'api.pubsub.salesforce.com:7443',
      pollInterval: 60_000,
      cdcFallbackPollInterval: 15_000,
      shutdownTimeout: 10_000,
      requestTimeout: 30_000,
      maxConnections: 1000,
      engine: true,
      workerBatchSize: 500,
      trustProxy: false,
      metricsHost: '127.0.0.1',
      webhookRateLimit: 20000,
      apiBudget: 90,
    });
  });

  it('reads environment variables, and they win over the config file', () => {
    const file = configFile(JSON.stringify({ port: 9000, logLevel: 'debug', shutdownTimeout: '1m' }));
    const config = loadConfig({
      env: {
        INSTANT_SYNC_PORT: '9100',
        INSTANT_SYNC_PUBLIC_URL: 'https://sync.example.com/',
        INSTANT_SYNC_MIGRATE_ON_START: 'false',
      },
      configFile: file,
    });
    expect(config).toMatchObject({
      port: 9100,
      logLevel: 'debug',
      shutdownTimeout: 60_000,
      publicUrl: 'https://sync.example.com',
      migrateOnStart: false,
    });
  });

  it("accepts INSTANT_SYNC_FROM_SOURCE, the executable's own variable, as no unknown setting", () => {
    expect(loadConfig({ env: { INSTANT_SYNC_FROM_SOURCE: '1' } }).port).toBe(8080);
  });

  it('finds the config file through INSTANT_SYNC_CONFIG and treats empty variables as unset', () => {
    const file = configFile(JSON.stringify({ databaseUrl: 'postgres://sync@db:5432/sync' }));
    const config = loadConfig({ env: { INSTANT_SYNC_CONFIG: file, INSTANT_SYNC_PORT: '' } });
    expect(config.databaseUrl).toBe('postgres://sync@db:5432/sync');
    expect(config.port).toBe(8080);
  });

  it('lists every problem at once, saying where each bad value came from', () => {
    const file = configFile(JSON.stringify({ prot: 1, logLevel: 'loud' }));
    const problems = problemsOf(() =>
      loadConfig({
        env: {
          INSTANT_SYNC_PORT: 'eighty',
          INSTANT_SYNC_DATABASE_URL: 'mysql://x',
          INSTANT_SYNC_SHUTDOWN_TIMEOUT: '10',
          INSTANT_SYNC_DATABSE_URL: 'sqlite:x',
        },
        configFile: file,
      }),
    );
    expect(problems).toEqual([
      'unknown setting INSTANT_SYNC_DATABSE_URL (did you mean INSTANT_SYNC_DATABASE_URL?)',
      `config file ${file}: unknown option "prot" (did you mean port?)`,
      'INSTANT_SYNC_DATABASE_URL: expected sqlite:<path> (for example sqlite:./data/instant-sync.db) or postgres://user@host:5432/database, got "mysql://x"',
      'INSTANT_SYNC_PORT: expected a whole number from 0 to 65535, got "eighty"',
      `config file ${file}: logLevel: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"`,
      'INSTANT_SYNC_SHUTDOWN_TIMEOUT: expected a duration like 500ms, 30s, 10m or 2h, got "10"',
    ]);
  });

  it('takes a time zone the pages can show times in, and refuses one there is not', () => {
    expect(loadConfig({ env: { INSTANT_SYNC_DISPLAY_TIME_ZONE: 'Europe/Berlin' } }).displayTimeZone).toBe(
      'Europe/Berlin',
    );
    expect(problemsOf(() => loadConfig({ env: { INSTANT_SYNC_DISPLAY_TIME_ZONE: 'Mars/Olympus' } }))).toEqual(
      [
        'INSTANT_SYNC_DISPLAY_TIME_ZONE: expected an IANA time zone name such as Europe/Berlin or UTC, got "Mars/Olympus"',
      ],
    );
  });

  it('never echoes a secret value in an error', () => {
    const problems = problemsOf(() => loadConfig({ env: { INSTANT_SYNC_SECRET_KEY: 'hunter2' } }));
    expect(problems).toEqual([
      'INSTANT_SYNC_SECRET_KEY: expected 32 bytes written as base64 (44 characters) or hex (64 characters)',
    ]);
  });

  it('reads the database URL and secrets from the files their _FILE variables name (container secrets)', () => {
    const folder = tempFolder();
    const url = join(folder, 'database-url');
    const token = join(folder, 'admin-token');
    writeFileSync(url, 'postgres://instant_sync:s3cret@db:5432/instant_sync\n');
    writeFileSync(token, 'an-admin-token-of-24-characters-or-more');
    const config = loadConfig({
      env: { INSTANT_SYNC_DATABASE_URL_FILE: url, INSTANT_SYNC_ADMIN_TOKEN_FILE: token },
    });
    expect(config.databaseUrl).toBe('postgres://instant_sync:s3cret@db:5432/instant_sync');
    expect(config.adminToken).toBe('an-admin-token-of-24-characters-or-more');

    const problems = problemsOf(() =>
      loadConfig({
        env: {
          INSTANT_SYNC_DATABASE_URL: 'sqlite:x.db',
          INSTANT_SYNC_DATABASE_URL_FILE: url,
          INSTANT_SYNC_ADMIN_TOKEN_FILE: join(folder, 'missing'),
          INSTANT_SYNC_PORT_FILE: url,
        },
      }),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^unknown setting INSTANT_SYNC_PORT_FILE/) as unknown,
      'INSTANT_SYNC_DATABASE_URL and INSTANT_SYNC_DATABASE_URL_FILE are both set: set one of them',
      expect.stringMatching(/^INSTANT_SYNC_ADMIN_TOKEN_FILE: cannot read .*missing: ENOENT/) as unknown,
    ]);
  });

  it('reports an unreadable or malformed config file', () => {
    expect(problemsOf(() => loadConfig({ env: {}, configFile: '/nonexistent/config.json' }))[0]).toMatch(
      /^cannot read config file \/nonexistent\/config.json/,
    );
    expect(problemsOf(() => loadConfig({ env: {}, configFile: configFile('{ port: 1 ') }))[0]).toMatch(
      /is not valid JSON/,
    );
    expect(problemsOf(() => loadConfig({ env: {}, configFile: configFile('[1]') }))[0]).toMatch(
      /expected a JSON object/,
    );
  });

  it('reports a bad value next to an unknown option, a file it cannot read and a null among them', () => {
    const file = configFile(JSON.stringify({ prot: 1, extraCaFile: '/nonexistent/ca.pem', logLevel: null }));
    expect(problemsOf(() => loadConfig({ env: {}, configFile: file }))).toEqual([
      `config file ${file}: unknown option "prot" (did you mean port?)`,
      `config file ${file}: logLevel: null is not a value (leave the option out for its default)`,
      `config file ${file}: extraCaFile: cannot read /nonexistent/ca.pem: ENOENT: no such file or directory, open '/nonexistent/ca.pem'`,
    ]);
  });

  it("reads the running demo's settings next to the secret key, and only while that demo runs", () => {
    const folder = tempFolder();
    const env = { INSTANT_SYNC_SECRET_KEY_FILE: join(folder, 'secret.key') };
    const ca = configFile('-----BEGIN CERTIFICATE-----\n');
    const settings = {
      extraCaFile: ca,
      pubSubEndpoint: '127.0.0.1:40001',
      publicUrl: 'http://localhost:18080',
    };
    expect(demoSettingsFile(env)).toBe(join(folder, 'demo-settings.json'));
    writeFileSync(demoSettingsFile(env), JSON.stringify({ pid: process.pid, settings }));
    expect(loadConfig({ env })).toMatchObject(settings);
    // A named config file is a setup of its own: the demo's settings stay out of it.
    expect(loadConfig({ env, configFile: configFile('{}') }).extraCaFile).toBeUndefined();
    // The demo has stopped (its process is gone): its settings no longer count.
    writeFileSync(demoSettingsFile(env), JSON.stringify({ pid: 2 ** 22 + 1, settings }));
    expect(loadConfig({ env }).extraCaFile).toBeUndefined();
  });
});
