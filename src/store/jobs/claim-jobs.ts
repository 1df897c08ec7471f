// Claim = hand up to `limit` due jobs to one worker under a lease. On PostgreSQL concurrent
// claimers skip each other's rows (FOR UPDATE SKIP LOCKED); on SQLite the immediate write
// transaction admits one claimer at a time. Either way a job is held by one worker at once.
// Jobs of a tenant whose Salesforce connection cannot sync (disconnected, reconnect required)
// are paused: they stay waiting, unclaimed and unfailed, until the tenant is connected again.
//
// Lanes (schema.ts jobLanes): the due jobs of the live lane are taken first, then those of
// reconciliation, then bulk. Bulk work never starves: while it has due jobs, a tenth of every
// claim (at least one job) is kept for it; live and reconciliation jobs fill what bulk does not
// use, and bulk what they do not.
//
// Tenants take turns within a lane, so one tenant's flood (a backfill, a storm of webhook
// deliveries) delays nobody else's work by more than a turn: the claim walks the tenants with
// waiting jobs in the lane (one index step each, never through the jobs themselves) in rotation
// order, starting after `after` (the last tenant the claimer served), until it has `limit`
// tenants with a due job, and takes from each an equal share, its oldest due jobs: round one is
// every chosen tenant's oldest job, round two their second, and so on. What tenants with less
// than a share leave unused is filled by the lane's oldest due jobs (the spill).
//
// The usual queue of a server with one Salesforce org is one tenant's live jobs and nothing in the
// other lanes. Turns and shares then choose that tenant's oldest due jobs, and on SQLite a claim
// takes them straight, after a look at the lanes' indexes (four index steps) that tells it so: the
// walk above is two thirds of a claim's CPU there (docs/performance.md; backend.ts for PostgreSQL).
// A tenant whose first job arrives between the look and the claim waits for the next claim, as it
// would for its turn.
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { BackendCapabilities } from '../backend.ts';
import { jobLanes, type Database, type JobLane, type JobRow } from '../schema.ts';
import { syncingConnection } from './job.ts';
import { claimedJobColumns, toClaimedJob, type ClaimedJob } from './job.ts';

export interface ClaimJobs {
  workerId: string;
  limit: number;
  leaseMs: number;
  now: number;
  /**
   * Per lane (indexed by schema.ts jobLanes), the tenant the claimer served last there: tenants
   * after it (by id, wrapping round) take their turn first. See nextTurns.
   */
  after?: readonly (string | undefined)[];
  /**
   * At most this many of the jobs claimed may be reconciliation or bulk work (default: all of
   * them); 0 claims live work only. A worker keeps room for live changes so.
   */
  beyondLive?: number;
}

export async function claimJobs(
  db: Kysely<Database>,
  backend: BackendCapabilities,
  claim: ClaimJobs,
): Promise<ClaimedJob[]> {
  const { limit } = claim;
  if (limit <= 0) return [];
  const beyondLive = Math.min(limit, Math.max(0, claim.beyondLive ?? limit));
  if (backend.soleTenantClaimStraight) {
    const alone = await soleLiveTenant(db, beyondLive > 0);
    if (alone === null) return [];
    if (alone !== undefined) return claimOldestOf(db, claim, alone);
  }
  return claimInTurn(db, backend, claim, beyondLive);
}

/**
 * Who is waiting: null when no job waits in a lane the claim may take from (`beyondLive`: the
 * reconciliation and bulk lanes too), the tenant when one tenant's live jobs are all that waits
 * there, undefined otherwise (tenants take turns).
 */
async function soleLiveTenant(db: Kysely<Database>, beyondLive: boolean): Promise<string | null | undefined> {
  const live = (order: RawBuilder<unknown>) =>
    sql`(select tenant_id from jobs where state = 'waiting' and lane = ${jobLanes.live} order by ${order} limit 1)`;
  // The other lanes are those numbered after live's (schema.ts): one range of jobs_lane_ready to look at.
  const { rows } = await sql<{ first: string | null; last: string | null; others: number }>`
    select ${live(sql`tenant_id`)} as first, ${live(sql`tenant_id desc`)} as last,
           ${beyondLive ? sql`case when exists (select 1 from jobs where state = 'waiting' and lane > ${jobLanes.live}) then 1 else 0 end` : sql`0`} as others`.execute(
    db,
  );
  const [row] = rows;
  if (row === undefined || row.others !== 0) return undefined;
  if (row.first === null) return null;
  return row.first === row.last ? row.first : undefined;
}

/**
 * The claim of one tenant's live jobs alone: its `limit` oldest due ones, while its connection syncs
 * (SQLite, whose one writer at a time needs no row locks).
 */
