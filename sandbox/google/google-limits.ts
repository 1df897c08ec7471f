// What stands between a Calendar API request and its work: Google's usage quotas ("Usage
// limits": per minute per project and per minute per user per project, over a sliding window;
// over the user's: 403 userRateLimitExceeded, over the project's: 403 rateLimitExceeded, as
// "Handle API errors" lists them), the sandbox's latency, and injected faults, struck before
// the change or after it (a lost response). Counted for tests: requests, throttled ones, the
// most requests one user ever had in flight, faults.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from 'hono';
import { GoogleApiError } from './google-errors.ts';

export interface GoogleFaults {
  /** Share of requests (0..1) that fail in one of `kinds`. */
  failureRate: number;
  kinds: ('500' | '503' | '429' | 'reset' | 'timeout')[];
  /** Whether a failure may strike after the change was made (a lost response). */
  afterCommit: boolean;
  /** How long a `timeout` holds the request before dropping it (default 30 s). */
  hangMs?: number;
}

export interface GoogleFaultRecord {
  at: number;
  kind: GoogleFaults['kinds'][number];
  user: string;
  afterCommit: boolean;
  /** values of the private extended properties of the event the request concerned */
  itemStamps: string[];
}

export interface QueuedFault {
  kind: GoogleFaults['kinds'][number];
  after: boolean;
  user?: string;
  hangMs?: number;
}

export interface LimitOptions {
  now: () => number;
  latencyMs: () => number;
  faults: () => GoogleFaults | undefined;
  takeQueuedFault: (user: string) => QueuedFault | undefined;
  requestsPerMinutePerUser: number;
  requestsPerMinutePerProject: number;
  stats: { requests: number; throttled: number; peakConcurrency: number; faults: number };
  faultLog: GoogleFaultRecord[];
  /** When each change (insert, patch, update, delete) was made, in order: the newest 200,000. */
  writeLog: number[];
}

const windowMs = 60_000;
const faultLogLimit = 100_000;

class DroppedConnection extends Error {}

export const isDroppedConnection = (error: unknown) => error instanceof DroppedConnection;

/** Runs Calendar API work for `user` of `project` under the quotas, latency and faults. */
export function limiter(options: LimitOptions) {
  const { now, stats } = options;
  const inFlight = new Map<string, number>();
  const history = new Map<string, number[]>();
  /** The requests of the last minute for `key`, oldest first (a sliding window). */
  const recent = (key: string) => {
    let times = history.get(key);
    if (times === undefined) history.set(key, (times = []));
    let expired = 0;
    while (expired < times.length && (times[expired] ?? 0) <= now() - windowMs) expired++;
    if (expired > 0) times.splice(0, expired);
    return times;
  };

  return async (
    c: Context,
    who: { user: string; project: string },
    work: () => Response | Promise<Response>,
    stamps: () => string[] = () => [],
  ): Promise<Response> => {
    stats.requests++;
    const project = recent(`project:${who.project}`);
    const user = recent(`user:${who.project}:${who.user}`);
    if (project.length >= options.requestsPerMinutePerProject) {
      stats.throttled++;
      throw new GoogleApiError(403, {
        domain: 'usageLimits',
        reason: 'rateLimitExceeded',
        message: 'Rate Limit Exceeded',
      });
    }
    if (user.length >= options.requestsPerMinutePerUser) {
      stats.throttled++;
      throw new GoogleApiError(403, {
        domain: 'usageLimits',
        reason: 'userRateLimitExceeded',
        message: 'User Rate Limit Exceeded',
      });
    }
    project.push(now());
    user.push(now());
    const current = (inFlight.get(who.user) ?? 0) + 1;
    inFlight.set(who.user, current);
    stats.peakConcurrency = Math.max(stats.peakConcurrency, current);
    try {
      const latency = options.latencyMs();
      if (latency > 0) await sleep(latency);
      const queued = options.takeQueuedFault(who.user);
      const fault = queued ?? pickFault(options.faults());
      const hangMs = queued?.hangMs ?? options.faults()?.hangMs ?? 30_000;
      if (fault !== undefined) {
        if (options.faultLog.length >= faultLogLimit) options.faultLog.shift();
        let itemStamps: string[] = [];
        try {
          itemStamps = stamps();
        } catch {
          // an event that is not there has no stamps
        }
        options.faultLog.push({
          at: now(),
          kind: fault.kind,
          user: who.user,
          afterCommit: fault.after,
          itemStamps,
        });
      }
      if (fault !== undefined && !fault.after) await fail(c, fault.kind, stats, hangMs);
      const response = await work();
      if (c.req.method !== 'GET' && response.status < 300) {
        if (options.writeLog.length >= 200_000) options.writeLog.shift();
        options.writeLog.push(now());
      }
      if (fault?.after === true) await fail(c, fault.kind, stats, hangMs);
      return response;
    } finally {
      inFlight.set(who.user, (inFlight.get(who.user) ?? 1) - 1);
    }
  };
}

function pickFault(
  faults: GoogleFaults | undefined,
): { kind: GoogleFaults['kinds'][number]; after: boolean } | undefined {
  if (faults === undefined || faults.kinds.length === 0 || Math.random() >= faults.failureRate)
    return undefined;
  const kind = faults.kinds[Math.floor(Math.random() * faults.kinds.length)] ?? '500';
  return { kind, after: faults.afterCommit && Math.random() < 0.5 };
}

async function fail(
  c: Context,
  kind: GoogleFaults['kinds'][number],
  stats: LimitOptions['stats'],
  hangMs: number,
): Promise<never> {
  stats.faults++;
  const socket = (c.env as { incoming?: { socket?: { destroy(): void } } } | undefined)?.incoming?.socket;
  switch (kind) {
    case '429':
      stats.throttled++;
      throw new GoogleApiError(
        429,
        { domain: 'usageLimits', reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded' },
        { status: 'RESOURCE_EXHAUSTED' },
      );
    case 'reset':
      socket?.destroy();
      throw new DroppedConnection();
    case 'timeout':
      await sleep(hangMs, undefined, { ref: false });
      socket?.destroy();
      throw new DroppedConnection();
    case '500':
      throw new GoogleApiError(500, { domain: 'global', reason: 'backendError', message: 'Backend Error' });
    case '503':
      throw new GoogleApiError(
        503,
        { domain: 'global', reason: 'backendError', message: 'Backend Error' },
        { topMessage: 'The service is currently unavailable.', status: 'UNAVAILABLE' },
      );
  }
}
