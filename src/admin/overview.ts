// What the admin overview and /api/tenants show per tenant: the Salesforce connection, the mailbox
// provider, Events synced in the last hour and day with their p50/p95 end-to-end latency (from the
// traces), the queue and its dead letters; and the failures list: dead letters and recent skips.
import { intakeStatus, type IntakeStatus, type IntakeStatusConfig } from '../intake/intake-status.ts';
import { percentile } from '../lib/percentile.ts';
import type { ConnectionManager } from '../salesforce/connection-manager.ts';
import type { JobCounts } from '../store/jobs/count-jobs.ts';
import type { EventLabel } from '../store/overview-repository.ts';
import type { Repositories } from '../store/repositories.ts';
import type { TenantRow } from '../store/schema.ts';
import type { TenantSort } from '../store/tenants-repository.ts';

export interface TenantOverview {
  slug: string;
  name: string;
  connection: { state: string; status: string; expiresAt: string | null; orgId: string | null };
  /** The default provider's kind. */
  provider: string | null;
  /** Every provider's kind, the default first (a hybrid tenant has several). */
  providers: string[];
  synced: { lastHour: number; lastDay: number };
  latencyMs: { p50: number | null; p95: number | null };
  jobs: JobCounts;
  /** How its changes come in: CDC streaming, or polling faster instead and why. */
  intake: IntakeStatus;
}

export interface OverviewDeps {
  repos: Repositories;
  connections: ConnectionManager;
  jobCounts: (tenantId: string) => Promise<JobCounts>;
  now: () => number;
  /** The settings the intake status is worded from. */
  intake: IntakeStatusConfig;
}

/** Every tenant's overview, by slug (GET /api/tenants). */
export async function tenantOverviews(deps: OverviewDeps): Promise<TenantOverview[]> {
  const now = deps.now();
  const overviews: TenantOverview[] = [];
  for (const tenant of await deps.repos.tenants.listTenants())
    overviews.push(await overviewOf(deps, tenant, now));
  return overviews;
}

/** What the overview page asks for: a search of slugs and names, an order, a page. */
export interface TenantQuery {
  search: string | undefined;
  sort: TenantSort;
  /** From 1. */
  page: number;
  pageSize: number;
}

/** One page of the tenants `query` finds, each with its overview (only those on the page are read). */
export async function tenantOverviewPage(
  deps: OverviewDeps,
  query: TenantQuery,
): Promise<{ tenants: TenantOverview[]; total: number }> {
  const now = deps.now();
  const { rows, total } = await deps.repos.tenants.listTenantsPage({
    search: query.search,
    sort: query.sort,
    offset: (query.page - 1) * query.pageSize,
    limit: query.pageSize,
    syncedSince: now - 86_400_000,
  });
  const tenants: TenantOverview[] = [];
  for (const tenant of rows) tenants.push(await overviewOf(deps, tenant, now));
  return { tenants, total };
}

async function overviewOf(deps: OverviewDeps, tenant: TenantRow, now: number): Promise<TenantOverview> {
  const { connection } = await deps.connections.get(tenant.slug);
  const providers = await deps.repos.overview.providerKindsOf(tenant.id);
  const applied = await deps.repos.overview.syncsSince({
    tenantId: tenant.id,
    since: now - 86_400_000,
    limit: 50_000,
  });
  const latencies = applied
    .map((t) => t.latencyMs)
    .filter((ms): ms is number => ms !== undefined)
    .sort((a, b) => a - b);
  return {
    slug: tenant.slug,
    name: tenant.name,
    connection: {
      state: connection.state,
      status: connection.status,
      expiresAt: connection.expiresAt,
      orgId: connection.orgId,
    },
    provider: providers[0] ?? null,
    providers,
    synced: { lastHour: applied.filter((t) => t.at >= now - 3_600_000).length, lastDay: applied.length },
    latencyMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95) },
    jobs: await deps.jobCounts(tenant.id),
    intake: await intakeStatus(deps.repos, deps.intake, tenant),
  };
}

export interface Failure {
  kind: 'dead' | 'skipped';
  tenant: string;
  eventId: string;
  /** The Event's subject, the mailbox its item is (or would be) in and its owner, when known. */
  subject: string | null;
  mailbox: string | null;
  ownerId: string | null;
  reason: string;
  at: number;
  attempts: number | null;
}

/**
 * Dead letters, then the Events skipped in the last 7 days (latest skip per Event), newest first;
 * with `search`, those whose Event id, subject or mailbox contains it (any case).
 */
export async function failures(
  repos: Repositories,
  options: {
    now: number;
    tenant?: string | undefined;
    kind?: 'dead' | 'skipped' | undefined;
    search?: string | undefined;
    limit?: number;
  },
): Promise<Failure[]> {
  const limit = options.limit ?? 500;
  const tenants = new Map((await repos.tenants.listTenants()).map((t) => [t.id, t.slug]));
  const tenantId = [...tenants].find(([, slug]) => slug === options.tenant)?.[0];
  if (options.tenant !== undefined && tenantId === undefined) return [];
  const found: (Omit<Failure, 'tenant' | 'subject' | 'mailbox' | 'ownerId'> & { tenantId: string })[] = [];
  if (options.kind !== 'skipped') {
    for (const row of await repos.overview.deadLetters({ tenantId, limit }))
      found.push({
        kind: 'dead',
        tenantId: row.tenantId,
        eventId: row.eventId,
        reason: row.lastError ?? 'no reason recorded',
        at: row.updatedAt,
        attempts: row.attempts,
      });
  }
  if (options.kind !== 'dead') {
    const skips = await repos.overview.skipsSince({
      since: options.now - 7 * 86_400_000,
      tenantId,
      limit: limit * 4,
    });
    const seen = new Set<string>();
    for (const row of skips) {
      const key = `${row.tenantId}:${row.eventId}`;
      if (seen.has(key)) continue;
      seen.add(key);
      found.push({
        kind: 'skipped',
        tenantId: row.tenantId,
        eventId: row.eventId,
        reason: row.message.replace(/^none: /, ''),
        at: row.at,
        attempts: null,
      });
    }
  }
  const byTenant = new Map<string, string[]>();
  for (const entry of found) {
    const ids = byTenant.get(entry.tenantId);
    if (ids === undefined) byTenant.set(entry.tenantId, [entry.eventId]);
    else ids.push(entry.eventId);
  }
  const labels = new Map<string, EventLabel>();
  for (const [id, eventIds] of byTenant)
    for (const [eventId, label] of await repos.overview.eventLabels(id, eventIds))
      labels.set(`${id}:${eventId}`, label);
  const search = options.search?.trim().toLowerCase() ?? '';
  const listed: Failure[] = [];
  for (const { tenantId: id, ...entry } of found) {
    const label = labels.get(`${id}:${entry.eventId}`);
    const failure: Failure = {
      ...entry,
      tenant: tenants.get(id) ?? id,
      subject: label?.subject ?? null,
      mailbox: label?.mailbox ?? null,
      ownerId: label?.ownerId ?? null,
    };
    if (
      search === '' ||
      [failure.eventId, failure.subject, failure.mailbox].some((text) => text?.toLowerCase().includes(search))
    )
      listed.push(failure);
  }
  return listed.slice(0, limit);
}
