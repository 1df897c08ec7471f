// `instant-sync doctor`: a tenant that can sync passes every check; one that cannot is told what
// to fix — Event not selected for CDC, no mailbox provider, not connected, a service it cannot
// reach — and the command exits 1.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { runCliInProcess } from '../support/cli-in-process.ts';
import { doctorDeps } from '../../src/main.ts';
import { runDoctor } from '../../src/reports/doctor.ts';
import { createTenant } from '../../src/tenants/create-tenant.ts';
import { tenantCreationDeps } from '../../src/main.ts';
import { freePort } from '../support/service-under-test.ts';
import { startSyncedService, type SyncedService } from '../support/synced-service.ts';
import { describeEachBackend } from '../support/test-databases.ts';

describeEachBackend('doctor', (database) => {
  let synced: SyncedService;

  beforeAll(async () => {
    synced = await startSyncedService({ databaseUrl: database.url, pubSub: true });
  });
  afterAll(() => synced.close());

  const results = async (slug: string) =>
    Object.fromEntries(
      (await runDoctor(doctorDeps(synced.env.service.runtime), slug)).map((c) => [c.name, c]),
    );

  it('passes every check for a tenant that can sync', async () => {
    const checks = await results('acme');
    expect(Object.values(checks).filter((c) => c.result !== 'ok')).toEqual([]);
    expect(Object.keys(checks)).toEqual([
      'Public URL',
      'Salesforce connection',
      'Read Events',
      'Read users',
      'API budget',
      'Event deliveries',
      'Clock (Salesforce)',
      'Change data capture',
      'Mailbox provider',
      'Graph credentials',
      'Mailboxes',
      'Owners',
      'Dead letters',
    ]);
  });

  it('says what to fix: CDC not enabled for Event, no provider, not connected', async () => {
    synced.env.sandbox.setCdcEnabled(false);
    try {
      const checks = await results('acme');
      expect(checks['Change data capture']).toMatchObject({
        result: 'warn',
        detail: expect.stringMatching(/^Event is not selected for change data capture/) as unknown,
        fix: 'in Salesforce Setup → Change Data Capture, select Event (at most 5 entities can be selected without the add-on: if 5 are, deselect one)',
      });
    } finally {
      synced.env.sandbox.setCdcEnabled(true);
    }

    await createTenant(tenantCreationDeps(synced.env.service.runtime), { slug: 'globex' });
    const fresh = await results('globex');
    expect(fresh['Salesforce connection']).toMatchObject({
      result: 'fail',
      fix: expect.stringContaining('/t/globex/') as unknown,
    });
    expect(fresh['Mailbox provider']).toMatchObject({
      result: 'fail',
      fix: expect.stringContaining('instant-sync provider set globex graph') as unknown,
    });
  });

  it('prints each check with its fix and exits 1 when one fails', async () => {
    const { code, stdout } = await runCliInProcess(['doctor', 'globex'], synced.env.service.env);
    expect(code).toBe(1);
    expect(stdout).toMatch(/✗ Salesforce connection +Disconnected/);
    expect(stdout).toContain('→ instant-sync provider set globex graph');
    expect(stdout).toContain('Tenant globex: 2 problem(s) to fix.');
  });

  it('says what failed, in plain words, when the Pub/Sub API or the Microsoft sign-in cannot be reached', async () => {
    // The Pub/Sub API away: no advice to select Event for CDC, which is not what failed.
    const pubSubEndpoint = `127.0.0.1:${await freePort()}`;
    const deps = doctorDeps(synced.env.service.runtime);
    const checks = Object.fromEntries(
      (await runDoctor({ ...deps, config: { ...deps.config, pubSubEndpoint } }, 'acme')).map((c) => [
        c.name,
        c,
      ]),
    );
    expect(checks['Change data capture']).toMatchObject({
      result: 'warn',
      detail: expect.stringMatching(
        new RegExp(
          `^cannot use the Pub/Sub API at ${pubSubEndpoint} \\(UNAVAILABLE: .*\\); changes arrive by polling only`,
        ),
      ) as unknown,
      fix: `check INSTANT_SYNC_PUBSUB_ENDPOINT (${pubSubEndpoint}) and that this host can reach it (gRPC over TLS), then run doctor again`,
    });

    // Microsoft's sign-in endpoint away: where, and why, instead of MSAL's error code and link.
    const dir = mkdtempSync(join(tmpdir(), 'instant-sync-doctor-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'secret.txt'), 'a-client-secret\n');
    const loginPort = await freePort();
    const set = await runCliInProcess(
      [
        'provider',
        'set',
        'globex',
        'graph',
        '--directory-tenant-id',
        'globex.onmicrosoft.com',
        '--client-id',
        'app-globex',
        '--client-secret-file',
        join(dir, 'secret.txt'),
        '--login-url',
        `https://127.0.0.1:${loginPort}`,
      ],
      synced.env.service.env,
    );
    expect(set.code, set.stderr).toBe(0);
    const { code, stdout } = await runCliInProcess(['doctor', 'globex'], synced.env.service.env);
    expect(code).toBe(1);
    expect(stdout).toContain(
      `✗ Mailbox provider           Microsoft 365 (Graph): cannot reach the Microsoft sign-in endpoint at https://127.0.0.1:${loginPort}: fetch failed (connect ECONNREFUSED 127.0.0.1:${loginPort})\n`,
    );
    expect(stdout).toContain('→ check that this host can reach it (DNS, firewall, proxy;');
    expect(stdout).not.toContain('aka.ms');
  });
});
