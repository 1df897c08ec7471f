// The org's users as the engine needs them (email, active, time zone), cached per tenant for an
// hour. When many owners turn out unknown within the hour — a new tenant, a busy start, whether
// they come in one batch or a few per batch — the whole directory is read in one query (2,000
// users per page) instead of one query per batch; a few unknown owners are read by id.
//
// A read in flight is shared: a batch that needs an owner another batch is already reading (or
// any owner while the whole directory is being read) waits for that read instead of sending the
// same query again. Batches claimed side by side as a tenant starts (its first changes arriving
// a few at a time) otherwise each read the same owners: one owner's 1,000 Events sent the query
// three times.
import type { SalesforceRestClient } from '../salesforce/rest-client.ts';
import { soqlIdList } from '../salesforce/soql.ts';

export interface DirectoryUser {
  email: string | null;
  isActive: boolean;
  timeZone: string | null;
}

const fields = 'Id, Email, IsActive, TimeZoneSidKey';
/** From this many unknown owners within the hour on (by id so far, and now), the whole directory is read. */
const wholeDirectoryFrom = 10;

interface TenantUsers {
  loadedAt: number;
  users: Map<string, DirectoryUser>;
  /** Whether the whole directory was read (then a newcomer is read by id). */
  whole: boolean;
  /** Owners read by id since loadedAt. */
  readById: number;
}

/** The reads a tenant has in flight: by owner, and the whole directory's. */
interface TenantReads {
  byId: Map<string, Promise<number>>;
  whole: Promise<number> | undefined;
}

export class UserDirectory {
  readonly #now: () => number;
  readonly #ttlMs: number;
  readonly #tenants = new Map<string, TenantUsers>();
  readonly #reads = new Map<string, TenantReads>();

  constructor(now: () => number, ttlMs = 3_600_000) {
    this.#now = now;
    this.#ttlMs = ttlMs;
  }

  /** Each of `userIds`, or null when the connection cannot see the user; and the API calls it took. */
  async lookup(
    rest: SalesforceRestClient,
    tenantId: string,
    userIds: readonly string[],
  ): Promise<{ users: Map<string, DirectoryUser | null>; calls: number }> {
    let reads = this.#reads.get(tenantId);
    if (reads === undefined) {
      reads = { byId: new Map(), whole: undefined };
      this.#reads.set(tenantId, reads);
    }
    const known = this.#fresh(tenantId);
    const unknown = userIds.filter((id) => known?.users.get(id) === undefined);
    // Owners another batch is reading now (or the whole directory): waited for, not read again.
    const waitsFor = new Map<string, Promise<number>>();
    const missing: string[] = [];
    for (const id of unknown) {
      const read = reads.whole ?? reads.byId.get(id);
      if (read !== undefined) waitsFor.set(id, read);
      else missing.push(id);
    }
    const shared = [...new Set(waitsFor.values())];
    const own = missing.length > 0 ? this.#read(rest, tenantId, reads, missing) : Promise.resolve(0);
    const [ownOutcome, ...sharedOutcomes] = await Promise.allSettled([own, ...shared]);
    if (ownOutcome.status === 'rejected') throw ownOutcome.reason;
    let calls = ownOutcome.value;
    // A shared read that failed is reported by the batch that sent it; the owners this batch
    // waited on it for are read again here, and fail this batch too if that fails.
    const failed = new Set(shared.filter((_, i) => sharedOutcomes[i]?.status === 'rejected'));
    const again = unknown.filter((id) => {
      const read = waitsFor.get(id);
      return read !== undefined && failed.has(read);
    });
    if (again.length > 0) calls += await this.#read(rest, tenantId, reads, again);
    const entry = this.#fresh(tenantId);
    const users = new Map<string, DirectoryUser | null>(
      userIds.map((id) => [id, entry?.users.get(id) ?? null]),
    );
    return { users, calls };
  }

  /** The tenant's cached users, unless older than the hour. */
  #fresh(tenantId: string): TenantUsers | undefined {
    const entry = this.#tenants.get(tenantId);
    return entry !== undefined && entry.loadedAt >= this.#now() - this.#ttlMs ? entry : undefined;
  }

  /** Reads `missing` (or the whole directory), noted as in flight meanwhile; resolves with the API calls it took. */
  #read(
    rest: SalesforceRestClient,
    tenantId: string,
    reads: TenantReads,
    missing: readonly string[],
  ): Promise<number> {
    const now = this.#now();
    let entry = this.#fresh(tenantId);
    // Counted over the hour, not per batch: owners trickling in a few per batch (a busy start at
    // a steady rate) would otherwise cost one query per batch for the whole hour.
    if (entry?.whole !== true && missing.length + (entry?.readById ?? 0) >= wholeDirectoryFrom) {
      const whole = (async () => {
        const records = await rest.query(`SELECT ${fields} FROM User`);
        this.#tenants.set(tenantId, {
          loadedAt: now,
          users: new Map(records.map((r) => [String(r.Id), toUser(r)])),
          whole: true,
          readById: 0,
        });
        return Math.max(1, Math.ceil(records.length / 2000));
      })().finally(() => {
        if (reads.whole === whole) reads.whole = undefined;
      });
      reads.whole = whole;
      return whole;
    }
    entry ??= { loadedAt: now, users: new Map(), whole: false, readById: 0 };
    entry.readById += missing.length;
    this.#tenants.set(tenantId, entry);
    const into = entry;
    const byId = (async () => {
      let calls = 0;
      for (let i = 0; i < missing.length; i += 500) {
        const records = await rest.query(
          `SELECT ${fields} FROM User WHERE Id IN (${soqlIdList(missing.slice(i, i + 500))})`,
        );
        calls++;
        for (const record of records) into.users.set(String(record.Id), toUser(record));
      }
      return calls;
    })().finally(() => {
      for (const id of missing) if (reads.byId.get(id) === byId) reads.byId.delete(id);
    });
    for (const id of missing) reads.byId.set(id, byId);
    return byId;
  }
}

function toUser(record: Record<string, unknown>): DirectoryUser {
  const email = record['Email'];
  const zone = record['TimeZoneSidKey'];
  return {
    email: typeof email === 'string' && email !== '' ? email.toLowerCase() : null,
    isActive: record['IsActive'] === true,
    timeZone: typeof zone === 'string' ? zone : null,
  };
}
