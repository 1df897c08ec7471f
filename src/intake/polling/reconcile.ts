// Reconciliation after a stream may have missed changes (a replay id out of retention, a
// GAP_OVERFLOW): move the tenant's poll watermark back to `since` and poll now. Polling records
// only versions no other source has reported, so this costs nothing when nothing was missed.
import { pollTenant, type PollerDeps } from './poller.ts';
import type { TenantRow } from '../../store/schema.ts';

export async function reconcileFrom(deps: PollerDeps, tenant: TenantRow, since: number): Promise<void> {
  const watermark = Number(
    (await deps.repos.intakePositions.readPosition(tenant.id, 'poll')) ?? Number.POSITIVE_INFINITY,
  );
  if (since < watermark) {
    await deps.repos.intakePositions.savePosition({
      tenantId: tenant.id,
      source: 'poll',
      value: String(since),
      now: deps.clock.now(),
    });
  }
  const result = await pollTenant(deps, tenant);
  deps.logger.info(
    { tenant: tenant.slug, since: new Date(since).toISOString(), recorded: result.recorded },
    'reconciliation polled for changes the stream may have missed',
  );
}
