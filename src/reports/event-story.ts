// "What happened to this Event?": every change received for it (from which source, when Salesforce
// committed it), every step the engine took (read, plan and its reason, provider call, item id,
// latency), its job's state and the item it is linked to, in time order. The CLI's `trace` and
// the admin page tell the same story from here. Looked up by the exact 18-character id: a 15-character
// id is case-sensitive, so matching it without case (or by prefix) told another Event's story.
import { normalizeEventId } from '../domain/salesforce-ids.ts';
import { historyCutoffKey } from '../maintenance/retention.ts';
import type { Repositories } from '../store/repositories.ts';

const carried = { record: ', with the whole Event', fields: ', with its changed fields', none: '' };

export interface StoryEntry {
  at: number;
  step: string;
  message: string;
  data?: Record<string, unknown>;
}

export interface EventStory {
  tenant: string;
  eventId: string;
  entries: StoryEntry[];
  job: { state: string; attempts: number; runAt: number; lastError: string | null } | null;
  /**
   * The item the Event is linked to; `itemId` is empty when no item was ever made (a create was
   * sent at `pendingCreateAt` and its answer not recorded, or nothing was created at all).
   */
  link: {
    mailbox: string | null;
    itemId: string;
    state: string;
    updatedAt: number;
    pendingCreateAt: number | null;
  } | null;
}

/**
 * The stories of `eventId`, one per tenant that knows it. A 15-character id finds the Event
 * under its 18-character form; an id normalizeEventId refuses (an 18-character id whose case was
 * changed) names no Event: none.
 */
export async function eventStories(
  repos: Repositories,
  eventId: string,
  tenantSlug?: string,
): Promise<EventStory[]> {
  const id = normalizeEventId(eventId);
  if (id === undefined) return [];
  const stories: EventStory[] = [];
  // Retention removed the steps before this (src/maintenance/retention.ts).
  const cutoff = Number((await repos.meta.readMeta(historyCutoffKey)) ?? Number.NaN);
  for (const tenant of await repos.tenants.listTenantSlugs(tenantSlug)) {
    const { changes, traces, job, link } = await repos.eventRecords.eventRecordsOf(tenant.id, id);
    if (changes.length === 0 && traces.length === 0 && job === undefined && link === undefined) continue;
    const entries: StoryEntry[] = [
      ...changes.map((change) => ({
        at: change.received_at,
        step: 'received',
        // What the change carried tells, later in the story, why the Event was or was not read.
        message: `${change.change_type} from ${change.source}${carried[change.payload_kind ?? 'none']}`,
        ...(change.committed_at === null
          ? {}
          : { data: { committedAt: new Date(change.committed_at).toISOString() } }),
      })),
      ...traces.map((trace) => ({
        at: trace.at,
        step: trace.step,
        message: trace.message,
        ...(trace.data_json === null ? {} : { data: JSON.parse(trace.data_json) as Record<string, unknown> }),
      })),
    ];
    // The link was made before the cut-off and nothing of its making is left: retention took it.
    if (
      link !== undefined &&
      link.created_at < cutoff &&
      !entries.some((entry) => entry.at <= link.created_at)
    )
      entries.push({
        at: cutoff,
        step: 'retention',
        message: 'earlier changes and steps are no longer kept (INSTANT_SYNC_RETAIN_HISTORY)',
      });
    // Stable: a change and the trace of the run it caused can share a millisecond; the change comes first.
    entries.sort((a, b) => a.at - b.at);
    stories.push({
      tenant: tenant.slug,
      eventId: id,
      entries,
      job:
        job === undefined
          ? null
          : { state: job.state, attempts: job.attempts, runAt: job.run_at, lastError: job.last_error },
      link:
        link === undefined
          ? null
          : {
              mailbox: link.address,
              itemId: link.item_id,
              state: link.state,
              updatedAt: link.updated_at,
              pendingCreateAt: link.pending_create_at,
            },
    });
  }
  return stories;
}

/** The linked item in words (trace, admin page). */
export function describeLinkedItem(link: EventStory['link']): string {
  if (link === null) return 'none';
  const mailbox = link.mailbox ?? '?';
  if (link.itemId === '')
    return link.pendingCreateAt === null
      ? `none in ${mailbox}`
      : `none known in ${mailbox}, one may be there since ${new Date(link.pendingCreateAt).toISOString()} (a create whose answer was not saved, or a mailbox moved from another provider): the next run looks for it by its Salesforce id first`;
  return `${link.itemId} in ${mailbox} (${link.state === 'active' ? 'in the calendar' : 'deleted'})`;
}
