// When change data capture cannot be used for a tenant — the org's daily event delivery allocation
// is spent, Event is not selected for CDC, or the Pub/Sub API keeps refusing the subscription —
// the tenant is polled at a faster interval instead, and CDC is tried again by itself. This module
// names those reasons, tells them apart from Salesforce's error codes, and words them for admins
// (tenant and admin pages, `status`, `doctor`, the log: ../intake-status.ts), and says how often
// such a tenant is polled.

export type CdcFallbackReason = 'delivery-allocation' | 'not-selected' | 'refused';

export interface CdcRefusal {
  reason: CdcFallbackReason;
  /** Salesforce's own words. */
  detail: string;
}

/** Pub/Sub API error code for a spent delivery allocation (Platform Events Developer Guide). */
export const deliveryLimitErrorCode = 'sfdc.platform.eventbus.grpc.subscription.limit.exceeded';

/**
 * The refusal a stream's end means at once (no retries needed to know), or undefined for ends that
 * may pass on their own (a broken connection, an expired session, an outage).
 */
export function refusalOf(errorCode: string | undefined, details: string): CdcRefusal | undefined {
  const code = errorCode ?? details;
  const detail = salesforceWords(errorCode, details);
  if (code.includes(deliveryLimitErrorCode)) return { reason: 'delivery-allocation', detail };
  if (code.includes('topic.not.found') || /topic .* not found/i.test(details))
    return { reason: 'not-selected', detail };
  return undefined;
}

/**
 * A Pub/Sub error's message for an admin: Salesforce sends `<error code>: <message> rpcId: <id>`;
 * this gives `<message> (<error code>)`, the code kept for searching Salesforce's documentation.
 */
export function salesforceWords(errorCode: string | undefined, details: string): string {
  let message = details.replace(/\s*rpcId: \S+\s*$/, '');
  if (errorCode !== undefined && message.startsWith(`${errorCode}:`))
    message = message.slice(errorCode.length + 1);
  message = message.trim();
  if (message === '') return details;
  return errorCode === undefined ? message : `${message} (${errorCode})`;
}

/** What each reason means for an admin, and what to do about it. */
export const cdcFallbackWords: Record<CdcFallbackReason, { label: string; summary: string; fix: string }> = {
  'delivery-allocation': {
    label: 'delivery allocation spent',
    summary:
      "the org's daily event delivery allocation is spent (shared by every CDC and platform-event subscriber)",
    fix: 'CDC resumes once the last 24 hours use less of it; find other subscribers using it, or ask Salesforce for the Platform Events add-on',
  },
  'not-selected': {
    label: 'Event not selected for CDC',
    summary: 'Event is not selected for change data capture',
    fix: 'in Salesforce Setup → Change Data Capture, select Event (at most 5 entities without the add-on: deselect one if 5 are)',
  },
  refused: {
    label: 'subscription refused',
    summary: 'the Pub/Sub API keeps refusing or ending the subscription',
    fix: 'see the detail; check INSTANT_SYNC_PUBSUB_ENDPOINT and the connected user’s permissions; CDC is retried by itself',
  },
};

/**
 * How often a tenant is polled: at the fallback interval (when shorter than its usual one) while CDC
 * cannot be used, unless the org's daily API use (as the limits resource last said) is at or over
 * the API budget, which leaves the org's API to its own users.
 */
export function pollIntervalMs(options: {
  usualMs: number;
  fallbackMs: number;
  cdcState: string | null | undefined;
  api: { max: number; remaining: number } | undefined;
  apiBudgetPercent: number;
}): number {
  const { usualMs, fallbackMs, cdcState, api, apiBudgetPercent } = options;
  if (cdcState !== 'polling') return usualMs;
  const overBudget =
    api !== undefined && api.max > 0 && (api.max - api.remaining) * 100 >= api.max * apiBudgetPercent;
  return overBudget ? usualMs : Math.min(usualMs, fallbackMs);
}
