// Our Salesforce package's side of the org, as a real client (jsforce, with conn.sobject for the
// custom settings and conn.tooling for RemoteProxy) and the wire see it: no package, no settings
// (NOT_FOUND on their REST paths, INVALID_TYPE in SOQL); installed, the org-default records are
// created, read, queried by SetupOwnerId, changed and deleted, refused as Salesforce refuses
// (a second record for one SetupOwnerId, unknown or read-only fields, values too long, bad
// datetimes, a SetupOwnerId that is no org, profile or user); Remote Site Settings are made,
// found, changed and removed through the Tooling API from their FullName and Metadata only,
// refused for a duplicate name, a bad name, a URL Salesforce does not take, or a user without
// the permission; all behind the session check and counted against the API limit.
import { Connection } from '@jsforce/jsforce-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSalesforceSandbox, type SalesforceSandbox } from './index.ts';
import { jsforceFailure as failure, testAccessToken } from './test-sign-in.ts';

interface QueryPage {
  totalSize: number;
  done: boolean;
  records: Record<string, unknown>[];
}

describe('our package’s custom settings and remote sites, as strict as Salesforce', () => {
  let org: SalesforceSandbox;
  let token: string;
  let adminId: string;
  let conn: Connection;

  beforeAll(async () => {
    org = await startSalesforceSandbox({ autoApprove: true, startTime: Date.UTC(2026, 10, 24, 8) });
    adminId = org.addUser({ username: 'admin@acme.example', email: 'admin@acme.example' }).Id;
    token = await testAccessToken(org, { username: 'admin@acme.example' });
    conn = new Connection({ instanceUrl: org.url, accessToken: token, version: '66.0' });
  });
  afterAll(() => org.close());

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${org.url}/services/data/v66.0${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        ...(init.headers as Record<string, string> | undefined),
      },
    });
  const control = async (path: string, init: RequestInit = {}) =>
    (
      await fetch(`${org.url}/__sandbox${path}`, {
        ...init,
        headers: { 'content-type': 'application/json' },
      })
    ).json() as Promise<Record<string, unknown>>;
  const soql = (text: string) => api(`/query?q=${encodeURIComponent(text)}`);
  const setInstalled = (installed: boolean) =>
    control('/package', { method: 'POST', body: JSON.stringify({ installed }) });
  const config = () => conn.sobject('InstantSync_Config__c');
  const notFoundBody = [{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }];

  describe('without the package', () => {
    it('answers NOT_FOUND on the settings’ REST paths and INVALID_TYPE in SOQL, as for any sObject the org lacks', async () => {
      expect(await control('/package')).toEqual({
        installed: false,
        settings: {},
        records: {},
        remoteSites: [],
      });
      const created = await api('/sobjects/InstantSync_Config__c', {
        method: 'POST',
        body: JSON.stringify({ SetupOwnerId: org.orgId, Status__c: 'Connected' }),
      });
      expect([created.status, await created.json()]).toEqual([404, notFoundBody]);
      for (const method of ['GET', 'PATCH', 'DELETE']) {
        const response = await api('/sobjects/InstantSync_Secret__c/a015g0000000001AAA', {
          method,
          ...(method === 'PATCH' ? { body: '{}' } : {}),
        });
        expect([method, response.status, await response.json()]).toEqual([method, 404, notFoundBody]);
      }
      const query = await soql(`SELECT Id FROM InstantSync_Config__c WHERE SetupOwnerId = '${org.orgId}'`);
      expect(query.status).toBe(400);
      expect(await query.json()).toEqual([
        {
          message:
            "sObject type 'InstantSync_Config__c' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.",
          errorCode: 'INVALID_TYPE',
        },
      ]);
      expect((await failure(conn.query('SELECT Id FROM InstantSync_Secret__c'))).errorCode).toBe(
        'INVALID_TYPE',
      );
      expect((await failure(config().create({ Status__c: 'Connected' }))).errorCode).toBe('NOT_FOUND');
    });
  });

  describe('with the package installed', () => {
    beforeAll(() => setInstalled(true));

    it('creates the org default, reads it by id and by SetupOwnerId, changes it and deletes it', async () => {
      const raw = await api('/sobjects/InstantSync_Config__c', {
        method: 'POST',
        body: JSON.stringify({
          SetupOwnerId: org.orgId,
          TenantUrl__c: 'https://sync.acme.example/t/acme/',
          Status__c: 'Connected',
          ExpiresAt__c: '2027-05-24T08:00:00Z',
          StatusUpdatedAt__c: '2026-11-24T08:00:00.000+0000',
          LastError__c: null,
        }),
      });
      expect(raw.status).toBe(201);
      const { id } = (await raw.json()) as { id: string };
      expect(id).toMatch(/^a00[A-Za-z0-9]{15}$/);
      expect(
        await (await api('/sobjects/InstantSync_Config__c', { method: 'POST', body: '{}' })).json(),
      ).toEqual([
        {
          message: `duplicate value found: SetupOwnerId duplicates value on record with id: ${org.orgId.slice(0, 15)}`,
          errorCode: 'DUPLICATE_VALUE',
          fields: [],
        },
      ]);

      const byId = (await config().retrieve(id)) as unknown as Record<string, unknown>;
      expect(byId).toMatchObject({
        attributes: {
          type: 'InstantSync_Config__c',
          url: `/services/data/v66.0/sobjects/InstantSync_Config__c/${id}`,
        },
        Id: id,
        Name: null,
        SetupOwnerId: org.orgId,
        IsDeleted: false,
        ClientId__c: null,
        TenantUrl__c: 'https://sync.acme.example/t/acme/',
        Status__c: 'Connected',
        ExpiresAt__c: '2027-05-24T08:00:00.000+0000',
        StatusUpdatedAt__c: '2026-11-24T08:00:00.000+0000',
        LastError__c: null,
        CreatedById: adminId,
        CreatedDate: expect.stringMatching(/^2026-11-24T08:00:\d\d\.\d{3}\+0000$/) as string,
      });
      expect(await (await api(`/sobjects/InstantSync_Config__c/${id}?fields=Status__c`)).json()).toEqual({
        attributes: {
          type: 'InstantSync_Config__c',
          url: `/services/data/v66.0/sobjects/InstantSync_Config__c/${id}`,
        },
        Status__c: 'Connected',
      });

      // The server finds the org default by SetupOwnerId; the 15-character org id names it too.
      for (const owner of [org.orgId, org.orgId.slice(0, 15)]) {
        const found = (await (
          await soql(
            `SELECT Id, Name, SetupOwnerId, Status__c, ExpiresAt__c FROM InstantSync_Config__c WHERE SetupOwnerId = '${owner}'`,
          )
        ).json()) as QueryPage;
        expect(found).toEqual({
          totalSize: 1,
          done: true,
          records: [
            {
              attributes: {
                type: 'InstantSync_Config__c',
                url: `/services/data/v66.0/sobjects/InstantSync_Config__c/${id}`,
              },
              Id: id,
              Name: null,
              SetupOwnerId: org.orgId,
              Status__c: 'Connected',
              ExpiresAt__c: '2027-05-24T08:00:00.000+0000',
            },
          ],
        });
      }

      org.clock.advance(60_000);
      const patched = await api(`/sobjects/InstantSync_Config__c/${id}`, {
        method: 'PATCH',
        body: JSON.stringify({ Status__c: 'Disconnected', TenantUrl__c: null, ExpiresAt__c: null }),
      });
      expect([patched.status, await patched.text()]).toEqual([204, '']);
      expect(await config().update({ Id: id, LastError__c: 'token revoked' })).toEqual({
        id,
        success: true,
        errors: [],
      });
      const state = (await control('/package')) as { settings: Record<string, Record<string, unknown>> };
      expect(state.settings['InstantSync_Config__c']).toMatchObject({
        Id: id,
        SetupOwnerId: org.orgId,
        Status__c: 'Disconnected',
        TenantUrl__c: null,
        ExpiresAt__c: null,
        LastError__c: 'token revoked',
        LastModifiedDate: expect.stringMatching(/^2026-11-24T08:01:/) as string,
      });

      const deleted = await api(`/sobjects/InstantSync_Config__c/${id}`, { method: 'DELETE' });
      expect(deleted.status).toBe(204);
      const gone = await api(`/sobjects/InstantSync_Config__c/${id}`);
      expect([gone.status, await gone.json()]).toEqual([404, notFoundBody]);
      expect((await failure(config().destroy(id))).errorCode).toBe('NOT_FOUND');
      expect(((await control('/package')) as { settings: Record<string, unknown> }).settings).toMatchObject({
        InstantSync_Config__c: null,
      });
    });

    it('makes the record the org default when SetupOwnerId is left out, and keeps a user’s record beside it', async () => {
      const secret = conn.sobject('InstantSync_Secret__c');
      const orgDefault = await secret.create({ WebhookSecret__c: 'whsec-1' });
      expect(orgDefault).toMatchObject({ success: true });
      const userLevel = await secret.create({ SetupOwnerId: adminId, WebhookSecret__c: 'whsec-user' });
      expect(userLevel).toMatchObject({ success: true });
      // A profile is a SetupOwnerId too (the sandbox has no profiles: any 00e id stands for one).
      expect(await secret.create({ SetupOwnerId: '00e5g000000AbCd' })).toMatchObject({ success: true });
      expect(await failure(secret.create({ SetupOwnerId: adminId }))).toEqual({
        errorCode: 'DUPLICATE_VALUE',
        data: {
          message: `duplicate value found: SetupOwnerId duplicates value on record with id: ${adminId.slice(0, 15)}`,
          errorCode: 'DUPLICATE_VALUE',
          fields: [],
        },
      });
      const found = (await (
        await soql(
          `SELECT Id, WebhookSecret__c FROM InstantSync_Secret__c WHERE SetupOwnerId = '${org.orgId}'`,
        )
      ).json()) as QueryPage;
      expect(found.records.map((r) => r['WebhookSecret__c'])).toEqual(['whsec-1']);
      expect((await conn.query('SELECT Id FROM InstantSync_Secret__c')).totalSize).toBe(3);
      // Moving a record onto a SetupOwnerId that has one is refused the same way.
      expect(
        (await failure(secret.update({ Id: String(userLevel.id), SetupOwnerId: org.orgId }))).errorCode,
      ).toBe('DUPLICATE_VALUE');

      const state = (await control('/package')) as {
        settings: Record<string, Record<string, unknown> | null>;
        records: Record<string, unknown[]>;
      };
      expect(state.settings['InstantSync_Secret__c']).toMatchObject({
        Id: orgDefault.id,
        SetupOwnerId: org.orgId,
        WebhookSecret__c: 'whsec-1',
      });
      expect(state.records['InstantSync_Secret__c']).toHaveLength(3);

      const trigger = await conn.sobject('InstantSync_Trigger_Settings__c').create({});
      expect(
        await conn.sobject('InstantSync_Trigger_Settings__c').retrieve(String(trigger.id)),
      ).toMatchObject({ Disabled__c: false, SetupOwnerId: org.orgId });
    });

    it('refuses unknown and read-only fields, values longer than their field, bad datetimes and checkboxes', async () => {
      const create = (fields: Record<string, unknown>) =>
        api('/sobjects/InstantSync_Config__c', {
          method: 'POST',
          body: JSON.stringify({ SetupOwnerId: adminId, ...fields }),
        }).then(async (r) => [r.status, await r.json()] as const);

      expect(await create({ Widget__c: 'x' })).toEqual([
        400,
        [
          {
            message: "No such column 'Widget__c' on sobject of type InstantSync_Config__c",
            errorCode: 'INVALID_FIELD',
            fields: ['Widget__c'],
          },
        ],
      ]);
      expect((await create({ CreatedDate: '2026-11-24T08:00:00Z' }))[1]).toEqual([
        {
          message:
            'Unable to create/update fields: CreatedDate. Please check the security settings of this field and verify that it is read/write for your profile or permission set.',
          errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE',
          fields: ['CreatedDate'],
        },
      ]);
      expect(await create({ ClientId__c: 'c'.repeat(21) })).toEqual([
        400,
        [
          {
            message: `ClientId: data value too large: ${'c'.repeat(21)} (max length=20)`,
            errorCode: 'STRING_TOO_LONG',
            fields: ['ClientId__c'],
          },
        ],
      ]);
      for (const [field, max] of [
        ['TenantUrl__c', 255],
        ['Status__c', 40],
        ['LastError__c', 255],
        ['Name', 38],
      ] as const) {
        const [status, body] = await create({ [field]: 'x'.repeat(max + 1) });
        expect([field, status, (body as { errorCode: string; fields: string[] }[])[0]]).toMatchObject([
          field,
          400,
          { errorCode: 'STRING_TOO_LONG', fields: [field] },
        ]);
      }
      expect(
        await failure(
          conn
            .sobject('InstantSync_Secret__c')
            .create({ SetupOwnerId: '00e5g000000ZZZZ', WebhookSecret__c: 'w'.repeat(256) }),
        ),
      ).toMatchObject({ errorCode: 'STRING_TOO_LONG' });
      expect(await create({ ExpiresAt__c: 'next tuesday' })).toEqual([
        400,
        [
          {
            message:
              'Cannot deserialize instance of datetime from VALUE_STRING value "next tuesday" for field ExpiresAt__c',
            errorCode: 'JSON_PARSER_ERROR',
            fields: ['ExpiresAt__c'],
          },
        ],
      ]);
      expect((await create({ StatusUpdatedAt__c: 1_764_000_000_000 }))[1]).toMatchObject([
        { errorCode: 'JSON_PARSER_ERROR', fields: ['StatusUpdatedAt__c'] },
      ]);
      expect(
        await failure(
          conn
            .sobject('InstantSync_Trigger_Settings__c')
            .create({ SetupOwnerId: adminId, Disabled__c: 'yes' }),
        ),
      ).toMatchObject({ errorCode: 'JSON_PARSER_ERROR' });
      // Right at the limit is fine; nothing refused was kept.
      expect(await create({ ClientId__c: 'c'.repeat(20) })).toMatchObject([201, { success: true }]);
      const kept = await conn.query<{ ClientId__c: string }>(
        `SELECT Id, ClientId__c FROM InstantSync_Config__c WHERE SetupOwnerId = '${adminId}'`,
      );
      expect(kept.records.map((r) => r.ClientId__c)).toEqual(['c'.repeat(20)]);
    });

    it('takes as SetupOwnerId only this org, a profile or one of its users', async () => {
      const create = (owner: unknown) =>
        failure(conn.sobject('InstantSync_Trigger_Settings__c').create({ SetupOwnerId: owner }));
      const contact = org.addContact({ lastName: 'Customer' }).id;
      expect(await create(contact)).toEqual({
        errorCode: 'FIELD_INTEGRITY_EXCEPTION',
        data: {
          message: `Location: id value of incorrect type: ${contact}`,
          errorCode: 'FIELD_INTEGRITY_EXCEPTION',
          fields: ['SetupOwnerId'],
        },
      });
      expect((await create('not-an-id')).errorCode).toBe('MALFORMED_ID');
      expect(await create('0055g00000ZZZZZ')).toEqual({
        errorCode: 'INVALID_CROSS_REFERENCE_KEY',
        data: {
          message: 'invalid cross reference id',
          errorCode: 'INVALID_CROSS_REFERENCE_KEY',
          fields: ['SetupOwnerId'],
        },
      });
      expect((await create('00D5g0000099999')).errorCode).toBe('INVALID_CROSS_REFERENCE_KEY');
    });

    it('loses the settings and their records when the package is uninstalled', async () => {
      const before = await api('/sobjects/InstantSync_Config__c', {
        method: 'POST',
        body: JSON.stringify({ SetupOwnerId: '00e5g000000UnIn', Status__c: 'kept?' }),
      });
      const { id } = (await before.json()) as { id: string };
      const state = await setInstalled(false);
      expect(state).toMatchObject({ installed: false, settings: {}, records: {} });
      expect((await api(`/sobjects/InstantSync_Config__c/${id}`)).status).toBe(404);
      expect((await soql('SELECT Id FROM InstantSync_Config__c')).status).toBe(400);
      await setInstalled(true);
      expect((await conn.query('SELECT Id FROM InstantSync_Config__c')).totalSize).toBe(0);
      expect((await api(`/sobjects/InstantSync_Config__c/${id}`)).status).toBe(404);
      // An admin's Manage page writes the org default (made, then changed).
      org.writePackageSetting('InstantSync_Config__c', { ClientId__c: '3MVG9abc' });
      org.writePackageSetting('InstantSync_Config__c', { Status__c: 'Connected' });
      expect(org.packageState().settings['InstantSync_Config__c']).toMatchObject({
        SetupOwnerId: org.orgId,
        ClientId__c: '3MVG9abc',
        Status__c: 'Connected',
      });
      expect(() => org.writePackageSetting('InstantSync_Config__c', { ClientId__c: 'c'.repeat(21) })).toThrow(
        'data value too large',
      );
    });
  });

  describe('Remote Site Settings through the Tooling API', () => {
    const metadata = (fields: Record<string, unknown> = {}) => ({
      url: 'https://sync.acme.example/t/acme/',
      isActive: true,
      disableProtocolSecurity: false,
      description: 'Instant Sync: the Event trigger tells the server of changed Events',
      ...fields,
    });
    const remoteProxy = () => conn.tooling.sobject('RemoteProxy');
    const toolingQuery = (text: string) => api(`/tooling/query?q=${encodeURIComponent(text)}`);

    it('creates a site from FullName and Metadata, finds it by SiteName, changes and deletes it', async () => {
      const raw = await api('/tooling/sobjects/RemoteProxy', {
        method: 'POST',
        body: JSON.stringify({ FullName: 'InstantSync', Metadata: metadata({ urls: null }) }),
      });
      expect(raw.status).toBe(201);
      const created = (await raw.json()) as { id: string };
      expect(created).toEqual({
        id: expect.stringMatching(/^0rp[A-Za-z0-9]{15}$/) as string,
        success: true,
        errors: [],
      });
      const { id } = created;

      const found = await toolingQuery(
        "SELECT Id, SiteName, EndpointUrl, IsActive FROM RemoteProxy WHERE SiteName = 'InstantSync'",
      );
      expect(await found.json()).toEqual({
        size: 1,
        totalSize: 1,
        done: true,
        queryLocator: null,
        entityTypeName: 'RemoteProxy',
        records: [
          {
            attributes: {
              type: 'RemoteProxy',
              url: `/services/data/v66.0/tooling/sobjects/RemoteProxy/${id}`,
            },
            Id: id,
            SiteName: 'InstantSync',
            // Salesforce keeps a remote site's scheme, host and port, not its path.
            EndpointUrl: 'https://sync.acme.example',
            IsActive: true,
          },
        ],
      });
      const viaJsforce = await conn.tooling.query<{ Id: string; EndpointUrl: string }>(
        "SELECT Id, EndpointUrl FROM RemoteProxy WHERE SiteName = 'instantsync'",
      );
      expect(viaJsforce.records.map((r) => [r.Id, r.EndpointUrl])).toEqual([
        [id, 'https://sync.acme.example'],
      ]);

      expect(await remoteProxy().retrieve(id)).toMatchObject({
        attributes: { type: 'RemoteProxy', url: `/services/data/v66.0/tooling/sobjects/RemoteProxy/${id}` },
        Id: id,
        FullName: 'InstantSync',
        SiteName: 'InstantSync',
        EndpointUrl: 'https://sync.acme.example',
        Description: 'Instant Sync: the Event trigger tells the server of changed Events',
        IsActive: true,
        ProtocolMismatch: false,
        NamespacePrefix: null,
        ManageableState: 'unmanaged',
        Metadata: {
          description: 'Instant Sync: the Event trigger tells the server of changed Events',
          disableProtocolSecurity: false,
          isActive: true,
          url: 'https://sync.acme.example',
          urls: null,
        },
        CreatedById: adminId,
      });

      // The Metadata replaces the site's settings (a Metadata alone, or with its own FullName).
      expect(
        await remoteProxy().update({
          Id: id,
          Metadata: metadata({ url: 'http://127.0.0.1:8443/t/acme/', isActive: false }),
        }),
      ).toMatchObject({ id, success: true });
      const patched = await api(`/tooling/sobjects/RemoteProxy/${id}`, {
        method: 'PATCH',
        body: JSON.stringify({ FullName: 'InstantSync', Metadata: metadata({ description: undefined }) }),
      });
      expect([patched.status, await patched.text()]).toEqual([204, '']);
      const sites = ((await control('/package')) as { remoteSites: unknown[] }).remoteSites;
      expect(sites).toEqual([
        {
          id,
          fullName: 'InstantSync',
          url: 'https://sync.acme.example',
          isActive: true,
          disableProtocolSecurity: false,
          description: null,
        },
      ]);
      expect(
        await failure(remoteProxy().update({ Id: id, FullName: 'Renamed', Metadata: metadata() })),
      ).toMatchObject({ errorCode: 'FIELD_INTEGRITY_EXCEPTION' });
      expect(await failure(remoteProxy().update({ Id: id, IsActive: false }))).toMatchObject({
        errorCode: 'REQUIRED_FIELD_MISSING',
      });

      const deleted = await api(`/tooling/sobjects/RemoteProxy/${id}`, { method: 'DELETE' });
      expect(deleted.status).toBe(204);
      const gone = await api(`/tooling/sobjects/RemoteProxy/${id}`);
      expect([gone.status, await gone.json()]).toEqual([404, notFoundBody]);
      expect((await failure(remoteProxy().destroy(id))).errorCode).toBe('NOT_FOUND');
      const none = (await (
        await toolingQuery("SELECT Id FROM RemoteProxy WHERE SiteName = 'InstantSync'")
      ).json()) as QueryPage;
      expect([none.totalSize, none.records]).toEqual([0, []]);
      // Deleted, the name can be used again.
      expect(await remoteProxy().create({ FullName: 'InstantSync', Metadata: metadata() })).toMatchObject({
        success: true,
      });
    });

    it('refuses a name taken (in any case), a missing FullName or Metadata, and fields beside the Metadata', async () => {
      await remoteProxy().create({ FullName: 'Taken_Site', Metadata: metadata() });
      expect(await failure(remoteProxy().create({ FullName: 'taken_site', Metadata: metadata() }))).toEqual({
        errorCode: 'DUPLICATE_DEVELOPER_NAME',
        data: {
          message:
            'This Remote Site Name already exists or has been previously used. Please choose a different name.',
          errorCode: 'DUPLICATE_DEVELOPER_NAME',
          fields: [],
        },
      });
      expect(await failure(remoteProxy().create({ Metadata: metadata() }))).toEqual({
        errorCode: 'REQUIRED_FIELD_MISSING',
        data: {
          message: 'Required fields are missing: [FullName]',
          errorCode: 'REQUIRED_FIELD_MISSING',
          fields: ['FullName'],
        },
      });
      const noMetadata = await api('/tooling/sobjects/RemoteProxy', {
        method: 'POST',
        body: JSON.stringify({
          FullName: 'Plain',
          SiteName: 'Plain',
          EndpointUrl: 'https://a.example',
          IsActive: true,
        }),
      });
      expect([noMetadata.status, await noMetadata.json()]).toEqual([
        400,
        [
          {
            message: 'You must provide a valid Metadata field for RemoteProxy',
            errorCode: 'REQUIRED_FIELD_MISSING',
            fields: [],
          },
        ],
      ]);
      expect(
        await failure(
          remoteProxy().create({
            FullName: 'Mixed',
            SiteName: 'Mixed',
            IsActive: true,
            Metadata: metadata(),
          }),
        ),
      ).toEqual({
        errorCode: 'FIELD_INTEGRITY_EXCEPTION',
        data: {
          message:
            'Only the Metadata and FullName fields may be specified on RemoteProxy, or else Metadata must be excluded. Invalid field(s): [SiteName, IsActive]',
          errorCode: 'FIELD_INTEGRITY_EXCEPTION',
          fields: ['SiteName', 'IsActive'],
        },
      });
      expect(
        (await failure(remoteProxy().create({ FullName: 'Odd', Widget: 1, Metadata: metadata() }))).errorCode,
      ).toBe('INVALID_FIELD');
      expect(
        (await failure(remoteProxy().create({ FullName: 'Odd', Metadata: metadata({ colour: 'blue' }) })))
          .errorCode,
      ).toBe('JSON_PARSER_ERROR');
      for (const name of ['1st_site', 'has space', 'ends_', 'a-dash']) {
        expect([
          name,
          (await failure(remoteProxy().create({ FullName: name, Metadata: metadata() }))).data,
        ]).toEqual([
          name,
          {
            message:
              'The Remote Site Name can only contain underscores and alphanumeric characters. It must be unique, begin with a letter, not include spaces, not end with an underscore, and not contain two consecutive underscores.',
            errorCode: 'FIELD_INTEGRITY_EXCEPTION',
            fields: ['FullName'],
          },
        ]);
      }
      expect(
        (await failure(remoteProxy().create({ FullName: 'ns__Site', Metadata: metadata() }))).data,
      ).toMatchObject({
        message:
          'Cannot create a new component with the namespace: ns. Only components in the same namespace as the organization can be created through the API',
      });
    });

    it('takes http and https URLs on the ports Salesforce allows, and nothing else', async () => {
      const create = (name: string, url: unknown) =>
        api('/tooling/sobjects/RemoteProxy', {
          method: 'POST',
          body: JSON.stringify({ FullName: name, Metadata: metadata({ url }) }),
        }).then(
          async (r) =>
            [r.status, (await r.json()) as { errorCode?: string }[] | { success: boolean }] as const,
        );
      for (const [name, url] of [
        ['Plain_Http', 'http://callback.acme.example'],
        ['Loopback', 'http://127.0.0.1:8081'],
        ['Tls_Port', 'https://sync.acme.example:8443/path'],
        ['Default_Tls', 'https://sync.acme.example:443'],
      ] as const) {
        expect([name, ...(await create(name, url))]).toMatchObject([name, 201, { success: true }]);
      }
      for (const [name, url] of [
        ['Not_A_Url', 'sync.acme.example'],
        ['Ftp', 'ftp://files.acme.example'],
        ['Low_Port', 'https://sync.acme.example:8'],
        ['Http_On_443', 'http://sync.acme.example:443'],
        ['Https_On_80', 'https://sync.acme.example:80'],
      ] as const) {
        const [status, body] = await create(name, url);
        expect([name, status, (body as { errorCode: string; fields: string[] }[])[0]]).toMatchObject([
          name,
          400,
          { errorCode: 'FIELD_INTEGRITY_EXCEPTION', fields: ['EndpointUrl'] },
        ]);
      }
      expect((await create('No_Url', null))[1]).toEqual([
        {
          message: 'Required fields are missing: [EndpointUrl]',
          errorCode: 'REQUIRED_FIELD_MISSING',
          fields: ['EndpointUrl'],
        },
      ]);
      const sites = ((await control('/package')) as { remoteSites: { fullName: string; url: string }[] })
        .remoteSites;
      expect(sites.find((s) => s.fullName === 'Tls_Port')?.url).toBe('https://sync.acme.example:8443');
      expect(sites.find((s) => s.fullName === 'Default_Tls')?.url).toBe('https://sync.acme.example');
    });

    it('reads FullName and Metadata one row at a time, filters on neither, and knows no standard object', async () => {
      const many = await toolingQuery('SELECT Id, FullName FROM RemoteProxy');
      expect(many.status).toBe(400);
      expect(((await many.json()) as { errorCode: string; message: string }[])[0]).toEqual({
        errorCode: 'MALFORMED_QUERY',
        message: expect.stringMatching(
          /^When retrieving results with Metadata or FullName fields, the query qualifications must specify no more than one row for retrieval\. Result size: \d+$/,
        ) as string,
      });
      const one = (await (
        await toolingQuery("SELECT Id, FullName, Metadata FROM RemoteProxy WHERE SiteName = 'Taken_Site'")
      ).json()) as QueryPage;
      expect(one.records[0]).toMatchObject({
        FullName: 'Taken_Site',
        Metadata: { url: 'https://sync.acme.example', isActive: true },
      });
      const filtered = await toolingQuery("SELECT Id FROM RemoteProxy WHERE FullName = 'Taken_Site'");
      expect(await filtered.json()).toEqual([
        { message: "field 'FullName' can not be filtered in a query call", errorCode: 'INVALID_FIELD' },
      ]);
      expect((await failure(conn.tooling.query('SELECT Id FROM Event'))).errorCode).toBe('INVALID_TYPE');
      expect((await conn.tooling.query('SELECT COUNT() FROM RemoteProxy')).totalSize).toBeGreaterThan(3);
    });

    it('lets only a user with Customize Application or Modify All Data configure remote sites', async () => {
      org.addUser({
        username: 'rep@acme.example',
        email: 'rep@acme.example',
        permissions: { customizeApplication: false, modifyAllData: false },
      });
      org.addUser({
        username: 'ops@acme.example',
        email: 'ops@acme.example',
        permissions: { customizeApplication: false },
      });
      const as = async (username: string) =>
        new Connection({
          instanceUrl: org.url,
          accessToken: await testAccessToken(org, { username: username }),
          version: '66.0',
        });
      const rep = await as('rep@acme.example');
      expect(
        await failure(
          rep.tooling.sobject('RemoteProxy').create({ FullName: 'Rep_Site', Metadata: metadata() }),
        ),
      ).toMatchObject({ errorCode: 'INSUFFICIENT_ACCESS_OR_READONLY' });
      const ops = await as('ops@acme.example');
      expect(
        await ops.tooling.sobject('RemoteProxy').create({ FullName: 'Ops_Site', Metadata: metadata() }),
      ).toMatchObject({ success: true });
      // In Setup, the admin adds one whatever the API's caller may do.
      expect(
        org.addRemoteSite({ fullName: 'From_Setup', url: 'https://setup.acme.example/x' }),
      ).toMatchObject({
        fullName: 'From_Setup',
        url: 'https://setup.acme.example',
        isActive: true,
      });
      expect(
        await control('/package/remote-sites', {
          method: 'POST',
          body: JSON.stringify({ fullName: 'Via_Control', url: 'https://control.acme.example' }),
        }),
      ).toMatchObject({
        fullName: 'Via_Control',
        url: 'https://control.acme.example',
        disableProtocolSecurity: false,
      });
    });
  });

  describe('sessions and the API limit', () => {
    it('checks the session and counts every call, settings and Tooling alike', async () => {
      for (const path of [
        '/services/data/v66.0/tooling/query?q=SELECT+Id+FROM+RemoteProxy',
        '/services/data/v66.0/tooling/sobjects/RemoteProxy',
        '/services/data/v66.0/sobjects/InstantSync_Config__c',
      ]) {
        const anonymous = await fetch(`${org.url}${path}`, {
          method: path.includes('query') ? 'GET' : 'POST',
          body: path.includes('query') ? null : '{}',
        });
        expect([path, anonymous.status]).toEqual([path, 401]);
      }
      const usage = (r: Response) =>
        Number(/api-usage=(\d+)/.exec(r.headers.get('sforce-limit-info') ?? '')?.[1]);
      const first = await api('/tooling/query?q=SELECT+Id+FROM+RemoteProxy');
      const calls = org.stats().apiCalls;
      const second = await api('/sobjects/InstantSync_Config__c', { method: 'POST', body: '{"Widget":1}' });
      const third = await api('/tooling/sobjects/RemoteProxy/0rp5g0000000000AAA');
      expect([usage(second) - usage(first), usage(third) - usage(first)]).toEqual([1, 2]);
      expect(org.stats().apiCalls).toBe(calls + 2);
      const wrongMethod = await api('/tooling/sobjects/RemoteProxy/0rp5g0000000000AAA', {
        method: 'PUT',
        body: '{}',
      });
      expect([
        wrongMethod.status,
        ((await wrongMethod.json()) as { errorCode: string }[])[0]?.errorCode,
      ]).toEqual([405, 'METHOD_NOT_ALLOWED']);
      const setting = await api('/sobjects/InstantSync_Config__c/a005g0000000001AAA', {
        method: 'PUT',
        body: '{}',
      });
      expect([setting.status, await setting.json()]).toEqual([
        405,
        [
          {
            errorCode: 'METHOD_NOT_ALLOWED',
            message: "HTTP Method 'PUT' not allowed. Allowed are HEAD,GET,PATCH,DELETE",
          },
        ],
      ]);
    });
  });
});
