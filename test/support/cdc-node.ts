// A CDC scheduler node for in-process tests: the service's runtime subscribing to the sandbox
// org's Pub/Sub API, reconciling by polling (each reconciliation's reason handed to
// `onReconciled`); any dependency may be overridden.
import { readFileSync } from 'node:fs';
import { CdcScheduler, type CdcSchedulerDeps } from '../../src/intake/cdc/cdc-scheduler.ts';
import { reconcileFrom } from '../../src/intake/polling/reconcile.ts';
import type { SandboxedService } from './sandboxed-service.ts';

export function cdcNode(
  env: SandboxedService,
  options: Partial<CdcSchedulerDeps> & { onReconciled?: (reason: string) => void } = {},
): CdcScheduler {
  const { runtime } = env.service;
  const { onReconciled, ...overrides } = options;
  const pollerDeps = {
    repos: runtime.store.repos,
    clock: env.clock,
    logger: runtime.logger,
    restClient: runtime.salesforce.restClient,
  };
  return new CdcScheduler({
    repos: runtime.store.repos,
    clock: env.clock,
    logger: runtime.logger,
    nodeId: 'node-a',
    sessionsFor: (tenantId) => runtime.salesforce.sessions.forTenant(tenantId),
    pubSubEndpoint: runtime.config.pubSubEndpoint,
    extraCaPem: env.sandbox.caFile === undefined ? undefined : readFileSync(env.sandbox.caFile, 'utf8'),
    reconcile: async (tenant, since, reason) => {
      await reconcileFrom(pollerDeps, tenant, since);
      onReconciled?.(reason);
    },
    ...overrides,
  });
}
