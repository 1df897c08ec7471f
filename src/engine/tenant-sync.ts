// The sync step for one tenant's batch of jobs: gather what the batch needs (links, what the
// recorded changes tell, a Salesforce read of the rest: known-from-changes.ts, read-batch.ts), then
// for each Event: decide what it should be (domain/decide-sync.ts, pure), plan against its link
// (domain/plan-sync.ts, pure), apply through the provider within the mailbox's limits and save the
// link with the record used (apply-plan.ts), and trace each step. Each job's result (outcome,
// traces, the record to keep with an unchanged link) is handed to the caller the moment that job
// is done, so one slow Event never holds back the others; one Event's failure never stops them.
import { decideSync, type MailboxView, type RouteView, type SyncDecision } from '../domain/decide-sync.ts';
import type { ExclusionRule } from '../domain/exclusion-rules.ts';
import { planSync, type SyncPlan } from '../domain/plan-sync.ts';
import type { SalesforceEvent } from '../domain/salesforce-event.ts';
import type { Clock } from '../lib/clock.ts';
import { contentDigest } from '../lib/content-digest.ts';
import { describeError, PermanentError, ReconnectRequiredError, RetryableError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import type { SalesforceRestClient } from '../salesforce/rest-client.ts';
import type { ClaimedJob } from '../store/jobs/job.ts';
import type { KnownFromChanges } from '../store/changes/known-from-changes.ts';
import type { LinkRecord } from '../store/links-repository.ts';
import type { LinkRow, MailboxRow, TenantRow } from '../store/schema.ts';
import type { SeriesMember } from '../store/series-repository.ts';
import type { NewTrace } from '../store/traces-repository.ts';
import { applyPlan, MailboxMissingError, type ApplyInput, type RoutedProvider } from './apply-plan.ts';
import { applySeries, parseSeriesState } from './apply-series.ts';
import type { EngineMetrics } from './engine-metrics.ts';
import type { JobOutcome } from './job-queue.ts';
import type { MailboxLimiter } from './mailbox-limiter.ts';
import type { ProviderLookup, TenantProviders } from './provider-source.ts';
import { readBatch, type BatchRead } from './read-batch.ts';
import type { UserDirectory } from './user-directory.ts';
import type { Repositories } from '../store/repositories.ts';

export interface TenantSyncDeps {
  repos: Repositories;
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
  const batch = await gatherBatch(deps, jobs);
  if ('failed' in batch) {
    for (const job of jobs) onJobDone(job, { outcome: batch.failed, traces: [] });
    return { salesforceCalls: 0, providerCalls: 0 };
  }
  let providerCalls = 0;
  const countCall = () => providerCalls++;
  await Promise.all(jobs.map(async (job) => onJobDone(job, await syncEvent(deps, batch, job, countCall))));
  return { salesforceCalls: batch.read.calls, providerCalls };
}

/** What a batch's Events need, gathered in a few queries and Salesforce calls for all of them. */
interface Batch {
  rules: ExclusionRule[];
  internalDomains: string[];
  /** Each Event's link, if it has one. */
  links: Map<string, LinkRow>;
  known: KnownFromChanges;
  read: BatchRead;
  /** Every mailbox an Event of the batch is or was in, by id. */
  mailboxesById: Map<string, MailboxRow>;
  /** Occurrence records known from earlier syncs, for those the read did not place in a series. */
  members: Map<string, SeriesMember>;
  /** For each series record read: its occurrence records' first-seen dates. */
  knownSlots: Map<string, Map<string, string>>;
  eventIds: Set<string>;
}

/**
 * The batch's links, what its recorded changes tell, the Salesforce read of the rest, their
 * mailboxes and series; or, when the read failed, what every job of the batch comes to.
 */
async function gatherBatch(
  deps: TenantSyncDeps,
  jobs: readonly ClaimedJob[],
): Promise<Batch | { failed: JobOutcome }> {
  const { repos, tenant } = deps;
  const eventIds = jobs.map((j) => j.eventId);
  const rules = JSON.parse(tenant.exclusion_rules_json) as ExclusionRule[];
  const links = await repos.links.findLinks(tenant.id, eventIds);
  // Events whose record is known (a base record and the CDC edits recorded after it), and Events
  // whose latest change is their deletion, need no read. Asked before any read is sent: a record
  // read after this includes every change it saw (known.latestChangeId).
  const known = await repos.changes.knownFromChanges(tenant.id, eventIds, links);
  const composed = new Map([...known.composed].map(([eventId, event]) => [eventId, event.record]));
  let read: BatchRead;
  try {
    read = await readBatch(
      { repos, clock: deps.clock, rest: deps.rest, tenantId: tenant.id, users: deps.users },
      eventIds,
      rules.map((rule) => rule.field),
      composed,
      known.deleted,
    );
  } catch (error) {
    return { failed: readFailure(error) };
  }
  const mailboxesById = new Map<string, MailboxRow>([...read.mailboxes.values()].map((m) => [m.id, m]));
  const linkMailboxIds = [...new Set([...links.values()].map((l) => l.mailbox_id))];
  const unknownMailboxes = linkMailboxIds.filter((id) => !mailboxesById.has(id));
  for (const row of await repos.mailboxes.findMailboxesByIds(unknownMailboxes))
    mailboxesById.set(row.id, row);
  // Occurrence records of a series, known from earlier syncs: a deleted one still finds its
  // series. Asked only for Events that are gone, or occurrences whose series was not found.
  const unplaced = eventIds.filter((id) => {
    const found = read.events.get(id);
    if (found === null || found === undefined) return true;
    return !('problem' in found) && found.event.occurrence !== null && !read.seriesOf.has(id);
  });
  const members =
    unplaced.length === 0
      ? new Map<string, SeriesMember>()
      : await repos.series.findSeriesMembers(tenant.id, unplaced);
  const seriesRecords = eventIds.filter((id) => {
    const found = read.events.get(id);
    return found !== null && found !== undefined && !('problem' in found) && found.event.isSeries;
  });
  const knownSlots = await repos.series.knownSlotsOfSeries(tenant.id, seriesRecords);
  return {
    rules,
    internalDomains: JSON.parse(tenant.internal_domains_json) as string[],
    links,
    known,
    read,
    mailboxesById,
    members,
    knownSlots,
    eventIds: new Set(eventIds),
  };
}

/** What every job of a batch comes to when reading its Events from Salesforce failed. */
function readFailure(error: unknown): JobOutcome {
  if (error instanceof ReconnectRequiredError)
    // Due at once: a tenant that must reconnect is not claimed (its jobs are paused), so they run
    // the moment it is connected again, not a minute later.
    return { kind: 'postpone', reason: error.message, delayMs: 0 };
  return {
    kind: 'retry',
    message: `reading the Events from Salesforce failed: ${describeError(error)}`,
    ...(error instanceof RetryableError && error.retryAfterMs !== undefined
      ? { retryAfterMs: error.retryAfterMs }
      : {}),
  };
}

/** The steps of one Event's story in this run, as the trace rows its job's settling writes. */
interface Story {
  add(step: string, message: string, data?: Record<string, unknown>): void;
  readonly steps: NewTrace[];
}

function storyOf(deps: TenantSyncDeps, job: ClaimedJob): Story {
  const steps: NewTrace[] = [];
  return {
    steps,
    add: (step, message, data) =>
      steps.push({
        tenant_id: deps.tenant.id,
        event_id: job.eventId,
        job_id: job.id,
        at: deps.clock.now(),
        step,
        message,
        data_json: data === undefined ? null : JSON.stringify(data),
      }),
  };
}

/** One Event of the batch: its link, what it should be (decideSync), the plan, and the plan applied. */
async function syncEvent(
  deps: TenantSyncDeps,
  batch: Batch,
  job: ClaimedJob,
  countCall: () => void,
): Promise<JobResult> {
  const story = storyOf(deps, job);
  const link = currentLink(deps, batch, job.eventId, story);
  const found = batch.read.events.get(job.eventId) ?? null;
  const event = found === null || 'problem' in found ? undefined : found.event;
  // The record this sync uses, kept with the link: later CDC edits are folded onto it. A record
  // composed without edits keeps the text it was read from.
  const composed = batch.known.composed.get(job.eventId);
  const used =
    found === null || 'problem' in found
      ? { json: null, throughChangeId: null }
      : {
          json:
            composed?.json !== undefined && composed.record === found.record
              ? composed.json
              : JSON.stringify(found.record),
          throughChangeId: batch.read.readFromSalesforce.has(job.eventId)
            ? (batch.known.latestChangeId.get(job.eventId) ?? null)
            : (composed?.throughChangeId ?? null),
        };
  if (found === null) story.add('read', 'the Event is gone from Salesforce');
  else if (event !== undefined)
    story.add('read', howKnown(job.eventId, batch.read, batch.known), {
      version: new Date(event.version).toISOString(),
      ...(used.throughChangeId === null ? {} : { throughChangeId: used.throughChangeId }),
    });

  const mailbox = event === undefined ? undefined : batch.read.mailboxes.get(event.ownerId);
  const decision = decideSync({
    found,
    seriesFromRead: batch.read.seriesOf.get(job.eventId),
    seriesFromEarlierSyncs: batch.members.get(job.eventId)?.seriesEventId,
    rules: batch.rules,
    mailbox: mailbox === undefined ? undefined : mailboxView(mailbox),
    route: () => routeView(mailbox === undefined ? undefined : deps.providers.route(mailbox)),
    invitees: event === undefined ? [] : (batch.read.invitees.get(event.id) ?? []),
    invitationPolicy: deps.tenant.invitation_policy,
    internalDomains: batch.internalDomains,
    occurrences: event === undefined ? [] : (batch.read.occurrences.get(event.id) ?? []),
    knownSlots: (event === undefined ? undefined : batch.knownSlots.get(event.id)) ?? new Map(),
    digest: contentDigest,
  });
  if (decision.kind === 'wait') {
    story.add('wait', decision.reason);
    return {
      outcome: { kind: 'postpone', reason: decision.reason, delayMs: providerProblemDelayMs },
      traces: story.steps,
    };
  }
  for (const note of decision.mapNotes) story.add('map', note);
  const { desired } = decision;
  // A series synced in this batch read its occurrence records after this change was recorded.
  const forwardTo =
    decision.seriesOf !== undefined && batch.eventIds.has(decision.seriesOf) ? undefined : decision.seriesOf;

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
  story.add(
    plan.action === 'none' && desired.kind === 'unmappable' ? 'skip' : 'plan',
    `${plan.action}: ${plan.reason}`,
    {
      action: plan.action,
    },
  );
  if (plan.action === 'none') {
    const keep =
      link !== undefined &&
      used.json !== null &&
      (used.json !== link.record_json || used.throughChangeId !== link.record_through_change_id);
    return {
      outcome: { kind: 'done' },
      traces: story.steps,
      linkRecord: keep
        ? { eventId: job.eventId, recordJson: used.json, recordThroughChangeId: used.throughChangeId }
        : undefined,
      skipped: desired.kind === 'unmappable' ? { eventId: job.eventId, reason: plan.reason } : undefined,
      forwardTo,
    };
  }

  return applyToMailbox(
    deps,
    batch,
    job,
    { plan, decision, link, used, event, gone: found === null, forwardTo },
    story,
    countCall,
  );
}

/** What syncEvent decided, for applying it. */
interface Decided {
  plan: Exclude<SyncPlan, { action: 'none' }>;
  decision: SyncDecision & { kind: 'desired' };
  link: LinkRow | undefined;
  used: ApplyInput['record'];
  event: SalesforceEvent | undefined;
  /** The Event is gone from Salesforce. */
  gone: boolean;
  /** The series whose job this Event's makes due (JobResult.forwardTo). */
  forwardTo: string | undefined;
}

/**
 * A plan carried out in the mailbox: unless the mailbox is known to be missing or its provider
 * cannot be used (the job waits), through its provider within the mailbox's limits; a failure
 * becomes the job's outcome (park, retry or dead letter).
 */
async function applyToMailbox(
  deps: TenantSyncDeps,
  batch: Batch,
  job: ClaimedJob,
  { plan, decision, link, used, event, gone, forwardTo }: Decided,
  story: Story,
  countCall: () => void,
): Promise<JobResult> {
  const { desired } = decision;
  // A mailbox the provider said does not exist is not asked again for each Event: they wait.
  const targetId = plan.action === 'move' ? plan.toMailboxId : plan.mailboxId;
  const target = batch.mailboxesById.get(targetId);
  if (target?.missing_since !== null && target?.missing_since !== undefined) {
    const reason = waitingForMailbox(target.address ?? targetId, target.missing_reason);
    story.add('wait', reason);
    return {
      outcome: { kind: 'park', reason, mailboxId: targetId, delayMs: mailboxRecheckMs },
      traces: story.steps,
    };
  }
  const through = usableRoute(deps.providers, target);
  if ('problem' in through) {
    story.add('wait', through.problem);
    return {
      outcome: { kind: 'postpone', reason: through.problem, delayMs: providerProblemDelayMs },
      traces: story.steps,
    };
  }
  const providerOf = (mailboxId: string): RoutedProvider => {
    const route = usableRoute(deps.providers, batch.mailboxesById.get(mailboxId));
    if ('problem' in route) throw new RetryableError(route.problem);
    return route;
  };
  const applyDeps = { ...deps, provider: through.provider, providerId: through.id, providerOf };
  try {
    const input: ApplyInput = {
      job,
      link,
      item: decision.item,
      version: event?.version ?? null,
      record: used,
      mailboxOf: (id) => batch.mailboxesById.get(id),
      hash: desired.kind === 'item' ? desired.hash : (link?.content_hash ?? ''),
      mayExist:
        job.attempts > 1 ||
        event === undefined ||
        event.createdAt === null ||
        event.createdAt < deps.installedAt,
      countCall,
      signal: deps.signalOf?.(job),
    };
    let applied;
    // A series record, or a deleted Event whose item may be a series (its state says).
    const seriesState =
      event?.isSeries === true || (gone && link !== undefined)
        ? parseSeriesState(await deps.repos.series.findSeriesState(deps.tenant.id, job.eventId))
        : undefined;
    if (decision.series !== undefined || seriesState !== undefined) {
      const done = await applySeries(applyDeps, plan, input, decision.series, seriesState);
      applied = done.ref;
      if (done.notes.length > 0) story.add('apply', done.notes.join('; '));
    } else applied = await applyPlan(applyDeps, plan, input);
    const latencyMs = deps.clock.now() - job.firstChangeAt;
    story.add('apply', `${plan.action} done`, {
      itemId: applied?.itemId ?? link?.item_id ?? null,
      latencyMs,
    });
    return {
      outcome: { kind: 'done' },
      traces: story.steps,
      synced: {
        eventId: job.eventId,
        action: plan.action,
        mailbox: target?.address ?? null,
        providerKind: through.provider.kind,
        latencyMs,
      },
      forwardTo,
    };
  } catch (error) {
    return { outcome: await failureOutcome(deps, plan, target, error, story), traces: story.steps };
  }
}

/**
 * What a failed apply comes to: a mailbox the provider says does not exist is marked and the job
 * parked; a provider's "wait" (Retry-After) pauses the mailbox and postpones the job by that much
 * without spending an attempt; another retryable failure retries; a permanent one is a dead letter.
 */
async function failureOutcome(
  deps: TenantSyncDeps,
  plan: Exclude<SyncPlan, { action: 'none' }>,
  target: MailboxRow | undefined,
  error: unknown,
  story: Story,
): Promise<JobOutcome> {
  if (error instanceof MailboxMissingError) {
    await deps.repos.mailboxes.markMailboxMissing({
      id: error.mailboxId,
      reason: error.message,
      now: deps.clock.now(),
    });
    const reason = waitingForMailbox(error.address, error.message);
    story.add('wait', reason);
    return { kind: 'park', reason, mailboxId: error.mailboxId, delayMs: mailboxRecheckMs };
  }
  const message = `${plan.action} failed: ${describeError(error)}`;
  story.add('error', message);
  if (error instanceof RetryableError) {
    if (error.retryAfterMs !== undefined) {
      // The provider asked for a pause (429, or 503 with Retry-After): the mailbox waits it out,
      // and so does the job, without spending an attempt. Being throttled is not a failure of the
      // Event: counted as one, a mailbox kept busy for a minute (by requests still running at the
      // provider after their connection dropped, say) ran Events out of their attempts.
      if (target?.address !== undefined && target.address !== null)
        deps.limiter.pause(target.address, error.retryAfterMs);
      return { kind: 'postpone', reason: message, delayMs: error.retryAfterMs };
    }
    return { kind: 'retry', message };
  }
  if (error instanceof PermanentError) return { kind: 'dead', reason: message };
  return { kind: 'retry', message };
}

/**
 * The Event's link as the provider its mailbox goes through now sees it. An item id means
 * something only to the provider that made it: when the link's mailbox goes through another
 * provider now (a hybrid tenant moved it; assigning a provider points the links at it at once,
 * this catches a sync that finished meanwhile), the item is looked for there by its Salesforce id
 * before one is made, so a mailbox moved with its items keeps them.
 */
function currentLink(deps: TenantSyncDeps, batch: Batch, eventId: string, story: Story): LinkRow | undefined {
  const link = batch.links.get(eventId);
  if (link === undefined) return undefined;
  const linkMailbox = batch.mailboxesById.get(link.mailbox_id);
  const route =
    linkMailbox === undefined ? deps.providers.byId(link.provider_id) : deps.providers.route(linkMailbox);
  if (route === undefined || link.provider_id === route.id) return link;
  story.add(
    'read',
    `the calendar item was made through another provider (${link.provider_kind}); the mailbox goes through ${route.name} (${route.kind}) now: the item is looked for there by its Salesforce id`,
  );
  return reroutedLink(link, route, deps.clock.now());
}

function mailboxView(row: MailboxRow): MailboxView {
  return {
    id: row.id,
    state: row.state,
    address: row.address,
    timeZone: row.time_zone,
    lastError: row.last_error,
  };
}

function routeView(lookup: ProviderLookup | undefined): RouteView {
  if (lookup === undefined) return undefined;
  if ('problem' in lookup) return { name: lookup.name, problem: lookup.problem };
  return { cannotWrite: (item) => lookup.provider.cannotWrite(item) };
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
