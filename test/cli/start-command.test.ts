// `instant-sync start` runs the real service as soon as a Salesforce org is configured, and says why.
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli-in-process.ts';
import { freePort } from '../support/service-under-test.ts';
import { tempFolders } from '../support/temp-folders.ts';

const temp = tempFolders();

const cli = (args: string[], env: Record<string, string>) =>
  runCliInProcess(args, env, { stopSignal: AbortSignal.abort() });

it('runs the service, not the demo, when a Salesforce app or a tenant is configured', async () => {
  const dir = temp.make('instant-sync-start-');
  const env = {
    INSTANT_SYNC_DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
    INSTANT_SYNC_SECRET_KEY_FILE: join(dir, 'secret.key'),
    INSTANT_SYNC_PORT: String(await freePort()),
    INSTANT_SYNC_CDC: 'false',
  };
  const withApp = await cli(['start'], {
    ...env,
    INSTANT_SYNC_SALESFORCE_CLIENT_ID: '3MVG9example',
    INSTANT_SYNC_SALESFORCE_CLIENT_SECRET: 'example-secret',
  });
  expect(withApp.code).toBe(0);
  expect(withApp.stdout).toContain('Starting the service (INSTANT_SYNC_SALESFORCE_CLIENT_ID is set)');
  expect(withApp.stdout).toContain('listening on');

  expect((await cli(['tenants', 'add', 'acme'], env)).code).toBe(0);
  const withTenant = await cli(['start'], env);
  expect(withTenant.stdout).toContain('Starting the service (tenant acme is configured)');
});

it('refuses a bad configuration before starting anything', async () => {
  const refused = await cli(['start'], { INSTANT_SYNC_PORT: 'eighty' });
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain(
    'INSTANT_SYNC_PORT: expected a whole number from 0 to 65535, got "eighty"',
  );
});

it('refuses a demo pace that makes no sense', async () => {
  const refused = await cli(['demo', '--pace', 'fast'], {});
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain(
    '--pace takes a whole number of milliseconds from 100 to 600000, got "fast"',
  );
});
