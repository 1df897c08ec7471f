// tenants show and remove, and retry: success paths and refusals.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCliInProcess } from '../support/cli-in-process.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/open-store.ts';
import { seedDeadJob } from '../support/seed-dead-job.ts';
import { tempFolders } from '../support/temp-folders.ts';

describe('tenant and retry commands', () => {
  const temp = tempFolders();
  let env: Record<string, string>;
  let store: Store;
  let tenantId: string;

  const cli = (args: string[]) => runCliInProcess(args, env);

  beforeAll(async () => {
    const dir = temp.make('instant-sync-tenant-cli-');
    env = {
      INSTANT_SYNC_DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
      INSTANT_SYNC_SECRET_KEY_FILE: join(dir, 'secret.key'),
    };
    tenantId = (JSON.parse((await cli(['tenants', 'add', 'acme', '--json'])).stdout) as { id: string }).id;
    store = openStore(env['INSTANT_SYNC_DATABASE_URL'] ?? '', { poolSize: 1 });
  });
  afterAll(() => store.close());

  it('tenants show tells one tenant’s settings, connection, provider and queue', async () => {
    const shown = await cli(['tenants', 'show', 'acme']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('Mailbox provider:   none (instant-sync provider set)');
    expect(shown.stdout).toMatch(/Salesforce: +Disconnected/);
    const json = JSON.parse((await cli(['tenants', 'show', 'acme', '--json'])).stdout) as Record<
      string,
      unknown
    >;
    expect(json).toMatchObject({ slug: 'acme', provider: null, jobs: { dead: 0 } });
    const missing = await cli(['tenants', 'show', 'globex']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('no tenant named "globex"');
  });

  it('retry revives a dead-lettered Event with fresh attempts, one or all', async () => {
    const dead = (eventId: string) =>
      seedDeadJob(store.db, { tenantId, eventId, lastError: 'Graph answered 404 ErrorInvalidUser' });
    await dead('00U000000000001EAA');
    await dead('00U000000000002EAA');
    const one = await cli(['retry', '00U000000000001']);
    expect(one).toMatchObject({ code: 0, stdout: 'Queued 1 Event to sync again.\n' });
    const all = await cli(['retry', '--dead', '--json']);
    expect(JSON.parse(all.stdout)).toEqual({ queued: 1, events: ['00U000000000002EAA'] });
    const jobs = await store.db
      .selectFrom('jobs')
      .select(['state', 'attempts'])
      .where('tenant_id', '=', tenantId)
      .execute();
    expect(jobs).toEqual([
      { state: 'waiting', attempts: 0 },
      { state: 'waiting', attempts: 0 },
    ]);
    expect((await cli(['retry', '--dead'])).stdout).toBe('Nothing to retry: no Event is dead-lettered.\n');

    const neither = await cli(['retry']);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('give an Event id or --dead');
    const unknown = await cli(['retry', '00U000000000009EAA']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('no tenant knows Event 00U000000000009EAA');
  });

  it('retry finds an Event by its exact id, never another whose id differs only in case', async () => {
    await seedDeadJob(store.db, { tenantId, eventId: '00U5g00000Wr2LxEAJ', lastError: 'x' });
    // 00U5g00000wr2lx is another Event (15-character ids are case-sensitive): no tenant knows it.
    const other = await cli(['retry', '00U5g00000wr2lx']);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('no tenant knows Event 00U5g00000wr2lxEAA');
    const lowered = await cli(['retry', '00u5g00000wr2lxeaj']);
    expect(lowered.code).toBe(2);
    expect(lowered.stderr).toContain('is not a Salesforce Event id');
    const changed = await cli(['retry', '00U5g00000wr2lxeaj']);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toContain('its last 3 characters do not match the case of its first 15');
    const jobs = () =>
      store.db
        .selectFrom('jobs')
        .select(['event_id', 'state'])
        .where('tenant_id', '=', tenantId)
        .where('event_id', 'like', '00U5g00000%')
        .orderBy('event_id')
        .execute();
    expect(await jobs()).toEqual([{ event_id: '00U5g00000Wr2LxEAJ', state: 'dead' }]);

    // Its 15-character form names it; an Event no tenant knows yet is queued under its 18-character id.
    expect((await cli(['retry', '00U5g00000Wr2Lx'])).code).toBe(0);
    expect((await cli(['retry', '00U5g00000Qp9Zy', '--tenant', 'acme'])).code).toBe(0);
    expect(await jobs()).toEqual([
      { event_id: '00U5g00000Qp9ZyEAJ', state: 'waiting' },
      { event_id: '00U5g00000Wr2LxEAJ', state: 'waiting' },
    ]);
  });

  it('admin set-password refuses a short password', async () => {
    const file = join(temp.make('instant-sync-pw-'), 'pw.txt');
    writeFileSync(file, 'short\n');
    const refused = await cli(['admin', 'set-password', '--password-file', file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('the admin password must be at least 12 characters');
  });

  it('tenants remove asks for --yes, then deletes the tenant and all its data', async () => {
    const unconfirmed = await cli(['tenants', 'remove', 'acme']);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('run again with --yes to confirm');
    const removed = await cli(['tenants', 'remove', 'acme', '--yes']);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain('Removed tenant acme.');
    expect(JSON.parse((await cli(['tenants', 'list', '--json'])).stdout)).toEqual([]);
    expect(await store.db.selectFrom('jobs').selectAll().execute()).toEqual([]);
  });
});
