// The signed webhook contract (docs/webhook.md), checked and read without I/O: the signature is
// HMAC-SHA256 over `timestamp + "." + body` with the tenant's webhook secret; the timestamp must
// be within five minutes of ours; the body names Events and what happened to them.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
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

export type WebhookRefusal = { status: 400 | 401; code: string; message: string };

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
  const given = Buffer.from((input.signature ?? '').replace(/^sha256=/, ''), 'hex');
  const expected = Buffer.from(signWebhook(input.secret, input.timestamp, input.body), 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return {
      status: 401,
      code: 'bad_signature',
      message: `${webhookHeaders.signature} is not the HMAC-SHA256 of timestamp + "." + body with the tenant's webhook secret`,
    };
  }
  return undefined;
}

const changeTypes: Record<string, ChangeType> = {
  CREATE: 'create',
  UPDATE: 'update',
  DELETE: 'delete',
  UNDELETE: 'undelete',
};

/**
 * Reads a delivery's body into changes. A delivery is identified by its `deliveryId` if it has
 * one, else by its timestamp and body: the same delivery sent twice is recorded once.
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
  const root =
    typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  const events = root?.['events'];
  if (!Array.isArray(events) || events.length === 0 || events.length > maxEventsPerDelivery) {
    return {
      status: 400,
      code: 'malformed_body',
      message: `the body must be { "events": [ ... ] } with 1 to ${maxEventsPerDelivery} events`,
    };
  }
  const deliveryId = root?.['deliveryId'];
  if (
    deliveryId !== undefined &&
    (typeof deliveryId !== 'string' || deliveryId.length === 0 || deliveryId.length > 200)
  ) {
    return {
      status: 400,
      code: 'malformed_body',
      message: 'deliveryId must be a string of 1 to 200 characters',
    };
  }
  const delivery =
    typeof deliveryId === 'string'
      ? deliveryId
      : createHash('sha256').update(`${timestamp}.${body}`).digest('base64url');
  const changes: IncomingChange[] = [];
  for (const [index, item] of events.entries()) {
    const event = typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : {};
    const id = event['id'];
    const changeType = typeof event['changeType'] === 'string' ? changeTypes[event['changeType']] : undefined;
    if (typeof id !== 'string' || !/^00U[a-zA-Z0-9]{12}([a-zA-Z0-9]{3})?$/.test(id)) {
      return {
        status: 400,
        code: 'malformed_event',
        message: `events[${index}].id must be a 15- or 18-character Event id (00U…)`,
      };
    }
    if (changeType === undefined) {
      return {
        status: 400,
        code: 'malformed_event',
        message: `events[${index}].changeType must be CREATE, UPDATE, DELETE or UNDELETE`,
      };
    }
    const modstamp = event['systemModstamp'];
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
