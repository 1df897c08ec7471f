// One tenant's subscription to /data/EventChangeEvent over the Pub/Sub API. Events are buffered
// as they arrive and committed in small batches: the change rows, their jobs and the new replay
// id in one transaction, so the replay id never runs ahead of what was recorded (after a crash
// the batch is delivered again and recorded once). A replay id out of retention means changes may
// have been missed: the subscription restarts from the latest event and asks for reconciliation
// from the last commit it saw; so does a GAP_OVERFLOW event.
import type { Clock } from '../../lib/clock.ts';
import { describeError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import type { IncomingChange } from '../../store/changes/record-changes.ts';
import { cdcChangePayload, type FieldListHeader } from './cdc-event-record.ts';
import type { ChangeType, TenantRow } from '../../store/schema.ts';
import type { SalesforceSession, SessionSource } from '../../salesforce/salesforce-sessions.ts';
import { PubSubSubscriber, unwrapUnion, type PubSubEvent } from './pubsub-client.ts';
import { refusalOf, salesforceWords, type CdcRefusal } from './cdc-fallback.ts';
import type { Repositories } from '../../store/repositories.ts';

export const eventChangeTopic = '/data/EventChangeEvent';

export interface CdcPosition {
  /** The last replay id recorded, as a decimal string (replay ids are 64-bit). */
  replayId: string;
  /** Commit time of that change: where reconciliation starts if the stream loses its place. */
  commitTimestamp: number;
}

export interface CdcSubscriptionDeps {
  repos: Repositories;
  clock: Clock;
  logger: Logger;
  sessions: SessionSource;
  orgId: string;
  pubSubEndpoint: string;
  extraCaPem: string | undefined;
  /** Called when changes may have been missed: poll from `since`. */
  reconcile: (since: number, reason: string) => Promise<void>;
  /**
   * Called once the subscription is known to work: its first events arrived, or it stayed open
   * `liveAfterMs` (Salesforce refuses a subscription at its first request, and an idle stream hears
   * nothing for minutes).
   */
  onLive?: () => void;
  liveAfterMs?: number;
}

/**
 * `stopped` by stop(); `failed`: the stream broke (reconnect with backoff; `refusal` says when
 * Salesforce refused it for a reason that will not pass by itself soon); `store-failed`: the
 * database could not be read or written (reconnect as soon as it answers again: Salesforce is fine).
 */
export type SubscriptionEnd = 'stopped' | 'failed' | 'store-failed';

interface Header extends FieldListHeader {
  changeType: string;
  recordIds: string[];
  commitTimestamp: number;
}

const changeTypes: Record<string, ChangeType> = {
  CREATE: 'create',
  UPDATE: 'update',
  DELETE: 'delete',
  UNDELETE: 'undelete',
  GAP_CREATE: 'resync',
  GAP_UPDATE: 'resync',
  GAP_DELETE: 'resync',
  GAP_UNDELETE: 'resync',
};

const flushDelayMs = 25;
const maxBatch = 500;

export class CdcSubscription {
  readonly #deps: CdcSubscriptionDeps;
  readonly #tenant: TenantRow;
  #subscriber: PubSubSubscriber | undefined;
  #buffer: PubSubEvent[] = [];
  #flushing: Promise<void> = Promise.resolve();
  #flushTimer: NodeJS.Timeout | undefined;
  #settle: ((end: SubscriptionEnd) => void) | undefined;
  #stopped = false;
  #commitFailed = false;
  #liveTimer: NodeJS.Timeout | undefined;
  #live = false;
  /** Why Salesforce refused the stream, when it said something that will not pass on its own soon. */
  refusal: CdcRefusal | undefined;
  /** Salesforce's words for the last end of the stream. */
  lastError: string | undefined;

  constructor(deps: CdcSubscriptionDeps, tenant: TenantRow) {
    this.#deps = deps;
    this.#tenant = tenant;
  }

  /** Subscribes; resolves when the stream ends: `stopped` by stop(), `failed` otherwise (reconnect then). */
  async run(): Promise<SubscriptionEnd> {
    let position: CdcPosition | undefined;
    try {
      position = await this.#position();
    } catch (error) {
      this.#deps.logger.warn(
        { tenant: this.#tenant.slug, error: describeError(error) },
        'could not read the CDC position from the database; subscribing once it answers',
      );
      return 'store-failed';
    }
    const session = await this.#deps.sessions.session();
    const ended = new Promise<SubscriptionEnd>((resolve) => (this.#settle = resolve));
    const subscriber = new PubSubSubscriber({
      endpoint: this.#deps.pubSubEndpoint,
      accessToken: session.accessToken,
      instanceUrl: session.instanceUrl,
      orgId: this.#deps.orgId,
      extraCaPem: this.#deps.extraCaPem,
    });
    this.#subscriber = subscriber;
    subscriber.subscribe(
      eventChangeTopic,
      position === undefined
        ? { preset: 'latest' }
        : { preset: 'custom', replayId: BigInt(position.replayId) },
      {
        onEvents: (events) => this.#receive(events),
        onEnd: (end) =>
          void this.#onEnd(end.details, end.errorCode, position, session)
            .catch((error: unknown) =>
              // The database went away while the stream ended: the next run starts over.
              this.#deps.logger.warn(
                { tenant: this.#tenant.slug, error: describeError(error) },
                'could not handle the end of the CDC stream',
              ),
            )
            .finally(() => this.#finish('failed')),
      },
    );
    this.#liveTimer = setTimeout(() => this.#markLive(), this.#deps.liveAfterMs ?? 15_000);
    this.#deps.logger.info(
      { tenant: this.#tenant.slug, from: position?.replayId ?? 'latest' },
      'subscribed to Event change data capture',
    );
    return ended;
  }

  /** Ends the subscription after committing what was received. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#flushNow();
    this.#finish('stopped');
  }

  #markLive(): void {
    clearTimeout(this.#liveTimer);
    if (this.#live || this.#settle === undefined) return;
    this.#live = true;
    this.#deps.onLive?.();
  }

  #receive(events: PubSubEvent[]): void {
    this.#markLive();
    this.#buffer.push(...events);
    if (this.#buffer.length >= maxBatch) void this.#flushNow();
    else this.#flushTimer ??= setTimeout(() => void this.#flushNow(), flushDelayMs);
  }

  /** Handles the end of the stream; the caller then finishes the run as failed (a reconnect). */
  async #onEnd(
    details: string,
    errorCode: string | undefined,
    position: CdcPosition | undefined,
    session: SalesforceSession,
  ): Promise<void> {
    if (this.#stopped) return;
    const { logger } = this.#deps;
    const code = errorCode ?? details;
    clearTimeout(this.#liveTimer);
    this.lastError = salesforceWords(errorCode, details);
    this.refusal = refusalOf(errorCode, details);
    await this.#flushNow();
    if (code.includes('replayid')) {
      const since =
        (await this.#position())?.commitTimestamp ?? position?.commitTimestamp ?? this.#deps.clock.now();
      logger.warn(
        { tenant: this.#tenant.slug, replayId: position?.replayId, since: new Date(since).toISOString() },
        'the stored CDC replay id is outside the 72-hour retention: resubscribing from the latest event and reconciling by polling from the last change seen',
      );
      await this.#deps.repos.intakePositions.forgetPosition(this.#tenant.id, 'cdc');
      await this.#deps
        .reconcile(since, 'CDC replay id out of retention')
        .catch((error: unknown) =>
          logger.error(
            { tenant: this.#tenant.slug, err: error },
            'reconciliation failed; polling will catch up',
          ),
        );
    } else if (code.includes('auth')) {
      logger.info({ tenant: this.#tenant.slug }, 'the Pub/Sub API refused the session; refreshing it');
      await this.#deps.sessions.rejected(session).catch(() => undefined);
    } else if (this.refusal !== undefined) {
      // The scheduler says so when the tenant's CDC state changes, not at every retry.
      logger.debug({ tenant: this.#tenant.slug, error: details }, 'the Pub/Sub API refused the subscription');
    } else {
      logger.warn({ tenant: this.#tenant.slug, error: details }, 'the CDC stream ended; reconnecting');
    }
  }

  #flushNow(): Promise<void> {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    const batch = this.#buffer;
    this.#buffer = [];
    if (batch.length > 0) {
      this.#flushing = this.#flushing
        // After a batch failed to commit, later ones never are: their replay id would pass the
        // failed batch's events. The next run is delivered them all again from the last commit.
        .then(() => (this.#commitFailed ? undefined : this.#commit(batch)))
        .catch((error: unknown) => {
          this.#commitFailed = true;
          this.#deps.logger.error(
            { tenant: this.#tenant.slug, error: describeError(error) },
            'could not record CDC changes; the stream restarts from the last recorded replay id',
          );
          this.#finish('store-failed');
        });
    }
    return this.#flushing;
  }

  async #commit(batch: PubSubEvent[]): Promise<void> {
    const changes: IncomingChange[] = [];
    let overflowSince: number | undefined;
    for (const event of batch) {
      const header = event.payload['ChangeEventHeader'] as Header;
      const committedAt = Number(header.commitTimestamp);
      if (header.changeType === 'GAP_OVERFLOW') {
        overflowSince ??= committedAt;
        continue;
      }
      // An invitee's copy of an Event (IsChild) is never synced: its owner's original is.
      if (unwrapUnion(event.payload['IsChild']) === true) continue;
      const changeType = changeTypes[header.changeType];
      if (changeType === undefined) continue;
      for (const recordId of header.recordIds) {
        // A CREATE of one Event carries all of it, an UPDATE its changed fields: kept, they
        // spare the engine a read.
        const payload = cdcChangePayload(event, header, recordId, committedAt);
        changes.push({
          eventId: recordId,
          changeType,
          source: 'cdc',
          dedupeKey: `cdc:${event.replayId}:${recordId}`,
          committedAt,
          ...(payload === undefined ? {} : { payload }),
        });
      }
    }
    const last = batch.at(-1);
    if (last === undefined) return;
    const header = last.payload['ChangeEventHeader'] as Header;
    const position: CdcPosition = {
      replayId: last.replayId.toString(),
      commitTimestamp: Number(header.commitTimestamp),
    };
    const result = await this.#deps.repos.changes.recordChanges({
      tenantId: this.#tenant.id,
      settleWindowMs: this.#tenant.settle_window_ms,
      now: this.#deps.clock.now(),
      changes,
      position: { source: 'cdc', value: JSON.stringify(position) },
    });
    this.#deps.logger.debug(
      {
        tenant: this.#tenant.slug,
        source: 'cdc',
        recorded: result.recorded,
        duplicates: result.duplicates,
        replayId: position.replayId,
      },
      'changes received',
    );
    if (overflowSince !== undefined)
      await this.#deps.reconcile(overflowSince, 'CDC GAP_OVERFLOW: too many changes to describe');
  }

  async #position(): Promise<CdcPosition | undefined> {
    const stored = await this.#deps.repos.intakePositions.readPosition(this.#tenant.id, 'cdc');
    return stored === undefined ? undefined : (JSON.parse(stored) as CdcPosition);
  }

  #finish(end: SubscriptionEnd): void {
    clearTimeout(this.#flushTimer);
    clearTimeout(this.#liveTimer);
    this.#subscriber?.close();
    this.#subscriber = undefined;
    this.#settle?.(end);
    this.#settle = undefined;
  }
}
