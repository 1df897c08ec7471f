// The service in-process with the sandbox org and the Graph sandbox, a tenant `acme` connected
// through OAuth and set up to sync to Graph mailboxes: the ground the engine tests stand on.
import { startGraphSandbox, type GraphSandbox } from '../../sandbox/graph/index.ts';
import { salesforceIdProperty } from '../../src/providers/graph/to-graph-event.ts';
import { setMailboxProvider } from '../../src/tenants/set-mailbox-provider.ts';
import { startSandboxedService, type SandboxedService } from './sandboxed-service.ts';

export interface SyncedService {
  env: SandboxedService;
  graph: GraphSandbox;
  tenantId: string;
  /** A new Event (a half-hour on 2026-12-15) owned by a new org user with this email; its id. */
  eventOwnedBy: (email: string, subject: string) => string;
  /** The Salesforce Event ids of the items in a Graph mailbox. */
  eventIdsIn: (mailbox: string) => (string | undefined)[];
  close(): Promise<void>;
}

export async function startSyncedService(options: {
  databaseUrl: string;
  /** Mailboxes to create in the Graph sandbox (the sandbox org's owner is rep@acme.example). */
  mailboxes?: string[];
  dailyApiLimit?: number;
  /** Run the org's Pub/Sub API with CDC too (otherwise the service's CDC is off). */
  pubSub?: boolean;
  env?: Record<string, string>;
}): Promise<SyncedService> {
  const graph = await startGraphSandbox();
  graph.addApp({ tenantId: 'contoso', clientId: 'sync-app', clientSecret: 'graph-secret' });
  for (const address of options.mailboxes ?? ['rep@acme.example']) graph.addMailbox(address);
  const env = await startSandboxedService({
    databaseUrl: options.databaseUrl,
    ...(options.dailyApiLimit === undefined ? {} : { dailyApiLimit: options.dailyApiLimit }),
    pubSub: options.pubSub ?? false,
    env: {
      INSTANT_SYNC_EXTRA_CA_FILE: graph.caFile,
      INSTANT_SYNC_CDC: options.pubSub === true ? 'true' : 'false',
      ...options.env,
    },
  });
  const tenantId = (await env.connectedTenant('acme')).id;
  const { runtime } = env.service;
  await setMailboxProvider(
    { repos: runtime.store.repos, secretBox: runtime.secretBox, clock: env.clock },
    'acme',
    'graph',
    {
      directoryTenantId: 'contoso',
      clientId: 'sync-app',
      clientSecret: 'graph-secret',
      graphUrl: graph.url,
      loginUrl: graph.url,
    },
  );
  return {
    env,
    graph,
    tenantId,
    eventOwnedBy: (email, subject) =>
      env.sandbox.createEvent(env.sandbox.addUser({ username: email, email }).Id, {
        Subject: subject,
        StartDateTime: '2026-12-15T09:00:00Z',
        DurationInMinutes: 30,
      }).Id,
    eventIdsIn: (mailbox) =>
      graph
        .events(mailbox)
        .map(
          (item) =>
            (item['singleValueExtendedProperties'] as { id: string; value: string }[] | undefined)?.find(
              (p) => p.id === salesforceIdProperty,
            )?.value,
        ),
    async close() {
      await env.close();
      await graph.close();
    },
  };
}
