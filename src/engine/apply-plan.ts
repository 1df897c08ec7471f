// Carries out one Event's sync plan through the tenant's calendar provider, inside the mailbox's
// limits, and saves the link (with the Event record the sync used) after each call that changed
// the mailbox. It never decides what to do (plan-sync.ts does) and never reads Salesforce.
import type { Clock } from '../lib/clock.ts';
import { PermanentError } from '../lib/errors.ts';
import type { SyncPlan } from '../domain/plan-sync.ts';
import {
  ItemNotFoundError,
  MailboxNotFoundError,
  type CalendarProvider,
  type ItemRef,
} from '../providers/calendar-provider.ts';
import type { ClaimedJob } from '../store/jobs/job.ts';
import type { LinkRow, MailboxRow, TenantRow } from '../store/schema.ts';
import type { EngineMetrics, ProviderCallOutcome } from './engine-metrics.ts';
import type { MailboxLimiter } from './mailbox-limiter.ts';
import type { Repositories } from '../store/repositories.ts';

/** The provider said the mailbox a call went to does not exist: its Events wait for it. */
export class MailboxMissingError extends Error {
  override readonly name = 'MailboxMissingError';
  readonly mailboxId: string;
  readonly address: string;
  constructor(mailboxId: string, address: string, providerMessage: string) {
    super(providerMessage);
    this.mailboxId = mailboxId;
    this.address = address;
  }
}

/** A provider as a mailbox goes through it: which of the tenant's it is, and the client. */
export interface RoutedProvider {
  id: string;
  provider: CalendarProvider;
}

export interface ApplyDeps {
  repos: Repositories;
  clock: Clock;
  /** The provider the plan's mailbox goes through (a move's destination). */
  provider: CalendarProvider;
  providerId: string;
  /**
   * The provider a mailbox goes through: a move's former mailbox may go through another one (a
   * hybrid tenant), and its item is deleted there.
   */
  providerOf: (mailboxId: string) => RoutedProvider;
  limiter: MailboxLimiter;
  tenant: TenantRow;
  metrics?: EngineMetrics | undefined;
}

export interface ApplyInput {
  job: ClaimedJob;
  link: LinkRow | undefined;
  item: Parameters<CalendarProvider['create']>[1] | undefined;
  version: number | null;
  /** The Event record this sync used (JSON) and the highest change id it includes: kept with the link. */
  record: { json: string | null; throughChangeId: number | null };
  mailboxOf: (id: string) => MailboxRow | undefined;
  hash: string;
  /** The item may already be in the mailbox without a link (see TenantSyncDeps.installedAt). */
  mayExist: boolean;
  countCall: () => void;
  /** Ends the calls early: the engine gave the job up (its lease is at risk). */
  signal?: AbortSignal | undefined;
  /** An update of a series whose times, zone and pattern are as last written (CallOptions.keepSeriesTiming). */
  keepSeriesTiming?: boolean | undefined;
}

