// The service in-process with the sandbox org and the Graph sandbox, a tenant `acme` connected
// through OAuth and set up to sync to Graph mailboxes: the ground the engine tests stand on.
import { startGraphSandbox, type GraphSandbox } from '../../sandbox/graph/index.ts';
import { setMailboxProvider } from '../../src/tenants/set-mailbox-provider.ts';
import { startSandboxedService, type SandboxedService } from './sandboxed-service.ts';

export interface SyncedService {
  env: SandboxedService;
  graph: GraphSandbox;
  tenantId: string;
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
    async close() {
      await env.close();
      await graph.close();
    },
  };
}
