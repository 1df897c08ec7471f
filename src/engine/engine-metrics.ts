// What the engine reports as it works, for /metrics: syncs by action, skips, end-to-end latency,
// each provider call's duration and outcome, time spent waiting for a mailbox's limits, and each
// org's API usage. The engine only calls this interface; src/lib/metrics.ts implements it.
import type { ApiUsage } from '../salesforce/rest-client.ts';

export type ProviderCallOutcome = 'ok' | 'retryable' | 'permanent' | 'not-found';

export interface EngineMetrics {
  synced(provider: string, action: string, latencyMs: number): void;
  skipped(): void;
  providerCall(provider: string, operation: string, durationMs: number, outcome: ProviderCallOutcome): void;
  mailboxWait(ms: number): void;
  apiUsage(tenant: string, usage: ApiUsage): void;
}
