// The Pub/Sub API (gRPC over TLS) of the sandbox org, from Salesforce's own pubsub_api.proto:
// Subscribe (a bidirectional stream with flow control by num_requested and the LATEST, EARLIEST
// and CUSTOM replay presets), GetSchema and GetTopic. Callers authenticate with the accesstoken,
// instanceurl and tenantid metadata, as with Salesforce. Only /data/EventChangeEvent exists.
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
  log: ChangeEventLog;
  tls: LocalTls;
  orgId: string;
  instanceUrl: () => string;
  /** The user behind a live access token, or undefined (the token is dead). */
  authenticate: (accessToken: string) => boolean;
  /** Whether the org admin selected Event for change data capture. */
  cdcEnabled: () => boolean;
  /** Delay between a commit and its delivery, as Salesforce's bus takes a moment. */
  deliveryDelayMs: () => number;
  /** How often an idle stream gets a keepalive FetchResponse (Salesforce: 270 s). */
  keepaliveMs: number;
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
};

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

export interface PubSubServer {
  /** host:port of the gRPC endpoint (TLS). */
  endpoint: string;
  /**
   * Open subscriptions that have started (their replay position is set), events delivered so far,
   * and FetchRequests taken (each adds to its subscription's pending events, up to 100 in all).
   */
  stats(): { subscribers: number; delivered: number; fetchRequests: number };
  /** Ends every open subscription as a Salesforce outage would. */
  breakStreams(): void;
  /** Ends every open subscription and refuses new ones (UNAVAILABLE) for `ms`. */
  outage(ms: number): void;
  close(): Promise<void>;
}

export async function startPubSubServer(options: PubSubServerOptions): Promise<PubSubServer> {
  const definition = protoLoader.loadSync(fileURLToPath(new URL('./pubsub_api.proto', import.meta.url)), {});
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    eventbus: { v1: { PubSub: { service: grpc.ServiceDefinition } } };
  };
  const server = new grpc.Server();
  const streams = new Set<grpc.ServerDuplexStream<FetchRequest, unknown>>();
  const started = new Set<grpc.ServerDuplexStream<FetchRequest, unknown>>();
  let delivered = 0;
  let fetchRequests = 0;
  /** Until when (wall clock) the service is down: subscriptions are refused. */
  let downUntil = 0;

  const authError = (metadata: grpc.Metadata): Partial<grpc.StatusObject> | undefined => {
    const token = String(metadata.get('accesstoken')[0] ?? '');
    const tenant = String(metadata.get('tenantid')[0] ?? '');
    const instance = String(metadata.get('instanceurl')[0] ?? '');
    if (
      tenant.slice(0, 15) !== options.orgId.slice(0, 15) ||
      instance.replace(/\/+$/, '') !== options.instanceUrl() ||
      !options.authenticate(token)
    ) {
      return failure(
        grpc.status.UNAUTHENTICATED,
        errorCodes.auth,
        'authentication exception: the session is invalid or expired, or tenantid or instanceurl do not match it.',
      );
    }
    return undefined;
  };

  const subscribe = (call: grpc.ServerDuplexStream<FetchRequest, unknown>) => {
    streams.add(call);
    let position: bigint | undefined;
    let credits = 0;
    let lastSentAt = Date.now();
    let pumping = false;

    const send = (events: LoggedEvent[]) => {
      credits -= events.length;
      delivered += events.length;
      lastSentAt = Date.now();
      const latest = events.at(-1)?.replayId ?? options.log.latestReplayId;
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
      if (pumping || position === undefined) return;
      pumping = true;
      try {
        while (credits > 0 && !call.cancelled && call.writable) {
          const batch = options.log.after(position, Math.min(credits, maxBatch));
          const first = batch[0];
          if (first === undefined) break;
          const delay = options.deliveryDelayMs();
          const wait = first.loggedAt + delay - performance.now();
          if (wait > 0) {
            await new Promise((resolve) => setTimeout(resolve, wait));
            continue; // more may have arrived meanwhile, or the subscriber gone
          }
          // The events due now, in replay order: never one past another that is not.
          const now = performance.now();
          let count = 1;
          while (count < batch.length && (batch[count]?.loggedAt ?? Infinity) + delay <= now) count++;
          const due = batch.slice(0, count);
          position = due.at(-1)?.replayId ?? position;
          send(due);
        }
      } finally {
        pumping = false;
      }
    };
    const stopListening = options.log.listen(() => void pump());
    const keepalive = setInterval(
      () => {
        if (position !== undefined && Date.now() - lastSentAt >= options.keepaliveMs && call.writable)
          send([]);
      },
      Math.min(options.keepaliveMs, 10_000),
    );
    const close = () => {
      clearInterval(keepalive);
      stopListening();
      streams.delete(call);
      started.delete(call);
    };

    call.on('data', (request: FetchRequest) => {
      if (Date.now() < downUntil)
        return void call.emit('error', {
          code: grpc.status.UNAVAILABLE,
          details: 'the Pub/Sub service is unavailable',
        });
      const refused = authError(call.metadata);
      if (refused !== undefined) return void call.emit('error', refused);
      if (position === undefined) {
        if (request.topicName !== eventTopic || !options.cdcEnabled()) {
          return void call.emit(
            'error',
            failure(
              grpc.status.NOT_FOUND,
              errorCodes.topic,
              `topic ${request.topicName ?? ''} not found or not enabled for change data capture.`,
            ),
          );
        }
        const preset =
          request.replayPreset === 'EARLIEST' || request.replayPreset === 1
            ? 'EARLIEST'
            : request.replayPreset === 'CUSTOM' || request.replayPreset === 2
              ? 'CUSTOM'
              : 'LATEST';
        if (preset === 'CUSTOM') {
          const given = request.replayId?.length === 8 ? request.replayId.readBigUInt64BE() : undefined;
          if (given === undefined || !options.log.canResumeAfter(given)) {
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
          position = preset === 'EARLIEST' ? options.log.earliestPosition : options.log.latestReplayId;
        }
      }
      started.add(call);
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
      fetchRequests++;
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
      const refused = authError(call.metadata);
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
      const refused = authError(call.metadata);
      if (refused !== undefined) return callback(refused, null);
      if (call.request.topicName !== eventTopic || !options.cdcEnabled()) {
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
        tenantGuid: options.orgId,
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
  const breakStreams = () => {
    for (const stream of streams)
      stream.emit('error', { code: grpc.status.UNAVAILABLE, details: 'the Pub/Sub service is unavailable' });
  };
  return {
    endpoint: `localhost:${port}`,
    stats: () => ({ subscribers: started.size, delivered, fetchRequests }),
    breakStreams,
    outage(ms) {
      downUntil = Date.now() + ms;
      breakStreams();
    },
    close: () =>
      new Promise<void>((resolve) => {
        breakStreams();
        server.tryShutdown(() => resolve());
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000).unref();
      }),
  };
}
