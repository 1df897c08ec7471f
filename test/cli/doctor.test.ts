// `instant-sync doctor`: a tenant that can sync passes every check; one that cannot is told what
// to fix — Event not selected for CDC, no mailbox provider, not connected — and the command exits 1.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli-in-process.ts';
import { doctorDeps } from '../../src/main.ts';
import { runDoctor } from '../../src/reports/doctor.ts';
import { createTenant } from '../../src/tenants/create-tenant.ts';
import { tenantCreationDeps } from '../../src/main.ts';
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
        fix: 'in Salesforce Setup → Change Data Capture, select Event',
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
});
