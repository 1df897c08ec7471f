// The provider contract for Microsoft Graph, against the Graph sandbox, through MSAL and fetch.
import { readFileSync } from 'node:fs';
import { startGraphSandbox } from '../../sandbox/graph/index.ts';
import { createOutboundFetch } from '../../src/lib/outbound-fetch.ts';
import { GraphProvider } from '../../src/providers/graph/graph-provider.ts';
import { GraphTokenSource } from '../../src/providers/graph/graph-token-source.ts';
import { salesforceIdProperty } from '../../src/providers/graph/to-graph-event.ts';
import { describeProviderContract } from './calendar-provider-contract.ts';

describeProviderContract('Microsoft Graph', async () => {
  const graph = await startGraphSandbox();
  graph.addApp({ tenantId: 'contoso', clientId: 'sync-app', clientSecret: 'graph-secret' });
  graph.addMailbox('rep@acme.example');
  const fetchImpl = createOutboundFetch({ extraCaPem: readFileSync(graph.caFile, 'utf8') });
  const tokens = new GraphTokenSource(
    {
      directoryTenantId: 'contoso',
      clientId: 'sync-app',
      clientSecret: 'graph-secret',
      loginBaseUrl: graph.url,
      graphBaseUrl: graph.url,
    },
    fetchImpl,
  );
  return {
    provider: new GraphProvider({ tokens, graphBaseUrl: graph.url, fetch: fetchImpl }),
    mailbox: 'rep@acme.example',
    items: () =>
      Promise.resolve(
        graph.events('rep@acme.example').map((event) => ({
          itemId: String(event['id']),
          salesforceEventId: (event['singleValueExtendedProperties'] as { id: string; value: string }[]).find(
            (p) => p.id === salesforceIdProperty,
          )?.value,
          subject: String(event['subject']),
        })),
      ),
    loseNextResponse: () => graph.failNext('503', { afterCommit: true }),
    throttleNext: () => graph.failNext('429', { afterCommit: false }),
    close: () => graph.close(),
  };
});
