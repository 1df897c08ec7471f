// The sync commands' success paths and refusals: the mailbox provider (its secret never shown),
// the tenant's sync policies, mailbox overrides, and trace for an Event nobody knows.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCliInProcess } from '../support/cli-in-process.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTestCertificate } from '../support/test-certificate.ts';
import { tempFolders } from '../support/temp-folders.ts';

describe('sync commands', () => {
  const temp = tempFolders();
  let env: Record<string, string>;
  let dir: string;

  const cli = (args: string[]) => runCliInProcess(args, env);

  beforeAll(async () => {
    dir = temp.make('instant-sync-sync-cli-');
    env = {
      INSTANT_SYNC_DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
      INSTANT_SYNC_SECRET_KEY_FILE: join(dir, 'secret.key'),
    };
    expect((await cli(['tenants', 'add', 'acme'])).code).toBe(0);
  });

  it('provider kinds lists every provider with what it takes, shows and cannot show', async () => {
    const listed = await cli(['provider', 'kinds']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('graph: Microsoft 365 (Graph) (docs/setup-microsoft-365.md)');
    expect(listed.stdout).toContain('set up with: --directory-tenant-id <id> --client-id <id>');
    expect(listed.stdout).toContain('4 requests at once and 10000 per 600 s per mailbox');
    const json = JSON.parse((await cli(['provider', 'kinds', '--json'])).stdout) as {
      kind: string;
      capabilities: { seriesInstances: { moveAcrossNeighbours: boolean } | null; limitations: string[] };
    }[];
    expect(json.find((k) => k.kind === 'graph')?.capabilities.seriesInstances).toEqual({
      moveAcrossNeighbours: false,
    });
  });

  it('provider set says an unknown kind is unknown, listing the kinds, before anything about options', async () => {
    const unknown = await cli(['provider', 'set', 'acme', 'exchange', '--client-id', 'app-1']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      'error: unknown provider "exchange": this version supports graph (Microsoft 365 (Graph)), google (Google Workspace (Google Calendar)), ews (Exchange Server (EWS))\n',
    );
    // Options of another kind are named as such, not ignored while the kind's own are asked for.
    const foreign = await cli([
      'provider',
      'set',
      'acme',
      'ews',
      '--directory-tenant-id',
      'contoso.onmicrosoft.com',
      '--client-id',
      'app-1',
    ]);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toBe(
      'error: --directory-tenant-id, --client-id are not options of ews (Exchange Server (EWS)), which takes --url, --username, --password-file, --auth\n',
    );
  });

  it('provider set stores the Graph app with its secret from a file; show never prints the secret', async () => {
    const noSecret = await cli([
      'provider',
      'set',
      'acme',
      'graph',
      '--directory-tenant-id',
      'contoso.onmicrosoft.com',
      '--client-id',
      'app-1',
    ]);
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toContain(
      'a client secret (--client-secret-file) or a certificate (--client-certificate-file) is needed',
    );

    const secretFile = join(dir, 'graph-secret.txt');
    writeFileSync(secretFile, 'very-secret-value\n');
    const set = await cli([
      'provider',
      'set',
      'acme',
      'graph',
      '--directory-tenant-id',
      'contoso.onmicrosoft.com',
      '--client-id',
      'app-1',
      '--client-secret-file',
      secretFile,
    ]);
    expect(set).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('now syncs to Microsoft 365') as unknown,
    });
    const shown = await cli(['provider', 'show', 'acme', '--json']);
    expect(JSON.parse(shown.stdout)).toEqual({
      kind: 'graph',
      directoryTenantId: 'contoso.onmicrosoft.com',
      clientId: 'app-1',
      secretStored: true,
      name: 'default',
      isDefault: true,
    });
    expect(shown.stdout).not.toContain('very-secret-value');

    const showUnknown = await cli(['provider', 'show', 'globex']);
    expect(showUnknown.code).not.toBe(0);
    expect(showUnknown.stderr).toContain('no tenant named "globex"');

    const wrongKind = await cli([
      'provider',
      'set',
      'acme',
      'outlook',
      '--directory-tenant-id',
      'x',
      '--client-id',
      'y',
    ]);
    expect(wrongKind.code).toBe(2);
    expect(wrongKind.stderr).toContain('unknown provider "outlook"');
    const badUrl = await cli([
      'provider',
      'set',
      'acme',
      'graph',
      '--directory-tenant-id',
      'contoso.onmicrosoft.com',
      '--client-id',
      'app-1',
      '--graph-url',
      'http://graph.example',
    ]);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain('the Graph URL must be an https URL');
  });

  it('provider set takes a certificate instead of a secret, and refuses a key that is not the certificate’s', async () => {
    const own = makeTestCertificate();
    const other = makeTestCertificate();
    const good = join(dir, 'app.pem');
    writeFileSync(good, `${own.keyPem}\n${own.certificatePem}`);
    const set = await cli([
      'provider',
      'set',
      'acme',
      'graph',
      '--directory-tenant-id',
      'contoso.onmicrosoft.com',
      '--client-id',
      'app-2',
      '--client-certificate-file',
      good,
    ]);
    expect(set.code).toBe(0);
    expect(JSON.parse((await cli(['provider', 'show', 'acme', '--json'])).stdout)).toMatchObject({
      clientId: 'app-2',
      secretStored: true,
    });

    const mixed = join(dir, 'mixed.pem');
    writeFileSync(mixed, `${other.keyPem}\n${own.certificatePem}`);
    const refused = await cli([
      'provider',
      'set',
      'acme',
      'graph',
      '--directory-tenant-id',
      'contoso.onmicrosoft.com',
      '--client-id',
      'app-2',
      '--client-certificate-file',
      mixed,
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      'the private key in the certificate file does not belong to its certificate',
    );
  });

  it('provider set takes a Google service account key (never shown again) and refuses a credential of another kind', async () => {
    const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const key = {
      type: 'service_account',
      project_id: 'acme-sync',
      private_key_id: 'f00d',
      private_key: privateKey,
      client_email: 'sync@acme-sync.iam.gserviceaccount.com',
      client_id: '104392847561234567890',
      token_uri: 'https://oauth2.googleapis.com/token',
    };
    const keyFile = join(dir, 'google-key.json');
    writeFileSync(keyFile, JSON.stringify(key));
    const set = await cli(['provider', 'set', 'acme', 'google', '--service-account-file', keyFile]);
    expect(set.code).toBe(0);
    expect(set.stdout).toContain(
      'Tenant acme now syncs to Google Workspace (Google Calendar) (service account sync@acme-sync.iam.gserviceaccount.com (client id 104392847561234567890)).',
    );
    const shown = await cli(['provider', 'show', 'acme', '--json']);
    expect(JSON.parse(shown.stdout)).toMatchObject({ kind: 'google', secretStored: true });
    expect(shown.stdout).not.toContain('PRIVATE KEY');

    const userKey = join(dir, 'user-key.json');
    writeFileSync(userKey, JSON.stringify({ type: 'authorized_user', client_id: 'x' }));
    const refused = await cli(['provider', 'set', 'acme', 'google', '--service-account-file', userKey]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('a "authorized_user" credential, not a service account key');
    const none = await cli(['provider', 'set', 'globex', 'google']);
    expect(none.code).not.toBe(0);
  });

  it('tenants set changes the sync policies and refuses bad values with every problem named', async () => {
    const rules = join(dir, 'rules.json');
    writeFileSync(
      rules,
      JSON.stringify([
        { field: 'CreatedById', op: 'equals', value: '005000000000001AAA', label: 'the old sync tool' },
      ]),
    );
    const set = await cli([
      'tenants',
      'set',
      'acme',
      '--invitation-policy',
      'internal',
      '--internal-domains',
      'acme.com, acme.de',
      '--delete-policy',
      'keep',
      '--exclusion-rules-file',
      rules,
    ]);
    expect(set.code).toBe(0);
    const listed = JSON.parse((await cli(['tenants', 'list', '--json'])).stdout) as Record<string, unknown>[];
    expect(listed[0]).toMatchObject({
      invitationPolicy: 'internal',
      deletePolicy: 'keep',
      internalDomains: ['acme.com', 'acme.de'],
      exclusionRules: [{ field: 'CreatedById', label: 'the old sync tool' }],
    });

    writeFileSync(rules, '[{"field": "Subject", "op": "like", "value": "x"}]');
    const bad = await cli([
      'tenants',
      'set',
      'acme',
      '--invitation-policy',
      'everyone',
      '--delete-policy',
      'archive',
      '--exclusion-rules-file',
      rules,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('the invitation policy must be none, internal or all, got "everyone"');
    expect(bad.stderr).toContain('the delete policy must be delete or keep, got "archive"');
    expect(bad.stderr).toContain('rule 1: op must be one of');
    const poll = await cli(['tenants', 'set', 'acme', '--poll-interval', 'often']);
    expect(poll.code).toBe(2);
    expect(poll.stderr).toContain(
      '--poll-interval expects a duration such as 60s or 5m, or default, got "often"',
    );
    expect((await cli(['tenants', 'set', 'acme', '--poll-interval', '2m'])).code).toBe(0);
    expect(JSON.parse((await cli(['tenants', 'list', '--json'])).stdout)).toEqual([
      expect.objectContaining({ pollIntervalMs: 120_000 }),
    ]);
  });

  it('mailboxes map sends a user to a chosen mailbox, and list shows it', async () => {
    const mapped = await cli(['mailboxes', 'map', '005000000000042AAA', 'Shared.Calendar@Acme.com']);
    expect(mapped.code).toBe(0);
    const list = JSON.parse((await cli(['mailboxes', 'list', '--json'])).stdout) as unknown[];
    expect(list).toEqual([
      expect.objectContaining({
        user: '005000000000042AAA',
        mailbox: 'shared.calendar@acme.com',
        source: 'override',
        state: 'active',
      }),
    ]);
    const table = await cli(['mailboxes', 'list']);
    expect(table.stdout).toMatch(/005000000000042AAA\s+shared\.calendar@acme\.com\s+override\s+active/);

    const badAddress = await cli(['mailboxes', 'map', '005000000000042AAA', 'not-an-address']);
    expect(badAddress.code).toBe(2);
    expect(badAddress.stderr).toContain('"not-an-address" is not a mailbox address');
    const unknownTenant = await cli(['mailboxes', 'list', '--tenant', 'globex']);
    expect(unknownTenant.code).not.toBe(0);
    expect(unknownTenant.stderr).toContain('no tenant named "globex"');
    const badUser = await cli(['mailboxes', 'map', 'jane', 'jane@acme.com']);
    expect(badUser.code).toBe(2);
    expect(badUser.stderr).toContain('neither a Salesforce user id (005…) nor an email address');
  });

  it('mailboxes map keeps a User id in its 18-character form and refuses one whose case was changed', async () => {
    // 0055g00000Jd8Kp is 0055g00000Jd8KpAAJ: the engine reads owners under that form.
    expect((await cli(['mailboxes', 'map', '0055g00000Jd8Kp', 'jd@acme.com'])).code).toBe(0);
    const list = JSON.parse((await cli(['mailboxes', 'list', '--json'])).stdout) as { user: string }[];
    expect(list.map((m) => m.user)).toContain('0055g00000Jd8KpAAJ');
    expect(list.map((m) => m.user)).not.toContain('0055g00000Jd8Kp');
    for (const changed of ['0055g00000jd8kpaaj', '0055g00000Jd8KpAAA']) {
      const refused = await cli(['mailboxes', 'map', changed, 'jd@acme.com']);
      expect([changed, refused.code]).toEqual([changed, 2]);
      expect(refused.stderr).toContain('its last 3 characters do not match the case of its first 15');
    }
  });

  it('a hybrid tenant names several providers, and mailboxes map --provider says which one a mailbox goes through', async () => {
    const passwordFile = join(dir, 'ews-password.txt');
    writeFileSync(passwordFile, 'on-premises secret\n');
    const ews = (name: string) => [
      'provider',
      'set',
      'acme',
      'ews',
      '--name',
      name,
      '--url',
      'https://mail.acme.example/EWS/Exchange.asmx',
      '--username',
      'ACME\\svc-instant-sync',
      '--password-file',
      passwordFile,
    ];
    const badName = await cli(ews('On Prem'));
    expect(badName.code).toBe(2);
    expect(badName.stderr).toContain('"On Prem" is not a provider name');
    const set = await cli(ews('onprem'));
    expect(set.code).toBe(0);
    expect(set.stdout).toContain("Tenant acme's provider onprem is Exchange Server (EWS)");
    expect(set.stdout).toContain('mailboxes map <user> <address> --provider onprem --tenant acme');
    expect(JSON.parse((await cli(['provider', 'list', 'acme', '--json'])).stdout)).toEqual([
      // The provider set by the tests above (no --name) is the default.
      expect.objectContaining({ name: 'default', isDefault: true }),
      expect.objectContaining({ name: 'onprem', kind: 'ews', isDefault: false, mailboxes: 0 }),
    ]);
    const shown = JSON.parse(
      (await cli(['provider', 'show', 'acme', '--name', 'onprem', '--json'])).stdout,
    ) as Record<string, unknown>;
    expect(shown).toMatchObject({ kind: 'ews', name: 'onprem', isDefault: false, secretStored: true });
    expect(JSON.stringify(shown)).not.toContain('on-premises secret');

    const unknown = await cli([
      'mailboxes',
      'map',
      '005000000000042AAA',
      'shared.calendar@acme.com',
      '--provider',
      'cloud',
    ]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('tenant acme has no provider named "cloud" (it has default, onprem)');
    const mapped = await cli([
      'mailboxes',
      'map',
      '005000000000042AAA',
      'shared.calendar@acme.com',
      '--provider',
      'onprem',
    ]);
    expect(mapped.code).toBe(0);
    expect(mapped.stdout).toContain('now go to shared.calendar@acme.com through the provider onprem');
    const table = (await cli(['mailboxes', 'list'])).stdout;
    expect(table).toMatch(/SALESFORCE USER\s+MAILBOX\s+FROM\s+PROVIDER\s+STATE/);
    expect(table).toMatch(/005000000000042AAA\s+shared\.calendar@acme\.com\s+override\s+onprem\s+active/);
    expect(table).toMatch(/0055g00000Jd8KpAAJ\s+jd@acme\.com\s+override\s+default \(default\)\s+active/);
    expect(JSON.parse((await cli(['provider', 'list', 'acme', '--json'])).stdout)).toEqual([
      expect.objectContaining({ name: 'default', mailboxes: 1 }),
      expect.objectContaining({ name: 'onprem', mailboxes: 1 }),
    ]);
    expect((await cli(['tenants', 'show', 'acme'])).stdout).toMatch(
      /Mailbox provider:\s+default \(default\): .+; onprem: Exchange Server \(EWS\)/,
    );
  });

  it('trace refuses what is not an id and says when nothing is known of an Event', async () => {
    const notAnId = await cli(['trace', 'meeting-42']);
    expect(notAnId.code).toBe(2);
    expect(notAnId.stderr).toContain('is not a Salesforce Event id');
    const notAnEvent = await cli(['trace', '005000000000042AAA']);
    expect(notAnEvent.code).toBe(2);
    expect(notAnEvent.stderr).toContain('is not a Salesforce Event id (those start with 00U)');
    const unknown = await cli(['trace', '00U000000000001']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('nothing is known of Event 00U000000000001EAA');
    const wrongSuffix = await cli(['trace', '00U000000000001AAA']);
    expect(wrongSuffix.code).toBe(2);
    expect(wrongSuffix.stderr).toContain('its last 3 characters do not match the case of its first 15');
  });
});
