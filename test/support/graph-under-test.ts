// The Graph sandbox with one app and one mailbox, and the Graph provider pointed at it through
// MSAL-like client credentials and the service's own HTTP client: what the provider tests start from.
import { readFileSync } from 'node:fs';
import { startGraphSandbox, type GraphSandbox } from '../../sandbox/graph/index.ts';
import { createOutboundHttp, type HttpRequest } from '../../src/lib/outbound-fetch.ts';
import { GraphProvider } from '../../src/providers/graph/graph-provider.ts';
import { GraphTokenSource } from '../../src/providers/graph/graph-token-source.ts';

export interface GraphUnderTest {
  graph: GraphSandbox;
  provider: GraphProvider;
  tokens: GraphTokenSource;
  /** Trusts the sandbox's local CA. */
  fetchImpl: typeof fetch;
  /** The same client's `request`, what the provider calls Graph with. */
  request: HttpRequest;
  mailbox: string;
}

export async function startGraphUnderTest(mailbox = 'rep@acme.example'): Promise<GraphUnderTest> {
  const graph = await startGraphSandbox();
  graph.addApp({ tenantId: 'contoso', clientId: 'sync-app', clientSecret: 'graph-secret' });
  graph.addMailbox(mailbox);
  const { fetch: fetchImpl, request } = createOutboundHttp({
    extraCaPem: readFileSync(graph.caFile, 'utf8'),
  });
  const tokens = graphTokenSource(graph, fetchImpl);
  return {
    graph,
    provider: new GraphProvider({ tokens, graphBaseUrl: graph.url, request }),
    tokens,
    fetchImpl,
    request,
    mailbox,
  };
}

/** Tokens for the sandbox's app (`sync-app` in `contoso`), fetched through `fetchImpl`. */
export function graphTokenSource(graph: GraphSandbox, fetchImpl: typeof fetch): GraphTokenSource {
  return new GraphTokenSource(
    {
      directoryTenantId: 'contoso',
      clientId: 'sync-app',
      clientSecret: 'graph-secret',
      loginBaseUrl: graph.url,
      graphBaseUrl: graph.url,
    },
    fetchImpl,
  );
}
