// Mailboxes: the calendar of each Salesforce user who owns Events, resolved from the user's email
// (refreshed after a while) or set by an admin (an override, which resolution never replaces).
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, MailboxRow, MailboxState } from './schema.ts';

export async function findMailboxes(
  db: Kysely<Database>,
  tenantId: string,
  userIds: readonly string[],
): Promise<Map<string, MailboxRow>> {
  const found = new Map<string, MailboxRow>();
  if (userIds.length === 0) return found;
  const rows = await db
    .selectFrom('mailboxes')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('salesforce_user_id', 'in', [...userIds])
    .execute();
  for (const row of rows) found.set(row.salesforce_user_id, row);
  return found;
}

export async function listMailboxes(db: Kysely<Database>, tenantId: string): Promise<MailboxRow[]> {
  return db
    .selectFrom('mailboxes')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('address')
    .execute();
}

/** Records what Salesforce says of a user; an admin's override keeps its address. */
export async function saveResolvedMailbox(
  db: Kysely<Database>,
  mailbox: {
    tenantId: string;
    userId: string;
    address: string | null;
    state: MailboxState;
    timeZone: string | null;
    lastError: string | null;
    now: number;
  },
): Promise<void> {
  await db
    .insertInto('mailboxes')
    .values({
      id: randomUUID(),
      tenant_id: mailbox.tenantId,
      salesforce_user_id: mailbox.userId,
      address: mailbox.address,
      source: 'salesforce',
      state: mailbox.state,
      time_zone: mailbox.timeZone,
      last_error: mailbox.lastError,
      resolved_at: mailbox.now,
      created_at: mailbox.now,
      updated_at: mailbox.now,
    })
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'salesforce_user_id']).doUpdateSet((eb) => ({
        address: eb
          .case()
          .when('mailboxes.source', '=', 'override')
          .then(eb.ref('mailboxes.address'))
          .else(eb.ref('excluded.address'))
          .end(),
        state: eb.ref('excluded.state'),
        time_zone: eb.ref('excluded.time_zone'),
        last_error: eb.ref('excluded.last_error'),
        resolved_at: eb.ref('excluded.resolved_at'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
}

/** An admin maps a user to a mailbox of their choosing. */
export async function saveMailboxOverride(
  db: Kysely<Database>,
  mapping: { tenantId: string; userId: string; address: string; now: number },
): Promise<void> {
  await db
    .insertInto('mailboxes')
    .values({
      id: randomUUID(),
      tenant_id: mapping.tenantId,
      salesforce_user_id: mapping.userId,
      address: mapping.address,
      source: 'override',
      state: 'active',
      resolved_at: null,
      created_at: mapping.now,
      updated_at: mapping.now,
    })
    .onConflict((oc) =>
      oc
        .columns(['tenant_id', 'salesforce_user_id'])
        .doUpdateSet({ address: mapping.address, source: 'override', updated_at: mapping.now }),
    )
    .execute();
}
