// The Pub/Sub API (gRPC over TLS) of the sandbox orgs, from Salesforce's own pubsub_api.proto:
// Subscribe (a bidirectional stream with flow control by num_requested and the LATEST, EARLIEST
// and CUSTOM replay presets), GetSchema and GetTopic. Callers authenticate with the accesstoken,
// instanceurl and tenantid metadata, as with Salesforce. Only /data/EventChangeEvent exists.
// Like Salesforce's one endpoint for every org, one server serves any number of orgs: each call
// goes to the org its tenantid names, and only that org's tokens and instance URL are accepted.
// Every event delivered to every subscription spends the org's event delivery allocation; once it
// is spent, deliveries end the subscription with Salesforce's limit error and new subscriptions
// are refused, until the last 24 hours' usage is under the allocation again.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { LocalTls } from '../../local-tls.ts';
import { eventChangeEventSchemaId, eventChangeEventSchemaJson } from './change-event-schema.ts';
import type { ChangeEventLog, LoggedEvent } from './change-event-log.ts';

export const eventTopic = '/data/EventChangeEvent';
const maxBatch = 100;

export interface PubSubServerOptions {
  tls: LocalTls;
  /** How often an idle stream gets a keepalive FetchResponse (Salesforce: 270 s). */
  keepaliveMs: number;
}

/** What the server needs of one org to serve its change events. */
export interface PubSubOrgBinding {
  log: ChangeEventLog;
  orgId: string;
  instanceUrl: () => string;
  /** Whether the token is a live access token of this org. */
  authenticate: (accessToken: string) => boolean;
  /** Whether the org admin selected Event for change data capture. */
  cdcEnabled: () => boolean;
  /** The org's event delivery allocation (DailyDeliveredPlatformEvents), which every delivery spends. */
  deliveries: { remaining(): number; spend(count: number): void };
  /** Delay between a commit and its delivery, as Salesforce's bus takes a moment. */
  deliveryDelayMs: () => number;
}

interface FetchRequest {
  topicName?: string;
  replayPreset?: number | string;
  replayId?: Buffer;
  numRequested?: number;
}

const errorCodes = {
  auth: 'sfdc.platform.eventbus.grpc.service.auth.error',
  topic: 'sfdc.platform.eventbus.grpc.service.topic.not.found',
  replay: 'sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted',
  request: 'sfdc.platform.eventbus.grpc.fetch.invalid.request',
  limit: 'sfdc.platform.eventbus.grpc.subscription.limit.exceeded',
};

/** The gRPC status names a refusal can take (every status but OK). */
export type RefusalCode = Exclude<keyof typeof grpc.status, 'OK'>;
export const refusalCodes = Object.keys(grpc.status).filter(
  (name) => Number.isNaN(Number(name)) && name !== 'OK',
) as [RefusalCode, ...RefusalCode[]];

/**
 * How the org's Pub/Sub service refuses subscriptions for a while: a gRPC status (default
 * UNAVAILABLE), with Salesforce's `error-code` trailer when `errorCode` is given.
 */
export interface Refusal {
  code?: RefusalCode;
  errorCode?: string;
  details?: string;
}

function failure(code: grpc.status, errorCode: string, details: string): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  metadata.set('error-code', errorCode);
  return { code, details: `${errorCode}: ${details} rpcId: ${randomUUID()}`, metadata };
}

export function encodeReplayId(replayId: bigint): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64BE(replayId);
  return buffer;
}

/** One org as the server serves it. */
export interface PubSubOrg {
  /**
   * The org's open subscriptions that have started (their replay position is set), events
   * delivered to them so far, and FetchRequests they made (each adds to its subscription's
   * pending events, up to 100 in all).
   */
  stats(): { subscribers: number; delivered: number; fetchRequests: number };
  /** Ends every open subscription of the org as a Salesforce outage would. */
  breakStreams(): void;
  /**
   * Ends every open subscription of the org and refuses its new ones for `ms`: with UNAVAILABLE
   * as an outage does, or as `refusal` says (a permission lost, the service refusing).
   */
  outage(ms: number, refusal?: Refusal): void;
  /** Ends the org's subscriptions and stops serving it: its calls are refused as an unknown tenant's. */
  detach(): void;
}

