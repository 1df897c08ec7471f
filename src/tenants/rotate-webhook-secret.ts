// A tenant's new webhook secret: made like the one `tenants add` makes, stored sealed in place of
// the old, and returned once for the admin to paste into the Salesforce package's setting. The
// webhook route opens the stored secret for every delivery, so from the moment this commits a
// delivery signed with the old secret is refused on every node.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../lib/clock.ts';
import { NotFoundError } from '../lib/errors.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import { sealContext } from '../store/seal-contexts.ts';
import type { Repositories } from '../store/repositories.ts';

/** A webhook secret: 32 random bytes, in the form `tenants add` shows (`whsec_…`). */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

export async function rotateWebhookSecret(
  deps: { repos: Repositories; secretBox: SecretBox; clock: Clock },
  slug: string,
): Promise<{ slug: string; webhookSecret: string }> {
  const tenant = await deps.repos.tenants.findTenantBySlug(slug);
  if (tenant === undefined) throw new NotFoundError(`no tenant named ${JSON.stringify(slug)}`);
  const webhookSecret = newWebhookSecret();
  const stored = await deps.repos.sealedValues.replaceWebhookSecret({
    tenantId: tenant.id,
    sealed: deps.secretBox.seal(webhookSecret, sealContext.webhookSecret(tenant.id)),
    now: deps.clock.now(),
  });
  // Removed between the look-up and the write: its secret would be shown for nothing.
  if (!stored) throw new NotFoundError(`no tenant named ${JSON.stringify(slug)}`);
  return { slug: tenant.slug, webhookSecret };
}
