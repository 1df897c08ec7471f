// What a tenant looks like to an admin (CLI output, JSON API): never its secrets.
import type { ExclusionRule } from '../domain/exclusion-rules.ts';
import { tenantUrl } from '../domain/tenant.ts';
import type { TenantRow } from '../store/schema.ts';

export interface TenantSummary {
  id: string;
  slug: string;
  name: string;
  clientId: string;
  tenantUrl: string;
  settleWindowMs: number;
  /** Who gets invitation emails: none (attendees listed in the body), internal or all. */
  invitationPolicy: 'none' | 'internal' | 'all';
  deletePolicy: 'delete' | 'keep';
  internalDomains: string[];
  exclusionRules: ExclusionRule[];
  /** null: the server's INSTANT_SYNC_POLL_INTERVAL. */
  pollIntervalMs: number | null;
  createdAt: string;
}

export function toTenantSummary(row: TenantRow, publicUrl: string): TenantSummary {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    clientId: row.client_id,
    tenantUrl: tenantUrl(publicUrl, row.slug),
    settleWindowMs: row.settle_window_ms,
    invitationPolicy: row.invitation_policy,
    deletePolicy: row.delete_policy,
    internalDomains: JSON.parse(row.internal_domains_json) as string[],
    exclusionRules: JSON.parse(row.exclusion_rules_json) as ExclusionRule[],
    pollIntervalMs: row.poll_interval_ms === null ? null : Number(row.poll_interval_ms),
    createdAt: new Date(row.created_at).toISOString(),
  };
}
