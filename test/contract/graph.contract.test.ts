// The provider contract for Microsoft Graph, against the Graph sandbox, through MSAL and fetch.
import { salesforceIdProperty } from '../../src/providers/graph/to-graph-event.ts';
import { startGraphUnderTest } from '../support/graph-under-test.ts';
import { describeProviderContract } from './calendar-provider-contract.ts';

describeProviderContract('Microsoft Graph', async () => {
  const { graph, provider } = await startGraphUnderTest();
  return {
    provider,
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
