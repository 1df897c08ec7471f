// Moving a connection between states: checked against the allowed transitions, applied only if
// no other process moved it first, and announced to the admin when it needs them.
import { assertTransition, type ConnectionState } from '../domain/salesforce-connection.ts';
import { tenantUrl } from '../domain/tenant.ts';
import type { ConnectionRow } from '../store/schema.ts';
import type { SalesforceDeps } from './salesforce-deps.ts';
import type { ConnectionChanges } from '../store/db.ts';

/** Moves `row` to `to` with `changes`; false if another process changed its state first. */
export async function moveConnection(
  deps: SalesforceDeps,
  row: ConnectionRow,
  to: ConnectionState,
  changes: ConnectionChanges = {},
): Promise<boolean> {
  assertTransition(row.state, to);
  return deps.repos.salesforceConnections.updateConnection(row.tenant_id, row.state, {
    ...changes,
    state: to,
    updated_at: deps.clock.now(),
  });
}

/**
 * The grant is dead (expired or revoked refresh token, app credentials changed): the tenant's
 * jobs pause, nothing is lost, and the admin is told to reconnect.
 */
export async function markReconnectRequired(
  deps: SalesforceDeps,
  row: ConnectionRow,
  reason: string,
): Promise<void> {
  if (row.state === 'reconnect_required' || row.state === 'disconnected') return;
  const moved = await moveConnection(deps, row, 'reconnect_required', {
    access_token_sealed: null,
    refresh_token_sealed: null,
    last_error: reason,
  });
  if (!moved) return;
  const slug = (await deps.repos.tenants.findTenantById(row.tenant_id))?.slug ?? row.tenant_id;
  await deps.notifier.notify({
    type: 'salesforce.connection.reconnect_required',
    tenant: slug,
    tenantUrl: tenantUrl(deps.settings.publicUrl, slug),
    at: new Date(deps.clock.now()).toISOString(),
    reason,
    message: `Salesforce connection of tenant ${slug} needs reconnecting (${reason}); its sync is paused and no change is lost. Open the tenant URL and click Reconnect.`,
  });
}
