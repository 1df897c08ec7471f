// The org's users as the engine needs them (email, active, time zone), cached per tenant for an
// hour. When many owners turn out unknown within the hour — a new tenant, a busy start, whether
// they come in one batch or a few per batch — the whole directory is read in one query (2,000
// users per page) instead of one query per batch; a few unknown owners are read by id.
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

export class UserDirectory {
  readonly #now: () => number;
  readonly #ttlMs: number;
  readonly #tenants = new Map<string, TenantUsers>();

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
    let calls = 0;
    const now = this.#now();
    let entry = this.#tenants.get(tenantId);
    if (entry !== undefined && entry.loadedAt < now - this.#ttlMs) entry = undefined;
    const missing = userIds.filter((id) => entry?.users.get(id) === undefined);
    // Counted over the hour, not per batch: owners trickling in a few per batch (a busy start at
    // a steady rate) would otherwise cost one query per batch for the whole hour.
    if (
      missing.length > 0 &&
      entry?.whole !== true &&
      missing.length + (entry?.readById ?? 0) >= wholeDirectoryFrom
    ) {
      const records = await rest.query(`SELECT ${fields} FROM User`);
      calls += Math.max(1, Math.ceil(records.length / 2000));
      entry = {
        loadedAt: now,
        users: new Map(records.map((r) => [String(r.Id), toUser(r)])),
        whole: true,
        readById: 0,
      };
      this.#tenants.set(tenantId, entry);
    } else if (missing.length > 0) {
      entry ??= { loadedAt: now, users: new Map(), whole: false, readById: 0 };
      entry.readById += missing.length;
      this.#tenants.set(tenantId, entry);
      for (let i = 0; i < missing.length; i += 500) {
        const records = await rest.query(
          `SELECT ${fields} FROM User WHERE Id IN (${soqlIdList(missing.slice(i, i + 500))})`,
        );
        calls++;
        for (const record of records) entry.users.set(String(record.Id), toUser(record));
      }
    }
    const users = new Map<string, DirectoryUser | null>(
      userIds.map((id) => [id, entry?.users.get(id) ?? null]),
    );
    return { users, calls };
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
