// Fixed-window counters shared by every node. A hit is one atomic upsert that returns the count
// including itself, so a caller reserves its attempt before doing the work it limits: N
// concurrent attempts see N different counts, never N times "still under the limit".
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';

export interface RateLimitHit {
  /** Hits in the current window, this one included. */
  hits: number;
  windowStartedAt: number;
}

/** Counts `cost` hits on `key`; a window older than `windowMs` starts again with them. */
export async function hitRateLimit(
  db: Kysely<Database>,
  key: string,
  options: { now: number; windowMs: number; cost?: number },
): Promise<RateLimitHit> {
  const cost = options.cost ?? 1;
  const expired = sql<boolean>`rate_limits.window_started_at <= ${options.now - options.windowMs}`;
  const row = await db
    .insertInto('rate_limits')
    .values({ key, window_started_at: options.now, hits: cost })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        hits: sql<number>`CASE WHEN ${expired} THEN ${cost} ELSE rate_limits.hits + ${cost} END`,
        window_started_at: sql<number>`CASE WHEN ${expired} THEN ${options.now} ELSE rate_limits.window_started_at END`,
      }),
    )
    .returning(['hits', 'window_started_at'])
    .executeTakeFirstOrThrow();
  return { hits: Number(row.hits), windowStartedAt: Number(row.window_started_at) };
}

/** Hands back `cost` hits of the window that `hit` counted them in (an attempt that succeeded). */
export async function refundRateLimit(
  db: Kysely<Database>,
  key: string,
  hit: RateLimitHit,
  cost = 1,
): Promise<void> {
  await db
    .updateTable('rate_limits')
    .set({ hits: sql<number>`CASE WHEN hits > ${cost} THEN hits - ${cost} ELSE 0 END` })
    .where('key', '=', key)
    .where('window_started_at', '=', hit.windowStartedAt)
    .execute();
}

/** The current window's hits on `key`, without counting one. */
export async function peekRateLimit(
  db: Kysely<Database>,
  key: string,
  options: { now: number; windowMs: number },
): Promise<RateLimitHit | undefined> {
  const row = await db
    .selectFrom('rate_limits')
    .select(['hits', 'window_started_at'])
    .where('key', '=', key)
    .where('window_started_at', '>', options.now - options.windowMs)
    .executeTakeFirst();
  return row === undefined
    ? undefined
    : { hits: Number(row.hits), windowStartedAt: Number(row.window_started_at) };
}

/** Removes counters whose window ended before `before` (they would start again anyway). */
export async function pruneRateLimits(db: Kysely<Database>, before: number): Promise<number> {
  const result = await db
    .deleteFrom('rate_limits')
    .where('window_started_at', '<', before)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export interface RateLimitDecision {
  allowed: boolean;
  /** Seconds until the window ends (what a 429's Retry-After says). */
  retryAfterSeconds: number;
  hit: RateLimitHit;
}

/** When each database's counters were last pruned by this process (at most once a minute). */
const prunedAt = new WeakMap<Kysely<Database>, number>();
const keepEndedWindowsMs = 24 * 3_600_000;

/**
 * Reserves `cost` of `limit` hits per `windowMs` on `key`: allowed while the window's total stays
 * within it. Counters of windows that ended a day ago are removed along the way, so keys made by
 * anonymous addresses do not pile up.
 */
export async function reserveRateLimit(
  db: Kysely<Database>,
  key: string,
  options: { limit: number; windowMs: number; now: number; cost?: number },
): Promise<RateLimitDecision> {
  if (options.now - (prunedAt.get(db) ?? 0) > 60_000) {
    prunedAt.set(db, options.now);
    await pruneRateLimits(db, options.now - keepEndedWindowsMs);
  }
  const hit = await hitRateLimit(db, key, options);
  return {
    allowed: hit.hits <= options.limit,
    // Clamped: another node's clock may have started the window a little "later" than ours.
    retryAfterSeconds: Math.min(
      Math.ceil(options.windowMs / 1000),
      Math.max(1, Math.ceil((hit.windowStartedAt + options.windowMs - options.now) / 1000)),
    ),
    hit,
  };
}
