// Creating a tenant: a slug, a random numeric Client ID (what the Salesforce package's
// "ClientId Config" holds), a webhook secret that is shown once and stored sealed, and its
// Salesforce connection, Disconnected until an admin clicks Connect.
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { formatRefreshTokenPolicy, type RefreshTokenPolicy } from '../domain/salesforce-connection.ts';
import { slugProblem } from '../domain/tenant.ts';
import type { Clock } from '../lib/clock.ts';
import { BadInputError } from '../lib/errors.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import { toTenantSummary, type TenantSummary } from './tenant-summary.ts';
import { sealContext } from '../store/seal-contexts.ts';
import type { Repositories } from '../store/repositories.ts';

export interface CreateTenantDeps {
  repos: Repositories;
  secretBox: SecretBox;
  clock: Clock;
  publicUrl: string;
  /** Where the tenant's Salesforce connection starts: the server's defaults. */
  salesforce: { loginUrl: string; refreshTokenPolicy: RefreshTokenPolicy };
}

export interface CreatedTenant extends TenantSummary {
  /** Plaintext, returned only here: the caller shows it once. */
  webhookSecret: string;
}

/** The default settle window: long enough to coalesce a burst of edits, short enough to feel instant. */
/** Long enough to merge a save and the trigger or flow updates that follow it; short enough for "about a second". */
export const defaultSettleWindowMs = 500;

export async function createTenant(
  deps: CreateTenantDeps,
  input: { slug: string; name?: string | undefined },
): Promise<CreatedTenant> {
  const problem = slugProblem(input.slug);
  if (problem !== undefined) throw new BadInputError(problem);
  const name = input.name?.trim() || input.slug;
  if (name.length > 200) throw new BadInputError('tenant name is longer than 200 characters');
  if ((await deps.repos.tenants.findTenantBySlug(input.slug)) !== undefined) {
    throw new BadInputError(`a tenant with slug "${input.slug}" already exists`);
  }

  const id = randomUUID();
  const webhookSecret = `whsec_${randomBytes(32).toString('base64url')}`;
  const now = deps.clock.now();
  const row = {
    id,
    slug: input.slug,
    name,
    client_id: await newClientId(deps.repos),
    webhook_secret_sealed: deps.secretBox.seal(webhookSecret, sealContext.webhookSecret(id)),
    settle_window_ms: defaultSettleWindowMs,
    invitation_policy: 'none' as const,
    delete_policy: 'delete' as const,
    internal_domains_json: '[]',
    exclusion_rules_json: '[]',
    poll_interval_ms: null,
    created_at: now,
    updated_at: now,
  };
  try {
    await deps.repos.transaction(async (tx) => {
      await tx.tenants.insertTenant(row);
      await tx.salesforceConnections.insertConnection({
        tenant_id: id,
        login_url: deps.salesforce.loginUrl,
        refresh_token_policy: formatRefreshTokenPolicy(deps.salesforce.refreshTokenPolicy),
        updated_at: now,
      });
    });
  } catch (error) {
    // Another process created the same slug between our check and our insert.
    if ((await deps.repos.tenants.findTenantBySlug(input.slug)) !== undefined) {
      throw new BadInputError(`a tenant with slug "${input.slug}" already exists`, { cause: error });
    }
    throw error;
  }
  return { ...toTenantSummary(row, deps.publicUrl), webhookSecret };
}

/** Ten digits, not starting with 0, not already taken. Random so Client IDs cannot be enumerated. */
async function newClientId(repos: Repositories): Promise<string> {
  for (;;) {
    const candidate = String(randomInt(1_000_000_000, 10_000_000_000));
    if (!(await repos.tenants.clientIdExists(candidate))) return candidate;
  }
}
