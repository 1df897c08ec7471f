import { describe, expect, it } from 'vitest';
import { BadInputError, PermanentError } from '../lib/errors.ts';
import { createProvider, providerPluginNamed, providerPlugins } from './registry.ts';

describe('provider registry', () => {
  it('names the providers there are when asked for another', () => {
    expect(() => providerPluginNamed('outlook')).toThrow(BadInputError);
    expect(() => providerPluginNamed('outlook')).toThrow(
      /this version supports graph \(Microsoft 365 \(Graph\)\), google \(Google Workspace \(Google Calendar\)\), ews \(Exchange Server \(EWS\)\)/,
    );
    expect(providerPlugins.map((p) => p.kind)).toEqual(['graph', 'google', 'ews']);
  });

  it('refuses stored settings that do not describe the provider, never casting them', async () => {
    await expect(createProvider('graph', { clientId: 'x' }, { clientSecret: 's' }, fetch)).rejects.toThrow(
      PermanentError,
    );
    await expect(
      createProvider('graph', { directoryTenantId: 't', clientId: 'x' }, {}, fetch),
    ).rejects.toThrow(/a client secret or certificate/);
    expect(
      (
        await createProvider(
          'graph',
          { directoryTenantId: 'contoso', clientId: 'app' },
          { clientSecret: 's' },
          fetch,
        )
      ).kind,
    ).toBe('graph');
  });

  it("checks an admin's Graph input into settings and credentials, naming every problem", () => {
    const graph = providerPluginNamed('graph');
    expect(
      graph.readInput(
        { directoryTenantId: 'contoso.onmicrosoft.com', clientId: ' app ', clientSecret: 's' },
        false,
      ),
    ).toEqual({
      settings: { directoryTenantId: 'contoso.onmicrosoft.com', clientId: 'app' },
      credentials: { clientSecret: 's' },
    });
    expect(graph.readInput({ directoryTenantId: 'contoso', clientId: 'app' }, true)).toEqual({
      settings: { directoryTenantId: 'contoso', clientId: 'app' },
      credentials: undefined,
    });
    const read = graph.readInput(
      { directoryTenantId: 'not a tenant!', clientId: '', graphUrl: 'http://graph.example' },
      false,
    );
    expect('problems' in read && read.problems).toEqual([
      'the directory tenant id must be a GUID or a domain such as contoso.onmicrosoft.com',
      'the client id must not be empty',
      'the Graph URL must be an https URL, got "http://graph.example"',
      'a client secret (--client-secret-file) or a certificate (--client-certificate-file) is needed',
    ]);
  });
});
