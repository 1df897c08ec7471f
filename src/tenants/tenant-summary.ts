// What a tenant looks like to an admin (CLI output, JSON API): never its secrets.
import { tenantUrl } from '../domain/tenant.ts';
import type { TenantRow } from '../store/schema.ts';

export interface TenantSummary {
  id: string;
  slug: string;
  name: string;
  clientId: string;
  tenantUrl: string;
  settleWindowMs: number;
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
    createdAt: new Date(row.created_at).toISOString(),
  };
}
