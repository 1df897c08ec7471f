// A subscriber to Salesforce's Pub/Sub API over @grpc/grpc-js: TLS (trusting the configured extra
// CA next to the public roots), the accesstoken / instanceurl / tenantid metadata, flow control
// by num_requested, and Avro decoding of each event with the schema fetched by its id (cached,
// with its field list for the header's field bitmaps).
// Why not salesforce-pubsub-api-client: its close() removes the error listeners from a gRPC call
// that is still open, so a status the server sends later becomes an unhandled 'error' and takes
// the process down; a subscriber that must stop and resume safely needs to cancel its call.
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import avro from 'avro-js';
import { FieldBitmapError, schemaFieldsOf, type SchemaField } from './field-bitmaps.ts';
import { contextTrustingExtraCa } from '../../lib/outbound-tls.ts';
import { packageFile } from '../../lib/package-files.ts';

export interface PubSubConnection {
  endpoint: string;
  accessToken: string;
  instanceUrl: string;
  orgId: string;
  /** Extra CA (PEM) to trust beside the public roots; undefined: the public roots only. */
  extraCaPem: string | undefined;
}

export type ReplayFrom =
  { preset: 'latest' } | { preset: 'earliest' } | { preset: 'custom'; replayId: bigint };

export interface PubSubEvent {
  replayId: bigint;
  payload: Record<string, unknown>;
  /** The writer schema's fields, in order: what the header's field bitmaps refer to (field-bitmaps.ts). */
  schemaFields: readonly SchemaField[];
}

interface WriterSchema {
  type: ReturnType<typeof avro.parse>;
  fields: readonly SchemaField[];
}

export interface SubscriptionHandlers {
  onEvents(events: PubSubEvent[]): void;
  /** The stream ended with a status; `errorCode` is Salesforce's (`sfdc.platform.eventbus…`) when it sent one. */
  onEnd(end: { code: grpc.status; details: string; errorCode: string | undefined }): void;
}

interface GrpcEvent {
  event: { schemaId: string; payload: Buffer };
  replayId: Buffer;
}

interface PubSubStub extends grpc.Client {
  Subscribe(): grpc.ClientDuplexStream<unknown, { events?: GrpcEvent[] }>;
  GetSchema(
    request: { schemaId: string },
    callback: (error: grpc.ServiceError | null, response?: { schemaJson: string }) => void,
  ): void;
  GetTopic(
    request: { topicName: string },
    options: { deadline: number },
    callback: (error: grpc.ServiceError | null, response?: { canSubscribe: boolean }) => void,
  ): void;
}

const batch = 100;
let stubConstructor: (new (endpoint: string, credentials: grpc.ChannelCredentials) => PubSubStub) | undefined;

function pubSubStub(): new (endpoint: string, credentials: grpc.ChannelCredentials) => PubSubStub {
  if (stubConstructor === undefined) {
    const definition = protoLoader.loadSync(
      fileURLToPath(packageFile('src/intake/cdc/pubsub_api.proto')),
      {},
    );
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      eventbus: {
        v1: { PubSub: new (endpoint: string, credentials: grpc.ChannelCredentials) => PubSubStub };
      };
    };
    stubConstructor = loaded.eventbus.v1.PubSub;
  }
  return stubConstructor;
}

export class PubSubSubscriber {
  readonly #stub: PubSubStub;
  readonly #schemas = new Map<string, Promise<WriterSchema>>();
  #call: grpc.ClientDuplexStream<unknown, { events?: GrpcEvent[] }> | undefined;

  constructor(connection: PubSubConnection) {
    // With an extra CA, the process's one TLS context for it (lib/outbound-tls.ts) rather than a
    // store of its own parsed from the whole root bundle for each channel.
    const tls =
      connection.extraCaPem === undefined
        ? grpc.credentials.createSsl()
        : grpc.credentials.createFromSecureContext(contextTrustingExtraCa(connection.extraCaPem));
    const metadata = grpc.credentials.createFromMetadataGenerator((_params, callback) => {
      const meta = new grpc.Metadata();
      meta.set('accesstoken', connection.accessToken);
      meta.set('instanceurl', connection.instanceUrl);
      meta.set('tenantid', connection.orgId);
      callback(null, meta);
    });
    const Stub = pubSubStub();
    this.#stub = new Stub(connection.endpoint, grpc.credentials.combineChannelCredentials(tls, metadata));
  }

