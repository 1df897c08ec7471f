// What stands between an authenticated EWS call and its mailbox: Exchange's throttling per
// mailbox (more calls in flight than the EWSMaxConcurrency share: ErrorExceededConnectionCount,
// "more concurrent requests against the server than are allowed by a user's policy"; more calls
// in a minute than the budget: ErrorServerBusy with BackOffMilliseconds, the time until the
// budget has room), the sandbox's latency, and injected faults struck before the change or
// after it (a lost answer). Counted for tests: requests, throttled ones, the most calls one
// mailbox had in flight, faults, handshakes; and when mailboxes were written.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from 'hono';
import { SoapFault } from './ews-errors.ts';

export interface EwsFaults {
  /** Share of requests (0..1) that fail in one of `kinds`. */
  failureRate: number;
  kinds: ('500' | '503' | 'server-busy' | 'reset' | 'timeout')[];
  /** Whether a failure may strike after the change was made (a lost answer). */
  afterCommit: boolean;
  /** How long a `timeout` holds the request before dropping it (default 30 s). */
  hangMs?: number;
}

export type FaultKind = EwsFaults['kinds'][number];

export interface EwsFaultRecord {
  at: number;
  kind: FaultKind;
  mailbox: string;
  afterCommit: boolean;
  /** SalesforceEventId values of the items the request concerned */
  itemStamps: string[];
}

export interface QueuedFault {
  kind: FaultKind;
  after: boolean;
  mailbox?: string;
  hangMs?: number;
}

export interface LimitOptions {
  now: () => number;
  latencyMs: () => number;
  faults: () => EwsFaults | undefined;
  takeQueuedFault: (mailbox: string) => QueuedFault | undefined;
  maxConcurrentPerMailbox: number;
  requestsPerMinutePerMailbox: number;
  stats: { requests: number; throttled: number; peakConcurrency: number; faults: number };
  faultLog: EwsFaultRecord[];
  /** When each item was changed, in order: the newest 200,000. */
  writeLog: number[];
}

/** What an operation answered: the SOAP body and how many items it changed. */
export interface WorkResult {
  body: string;
  writes: number;
}

/** How long ErrorServerBusy asks a client to wait when a fault, not the budget, is the cause. */
const injectedBackOffMs = 5000;
const windowMs = 60_000;

class DroppedConnection extends Error {}

export const isDroppedConnection = (error: unknown) => error instanceof DroppedConnection;

/** A 503 as HTTP.sys gives it when the application pool's queue is full. */
export const serviceUnavailable = () =>
  new Response(
    '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN""http://www.w3.org/TR/html4/strict.dtd">\r\n<HTML><HEAD><TITLE>Service Unavailable</TITLE>\r\n<META HTTP-EQUIV="Content-Type" Content="text/html; charset=us-ascii"></HEAD>\r\n<BODY><h2>Service Unavailable</h2>\r\n<hr><p>HTTP Error 503. The service is unavailable.</p>\r\n</BODY></HTML>\r\n',
    { status: 503, headers: { 'content-type': 'text/html; charset=us-ascii' } },
  );

export class ServiceUnavailable extends Error {}

const backOff = (ms: number) => `<t:Value Name="BackOffMilliseconds">${Math.max(1, Math.ceil(ms))}</t:Value>`;

/** Runs EWS work for a mailbox under the throttling, latency and faults. */
export function limiter(options: LimitOptions) {
  const { now, stats } = options;
  const inFlight = new Map<string, number>();
  const history = new Map<string, number[]>();
  const recent = (mailbox: string) => {
    let times = history.get(mailbox);
    if (times === undefined) history.set(mailbox, (times = []));
    let expired = 0;
    while (expired < times.length && (times[expired] ?? 0) <= now() - windowMs) expired++;
    if (expired > 0) times.splice(0, expired);
    return times;
  };

  return async (
    c: Context,
    mailbox: string,
    work: () => WorkResult,
    stamps: () => string[],
  ): Promise<WorkResult> => {
    stats.requests++;
    const key = mailbox.toLowerCase();
    const times = recent(key);
    if (times.length >= options.requestsPerMinutePerMailbox) {
      stats.throttled++;
      throw new SoapFault('ErrorServerBusy', { messageXml: backOff((times[0] ?? now()) + windowMs - now()) });
    }
    const current = (inFlight.get(key) ?? 0) + 1;
    if (current > options.maxConcurrentPerMailbox) {
      stats.throttled++;
      throw new SoapFault('ErrorExceededConnectionCount');
    }
    times.push(now());
    inFlight.set(key, current);
    stats.peakConcurrency = Math.max(stats.peakConcurrency, current);
    try {
      const latency = options.latencyMs();
      if (latency > 0) await sleep(latency);
      const queued = options.takeQueuedFault(key);
      const fault = queued ?? pickFault(options.faults());
      const hangMs = queued?.hangMs ?? options.faults()?.hangMs ?? 30_000;
      if (fault !== undefined) {
        if (options.faultLog.length >= 100_000) options.faultLog.shift();
        let itemStamps: string[] = [];
        try {
          itemStamps = stamps();
        } catch {
          // an item that is not there has no stamps
        }
        options.faultLog.push({
          at: now(),
          kind: fault.kind,
          mailbox: key,
          afterCommit: fault.after,
          itemStamps,
        });
      }
      if (fault !== undefined && !fault.after) await fail(c, fault.kind, stats, hangMs);
      const result = work();
      for (let i = 0; i < result.writes; i++) {
        if (options.writeLog.length >= 200_000) options.writeLog.shift();
        options.writeLog.push(now());
      }
      if (fault?.after === true) await fail(c, fault.kind, stats, hangMs);
      return result;
    } finally {
      inFlight.set(key, (inFlight.get(key) ?? 1) - 1);
    }
  };
}

function pickFault(faults: EwsFaults | undefined): { kind: FaultKind; after: boolean } | undefined {
  if (faults === undefined || faults.kinds.length === 0 || Math.random() >= faults.failureRate)
    return undefined;
  const kind = faults.kinds[Math.floor(Math.random() * faults.kinds.length)] ?? '500';
  return { kind, after: faults.afterCommit && Math.random() < 0.5 };
}

async function fail(
  c: Context,
  kind: FaultKind,
  stats: LimitOptions['stats'],
  hangMs: number,
): Promise<never> {
  stats.faults++;
  const socket = (c.env as { incoming?: { socket?: { destroy(): void } } } | undefined)?.incoming?.socket;
  switch (kind) {
    case 'server-busy':
      stats.throttled++;
      throw new SoapFault('ErrorServerBusy', { messageXml: backOff(injectedBackOffMs) });
    case '500':
      throw new SoapFault('ErrorInternalServerError');
    case '503':
      throw new ServiceUnavailable();
    case 'reset':
      socket?.destroy();
      throw new DroppedConnection();
    case 'timeout':
      await sleep(hangMs, undefined, { ref: false });
      socket?.destroy();
      throw new DroppedConnection();
  }
}
