// The sync step for one tenant's batch of jobs: read the Events whose record the recorded changes
// do not already tell (known-from-changes.ts, read-batch.ts), then for each: map (pure), plan
// against its link (pure), apply through the provider within the mailbox's limits and save the
// link with the record used (apply-plan.ts), and trace each step. Each job's result (outcome,
// traces, the record to keep with an unchanged link) is handed to the caller the moment that job
// is done, so one slow Event never holds back the others; one Event's failure never stops them.
import { createHash } from 'node:crypto';
import { canonicalItem } from '../domain/calendar-item.ts';
import { exclusionReason, type ExclusionRule } from '../domain/exclusion-rules.ts';
import { mapEvent } from '../domain/map-event.ts';
import { planSync, type Desired } from '../domain/plan-sync.ts';
import type { Clock } from '../lib/clock.ts';
import { describeError, PermanentError, ReconnectRequiredError, RetryableError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import type { SalesforceRestClient } from '../salesforce/rest-client.ts';
import type { ClaimedJob } from '../store/jobs/job.ts';
import { knownFromChanges, type KnownFromChanges } from '../store/changes/known-from-changes.ts';
import { findLinks, type LinkRecord } from '../store/links-repository.ts';
import type { LinkRow } from '../store/schema.ts';
import { findMailboxesByIds, markMailboxMissing } from '../store/mailboxes-repository.ts';
import type { Database, MailboxRow, TenantRow } from '../store/schema.ts';
import type { NewTrace } from '../store/traces-repository.ts';
import type { Kysely } from 'kysely';
import { applyPlan, MailboxMissingError, type ApplyInput, type RoutedProvider } from './apply-plan.ts';
import type { ProviderLookup, TenantProviders } from './provider-source.ts';
import { applySeries, parseSeriesState } from './apply-series.ts';
import { seriesDesired } from './series-desired.ts';
import {
  findSeriesMembers,
  findSeriesState,
  membersOfSeries,
  type SeriesMember,
} from '../store/series-repository.ts';
import type { JobOutcome } from './job-queue.ts';
import type { EngineMetrics } from './engine-metrics.ts';
import type { MailboxLimiter } from './mailbox-limiter.ts';
import type { UserDirectory } from './user-directory.ts';
import { readBatch, type BatchRead } from './read-batch.ts';

export interface TenantSyncDeps {
  db: Kysely<Database>;
  clock: Clock;
  logger: Logger;
  rest: SalesforceRestClient;
  /** The tenant's providers: each mailbox goes through its own or the default (hybrid tenants). */
  providers: TenantProviders;
  limiter: MailboxLimiter;
  tenant: TenantRow;
  /**
   * When this database began (meta installed_at). An Event created before it may already have an
   * item from an earlier database, so its first create looks for one; a newer Event does not.
   */
  installedAt: number;
  metrics?: EngineMetrics | undefined;
  users?: UserDirectory | undefined;
  /** Ends a job's work early (its lease is at risk, or lost): its provider calls are cut short. */
  signalOf?: (job: ClaimedJob) => AbortSignal | undefined;
}

export interface SkippedEvent {
  eventId: string;
  reason: string;
}

/** One applied change, for the log and the metrics. */
export interface SyncedEvent {
  eventId: string;
  action: 'create' | 'update' | 'move' | 'delete';
  mailbox: string | null;
  /** The kind of provider the item was written through. */
  providerKind: string;
  latencyMs: number;
}

/** What one job's run came to, with what must be written to settle it. */
export interface JobResult {
  outcome: JobOutcome;
  /** The steps to add to the Event's story. */
  traces: NewTrace[];
  /** The record to keep with a link whose item needed no change (see docs/architecture.md). */
  linkRecord?: LinkRecord | undefined;
  /** The change applied, if one was. */
  synced?: SyncedEvent | undefined;
  /** Why the Event cannot be synced faithfully, if it cannot (also in its traces). */
  skipped?: SkippedEvent | undefined;
  /**
   * The Lightning series this Event is an occurrence record of: the series is synced (its job is
   * due at once), since the calendar keeps one series for all of its occurrences.
   */
  forwardTo?: string | undefined;
}

export interface TenantSyncResult {
  salesforceCalls: number;
  providerCalls: number;
}

/** Syncs one tenant's jobs, telling `onJobDone` of each job as soon as it is done. */
export async function syncTenantJobs(
  deps: TenantSyncDeps,
  jobs: readonly ClaimedJob[],
  onJobDone: (job: ClaimedJob, result: JobResult) => void,
): Promise<TenantSyncResult> {
  const rules = JSON.parse(deps.tenant.exclusion_rules_json) as ExclusionRule[];
  const links = await findLinks(
    deps.db,
    deps.tenant.id,
    jobs.map((j) => j.eventId),
  );
  // Events whose record is known (a base record and the CDC edits recorded after it), and Events
  // whose latest change is their deletion, need no read. Asked before any read is sent: a record
  // read after this includes every change it saw (known.latestChangeId).
  const known = await knownFromChanges(
    deps.db,
    deps.tenant.id,
    jobs.map((j) => j.eventId),
    links,
  );
  const composed = new Map([...known.composed].map(([eventId, event]) => [eventId, event.record]));
  const gone = known.deleted;
  let read: BatchRead;
  try {
    read = await readBatch(
      { db: deps.db, clock: deps.clock, rest: deps.rest, tenantId: deps.tenant.id, users: deps.users },
      jobs.map((j) => j.eventId),
      rules.map((rule) => rule.field),
      composed,
      gone,
    );
  } catch (error) {
    const outcome: JobOutcome =
      error instanceof ReconnectRequiredError
        ? // Due at once: a tenant that must reconnect is not claimed (its jobs are paused), so
          // they run the moment it is connected again, not a minute later.
          { kind: 'postpone', reason: error.message, delayMs: 0 }
        : {
            kind: 'retry',
            message: `reading the Events from Salesforce failed: ${describeError(error)}`,
            ...(error instanceof RetryableError && error.retryAfterMs !== undefined
              ? { retryAfterMs: error.retryAfterMs }
              : {}),
          };
    for (const job of jobs) onJobDone(job, { outcome, traces: [] });
    return { salesforceCalls: 0, providerCalls: 0 };
  }
  const linkMailboxIds = [...new Set([...links.values()].map((l) => l.mailbox_id))];
  const mailboxesById = new Map<string, MailboxRow>([...read.mailboxes.values()].map((m) => [m.id, m]));
  const missing = linkMailboxIds.filter((id) => !mailboxesById.has(id));
  for (const row of await findMailboxesByIds(deps.db, missing)) mailboxesById.set(row.id, row);
  const domains = JSON.parse(deps.tenant.internal_domains_json) as string[];
  // Occurrence records of a series, known from earlier syncs: a deleted one still finds its
  // series. Asked only for Events that are gone, or occurrences whose series was not found.
  const unplaced = jobs
    .map((j) => j.eventId)
    .filter((id) => {
      const found = read.events.get(id);
      if (found === null || found === undefined) return true;
      return !('problem' in found) && found.event.occurrence !== null && !read.seriesOf.has(id);
    });
  const members =
    unplaced.length === 0
      ? new Map<string, SeriesMember>()
      : await findSeriesMembers(deps.db, deps.tenant.id, unplaced);
  const batchIds = new Set(jobs.map((j) => j.eventId));
  let providerCalls = 0;

  await Promise.all(
    jobs.map(async (job) => {
      const traces: NewTrace[] = [];
      const trace = (step: string, message: string, data?: Record<string, unknown>) =>
        traces.push({
          tenant_id: deps.tenant.id,
          event_id: job.eventId,
          job_id: job.id,
          at: deps.clock.now(),
          step,
          message,
          data_json: data === undefined ? null : JSON.stringify(data),
        });
      const found = read.events.get(job.eventId) ?? null;
      // An item id means something only to the provider that made it. When the link's mailbox
      // goes through another provider now (a hybrid tenant moved it; assigning a provider points
      // the links at it at once, this catches a sync that finished meanwhile), the item is looked
      // for there by its Salesforce id before one is made: a mailbox moved with its items keeps them.
      const anyLink = links.get(job.eventId);
      const linkMailbox = anyLink === undefined ? undefined : mailboxesById.get(anyLink.mailbox_id);
      const linkRoute =
        anyLink === undefined
          ? undefined
          : linkMailbox === undefined
            ? deps.providers.byId(anyLink.provider_id)
            : deps.providers.route(linkMailbox);
      let link = anyLink;
      if (anyLink !== undefined && linkRoute !== undefined && anyLink.provider_id !== linkRoute.id) {
        link = reroutedLink(anyLink, linkRoute, deps.clock.now());
        trace(
          'read',
          `the calendar item was made through another provider (${anyLink.provider_kind}); the mailbox goes through ${linkRoute.name} (${linkRoute.kind}) now: the item is looked for there by its Salesforce id`,
        );
      }
      let desired: Desired;
      let item: ReturnType<typeof mapEvent> | undefined;
      let version: number | null = null;
      let createdAt: number | null = null;
      let mailbox: MailboxRow | undefined;
      let routed: ProviderLookup | undefined;
      let series: ReturnType<typeof seriesDesired> | undefined;
      const event = found === null || 'problem' in found ? undefined : found.event;
      const seriesOfJob =
        event !== undefined && !event.isChild && event.occurrence !== null
          ? (read.seriesOf.get(event.id) ?? members.get(job.eventId)?.seriesEventId)
          : found === null
            ? members.get(job.eventId)?.seriesEventId
            : undefined;
      // A series synced in this batch read its occurrence records after this change was recorded.
      const forwardTo = seriesOfJob !== undefined && batchIds.has(seriesOfJob) ? undefined : seriesOfJob;
      // The record this sync uses, kept with the link: later CDC edits are folded onto it.
      const used =
        found === null || 'problem' in found
          ? { json: null, throughChangeId: null }
          : {
              json: JSON.stringify(found.record),
              throughChangeId: read.readFromSalesforce.has(job.eventId)
                ? (known.latestChangeId.get(job.eventId) ?? null)
                : (known.composed.get(job.eventId)?.throughChangeId ?? null),
            };
      if (found === null) {
        desired = {
          kind: 'absent',
          reason: 'deleted in Salesforce (or no longer visible to the connected user)',
        };
        trace('read', 'the Event is gone from Salesforce');
      } else if ('problem' in found) {
        desired = {
          kind: 'unmappable',
          reason: `Salesforce sent a record that is not a valid Event: ${found.problem}`,
        };
      } else {
        version = found.event.version;
        createdAt = found.event.createdAt;
        trace('read', howKnown(job.eventId, read, known), {
          version: new Date(found.event.version).toISOString(),
          ...(used.throughChangeId === null ? {} : { throughChangeId: used.throughChangeId }),
        });
        const excluded = exclusionReason(rules, found.record);
        mailbox = read.mailboxes.get(found.event.ownerId);
        if (excluded !== undefined) desired = { kind: 'absent', reason: excluded };
        else if (seriesOfJob !== undefined)
          desired = {
            kind: 'absent',
            reason: `an occurrence of the series ${seriesOfJob}: the calendar series stands for it, and the series is synced`,
          };
        else if (found.event.occurrence !== null && !found.event.isChild)
          desired = {
            kind: 'unmappable',
            reason: `an occurrence of a series (${found.event.seriesKey ?? ''}) whose series record the connected user cannot read: never synced on its own`,
          };
        else if (found.event.isChild)
          desired = {
            kind: 'unmappable',
            reason: "an invitee's copy (IsChild): the owner's Event is synced instead",
          };
        else if (mailbox === undefined || mailbox.state !== 'active' || mailbox.address === null) {
          desired = {
            kind: 'unmappable',
            reason: `the owner ${found.event.ownerId} has no mailbox to sync to (${mailbox?.last_error ?? 'not resolved'})`,
          };
        } else if ((routed = deps.providers.route(mailbox)) === undefined || 'problem' in routed) {
          const reason = `the mailbox ${mailbox.address} goes through ${routed?.name ?? 'no'} provider, which cannot be used: ${routed !== undefined && 'problem' in routed ? routed.problem : 'none is set up'}`;
          trace('wait', reason);
          onJobDone(job, { outcome: { kind: 'postpone', reason, delayMs: providerProblemDelayMs }, traces });
          return;
        } else {
          item = mapEvent(found.event, {
            ownerTimeZone: mailbox.time_zone ?? 'UTC',
            invitees: read.invitees.get(found.event.id) ?? [],
            invitationPolicy: deps.tenant.invitation_policy,
            internalDomains: domains,
          });
          const unwritable = item.kind === 'item' ? routed.provider.cannotWrite(item.item) : undefined;
          const itemHash =
            item.kind === 'item'
              ? createHash('sha256').update(canonicalItem(item.item)).digest('base64url')
              : '';
          if (item.kind === 'item' && unwritable === undefined && found.event.isSeries) {
            series = seriesDesired({
              seriesItem: item.item,
              seriesHash: itemHash,
              occurrences: read.occurrences.get(found.event.id) ?? [],
              knownSlots: new Map(
                (await membersOfSeries(deps.db, deps.tenant.id, found.event.id)).map((m) => [
                  m.eventId,
                  m.slotDate,
                ]),
              ),
              context: {
                ownerTimeZone: mailbox.time_zone ?? 'UTC',
                invitees: read.invitees.get(found.event.id) ?? [],
                invitationPolicy: deps.tenant.invitation_policy,
                internalDomains: domains,
              },
            });
            item = { ...item, item: series.item };
          }
          desired =
            item.kind === 'skip'
              ? { kind: 'unmappable', reason: item.reason }
              : unwritable !== undefined
                ? { kind: 'unmappable', reason: unwritable }
                : { kind: 'item', mailboxId: mailbox.id, hash: series?.hash ?? itemHash };
          if (series !== undefined && series.notes.length > 0) trace('map', series.notes.join('; '));
          if (item.kind === 'item' && item.notes.length > 0) trace('map', item.notes.join('; '));
        }
      }
      const plan = planSync(
        desired,
        link === undefined
          ? undefined
          : {
              mailboxId: link.mailbox_id,
              contentHash: link.content_hash,
              state: link.state,
              createPending: link.pending_create_at !== null,
            },
        deps.tenant.delete_policy,
      );
      trace(
        plan.action === 'none' && desired.kind === 'unmappable' ? 'skip' : 'plan',
        `${plan.action}: ${plan.reason}`,
        { action: plan.action },
      );
      if (plan.action === 'none') {
        const keep =
          link !== undefined &&
          used.json !== null &&
          (used.json !== link.record_json || used.throughChangeId !== link.record_through_change_id);
        onJobDone(job, {
          outcome: { kind: 'done' },
          traces,
          linkRecord: keep
            ? { eventId: job.eventId, recordJson: used.json, recordThroughChangeId: used.throughChangeId }
            : undefined,
          skipped: desired.kind === 'unmappable' ? { eventId: job.eventId, reason: plan.reason } : undefined,
          forwardTo,
        });
        return;
      }
      // A mailbox the provider said does not exist is not asked again for each Event: they wait.
      const target = plan.action === 'move' ? plan.toMailboxId : plan.mailboxId;
      const missing = mailboxesById.get(target) ?? (mailbox?.id === target ? mailbox : undefined);
      if (missing?.missing_since !== null && missing?.missing_since !== undefined) {
        const reason = waitingForMailbox(missing.address ?? target, missing.missing_reason);
        trace('wait', reason);
        onJobDone(job, {
          outcome: { kind: 'park', reason, mailboxId: target, delayMs: mailboxRecheckMs },
          traces,
        });
        return;
      }
      const through = usableRoute(deps.providers, missing);
      if ('problem' in through) {
        trace('wait', through.problem);
        onJobDone(job, {
          outcome: { kind: 'postpone', reason: through.problem, delayMs: providerProblemDelayMs },
          traces,
        });
        return;
      }
      const providerOf = (mailboxId: string): RoutedProvider => {
        const route = usableRoute(
          deps.providers,
          mailboxesById.get(mailboxId) ?? (mailbox?.id === mailboxId ? mailbox : undefined),
        );
        if ('problem' in route) throw new RetryableError(route.problem);
        return route;
      };
      const applyDeps = { ...deps, provider: through.provider, providerId: through.id, providerOf };
      try {
        const input: ApplyInput = {
          job,
          link,
          item: item?.kind === 'item' ? item.item : undefined,
          version,
          record: used,
          mailboxOf: (id) => mailboxesById.get(id) ?? (mailbox?.id === id ? mailbox : undefined),
          hash: desired.kind === 'item' ? desired.hash : (link?.content_hash ?? ''),
          mayExist: job.attempts > 1 || createdAt === null || createdAt < deps.installedAt,
          countCall: () => providerCalls++,
          signal: deps.signalOf?.(job),
        };
        let applied;
        // A series record, or a deleted Event whose item may be a series (its state says).
        const seriesState =
          (found !== null && !('problem' in found) && found.event.isSeries) ||
          (found === null && link !== undefined)
            ? parseSeriesState(await findSeriesState(deps.db, deps.tenant.id, job.eventId))
            : undefined;
        if (series !== undefined || seriesState !== undefined) {
          const done = await applySeries(applyDeps, plan, input, series, seriesState);
          applied = done.ref;
          if (done.notes.length > 0) trace('apply', done.notes.join('; '));
        } else applied = await applyPlan(applyDeps, plan, input);
        const latencyMs = deps.clock.now() - job.firstChangeAt;
        trace('apply', `${plan.action} done`, {
          itemId: applied?.itemId ?? link?.item_id ?? null,
          latencyMs,
        });
        onJobDone(job, {
          outcome: { kind: 'done' },
          traces,
          synced: {
            eventId: job.eventId,
            action: plan.action,
            mailbox:
              mailboxesById.get(plan.action === 'move' ? plan.toMailboxId : plan.mailboxId)?.address ??
              mailbox?.address ??
              null,
            providerKind: through.provider.kind,
            latencyMs,
          },
          forwardTo,
        });
      } catch (error) {
        if (error instanceof MailboxMissingError) {
          await markMailboxMissing(deps.db, {
            id: error.mailboxId,
            reason: error.message,
            now: deps.clock.now(),
          });
          const reason = waitingForMailbox(error.address, error.message);
          trace('wait', reason);
          onJobDone(job, {
            outcome: { kind: 'park', reason, mailboxId: error.mailboxId, delayMs: mailboxRecheckMs },
            traces,
          });
          return;
        }
        const message = `${plan.action} failed: ${describeError(error)}`;
        trace('error', message);
        if (error instanceof RetryableError) {
          const address =
            plan.action === 'move' ? mailboxesById.get(plan.toMailboxId)?.address : mailbox?.address;
          if (error.retryAfterMs !== undefined && address !== undefined && address !== null)
            deps.limiter.pause(address, error.retryAfterMs);
          onJobDone(job, {
            outcome: {
              kind: 'retry',
              message,
              ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
            },
            traces,
          });
        } else if (error instanceof PermanentError)
          onJobDone(job, { outcome: { kind: 'dead', reason: message }, traces });
        else onJobDone(job, { outcome: { kind: 'retry', message }, traces });
      }
    }),
  );
  return { salesforceCalls: read.calls, providerCalls };
}

/** How long an Event waits when its mailbox's provider cannot be used (its settings are being fixed). */
const providerProblemDelayMs = 60_000;

/** The provider a mailbox goes through, usable; or why it is not. */
function usableRoute(
  providers: TenantProviders,
  mailbox: MailboxRow | undefined,
): RoutedProvider | { problem: string } {
  const route = mailbox === undefined ? undefined : providers.route(mailbox);
  if (route === undefined)
    return { problem: `no mailbox provider is set up for ${mailbox?.address ?? 'the mailbox'}` };
  if ('problem' in route)
    return { problem: `the provider ${route.name} (${route.kind}) cannot be used: ${route.problem}` };
  return { id: route.id, provider: route.provider };
}

/**
 * A link to an item another provider made, seen from the provider the mailbox goes through now:
 * no item id is known there, and one may exist (when the link's item was live, or a create was
 * pending), so the next step looks for it by its Salesforce id before making or deleting one.
 */
function reroutedLink(
  link: LinkRow,
  route: { id: string; kind: LinkRow['provider_kind'] },
  now: number,
): LinkRow {
  const mayExist = link.state === 'active' || link.pending_create_at !== null;
  return {
    ...link,
    provider_id: route.id,
    provider_kind: route.kind,
    item_id: '',
    change_key: null,
    content_hash: '',
    state: 'deleted',
    pending_create_at: mayExist ? now : null,
  };
}

/**
 * How long an Event waits for a missing mailbox before it looks once more by itself (the engine
 * checks missing mailboxes every minute, and mapping the owner releases it at once).
 */
const mailboxRecheckMs = 60 * 60_000;

function waitingForMailbox(address: string, why: string | null): string {
  return `waiting for the mailbox ${address}: ${why ?? 'it does not exist'}. The Event syncs once the mailbox exists or its owner is mapped to another one`;
}

/** The read step's words: where the Event's record came from, and why it was read if it was. */
function howKnown(eventId: string, read: BatchRead, known: KnownFromChanges): string {
  const composed = known.composed.get(eventId);
  if (read.readFromSalesforce.has(eventId) || composed === undefined) {
    const lacking = read.incomplete.get(eventId);
    const why = lacking === undefined ? known.unknown.get(eventId) : `the record kept has no ${lacking}`;
    return why === undefined ? 'read the Event from Salesforce' : `read the Event from Salesforce: ${why}`;
  }
  const edits = composed.edits === 1 ? '1 edit' : `${composed.edits} edits`;
  if (composed.base === 'cdc-create')
    return composed.edits === 0
      ? 'the Event as CDC delivered it'
      : `the Event as CDC delivered it (a create and ${edits})`;
  return composed.edits === 0
    ? 'the last synced Event (no change recorded since)'
    : `the last synced Event with ${edits.replace('edit', 'CDC edit')} applied`;
}
