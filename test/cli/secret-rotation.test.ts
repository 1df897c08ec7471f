// Rotating secrets from the command line, on both backends: `secret-key rotate` moves every
// sealed value to a new key in one transaction (a runtime with the new key reads the webhook
// secret, the Salesforce tokens and client secret, the JWT key and the mailbox provider's
// credentials; one with the old key is refused), refuses without changing anything when a value
// cannot be opened or the service still runs, and may be run again; `tenants rotate-webhook-
// secret` makes deliveries signed with the old secret fail and those signed with the new one pass.
import { repositories } from '../../src/store/repositories.ts';
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { ProviderSource } from '../../src/engine/provider-source.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { generateSecretKey, SecretBox } from '../../src/lib/secret-box.ts';
import { openRuntimeWithSecrets, type RuntimeWithSecrets } from '../../src/main.ts';
import { signWebhook, verifyWebhook } from '../../src/intake/webhook/webhook-delivery.ts';
import { readMeta } from '../../src/store/meta-repository.ts';
import { listSealedValues, sealedColumns } from '../../src/store/sealed-values-repository.ts';
import { runCliInProcess } from '../support/cli-in-process.ts';
import { cleanEnv, executable } from '../support/cli-process.ts';
import { describeEachBackend } from '../support/test-databases.ts';
import { sealContext } from '../../src/store/seal-contexts.ts';