export async function applyPlan(
  deps: ApplyDeps,
  plan: Exclude<SyncPlan, { action: 'none' }>,
  input: ApplyInput,
): Promise<ItemRef | undefined> {
  const { provider, limiter } = deps;
  const options = { signal: input.signal };
  const mailboxIdOf = new Map<string, string>();
  const call = <T>(
    address: string,
    operation: string,
    work: () => Promise<T>,
    through: CalendarProvider = provider,
  ) => {
    input.countCall();
    return limiter.run(address, through.capabilities, input.signal, async () => {
      const started = performance.now();
      let outcome: ProviderCallOutcome = 'ok';
      try {
        return await work();
      } catch (error) {
        outcome =
          error instanceof ItemNotFoundError
            ? 'not-found'
            : error instanceof PermanentError
              ? 'permanent'
              : 'retryable';
        if (error instanceof MailboxNotFoundError)
          throw new MailboxMissingError(mailboxIdOf.get(address) ?? '', address, error.message);
        throw error;
      } finally {
        deps.metrics?.providerCall(through.kind, operation, performance.now() - started, outcome);
      }
    });
  };
  const addressOf = (mailboxId: string) => {
    const address = input.mailboxOf(mailboxId)?.address;
    if (address === undefined || address === null)
      throw new PermanentError(`mailbox ${mailboxId} has no address`);
    mailboxIdOf.set(address, mailboxId);
    return address;
  };
  const save = async (mailboxId: string, ref: ItemRef, state: 'active' | 'deleted') =>
    deps.repos.links.saveLink({
      tenant_id: deps.tenant.id,
      event_id: input.job.eventId,
      mailbox_id: mailboxId,
      provider_kind: provider.kind,
      provider_id: deps.providerId,
      item_id: ref.itemId,
      change_key: ref.changeKey,
      content_hash: input.hash,
      salesforce_version:
        input.version === null ? (input.link?.salesforce_version ?? null) : String(input.version),
      state,
      record_json: input.record.json,
      record_through_change_id: input.record.json === null ? null : input.record.throughChangeId,
      now: deps.clock.now(),
    });
  const create = async (mailboxId: string, findFirst: boolean): Promise<ItemRef> => {
    const address = addressOf(mailboxId);
    const item = input.item;
    if (item === undefined) throw new PermanentError('nothing to create');
    // The item may exist without a link (a lost database, an answer never saved): adopt it.
    const existing = findFirst
      ? await call(address, 'find', () => provider.findBySalesforceId(address, input.job.eventId, options))
      : undefined;
    if (existing === undefined)
      await deps.repos.links.markCreatePending({
        tenantId: deps.tenant.id,
        eventId: input.job.eventId,
        mailboxId,
        providerKind: provider.kind,
        providerId: deps.providerId,
        now: deps.clock.now(),
      });
    let ref: ItemRef;
    try {
      ref =
        existing === undefined
          ? await call(address, 'create', () =>
              provider.create(address, item, {
                ...options,
                idempotencyKey: `${input.job.eventId}-${input.version ?? 0}`,
              }),
            )
          : await call(address, 'update', () => provider.update(address, existing, item, options));
    } catch (error) {
      // No such mailbox: nothing was made, so the intent is dropped (a run once the mailbox exists
      // need not look for an item that cannot be there). Other refusals keep it: a provider may
      // have made the item before it answered with something unreadable.
      if (existing === undefined && error instanceof MailboxMissingError)
        await deps.repos.links.clearCreatePending({
          tenantId: deps.tenant.id,
          eventId: input.job.eventId,
          now: deps.clock.now(),
        });
      throw error;
    }
    await save(mailboxId, ref, 'active');
    return ref;
  };
  const linkRef = (): ItemRef => ({
    itemId: input.link?.item_id ?? '',
    changeKey: input.link?.change_key ?? null,
  });

  switch (plan.action) {
    case 'create':
      return create(
        plan.mailboxId,
        (input.link?.pending_create_at ?? null) !== null || (input.link === undefined && input.mayExist),
      );
    case 'update': {
      const address = addressOf(plan.mailboxId);
      const item = input.item;
      if (item === undefined) throw new PermanentError('nothing to update with');
      try {
        const ref = await call(address, 'update', () =>
          provider.update(address, linkRef(), item, {
            ...options,
            keepSeriesTiming: input.keepSeriesTiming,
          }),
        );
        await save(plan.mailboxId, ref, 'active');
        return ref;
      } catch (error) {
        if (!(error instanceof ItemNotFoundError)) throw error;
        return create(plan.mailboxId, false);
      }
    }
    case 'move': {
      const from = addressOf(plan.fromMailboxId);
      const former = deps.providerOf(plan.fromMailboxId).provider;
      await call(from, 'delete', () => former.delete(from, linkRef(), options), former);
      return create(plan.toMailboxId, true);
    }
    case 'delete': {
      const address = addressOf(plan.mailboxId);
      // An item only a lost create's answer knew of is found by its Salesforce id first.
      const ref =
        input.link?.state === 'active'
          ? linkRef()
          : await call(address, 'find', () =>
              provider.findBySalesforceId(address, input.job.eventId, options),
            );
      if (ref !== undefined) await call(address, 'delete', () => provider.delete(address, ref, options));
      await save(plan.mailboxId, ref ?? linkRef(), 'deleted');
      return undefined;
    }
  }
}
