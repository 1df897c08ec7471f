// Microsoft Graph with a certificate instead of a client secret: MSAL signs the client assertion
// with the app's private key, the identity endpoint checks it against the uploaded certificate,
// and a key that is not the app's is refused as a credentials problem (not retried forever).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGraphSandbox, type GraphSandbox } from '../../sandbox/graph/index.ts';
import { PermanentError } from '../../src/lib/errors.ts';
import { createOutboundFetch } from '../../src/lib/outbound-fetch.ts';
import { createProvider, providerPluginNamed } from '../../src/providers/registry.ts';
import { GraphTokenSource } from '../../src/providers/graph/graph-token-source.ts';
import { makeTestCertificate } from '../support/test-certificate.ts';

describe('Graph app-only sign-in with a certificate', () => {
  let graph: GraphSandbox;
  let fetchImpl: typeof fetch;
  const app = makeTestCertificate();

  beforeAll(async () => {
    graph = await startGraphSandbox();
    graph.addApp({ tenantId: 'contoso', clientId: 'cert-app', certificatePem: app.certificatePem });
    graph.addMailbox('rep@acme.example');
    fetchImpl = createOutboundFetch({ extraCaPem: readFileSync(graph.caFile, 'utf8') });
  });
  afterAll(() => graph.close());

  it('gets a token with the certificate and writes to the mailbox', async () => {
    const provider = await createProvider(
      'graph',
      {
        directoryTenantId: 'contoso',
        clientId: 'cert-app',
        graphBaseUrl: graph.url,
        loginBaseUrl: graph.url,
      },
      { certificatePem: app.certificatePem, certificatePrivateKeyPem: app.keyPem },
      fetchImpl,
    );
    const ref = await provider.create(
      'rep@acme.example',
      {
        subject: 'Signed in with a certificate',
        body: '',
        location: null,
        timing: {
          kind: 'timed',
          start: Date.UTC(2026, 11, 1, 9),
          end: Date.UTC(2026, 11, 1, 10),
          timeZone: 'UTC',
        },
        showAs: 'busy',
        sensitivity: 'normal',
        reminderMinutesBeforeStart: null,
        attendees: [],
        recurrence: null,
        salesforceEventId: '00U000000000001AAA',
      },
      { idempotencyKey: 'cert-1' },
    );
    expect(ref.itemId).not.toBe('');
    expect(graph.events('rep@acme.example').map((e) => e['subject'])).toEqual([
      'Signed in with a certificate',
    ]);
  });

  it('refuses a key that is not the app’s, as a credentials problem', async () => {
    const stranger = makeTestCertificate();
    const tokens = new GraphTokenSource(
      {
        directoryTenantId: 'contoso',
        clientId: 'cert-app',
        certificate: { certificatePem: stranger.certificatePem, privateKeyPem: stranger.keyPem },
        loginBaseUrl: graph.url,
        graphBaseUrl: graph.url,
      },
      fetchImpl,
    );
    const failure = await tokens.token().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PermanentError);
    expect(String(failure)).toContain("Microsoft refused the app's credentials (invalid_client)");
  });

  it('has doctor warn a month before the certificate expires, and fail once it has', () => {
    const graph = providerPluginNamed('graph');
    const credentials = { certificatePem: app.certificatePem, certificatePrivateKeyPem: app.keyPem };
    const at = (days: number) => graph.checks({}, credentials, Date.now() + days * 86_400_000)[0];
    // The test certificate is valid for one day.
    expect(at(-40)).toMatchObject({ name: 'Graph certificate', result: 'ok' });
    expect(at(0)).toMatchObject({
      result: 'warn',
      detail: expect.stringMatching(/expires \d{4}-\d\d-\d\d, in 0 day/) as unknown,
    });
    expect(at(2)).toMatchObject({
      result: 'fail',
      fix: expect.stringContaining('--client-certificate-file') as unknown,
    });
    expect(graph.checks({}, { clientSecret: 's' }, Date.now())).toEqual([
      expect.objectContaining({ name: 'Graph credentials', result: 'ok' }),
    ]);
    expect(JSON.stringify(at(0))).not.toContain('PRIVATE KEY');
  });
});
