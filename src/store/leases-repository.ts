// Named leases for work that must run on one node at a time (a tenant's CDC subscription, its
// poll). Taking a lease is one upsert that succeeds only if the lease is free, expired, or
// already ours; a holder that dies stops renewing and another node takes over at expiry.
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/** Takes or renews `name` for `holder` until `now + ttlMs`; true if `holder` now holds it. */
export async function acquireLease(
  db: Kysely<Database>,
  lease: { name: string; holder: string; ttlMs: number; now: number },
): Promise<boolean> {
  const row = await db
    .insertInto('leases')
    .values({
      name: lease.name,
      holder: lease.holder,
      acquired_at: lease.now,
      expires_at: lease.now + lease.ttlMs,
    })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet((eb) => ({
          holder: eb.ref('excluded.holder'),
          expires_at: eb.ref('excluded.expires_at'),
          acquired_at: eb
            .case()
            .when('leases.holder', '=', eb.ref('excluded.holder'))
            .then(eb.ref('leases.acquired_at'))
            .else(eb.ref('excluded.acquired_at'))
            .end(),
        }))
        .where((eb) =>
          eb.or([
            eb('leases.expires_at', '<=', lease.now),
            eb('leases.holder', '=', eb.ref('excluded.holder')),
          ]),
        ),
    )
    .returning('holder')
    .executeTakeFirst();
  return row?.holder === lease.holder;
}

/** Gives `name` up at once if `holder` holds it (a clean shutdown), so another node need not wait. */
export async function releaseLease(db: Kysely<Database>, name: string, holder: string): Promise<void> {
  await db.deleteFrom('leases').where('name', '=', name).where('holder', '=', holder).execute();
}

export async function leaseHolder(
  db: Kysely<Database>,
  name: string,
  now: number,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('leases')
    .select('holder')
    .where('name', '=', name)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return row?.holder;
}

/** The holders of the leases named `prefix…` (no `%` or `_` in it) that have not expired, each once. */
export async function liveLeaseHolders(db: Kysely<Database>, prefix: string, now: number): Promise<string[]> {
  const rows = await db
    .selectFrom('leases')
    .select('holder')
    .distinct()
    .where('name', 'like', `${prefix}%`)
    .where('expires_at', '>', now)
    .orderBy('holder')
    .execute();
  return rows.map((row) => row.holder);
}