async function claimOldestOf(
  db: Kysely<Database>,
  claim: ClaimJobs,
  tenantId: string,
): Promise<ClaimedJob[]> {
  const { rows } = await sql<Pick<JobRow, (typeof claimedJobColumns)[number]>>`
    with picked as (
      select x.id from jobs x
       where x.state = 'waiting' and x.lane = ${jobLanes.live} and x.tenant_id = ${tenantId}
         and x.run_at <= ${claim.now} and exists ${syncingConnection(sql.ref('x.tenant_id'))}
       order by x.run_at, x.id
       limit (select ${claim.limit})
    )
    update jobs
       set state = 'running', lease_owner = ${claim.workerId}, lease_expires_at = ${claim.now + claim.leaseMs},
           attempts = attempts + 1, updated_at = ${claim.now}
     where state = 'waiting' and id in (select id from picked)
    returning ${sql.join(claimedJobColumns.map((column) => sql.id(column)))}`.execute(db);
  return rows.map(toClaimedJob).sort((a, b) => a.runAt - b.runAt || a.id - b.id);
}

/**
 * The claim with tenants taking turns within each lane, and the lanes their shares (the top of this
 * file), whatever waits: what claimJobs does when more than one tenant's live jobs wait.
 */
export async function claimInTurn(
  db: Kysely<Database>,
  backend: BackendCapabilities,
  claim: ClaimJobs,
  beyondLive: number,
): Promise<ClaimedJob[]> {
  const { limit } = claim;
  const reserve = limit > 1 && beyondLive > 0 ? Math.max(1, Math.floor(limit / 10)) : 0;
  const first = limit - reserve;
  const lanes = [
    laneQueries('live', jobLanes.live, backend, claim),
    beyondLive > 0 ? laneQueries('reconcile', jobLanes.reconcile, backend, claim) : noLane('reconcile'),
    beyondLive > 0 ? laneQueries('bulk', jobLanes.bulk, backend, claim) : noLane('bulk'),
  ];
  // Each candidate is ordered within its lane by (spill, round, turn, run_at, id). Live and
  // reconciliation rank 0, 1, …, but from `first` on they step aside for `reserve` bulk jobs,
  // which rank from `first`: the claim takes the `limit` lowest ranks, of which at most
  // `beyondLive` reconciliation and bulk jobs (`k` numbers them in rank order).
  // (On SQLite a bare `limit ?` would have this statement compiled again at every claim: backend.ts.)
  const taken = backend.limitBySubquery ? sql`(select ${limit})` : sql`${limit}`;
  const { rows } = await sql<Pick<JobRow, (typeof claimedJobColumns)[number]>>`
    with recursive ${sql.join(lanes, sql`, `)},
         ranked as (
           select id, lane, case when n < ${first} then n else n + ${reserve} end as score
             from (select id, lane, row_number() over (order by lane, spill, round, turn, run_at, id) - 1 as n
                     from (select ${jobLanes.live} as lane, l.* from live l
                           union all
                           select ${jobLanes.reconcile} as lane, r.* from reconcile r) as l) as numbered_live
           union all
           select id, ${jobLanes.bulk} as lane, ${first} + n as score
             from (select id, row_number() over (order by spill, round, turn, run_at, id) - 1 as n
                     from bulk) as numbered_bulk
         ),
         capped as (
           select id, lane, score,
                  row_number() over (partition by case when lane = ${jobLanes.live} then 0 else 1 end order by score) as k
             from ranked
         )
    update jobs
       set state = 'running', lease_owner = ${claim.workerId}, lease_expires_at = ${claim.now + claim.leaseMs},
           attempts = attempts + 1, updated_at = ${claim.now}
     where state = 'waiting'
       and id in (select id from capped where lane = ${jobLanes.live} or k <= ${beyondLive} order by score limit ${taken})
    returning ${sql.join(claimedJobColumns.map((column) => sql.id(column)))}`.execute(db);
  return rows.map(toClaimedJob).sort((a, b) => a.runAt - b.runAt || a.id - b.id);
}

/** A lane the claim does not look at: no candidates. */
function noLane(name: string): RawBuilder<unknown> {
  return sql`${sql.id(name)} (id, spill, round, turn, run_at) as (select id, 0, 0, 0, run_at from jobs where 1 = 0)`;
}

/**
 * The common table expressions that pick one lane's candidates, the last named `name`:
 * (id, spill, round, turn, run_at) rows, each job of the lane at most once.
 */
