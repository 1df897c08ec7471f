// The provider contract for Microsoft Graph, against the Graph sandbox: the provider is built
// from its description (readInput, then create, as `provider set` and the engine do) and gets
// its tokens from the sandbox's identity endpoint as from Entra.
import { readFileSync } from 'node:fs';
import { startGraphSandbox } from '../../sandbox/graph/index.ts';
import { instant } from '../../sandbox/graph/graph-event-json.ts';
import type { ShowAs } from '../../src/domain/calendar-item.ts';
import { localDateTime } from '../../src/domain/time-zones.ts';
import { createOutboundFetch } from '../../src/lib/outbound-fetch.ts';
import { salesforceIdProperty } from '../../src/providers/graph/to-graph-event.ts';
import { providerPluginNamed } from '../../src/providers/registry.ts';
import { describeProviderContract, type ShownItem } from './calendar-provider-contract.ts';

describeProviderContract('Microsoft Graph', async () => {
  const mailbox = 'rep@acme.example';
  const graph = await startGraphSandbox();
  graph.addApp({ tenantId: 'contoso', clientId: 'sync-app', clientSecret: 'graph-secret' });
  graph.addMailbox(mailbox);
  const fetchImpl = createOutboundFetch({ extraCaPem: readFileSync(graph.caFile, 'utf8') });
  const plugin = providerPluginNamed('graph');
  const input = plugin.readInput(
    {
      directoryTenantId: 'contoso',
      clientId: 'sync-app',
      clientSecret: 'graph-secret',
      graphUrl: graph.url,
      loginUrl: graph.url,
    },
    false,
  );
  if ('problems' in input) throw new Error(input.problems.join('; '));
  const provider = await plugin.create(input.settings, input.credentials, fetchImpl);
  const token = async () => {
    const response = await fetchImpl(`${graph.url}/contoso/oauth2/v2.0/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'sync-app',
        client_secret: 'graph-secret',
        scope: 'https://graph.microsoft.com/.default',
      }),
    });
    return ((await response.json()) as { access_token: string }).access_token;
  };

  const shown = (event: Record<string, unknown>): ShownItem => {
    const start = event['start'] as { dateTime: string; timeZone: string };
    const end = event['end'] as { dateTime: string; timeZone: string };
    const attendees = (event['attendees'] ?? []) as { emailAddress: { address: string }; type: string }[];
    return {
      itemId: String(event['id']),
      salesforceEventId: (event['singleValueExtendedProperties'] as { id: string; value: string }[]).find(
        (p) => p.id === salesforceIdProperty,
      )?.value,
      subject: String(event['subject']),
      body: String((event['body'] as { content?: string } | undefined)?.content ?? ''),
      location: ((event['location'] as { displayName?: string } | undefined)?.displayName ?? '') || null,
      timing:
        event['isAllDay'] === true
          ? { kind: 'all-day', startDate: start.dateTime.slice(0, 10), endDate: end.dateTime.slice(0, 10) }
          : {
              kind: 'timed',
              start: instant(start.dateTime, start.timeZone),
              end: instant(end.dateTime, end.timeZone),
            },
      showAs: event['showAs'] as ShowAs,
      private: event['sensitivity'] === 'private',
      reminderMinutes: event['isReminderOn'] === true ? Number(event['reminderMinutesBeforeStart']) : null,
      attendees: attendees.map((a) => ({ email: a.emailAddress.address, optional: a.type === 'optional' })),
    };
  };

  return {
    provider,
    mailbox,
    missingMailbox: 'nobody@acme.example',
    items: () => Promise.resolve(graph.events(mailbox).map(shown)),
    async occurrences(itemId, zone) {
      const found: { start: number; text: string }[] = [];
      let url: string | undefined =
        `${graph.url}/v1.0/users/${encodeURIComponent(mailbox)}/events/${encodeURIComponent(itemId)}/instances` +
        '?startDateTime=2026-01-01T00:00:00Z&endDateTime=2032-01-01T00:00:00Z&$top=100';
      while (url !== undefined) {
        const response = await fetchImpl(url, { headers: { authorization: `Bearer ${await token()}` } });
        const page = (await response.json()) as {
          '@odata.nextLink'?: string;
          value: { isAllDay: boolean; start: { dateTime: string } }[];
        };
        for (const occurrence of page.value) {
          const start = Date.parse(`${occurrence.start.dateTime.slice(0, 19)}Z`);
          found.push({
            start,
            text: occurrence.isAllDay
              ? occurrence.start.dateTime.slice(0, 10)
              : localDateTime(start, zone).slice(0, 16),
          });
        }
        url = page['@odata.nextLink'];
      }
      return found.sort((a, b) => a.start - b.start).map((o) => o.text);
    },
    loseNextResponse: () => graph.failNext('503', { afterCommit: true }),
    throttleNext: () => graph.failNext('429', { afterCommit: false }),
    close: () => graph.close(),
  };
});