export interface PubSubServer {
  /** host:port of the gRPC endpoint (TLS). */
  endpoint: string;
  /** Serves one more org; its id (the first 15 characters) must be new to this server. */
  addOrg(binding: PubSubOrgBinding): PubSubOrg;
  /** Ends every subscription of every org and stops the server. */
  close(): Promise<void>;
}

type Stream = grpc.ServerDuplexStream<FetchRequest, unknown>;

/** An org the server serves, with its own streams and counters. */
interface OrgEntry {
  key: string;
  binding: PubSubOrgBinding;
  streams: Set<Stream>;
  started: Set<Stream>;
  delivered: number;
  fetchRequests: number;
  /** Until when (wall clock) the org's Pub/Sub service is down: its subscriptions are refused. */
  downUntil: number;
  /** How its subscriptions are refused meanwhile. */
  downWith: Refusal;
}

/** The status a refusal ends a subscription with (an outage's UNAVAILABLE when it says nothing). */
function refusalStatus(refusal: Refusal): Partial<grpc.StatusObject> {
  const code = grpc.status[refusal.code ?? 'UNAVAILABLE'];
  const details =
    refusal.details ??
    (code === grpc.status.UNAVAILABLE
      ? 'the Pub/Sub service is unavailable'
      : 'the Pub/Sub service refused the subscription');
  return refusal.errorCode === undefined ? { code, details } : failure(code, refusal.errorCode, details);
}

// Salesforce documents the error code and message of a spent delivery allocation ("an error is
// returned and the subscription is disconnected") but not its gRPC status; RESOURCE_EXHAUSTED is
// the sandbox's choice, the status gRPC defines for a quota spent.
const limitExceeded = () =>
  failure(
    grpc.status.RESOURCE_EXHAUSTED,
    errorCodes.limit,
    'You have exceeded the event delivery limit for your org.',
  );

