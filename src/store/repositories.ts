// The repositories, bound to one database handle: what the rest of the code holds instead of
// the database. `repositories(db)` is called where the store is opened (the composition root);
// every module above store/ names the repositories it uses in its deps (`Pick<Repositories,
// 'tenants' | 'links'>`) and calls `repos.tenants.findTenantById(id)`. Only store/ and the
// composition root ever see the Kysely handle (eslint.config.js enforces it).
//
// Each repository module's functions take the handle first (`findTenantById(db, id)`); binding
// drops that argument. A transaction hands its work the same repositories bound to the
// transaction, so what is written inside it commits together or not at all.
import * as adminSessions from './admin-sessions-repository.ts';
import * as cdcStates from './cdc-states-repository.ts';
import * as knownFromChanges from './changes/known-from-changes.ts';
import * as recordChanges from './changes/record-changes.ts';
import { inTransaction, type Db } from './db.ts';
import * as databaseFiles from './database-files-repository.ts';
import * as eventRecords from './event-records-repository.ts';
import * as intakePositions from './intake-positions-repository.ts';
import * as claimJobs from './jobs/claim-jobs.ts';
import * as completeJob from './jobs/complete-job.ts';
import * as countJobs from './jobs/count-jobs.ts';
import * as deadJobs from './jobs/dead-jobs.ts';
import * as deadLetterJob from './jobs/dead-letter-job.ts';
import * as enqueueJob from './jobs/enqueue-job.ts';
import * as releaseExpiredLeases from './jobs/release-expired-leases.ts';
import * as renewLeases from './jobs/renew-leases.ts';
import * as rescheduleJob from './jobs/reschedule-job.ts';
import * as leases from './leases-repository.ts';
import * as links from './links-repository.ts';
import * as mailboxProviders from './mailbox-providers-repository.ts';
import * as mailboxes from './mailboxes-repository.ts';
import * as meta from './meta-repository.ts';
import * as metrics from './metrics-repository.ts';
import * as nodes from './nodes-repository.ts';
import * as oauthStates from './oauth-states-repository.ts';
import * as overview from './overview-repository.ts';
import * as queueSamples from './queue-samples-repository.ts';
import * as retention from './retention-repository.ts';
import * as syncMinutes from './sync-minutes-repository.ts';
import * as rateLimits from './rate-limits-repository.ts';
import * as salesforceConnections from './salesforce-connections-repository.ts';
import * as sealedValues from './sealed-values-repository.ts';
import * as series from './series-repository.ts';
import * as tenants from './tenants-repository.ts';
import * as traces from './traces-repository.ts';

/** A module's functions that take the database first, with that argument bound. */
type Bound<M> = {
  [K in keyof M as M[K] extends (db: Db, ...args: never[]) => unknown ? K : never]: M[K] extends (
    db: Db,
    ...args: infer A
  ) => infer R
    ? (...args: A) => R
    : never;
};

const modules = {
  adminSessions: [adminSessions],
  cdcStates: [cdcStates],
  changes: [recordChanges, knownFromChanges],
  databaseFiles: [databaseFiles],
  eventRecords: [eventRecords],
  intakePositions: [intakePositions],
  jobs: [
    enqueueJob,
    claimJobs,
    completeJob,
    rescheduleJob,
    deadLetterJob,
    renewLeases,
    releaseExpiredLeases,
    countJobs,
    deadJobs,
  ],
  leases: [leases],
  links: [links],
  mailboxProviders: [mailboxProviders],
  mailboxes: [mailboxes],
  meta: [meta],
  metrics: [metrics],
  nodes: [nodes],
  oauthStates: [oauthStates],
  overview: [overview],
  queueSamples: [queueSamples],
  rateLimits: [rateLimits],
  retention: [retention],
  salesforceConnections: [salesforceConnections],
  sealedValues: [sealedValues],
  series: [series],
  syncMinutes: [syncMinutes],
  tenants: [tenants],
  traces: [traces],
} as const;

type Merge<L extends readonly unknown[]> = L extends readonly [infer H, ...infer T]
  ? Bound<H> & Merge<T>
  : unknown;

type BoundRepositories = { -readonly [N in keyof typeof modules]: Merge<(typeof modules)[N]> };

export type Repositories = BoundRepositories & {
  /**
   * Runs `work` in one transaction with the repositories bound to it: its writes commit together
   * or not at all (on SQLite `BEGIN IMMEDIATE`, so it waits for the write lock up front).
   */
  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T>;
};

/**
 * Each repository's functions, listed once. Every transaction binds them to itself (the engine
 * settles finished jobs in one every 20 ms or so while it works), and reading the modules'
 * namespaces anew each time took 70-100 µs a transaction, 5 % of the service's CPU through the
 * middle of `one-mailbox` (a CPU profile, docs/performance.md); binding from this list takes 5-11 µs.
 */
type Unbound = (db: Db, ...args: unknown[]) => unknown;
const functionsOf: readonly (readonly [name: string, functions: readonly (readonly [string, Unbound])[]])[] =
  Object.entries(modules).map(([name, list]) => [
    name,
    list.flatMap((module) =>
      Object.entries(module).filter((entry): entry is [string, Unbound] => typeof entry[1] === 'function'),
    ),
  ]);

/** Every repository bound to `db` (the database or a transaction on it). */
export function repositories(db: Db): Repositories {
  const bound: Record<string, Record<string, unknown>> = {};
  for (const [name, list] of functionsOf) {
    const functions: Record<string, unknown> = {};
    for (const [key, fn] of list) functions[key] = (...args: unknown[]) => fn(db, ...args);
    bound[name] = functions;
  }
  return {
    ...(bound as BoundRepositories),
    transaction: (work) => inTransaction(db, (tx) => work(repositories(tx))),
  };
}
