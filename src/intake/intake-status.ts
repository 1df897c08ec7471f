// How a tenant's changes come in, for pages, `status`, `doctor` and /metrics: whether change data
// capture streams or the tenant is polled faster instead (and why, since when, and when CDC is
// tried again), and the org's daily API and event-delivery usage as the limits resource last gave.
import { cdcFallbackWords, pollIntervalMs, type CdcFallbackReason } from './cdc/cdc-fallback.ts';
import type { Repositories } from '../store/repositories.ts';

export interface IntakeStatus {
  /** `off`: INSTANT_SYNC_CDC is false; `starting`: no subscription has worked yet. */
  cdc: 'streaming' | 'polling' | 'starting' | 'off';
  /** One line for an admin. */
  summary: string;
  /** With `polling`: why, Salesforce's words, what to do, since when and when CDC is tried again. */
  fallback?: {
    reason: CdcFallbackReason;
    /** A few words for tables. */
    label: string;
    detail: string;
    fix: string;
    since: number;
    retryAt: number | null;
  };
  /** Every poll's interval now. */
  pollEveryMs: number;
  /** As the limits resource last said; absent when never read. */
  limits?: { api?: Usage; deliveries?: Usage; readAt: number };
}

export interface Usage {
  used: number;
  max: number;
}

export interface IntakeStatusConfig {
  cdc: boolean;
  pollInterval: number;
  cdcFallbackPollInterval: number;
  /** Percentage of the daily API requests above which the fallback interval is not used. */
  apiBudget: number;
}

export async function intakeStatus(
  repos: Pick<Repositories, 'cdcStates'>,
  config: IntakeStatusConfig,
  tenant: { id: string; poll_interval_ms: number | null },
): Promise<IntakeStatus> {
  const [state, limits] = await Promise.all([
    repos.cdcStates.readCdcState(tenant.id),
    repos.cdcStates.readOrgLimits(tenant.id),
  ]);
  const usual = tenant.poll_interval_ms === null ? config.pollInterval : Number(tenant.poll_interval_ms);
  const usage = (max: number | null, remaining: number | null): Usage | undefined =>
    max === null || remaining === null
      ? undefined
      : { used: Math.max(0, Number(max) - Number(remaining)), max: Number(max) };
  const api = limits === undefined ? undefined : usage(limits.api_max, limits.api_remaining);
  const deliveries =
    limits === undefined ? undefined : usage(limits.deliveries_max, limits.deliveries_remaining);
  const limitsPart =
    limits === undefined
      ? {}
      : {
          limits: {
            ...(api === undefined ? {} : { api }),
            ...(deliveries === undefined ? {} : { deliveries }),
            readAt: Number(limits.read_at),
          },
        };
  const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;
  if (!config.cdc)
    return {
      cdc: 'off',
      summary: `CDC off; polling every ${seconds(usual)}`,
      pollEveryMs: usual,
      ...limitsPart,
    };
  if (state?.state === 'polling') {
    const reason = (state.reason ?? 'refused') as CdcFallbackReason;
    const words = cdcFallbackWords[reason] ?? cdcFallbackWords.refused;
    const every = pollIntervalMs({
      usualMs: usual,
      fallbackMs: config.cdcFallbackPollInterval,
      cdcState: state.state,
      api:
        limits === undefined || api === undefined
          ? undefined
          : { max: api.max, remaining: api.max - api.used },
      apiBudgetPercent: config.apiBudget,
    });
    return {
      cdc: 'polling',
      summary: `polling every ${seconds(every)} instead of CDC: ${words.summary}`,
      fallback: {
        reason,
        label: words.label,
        detail: state.detail ?? '',
        fix: words.fix,
        since: Number(state.since),
        retryAt: state.retry_at === null ? null : Number(state.retry_at),
      },
      pollEveryMs: every,
      ...limitsPart,
    };
  }
  if (state?.state === 'streaming')
    return {
      cdc: 'streaming',
      summary: `CDC streaming; polling every ${seconds(usual)} as a safety net`,
      pollEveryMs: usual,
      ...limitsPart,
    };
  return {
    cdc: 'starting',
    summary: `CDC not streaming yet; polling every ${seconds(usual)}`,
    pollEveryMs: usual,
    ...limitsPart,
  };
}

/** "1,234 of 25,000 (5 %)". */
export function describeUsage(usage: Usage): string {
  const percent = Math.round((usage.used * 100) / Math.max(usage.max, 1));
  return `${usage.used.toLocaleString('en-US')} of ${usage.max.toLocaleString('en-US')} (${percent} %)`;
}