describeEachBackend('secret rotation commands', (database) => {
  const dir = mkdtempSync(join(tmpdir(), 'instant-sync-rotation-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const keyA = generateSecretKey();
  const keyB = generateSecretKey();
  const boxA = new SecretBox(keyA);
  const boxB = new SecretBox(keyB);
  const keyFileB = join(dir, 'key-b');
  writeFileSync(keyFileB, `${keyB.toString('hex')}\n`, { mode: 0o600 });

  const envWith = (key: Buffer | undefined, extra: Record<string, string> = {}) => ({
    INSTANT_SYNC_DATABASE_URL: database.url,
    INSTANT_SYNC_PUBLIC_URL: 'https://sync.example.com',
    ...(key === undefined ? {} : { INSTANT_SYNC_SECRET_KEY: key.toString('base64') }),
    ...extra,
  });
  const cli = (args: string[], key: Buffer | undefined, extra?: Record<string, string>) =>
    runCliInProcess(args, envWith(key, extra));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  };
  const openWith = (key: Buffer | undefined, extra?: Record<string, string>): Promise<RuntimeWithSecrets> =>
    openRuntimeWithSecrets(loadConfig({ env: envWith(key, extra) }), createLogger({ level: 'silent' }), {
      migrations: 'auto',
    });
  const db = () => database.store.db;

  let tenantId: string;
  let webhookSecret: string;
  const jwtKeyPem = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  }).privateKey;
  const liveState = 'state-hash-live';

  beforeAll(async () => {
    const added = await cli(['tenants', 'add', 'acme', '--json'], keyA);
    expect(added.code).toBe(0);
    ({ id: tenantId, webhookSecret } = JSON.parse(added.stdout) as { id: string; webhookSecret: string });
    const set = await cli(
      [
        'tenants',
        'set',
        'acme',
        '--client-id',
        'consumer-key',
        '--client-secret-file',
        file('client-secret', 'consumer-secret\n'),
        '--jwt-username',
        'sync@acme.example',
        '--jwt-key-file',
        file('jwt.pem', jwtKeyPem),
      ],
      keyA,
    );
    expect(set.stderr).toBe('');
    const provider = await cli(
      [
        'provider',
        'set',
        'acme',
        'graph',
        '--directory-tenant-id',
        'contoso.onmicrosoft.com',
        '--client-id',
        '11111111-2222-3333-4444-555555555555',
        '--client-secret-file',
        file('graph-secret', 'graph-client-secret\n'),
      ],
      keyA,
    );
    expect(provider.stderr).toBe('');
    // A connected org's tokens, as the OAuth callback stores them.
    await db()
      .updateTable('salesforce_connections')
      .set({
        state: 'connected',
        instance_url: 'https://acme.my.salesforce.com',
        access_token_sealed: boxA.seal('access-token-1', sealContext.accessToken(tenantId)),
        refresh_token_sealed: boxA.seal('refresh-token-1', sealContext.refreshToken(tenantId)),
        access_token_issued_at: Date.now(),
        connected_at: Date.now(),
      })
      .where('tenant_id', '=', tenantId)
      .execute();
    // A Connect in progress and one that expired.
    for (const [hash, expiresAt] of [
      [liveState, Date.now() + 600_000],
      ['state-hash-expired', Date.now() - 1000],
    ] as const) {
      await db()
        .insertInto('oauth_states')
        .values({
          state_hash: hash,
          tenant_id: tenantId,
          code_verifier_sealed: boxA.seal(`verifier-${hash}`, sealContext.codeVerifier(hash)),
          browser_binding_hash: 'binding',
          created_at: Date.now(),
          expires_at: expiresAt,
        })
        .execute();
    }
  });

  /** Every sealed value as stored, to show that a refusal changed none of them. */
  const snapshot = async () => ({
    values: (await listSealedValues(db())).map((v) => `${v.column}:${v.rowId}:${v.sealed}`),
    keyId: await readMeta(db(), 'secret_key_id'),
  });

  it('lists every *_sealed column of the schema', async () => {
    const query =
      database.backend === 'sqlite'
        ? sql<{ name: string }>`select m.name || '.' || p.name as name
            from sqlite_master m join pragma_table_info(m.name) p where m.type = 'table'`
        : sql<{ name: string }>`select table_name || '.' || column_name as name
            from information_schema.columns where table_schema = current_schema()`;
    const columns = (await query.execute(db())).rows.map((row) => row.name);
    expect(columns.filter((c) => c.endsWith('_sealed')).sort()).toEqual([...sealedColumns].sort());
  });

  it('refuses while a process of the service is alive, and changes nothing', async () => {
    const before = await snapshot();
    await db()
      .insertInto('nodes')
      .values({
        id: 'web-1:42:abcdef',
        host: 'web-1',
        host_key: 'web-1',
        pid: 42,
        role: 'serve',
        version: '0.1.0',
        started_at: Date.now(),
        heartbeat_at: Date.now(),
        expires_at: Date.now() + 30_000,
      })
      .execute();
    try {
      const refused = await cli(['secret-key', 'rotate', '--new-key-file', keyFileB], keyA);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('a process of the service is running (serve web-1:42:abcdef)');
      expect(refused.stderr).toContain('Nothing was changed');
    } finally {
      await db().deleteFrom('nodes').execute();
    }
    expect(await snapshot()).toEqual(before);
  });

  it('refuses bad command lines', async () => {
    const neither = await cli(['secret-key', 'rotate'], keyA);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('give the new key with --new-key-file <file>, or --generate <file>');
    const same = await cli(
      ['secret-key', 'rotate', '--new-key-file', file('key-a', keyA.toString('base64'))],
      keyA,
    );
    expect(same.code).toBe(2);
    expect(same.stderr).toContain(`the new key is the key already configured (key ${boxA.keyId})`);
    const notAKey = await cli(['secret-key', 'rotate', '--new-key-file', file('not-a-key', 'hello')], keyA);
    expect(notAKey.code).toBe(2);
    expect(notAKey.stderr).toContain('does not hold a 32-byte key');
    const existing = await cli(['secret-key', 'rotate', '--generate', keyFileB], keyA);
    expect(existing.code).toBe(2);
    expect(existing.stderr).toContain(`--generate never replaces a key file`);
  });

  it('re-seals every secret with the new key in one go; the old key is refused from then on', async () => {
    const rotated = await cli(['secret-key', 'rotate', '--new-key-file', keyFileB], keyA);
    expect(rotated.stderr).toBe('');
    expect(rotated.code).toBe(0);
    // Webhook secret, access and refresh token, client secret, JWT key, Graph credentials, the live Connect.
    expect(rotated.stdout).toContain(
      `Re-sealed 7 secrets with the new key ${boxB.keyId} (they were sealed with ${boxA.keyId}).`,
    );
    expect(rotated.stdout).toContain('Deleted 1 expired Connect in progress.');
    expect(rotated.stdout).toContain('set INSTANT_SYNC_SECRET_KEY to the new key');
    expect(await readMeta(db(), 'secret_key_id')).toBe(boxB.keyId);

    const runtime = await openWith(keyB);
    try {
      const { secretBox } = runtime;
      const tenant = await db()
        .selectFrom('tenants')
        .selectAll()
        .where('id', '=', tenantId)
        .executeTakeFirstOrThrow();
      expect(secretBox.open(tenant.webhook_secret_sealed, sealContext.webhookSecret(tenantId))).toBe(
        webhookSecret,
      );
      expect(await runtime.salesforce.sessions.session(tenantId)).toEqual({
        accessToken: 'access-token-1',
        instanceUrl: 'https://acme.my.salesforce.com',
      });
      const connection = await db()
        .selectFrom('salesforce_connections')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .executeTakeFirstOrThrow();
      expect({
        refresh: secretBox.open(connection.refresh_token_sealed ?? '', sealContext.refreshToken(tenantId)),
        client: secretBox.open(connection.client_secret_sealed ?? '', sealContext.clientSecret(tenantId)),
        jwt: secretBox.open(connection.jwt_private_key_sealed ?? '', sealContext.jwtPrivateKey(tenantId)),
      }).toEqual({ refresh: 'refresh-token-1', client: 'consumer-secret', jwt: jwtKeyPem.trim() });
      const providers = new ProviderSource({ repos: repositories(db()), secretBox, fetch });
      expect((await providers.forTenant(tenantId)).all[0]).toHaveProperty('provider');
      const state = await db()
        .selectFrom('oauth_states')
        .selectAll()
        .where('state_hash', '=', liveState)
        .executeTakeFirstOrThrow();
      expect(secretBox.open(state.code_verifier_sealed, sealContext.codeVerifier(liveState))).toBe(
        `verifier-${liveState}`,
      );
      expect(await db().selectFrom('oauth_states').select('state_hash').execute()).toEqual([
        { state_hash: liveState },
      ]);
    } finally {
      await runtime.close();
    }

    await expect(openWith(keyA)).rejects.toThrow(
      `the database's secrets were sealed with key ${boxB.keyId}, but the configured key is ${boxA.keyId}`,
    );
    const oldKey = await cli(['tenants', 'show', 'acme'], keyA);
    expect(oldKey.code).toBe(2);
    expect(oldKey.stderr).toContain(`sealed with key ${boxB.keyId}`);
  });

  it('may be run again: nothing left to re-seal, nothing changed', async () => {
    const before = await snapshot();
    const again = await cli(['secret-key', 'rotate', '--new-key-file', keyFileB], keyA);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`Every secret (7) was already sealed with the new key ${boxB.keyId}`);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses, changing nothing, when the configured key cannot open a value', async () => {
    const tenant = await db()
      .selectFrom('tenants')
      .select('webhook_secret_sealed')
      .where('id', '=', tenantId)
      .executeTakeFirstOrThrow();
    // The same ciphertext under another tenant's context: it names key B but does not open.
    const foreign = boxB.seal('not this tenant’s', sealContext.webhookSecret('another-tenant'));
    await db()
      .updateTable('tenants')
      .set({ webhook_secret_sealed: foreign })
      .where('id', '=', tenantId)
      .execute();
    try {
      const before = await snapshot();
      const keyC = file('key-c', generateSecretKey().toString('base64'));
      const refused = await cli(['secret-key', 'rotate', '--new-key-file', keyC], keyB);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        `cannot open the secret for tenant:${tenantId}:webhook-secret with key ${boxB.keyId}`,
      );
      expect(refused.stderr).toContain('nothing was changed');
      expect(await snapshot()).toEqual(before);
    } finally {
      await db()
        .updateTable('tenants')
        .set({ webhook_secret_sealed: tenant.webhook_secret_sealed })
        .where('id', '=', tenantId)
        .execute();
    }
  });

  it('changes nothing when the generated key cannot be written, though every value was re-sealed', async () => {
    const before = await snapshot();
    // A path under a regular file: only the write, after the re-sealing, fails.
    const refused = await cli(
      ['secret-key', 'rotate', '--generate', join(dir, 'client-secret', 'key')],
      keyB,
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`cannot write the new key to ${join(dir, 'client-secret', 'key')}`);
    expect(await snapshot()).toEqual(before);
  });

  it('--generate writes a new key file (0600) that the service then runs with', async () => {
    const generated = join(dir, 'keys', 'key-d');
    const rotated = await cli(['secret-key', 'rotate', '--generate', generated, '--json'], keyB);
    expect(rotated.stderr).toBe('');
    const result = JSON.parse(rotated.stdout) as { resealed: number; newKeyId: string; newKeyFile: string };
    expect(result).toMatchObject({ resealed: 7, newKeyFile: generated });
    expect(statSync(generated).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'keys')).mode & 0o777).toBe(0o700);
    const runtime = await openWith(undefined, { INSTANT_SYNC_SECRET_KEY_FILE: generated });
    try {
      expect(runtime.secretBox.keyId).toBe(result.newKeyId);
      expect(await runtime.salesforce.sessions.session(tenantId)).toMatchObject({
        accessToken: 'access-token-1',
      });
    } finally {
      await runtime.close();
    }
    // Back to key B for the tests after this one.
    const back = await cli(['secret-key', 'rotate', '--new-key-file', keyFileB], undefined, {
      INSTANT_SYNC_SECRET_KEY_FILE: generated,
    });
    expect(back.code).toBe(0);
    expect(back.stdout).toContain(`replace the key file ${generated} with ${keyFileB}`);
  });

  it('reads the new key from standard input with --new-key-file -', async () => {
    const keyE = generateSecretKey();
    const child = spawn(process.execPath, [executable, 'secret-key', 'rotate', '--new-key-file', '-'], {
      cwd: dir,
      env: cleanEnv(envWith(keyB)),
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.resume();
    child.stdin.end(`${keyE.toString('base64')}\n`);
    const [code] = (await once(child, 'close')) as [number | null];
    expect(code).toBe(0);
    expect(stdout).toContain(`Re-sealed 7 secrets with the new key ${new SecretBox(keyE).keyId}`);
    const back = await cli(['secret-key', 'rotate', '--new-key-file', keyFileB], keyE);
    expect(back.code).toBe(0);
  });

  it('tenants rotate-webhook-secret: the old secret’s signatures are refused, the new one’s accepted', async () => {
    const storedSecret = async () => {
      const row = await db()
        .selectFrom('tenants')
        .select('webhook_secret_sealed')
        .where('id', '=', tenantId)
        .executeTakeFirstOrThrow();
      return boxB.open(row.webhook_secret_sealed, sealContext.webhookSecret(tenantId));
    };
    const body = JSON.stringify({ events: [{ id: '00U000000000001AAA', changeType: 'UPDATE' }] });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const check = async (signedWith: string) =>
      verifyWebhook({
        secret: await storedSecret(),
        timestamp,
        signature: signWebhook(signedWith, timestamp, body),
        body,
        now: Date.now(),
      });
    expect(await check(webhookSecret)).toBeUndefined();

    const rotated = await cli(['tenants', 'rotate-webhook-secret', 'acme'], keyB);
    expect(rotated.code).toBe(0);
    const newSecret = /(whsec_[A-Za-z0-9_-]{43})/.exec(rotated.stdout)?.[1] ?? '';
    expect(newSecret).not.toBe('');
    expect(newSecret).not.toBe(webhookSecret);
    // Not connected: nothing could tell the org, so the admin gives it to the webhook's callers.
    expect(rotated.stdout).toContain('Give it to whatever calls the webhook (docs/webhook.md) now');

    expect(await check(webhookSecret)).toMatchObject({ status: 401, code: 'bad_signature' });
    expect(await check(newSecret)).toBeUndefined();

    const json = await cli(['tenants', 'rotate-webhook-secret', 'acme', '--json'], keyB);
    expect(JSON.parse(json.stdout)).toEqual({
      slug: 'acme',
      webhookSecret: await storedSecret(),
      packageUpdated: false,
    });
    const missing = await cli(['tenants', 'rotate-webhook-secret', 'globex'], keyB);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no tenant named "globex"');
  });
});
