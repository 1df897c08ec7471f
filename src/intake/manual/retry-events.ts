// Asking for another sync by hand: `instant-sync retry <event-id>` (or the admin page's Retry)
// records a `manual` change for the Event, which queues its job — reviving it when it was
// dead-lettered, with a fresh attempt count — exactly as a change from Salesforce would, in the
// live lane for one Event and the bulk lane for many.
// Events are named by their exact 18-character id, as every source records them.
import { randomUUID } from 'node:crypto';
import { normalizeEventId } from '../../domain/salesforce-ids.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Repositories } from '../../store/repositories.ts';
import { jobLanes } from '../../store/schema.ts';

export interface EventKey {
  tenantId: string;
  eventId: string;
}

/**
 * Queues each Event to sync again now; returns how many were queued. Ids in their 18-character
 * form (normalizeEventId): a job is keyed by the id as given.
 */
export async function retryEvents(
  deps: { repos: Repositories; clock: Clock },
  events: readonly EventKey[],
): Promise<number> {
  const byTenant = new Map<string, string[]>();
  for (const { tenantId, eventId } of events)
    byTenant.set(tenantId, [...(byTenant.get(tenantId) ?? []), eventId]);
  let queued = 0;
  const run = randomUUID();
  for (const [tenantId, eventIds] of byTenant) {
    const result = await deps.repos.changes.recordChanges({
      tenantId,
      settleWindowMs: 0,
      now: deps.clock.now(),
      // One Event is someone waiting at a page; many (every dead letter) is bulk work, which
      // must not hold up the live changes of this or any other tenant.
      manualLane: events.length === 1 ? jobLanes.live : jobLanes.bulk,
      changes: eventIds.map((eventId) => ({
        eventId,
        changeType: 'resync',
        source: 'manual',
        dedupeKey: `manual:${run}:${eventId}`,
        committedAt: null,
      })),
    });
    queued += result.eventIds.length;
  }
  return queued;
}

/** The dead-lettered Events, of one tenant or all. */
export async function deadEvents(repos: Repositories, tenantId?: string): Promise<EventKey[]> {
  return repos.jobs.listDeadJobs(tenantId);
}

/**
 * The tenants that know `eventId` (from its changes, job or link), with the Event's 18-character
 * id. None for an id normalizeEventId refuses.
 */
export async function tenantsKnowingEvent(repos: Repositories, eventId: string): Promise<EventKey[]> {
  const id = normalizeEventId(eventId);
  if (id === undefined) return [];
  return (await repos.eventRecords.tenantIdsKnowingEvent(id)).map((tenantId) => ({ tenantId, eventId: id }));
}