function laneQueries(
  name: string,
  lane: JobLane,
  backend: BackendCapabilities,
  { limit, now, after: turns }: ClaimJobs,
): RawBuilder<unknown> {
  const after = turns?.[lane] ?? '';
  const table = (suffix: string) => sql.id(`${name}_${suffix}`);
  const [tenants, due, share, fair, spill] = ['tenants', 'due', 'share', 'fair', 'spill'].map(table) as [
    RawBuilder<unknown>,
    RawBuilder<unknown>,
    RawBuilder<unknown>,
    RawBuilder<unknown>,
    RawBuilder<unknown>,
  ];
  const waiting = (alias: string) =>
    sql`${sql.id(alias, 'state')} = 'waiting' and ${sql.id(alias, 'lane')} = ${lane}`;
  // PostgreSQL: a pick that locks is materialized, run once; as a subquery it could run again for
  // every row the update touches, each run skipping the rows just locked and picking the next.
  const materialized = backend.skipLocked ? sql`materialized` : sql``;
  const lock = backend.skipLocked ? sql`for update skip locked` : sql``;
  const oldestDue = (tenant: RawBuilder<unknown>) => sql`select x.id from jobs x
    where ${waiting('x')} and x.tenant_id = ${tenant} and x.run_at <= ${now}
    order by x.run_at, x.id limit (select n from ${share})`;
  // PostgreSQL takes each tenant's share through a lateral join; SQLite, which has none, through
  // the same pick correlated in the join's condition, the chosen tenants first (its cross join
  // keeps the order written; otherwise it may look through every job for the ones picked).
  const shares = backend.skipLocked
    ? sql`${due} d cross join lateral (${oldestDue(sql`d.tenant_id`)} ${lock}) picked join jobs j on j.id = picked.id`
    : sql`${due} d cross join jobs j on j.id in (${oldestDue(sql`d.tenant_id`)})`;
  // The walk: from `after` up through the tenants with waiting jobs in the lane, then from the
  // first up to `after`, one index step per tenant, until `limit` of them have a due job and a
  // connection that syncs (`found` counts them). The first row is `after` itself, not a tenant.
  const next = (
    condition: RawBuilder<unknown>,
  ) => sql`(select x.id from jobs x where ${waiting('x')} and ${condition}
    order by x.tenant_id, x.run_at, x.id limit 1)`;
  const dueTenant = sql`case when j.run_at <= ${now} and exists ${syncingConnection(sql.ref('j.tenant_id'))} then 1 else 0 end`;
  return sql`
    ${tenants} (tenant_id, wrapped, due, found) as (
      select ${after}, 0, 0, 0
      union all
      select j.tenant_id, case when t.wrapped = 0 and j.tenant_id > t.tenant_id then 0 else 1 end,
             ${dueTenant}, t.found + ${dueTenant}
        from ${tenants} t
        join jobs j on j.id = case
          when t.wrapped = 0 then coalesce(${next(sql`x.tenant_id > t.tenant_id`)}, ${next(sql`x.tenant_id <= ${after}`)})
          else ${next(sql`x.tenant_id > t.tenant_id and x.tenant_id <= ${after}`)} end
       where t.found < ${limit}
    ),
    ${due} as ${materialized} (
      select tenant_id, found - 1 as turn from ${tenants} where due = 1
    ),
    ${share} (n) as (
      -- (SQLite may hold the limit as a real number: the share is cast, a limit must be whole.)
      select case when count(*) = 0 then 0 else cast((${limit} + count(*) - 1) / count(*) as integer) end from ${due}
    ),
    ${fair} as ${materialized} (
      select j.id, j.run_at, d.turn, row_number() over (partition by d.tenant_id order by j.run_at, j.id) - 1 as round
        from ${shares}
    ),
    ${spill} as ${materialized} (
      select x.id, x.run_at from jobs x
       where ${waiting('x')} and x.run_at <= ${now} and exists ${syncingConnection(sql.ref('x.tenant_id'))}
         and x.id not in (select id from ${fair})
       order by x.run_at, x.id
       limit (select case when count(*) < ${limit} then ${limit} - count(*) else 0 end from ${fair})
       ${lock}
    ),
    ${sql.id(name)} (id, spill, round, turn, run_at) as (
      select id, 0, round, turn, run_at from ${fair}
      union all
      select id, 1, 0, 0, run_at from ${spill}
    )`;
}

/**
 * Where each lane's turn stands after a claim: the last tenant served in the lane, in the
 * rotation order the claim used (ids after the lane's previous one first, then from the start).
 * Tenant ids are UUIDs, which the database and JavaScript order alike.
 */
export function nextTurns(
  after: readonly (string | undefined)[],
  claimed: readonly ClaimedJob[],
): (string | undefined)[] {
  const turns = [...after];
  for (const lane of Object.values(jobLanes)) {
    const from = after[lane] ?? '';
    let last: string | undefined;
    for (const job of claimed) {
      if (job.lane !== lane) continue;
      if (last === undefined || turnOrder(job.tenantId, from) > turnOrder(last, from)) last = job.tenantId;
    }
    if (last !== undefined) turns[lane] = last;
  }
  return turns;
}

/** A key that sorts tenant ids in turn after `from`. */
function turnOrder(tenantId: string, from: string): string {
  return `${tenantId > from ? 0 : 1}${tenantId}`;
}
