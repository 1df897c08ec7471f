// The admin read model's queries: what the overview, /api/tenants, the failures list and the
// latency chart read from the traces, jobs and providers. Rows only; the admin code turns them
// into counts, percentiles and entries.
import { sql, type Kysely } from 'kysely';
import type { Database, MailboxProviderKind } from './schema.ts';
import { subjectOf } from './traces-repository.ts';

/** A synced change (an `apply` step): when it was written, and its end-to-end latency if recorded. */
export interface AppliedSync {
  at: number;
  latencyMs: number | undefined;
}

function latencyOf(dataJson: string | null): number | undefined {
  const latency = (JSON.parse(dataJson ?? '{}') as { latencyMs?: number }).latencyMs;
  return typeof latency === 'number' ? latency : undefined;
}

/**
 * The kinds of a tenant's mailbox providers, the default first, then by name: the overview
 * shows the default's kind and every kind (a hybrid tenant has several).
 */
export async function providerKindsOf(
  db: Kysely<Database>,
  tenantId: string,
): Promise<MailboxProviderKind[]> {
  const rows = await db
    .selectFrom('mailbox_providers')
    .select('kind')
    .where('tenant_id', '=', tenantId)
    .orderBy('is_default', 'desc')
    .orderBy('name')
    .execute();
  return rows.map((row) => row.kind);
}

/**
 * Syncs (`apply` traces) at or after `since`, of one tenant or of all, newest first, at most
 * `limit`: the overview's synced counts and latency percentiles, and the latency chart. Bounded so
 * a busy server's pages stay quick.
 */
export async function syncsSince(
  db: Kysely<Database>,
  query: { tenantId?: string | undefined; since: number; limit: number },
): Promise<AppliedSync[]> {
  const rows = await db
    .selectFrom('traces')
    .select(['at', 'data_json'])
    .$if(query.tenantId !== undefined, (qb) => qb.where('tenant_id', '=', query.tenantId ?? ''))
    .where('step', '=', 'apply')
    .where('at', '>=', query.since)
    .orderBy('at', 'desc')
    .limit(query.limit)
    .execute();
  return rows.map((row) => ({ at: row.at, latencyMs: latencyOf(row.data_json) }));
}

export interface DeadLetter {
  tenantId: string;
  eventId: string;
  lastError: string | null;
  updatedAt: number;
  attempts: number;
}

/** Dead-lettered jobs, of one tenant or all, most recently dead first, at most `limit`: the failures list. */
export async function deadLetters(
  db: Kysely<Database>,
  options: { tenantId?: string | undefined; limit: number },
): Promise<DeadLetter[]> {
  const rows = await db
    .selectFrom('jobs')
    .select(['tenant_id', 'event_id', 'last_error', 'updated_at', 'attempts'])
    .where('state', '=', sql.lit('dead'))
    .$if(options.tenantId !== undefined, (qb) => qb.where('tenant_id', '=', options.tenantId ?? ''))
    .orderBy('updated_at', 'desc')
    .limit(options.limit)
    .execute();
  return rows.map((row) => ({
    tenantId: row.tenant_id,
    eventId: row.event_id,
    lastError: row.last_error,
    updatedAt: row.updated_at,
    attempts: row.attempts,
  }));
}

export interface Skip {
  tenantId: string;
  eventId: string;
  message: string;
  at: number;
}

/**
 * The `skip` traces at or after `since`, of one tenant or all, newest first, at most `limit`
 * (an Event skipped several times appears several times): the failures list.
 */
export async function skipsSince(
  db: Kysely<Database>,
  options: { since: number; tenantId?: string | undefined; limit: number },
): Promise<Skip[]> {
  const rows = await db
    .selectFrom('traces')
    .select(['tenant_id', 'event_id', 'message', 'at'])
    .where('step', '=', 'skip')
    .where('at', '>=', options.since)
    .$if(options.tenantId !== undefined, (qb) => qb.where('tenant_id', '=', options.tenantId ?? ''))
    .orderBy('at', 'desc')
    .limit(options.limit)
    .execute();
  return rows.map((row) => ({
    tenantId: row.tenant_id,
    eventId: row.event_id,
    message: row.message,
    at: row.at,
  }));
}

/** What the admin pages name an Event by: its subject, the mailbox its item is in and its owner, when known. */
export interface EventLabel {
  subject: string | null;
  mailbox: string | null;
  ownerId: string | null;
}

/**
 * The labels of these Events of one tenant, by Event id: the subject from the record the last sync
 * used, or else from the latest change that carried the Event (a CDC create), and the mailbox and
 * owner of its link. An Event nothing is known of has no entry.
 */
export async function eventLabels(
  db: Kysely<Database>,
  tenantId: string,
  eventIds: readonly string[],
): Promise<Map<string, EventLabel>> {
  const labels = new Map<string, EventLabel>();
  for (let i = 0; i < eventIds.length; i += 500) {
    const chunk = eventIds.slice(i, i + 500);
    const links = await db
      .selectFrom('links')
      .leftJoin('mailboxes', 'mailboxes.id', 'links.mailbox_id')
      .select(['links.event_id', 'links.record_json', 'mailboxes.address', 'mailboxes.salesforce_user_id'])
      .where('links.tenant_id', '=', tenantId)
      .where('links.event_id', 'in', chunk)
      .execute();
    for (const link of links)
      labels.set(link.event_id, {
        subject: subjectOf(link.record_json),
        mailbox: link.address,
        ownerId: link.salesforce_user_id,
      });
    const unnamed = chunk.filter((id) => (labels.get(id)?.subject ?? null) === null);
    if (unnamed.length === 0) continue;
    const carried = await db
      .selectFrom('changes')
      .select(['event_id', 'payload_json'])
      .where('tenant_id', '=', tenantId)
      .where('event_id', 'in', unnamed)
      .where('payload_json', 'is not', null)
      .orderBy('id', 'desc')
      .execute();
    for (const change of carried) {
      const subject = subjectOf(change.payload_json);
      const label = labels.get(change.event_id);
      if (subject === null || (label?.subject ?? null) !== null) continue;
      labels.set(change.event_id, {
        subject,
        mailbox: label?.mailbox ?? null,
        ownerId: label?.ownerId ?? null,
      });
    }
  }
  return labels;
}