export async function startPubSubServer(options: PubSubServerOptions): Promise<PubSubServer> {
  const definition = protoLoader.loadSync(fileURLToPath(new URL('./pubsub_api.proto', import.meta.url)), {});
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    eventbus: { v1: { PubSub: { service: grpc.ServiceDefinition } } };
  };
  const server = new grpc.Server();
  /** Orgs by the first 15 characters of their id, the part of a tenantid that names the org. */
  const orgs = new Map<string, OrgEntry>();
  /** Every open stream, whichever org (if any) it names, so closing the server ends them all. */
  const streams = new Set<Stream>();

  const orgOf = (metadata: grpc.Metadata): OrgEntry | undefined =>
    orgs.get(String(metadata.get('tenantid')[0] ?? '').slice(0, 15));

  const authError = (
    org: OrgEntry | undefined,
    metadata: grpc.Metadata,
  ): Partial<grpc.StatusObject> | undefined => {
    const token = String(metadata.get('accesstoken')[0] ?? '');
    const instance = String(metadata.get('instanceurl')[0] ?? '');
    if (
      org === undefined ||
      orgs.get(org.key) !== org ||
      instance.replace(/\/+$/, '') !== org.binding.instanceUrl() ||
      !org.binding.authenticate(token)
    ) {
      return failure(
        grpc.status.UNAUTHENTICATED,
        errorCodes.auth,
        'authentication exception: the session is invalid or expired, or tenantid or instanceurl do not match it.',
      );
    }
    return undefined;
  };

  const subscribe = (call: Stream) => {
    // The metadata of a call cannot change, so the org it names is known from the start; whether
    // the caller may use it is checked with every request, as a token may die meanwhile.
    const org = orgOf(call.metadata);
    streams.add(call);
    org?.streams.add(call);
    let position: bigint | undefined;
    let credits = 0;
    let lastSentAt = Date.now();
    let pumping = false;

    const send = (log: ChangeEventLog, events: LoggedEvent[]) => {
      credits -= events.length;
      if (org !== undefined) {
        org.delivered += events.length;
        org.binding.deliveries.spend(events.length);
      }
      lastSentAt = Date.now();
      const latest = events.at(-1)?.replayId ?? log.latestReplayId;
      call.write({
        events: events.map((e) => ({
          event: { id: e.id, schemaId: eventChangeEventSchemaId, payload: e.payload, headers: [] },
          replayId: encodeReplayId(e.replayId),
        })),
        latestReplayId: encodeReplayId(latest),
        rpcId: randomUUID(),
        pendingNumRequested: credits,
      });
    };

    // Each event is delivered its delivery delay after it was committed (the bus's latency); a
    // backlog (events older than that) goes as fast as the subscriber's requests allow.
    const pump = async () => {
      if (pumping || position === undefined || org === undefined) return;
      const { log, deliveryDelayMs, deliveries } = org.binding;
      pumping = true;
      try {
        while (credits > 0 && !call.cancelled && call.writable) {
          const batch = log.after(position, Math.min(credits, maxBatch));
          const first = batch[0];
          if (first === undefined) break;
          const delay = deliveryDelayMs();
          const wait = first.loggedAt + delay - performance.now();
          if (wait > 0) {
            await new Promise((resolve) => setTimeout(resolve, wait));
            continue; // more may have arrived meanwhile, or the subscriber gone
          }
          // The events due now, in replay order: never one past another that is not.
          const now = performance.now();
          let count = 1;
          while (count < batch.length && (batch[count]?.loggedAt ?? Infinity) + delay <= now) count++;
          // The allocation is checked as events are delivered: what remains of it goes, and a
          // delivery with nothing left ends the subscription; the events stay in the bus for a
          // later subscription to resume from its replay id.
          const remaining = deliveries.remaining();
          if (remaining <= 0) {
            call.emit('error', limitExceeded());
            break;
          }
          const due = batch.slice(0, Math.min(count, remaining));
          position = due.at(-1)?.replayId ?? position;
          send(log, due);
        }
      } finally {
        pumping = false;
      }
    };
    const stopListening = org?.binding.log.listen(() => void pump());
    const keepalive = setInterval(
      () => {
        if (
          org !== undefined &&
          position !== undefined &&
          Date.now() - lastSentAt >= options.keepaliveMs &&
          call.writable
        )
          send(org.binding.log, []);
      },
      Math.min(options.keepaliveMs, 10_000),
    );
    const close = () => {
      clearInterval(keepalive);
      stopListening?.();
      streams.delete(call);
      org?.streams.delete(call);
      org?.started.delete(call);
    };

    call.on('data', (request: FetchRequest) => {
      if (org !== undefined && Date.now() < org.downUntil)
        return void call.emit('error', refusalStatus(org.downWith));
      const refused = authError(org, call.metadata);
      if (refused !== undefined || org === undefined) return void call.emit('error', refused);
      const { log, cdcEnabled } = org.binding;
      if (position === undefined) {
        if (request.topicName !== eventTopic || !cdcEnabled()) {
          return void call.emit(
            'error',
            failure(
              grpc.status.NOT_FOUND,
              errorCodes.topic,
              `topic ${request.topicName ?? ''} not found or not enabled for change data capture.`,
            ),
          );
        }
        if (org.binding.deliveries.remaining() <= 0) return void call.emit('error', limitExceeded());
        const preset =
          request.replayPreset === 'EARLIEST' || request.replayPreset === 1
            ? 'EARLIEST'
            : request.replayPreset === 'CUSTOM' || request.replayPreset === 2
              ? 'CUSTOM'
              : 'LATEST';
        if (preset === 'CUSTOM') {
          const given = request.replayId?.length === 8 ? request.replayId.readBigUInt64BE() : undefined;
          if (given === undefined || !log.canResumeAfter(given)) {
            return void call.emit(
              'error',
              failure(
                grpc.status.INVALID_ARGUMENT,
                errorCodes.replay,
                'The Replay ID validation failed: it is outside the retention window or does not exist.',
              ),
            );
          }
          position = given;
        } else {
          position = preset === 'EARLIEST' ? log.earliestPosition : log.latestReplayId;
        }
      }
      org.started.add(call);
      const asked = request.numRequested ?? 0;
      if (!Number.isInteger(asked) || asked < 1 || asked > maxBatch) {
        return void call.emit(
          'error',
          failure(
            grpc.status.INVALID_ARGUMENT,
            errorCodes.request,
            `num_requested must be from 1 to ${maxBatch}.`,
          ),
        );
      }
      // "The maximum number of events that can be requested in a Subscribe call across all
      // requests is 100": more is taken as 100 (Pub/Sub API, Pull Subscription and Flow Control).
      credits = Math.min(credits + asked, maxBatch);
      org.fetchRequests++;
      void pump();
      return undefined;
    });
    call.on('end', () => {
      close();
      call.end();
    });
    call.on('cancelled', close);
    call.on('error', close);
  };

  server.addService(loaded.eventbus.v1.PubSub.service, {
    Subscribe: subscribe,
    GetSchema: (
      call: grpc.ServerUnaryCall<{ schemaId?: string }, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) => {
      const refused = authError(orgOf(call.metadata), call.metadata);
      if (refused !== undefined) return callback(refused, null);
      if (call.request.schemaId !== eventChangeEventSchemaId) {
        return callback(
          failure(
            grpc.status.NOT_FOUND,
            errorCodes.request,
            `schema ${call.request.schemaId ?? ''} not found.`,
          ),
          null,
        );
      }
      return callback(null, {
        schemaJson: eventChangeEventSchemaJson,
        schemaId: eventChangeEventSchemaId,
        rpcId: randomUUID(),
      });
    },
    GetTopic: (
      call: grpc.ServerUnaryCall<{ topicName?: string }, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) => {
      const org = orgOf(call.metadata);
      const refused = authError(org, call.metadata);
      if (refused !== undefined || org === undefined) return callback(refused ?? null, null);
      if (call.request.topicName !== eventTopic || !org.binding.cdcEnabled()) {
        return callback(
          failure(
            grpc.status.NOT_FOUND,
            errorCodes.topic,
            `topic ${call.request.topicName ?? ''} not found.`,
          ),
          null,
        );
      }
      return callback(null, {
        topicName: eventTopic,
        tenantGuid: org.binding.orgId,
        canPublish: false,
        canSubscribe: true,
        schemaId: eventChangeEventSchemaId,
        rpcId: randomUUID(),
      });
    },
    Publish: (_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
      callback({ code: grpc.status.UNIMPLEMENTED, details: 'publishing is not part of the sandbox' }, null),
    PublishStream: (call: grpc.ServerDuplexStream<unknown, unknown>) =>
      call.emit('error', {
        code: grpc.status.UNIMPLEMENTED,
        details: 'publishing is not part of the sandbox',
      }),
    ManagedSubscribe: (call: grpc.ServerDuplexStream<unknown, unknown>) =>
      call.emit('error', {
        code: grpc.status.UNIMPLEMENTED,
        details: 'managed subscriptions are not part of the sandbox',
      }),
  });

  const credentials = grpc.ServerCredentials.createSsl(null, [
    { cert_chain: Buffer.from(options.tls.certPem), private_key: Buffer.from(options.tls.keyPem) },
  ]);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (error, bound) =>
      error === null ? resolve(bound) : reject(error),
    ),
  );
  const breakAll = (of: Iterable<Stream>, refusal: Refusal = {}) => {
    for (const stream of [...of]) stream.emit('error', refusalStatus(refusal));
  };
  return {
    endpoint: `localhost:${port}`,
    addOrg(binding) {
      const key = binding.orgId.slice(0, 15);
      if (orgs.has(key)) throw new Error(`the Pub/Sub server already serves org ${binding.orgId}`);
      const org: OrgEntry = {
        key,
        binding,
        streams: new Set(),
        started: new Set(),
        delivered: 0,
        fetchRequests: 0,
        downUntil: 0,
        downWith: {},
      };
      orgs.set(key, org);
      return {
        stats: () => ({
          subscribers: org.started.size,
          delivered: org.delivered,
          fetchRequests: org.fetchRequests,
        }),
        breakStreams: () => breakAll(org.streams),
        outage(ms, refusal = {}) {
          org.downUntil = Date.now() + ms;
          org.downWith = refusal;
          breakAll(org.streams, refusal);
        },
        detach() {
          if (orgs.get(key) === org) orgs.delete(key);
          breakAll(org.streams);
        },
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        breakAll(streams);
        server.tryShutdown(() => resolve());
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000).unref();
      }),
  };
}
