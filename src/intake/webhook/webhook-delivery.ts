// The signed webhook contract (docs/webhook.md), checked and read without I/O: the body is JSON
// (by its Content-Type); the signature is HMAC-SHA256 over `timestamp + "." + body` with the
// tenant's webhook secret, exactly 64 hex characters; the timestamp must be within five minutes of
// ours; the body names Events (stored under their 18-character ids) and what happened to them.
// Strict about what it reads, silent about what it does not know: fields a newer package adds are
// ignored, so the server need not be upgraded first.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { normalizeEventId, salesforceIdProblem } from '../../domain/salesforce-ids.ts';
import type { IncomingChange } from '../../store/changes/record-changes.ts';
import type { ChangeType } from '../../store/schema.ts';

export const webhookHeaders = {
  clientId: 'x-instant-sync-client-id',
  timestamp: 'x-instant-sync-timestamp',
  signature: 'x-instant-sync-signature',
} as const;

export const maxWebhookBodyBytes = 1024 * 1024;
export const webhookToleranceMs = 5 * 60_000;
const maxEventsPerDelivery = 2000;

export type WebhookRefusal = { status: 400 | 401 | 415; code: string; message: string };

/**
 * A Content-Type of `application/json`, in any case, with parameters; a charset, if named, must
 * be UTF-8 (JSON's), since the body is read and signed as UTF-8.
 */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const [mediaType = '', ...parameters] = header.split(';');
  if (mediaType.trim().toLowerCase() !== 'application/json') return false;
  return parameters.every((parameter) => {
    const equals = parameter.indexOf('=');
    if (equals === -1 || parameter.slice(0, equals).trim().toLowerCase() !== 'charset') return true;
    const charset = parameter
      .slice(equals + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
    return charset === 'utf-8' || charset === 'utf8';
  });
}

export const unsupportedMediaType: WebhookRefusal = {
  status: 415,
  code: 'unsupported_media_type',
  message: 'the body must be JSON, sent with Content-Type: application/json',
};

// Exactly the digest, nothing around it: Buffer.from(hex) would stop at the first character
// that is not hex (or drop an odd last one), so a valid signature with anything appended passed.
const signatureFormat = /^(?:sha256=)?([0-9a-fA-F]{64})$/;

export function signWebhook(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

/** Checks the timestamp and signature headers; undefined when the delivery is authentic and fresh. */
export function verifyWebhook(input: {
  secret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  body: string;
  now: number;
}): WebhookRefusal | undefined {
  if (input.timestamp === undefined || !/^\d{1,12}$/.test(input.timestamp)) {
    return {
      status: 401,
      code: 'bad_timestamp',
      message: `${webhookHeaders.timestamp} must be Unix seconds`,
    };
  }
  const skew = Math.abs(input.now - Number(input.timestamp) * 1000);
  if (skew > webhookToleranceMs) {
    return {
      status: 401,
      code: 'stale_timestamp',
      message:
        'the timestamp is more than 5 minutes from the server clock: sign each delivery when you send it',
    };
  }
  const hex = signatureFormat.exec(input.signature ?? '')?.[1];
  const given = Buffer.from(hex ?? '', 'hex');
  const expected = Buffer.from(signWebhook(input.secret, input.timestamp, input.body), 'hex');
  if (hex === undefined || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return {
      status: 401,
      code: 'bad_signature',
      message: `${webhookHeaders.signature} is not the HMAC-SHA256 of timestamp + "." + body with the tenant's webhook secret`,
    };
  }
  return undefined;
}

// A Map, not an object: `changeTypes["constructor"]` must be nothing, not Object's constructor.
const changeTypes = new Map<string, ChangeType>([
  ['CREATE', 'create'],
  ['UPDATE', 'update'],
  ['DELETE', 'delete'],
  ['UNDELETE', 'undelete'],
]);

/** A JSON object's own field: never one it inherits (`constructor`, `toString`, …). */
function field(object: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(object, name) ? object[name] : undefined;
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * Reads a delivery's body into changes. A delivery is identified by its `deliveryId` if it has
 * one, else by its timestamp and body: the same delivery sent twice is recorded once. Each Event
 * is recorded under its 18-character id, so its two forms make one dedupe key and one job, and
 * the engine's reads (which answer with 18-character ids) find it.
 */
export function readWebhookBody(
  body: string,
  timestamp: string,
  now: number,
): IncomingChange[] | WebhookRefusal {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { status: 400, code: 'malformed_json', message: 'the body is not JSON' };
  }
  const root = asObject(parsed);
  const events = root === undefined ? undefined : field(root, 'events');
  if (!Array.isArray(events) || events.length === 0 || events.length > maxEventsPerDelivery) {
    return {
      status: 400,
      code: 'malformed_body',
      message: `the body must be { "events": [ ... ] } with 1 to ${maxEventsPerDelivery} events`,
    };
  }
  const deliveryId = root === undefined ? undefined : field(root, 'deliveryId');
  if (
    deliveryId !== undefined &&
    (typeof deliveryId !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(deliveryId))
  ) {
    return {
      status: 400,
      code: 'malformed_body',
      message: 'deliveryId must be 1 to 200 printable ASCII characters, no spaces (a UUID, say)',
    };
  }
  const delivery =
    typeof deliveryId === 'string'
      ? deliveryId
      : createHash('sha256').update(`${timestamp}.${body}`).digest('base64url');
  const changes: IncomingChange[] = [];
  for (const [index, item] of events.entries()) {
    const event = asObject(item) ?? {};
    const givenId = field(event, 'id');
    const givenType = field(event, 'changeType');
    const id = typeof givenId === 'string' ? normalizeEventId(givenId) : undefined;
    const changeType = typeof givenType === 'string' ? changeTypes.get(givenType) : undefined;
    if (id === undefined) {
      return {
        status: 400,
        code: 'malformed_event',
        message:
          typeof givenId === 'string'
            ? `events[${index}].id: ${salesforceIdProblem(givenId, 'Event') ?? 'not an Event id'}`
            : `events[${index}].id must be a 15- or 18-character Event id (00U…), as a string`,
      };
    }
    if (changeType === undefined) {
      return {
        status: 400,
        code: 'malformed_event',
        message: `events[${index}].changeType must be CREATE, UPDATE, DELETE or UNDELETE`,
      };
    }
    const modstamp = field(event, 'systemModstamp');
    const committedAt = typeof modstamp === 'string' ? Date.parse(modstamp) : Number.NaN;
    if (modstamp !== undefined && Number.isNaN(committedAt)) {
      return {
        status: 400,
        code: 'malformed_event',
        message: `events[${index}].systemModstamp must be an ISO 8601 datetime`,
      };
    }
    // Salesforce stamps a change when it commits it, so a stamp from the future is a caller's
    // mistake (or its clock's): recorded, it would claim a version Salesforce has not made.
    if (committedAt > now + webhookToleranceMs) {
      return {
        status: 400,
        code: 'malformed_event',
        message: `events[${index}].systemModstamp is more than 5 minutes ahead of the server clock`,
      };
    }
    changes.push({
      eventId: id,
      changeType,
      source: 'webhook',
      dedupeKey: `webhook:${delivery}:${id}:${changeType}`,
      // Never later than now: end-to-end latency is measured from it.
      committedAt: Number.isNaN(committedAt) ? null : Math.min(committedAt, now),
    });
  }
  return changes;
}