  /** Subscribes to `topic`; events arrive in order, in batches, decoded. */
  subscribe(topic: string, from: ReplayFrom, handlers: SubscriptionHandlers): void {
    const call = this.#stub.Subscribe();
    this.#call = call;
    let outstanding = batch;
    let chain = Promise.resolve();
    const onData = (response: { events?: GrpcEvent[] }) => {
      // Protobuf leaves an empty list out: a keepalive arrives with no `events` at all.
      const events = response.events ?? [];
      if (events.length === 0) return;
      outstanding -= events.length;
      if (outstanding <= batch / 2) {
        call.write({ topicName: topic, numRequested: batch - outstanding });
        outstanding = batch;
      }
      // Decode in arrival order even when a schema has to be fetched first.
      chain = chain.then(async () =>
        handlers.onEvents(await Promise.all(events.map((e) => this.#decode(e)))),
      );
      chain.catch((error: unknown) => fail(`cannot decode an event: ${String(error)}`));
    };
    // Nothing thrown here may reach gRPC's event emitter: it would end the process.
    const fail = (details: string) => {
      end(grpc.status.INTERNAL, details);
      this.close();
    };
    call.on('data', (response: { events?: GrpcEvent[] }) => {
      try {
        onData(response);
      } catch (error) {
        fail(`cannot read a Pub/Sub response: ${String(error)}`);
      }
    });
    let ended = false;
    const end = (code: grpc.status, details: string, metadata?: grpc.Metadata) => {
      if (ended) return;
      ended = true;
      const errorCode = metadata?.get('error-code')[0];
      void chain.finally(() =>
        handlers.onEnd({ code, details, errorCode: errorCode === undefined ? undefined : String(errorCode) }),
      );
    };
    call.on('error', (error: grpc.ServiceError) => end(error.code, error.details, error.metadata));
    call.on('status', (status: grpc.StatusObject) => end(status.code, status.details, status.metadata));
    call.write({
      topicName: topic,
      replayPreset: from.preset === 'latest' ? 0 : from.preset === 'earliest' ? 1 : 2,
      ...(from.preset === 'custom' ? { replayId: encodeReplayId(from.replayId) } : {}),
      numRequested: batch,
    });
  }

  /** Cancels the subscription (its listeners stay, so the cancellation status is handled) and closes the channel. */
  /** Whether `topic` exists for this org and may be subscribed to (Event CDC selected in Setup). */
  topic(topic: string): Promise<{ canSubscribe: boolean }> {
    return new Promise((resolve, reject) => {
      this.#stub.GetTopic({ topicName: topic }, { deadline: Date.now() + 15_000 }, (error, response) => {
        if (error !== null) reject(new Error(`${grpc.status[error.code]}: ${error.details}`));
        else resolve({ canSubscribe: response?.canSubscribe === true });
      });
    });
  }

  close(): void {
    this.#call?.cancel();
    this.#call = undefined;
    this.#stub.close();
  }

  #decode(event: GrpcEvent): Promise<PubSubEvent> {
    return this.#schema(event.event.schemaId).then((schema) => ({
      replayId: event.replayId.readBigUInt64BE(),
      payload: schema.type.fromBuffer(event.event.payload) as Record<string, unknown>,
      schemaFields: schema.fields,
    }));
  }

  #schema(schemaId: string): Promise<WriterSchema> {
    let schema = this.#schemas.get(schemaId);
    if (schema === undefined) {
      schema = new Promise((resolve, reject) =>
        this.#stub.GetSchema({ schemaId }, (error, response) => {
          if (error !== null || response === undefined) return reject(error ?? new Error('no schema'));
          // Thrown in gRPC's callback it would end the process: a bad schema fails this one promise.
          try {
            resolve(writerSchema(JSON.parse(response.schemaJson)));
          } catch (parseError) {
            reject(parseError instanceof Error ? parseError : new Error(String(parseError)));
          }
        }),
      );
      this.#schemas.set(schemaId, schema);
      schema.catch(() => this.#schemas.delete(schemaId));
    }
    return schema;
  }
}

function writerSchema(json: unknown): WriterSchema {
  const type = avro.parse(json);
  let fields: readonly SchemaField[] = [];
  try {
    fields = schemaFieldsOf(json);
  } catch (error) {
    // Events still decode; their field lists just cannot be read (no field is ever guessed).
    if (!(error instanceof FieldBitmapError)) throw error;
  }
  return { type, fields };
}

export function encodeReplayId(replayId: bigint): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64BE(replayId);
  return buffer;
}

/** An Avro union value as avro-js decodes it ({ "string": "x" }), unwrapped. */
export function unwrapUnion(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !Buffer.isBuffer(value)) {
    // The one own field's value, found without Object.entries' arrays: a CREATE has about 60
    // unions, and a burst decodes thousands of CREATEs.
    let only: unknown;
    let count = 0;
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      if (++count > 1) return value;
      only = (value as Record<string, unknown>)[key];
    }
    if (count === 1) return only;
  }
  return value;
}
