// A tenant's mailbox providers: each named (the first one "default" unless named otherwise), one of
// them the tenant's default; each with its kind, its non-secret settings as JSON, and its
// credentials sealed. A hybrid tenant has several (say `onprem` over EWS and `cloud` over Graph).
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database, MailboxProviderKind, MailboxProviderRow } from './schema.ts';

/** The tenant's providers, the default first, then by name. */
export async function listProviders(db: Kysely<Database>, tenantId: string): Promise<MailboxProviderRow[]> {
  return db
    .selectFrom('mailbox_providers')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('is_default', 'desc')
    .orderBy('name')
    .execute();
}

/** The tenant's default provider: the one mailboxes that name none go through. */
export async function findDefaultProvider(
  db: Kysely<Database>,
  tenantId: string,
): Promise<MailboxProviderRow | undefined> {
  // `is_default` is compared with literals here: it conditions a partial index, and SQLite compiles
  // again at every run a statement that binds a value compared with it (node-sqlite-dialect.ts).
  return db
    .selectFrom('mailbox_providers')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('is_default', '=', sql.lit(1))
    .executeTakeFirst();
}

export async function findProviderByName(
  db: Kysely<Database>,
  tenantId: string,
  name: string,
): Promise<MailboxProviderRow | undefined> {
  return db
    .selectFrom('mailbox_providers')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('name', '=', name)
    .executeTakeFirst();
}

/**
 * Creates or changes the provider named `name`. A tenant's first provider is its default; another
 * becomes the default only when asked (`makeDefault`, see setDefaultProvider). Returns the row's id.
 */
export async function saveProvider(
  db: Kysely<Database>,
  provider: {
    tenantId: string;
    name: string;
    kind: MailboxProviderKind;
    settingsJson: string;
    credentialsSealed: (providerId: string) => string | null;
    now: number;
  },
): Promise<string> {
  const existing = await findProviderByName(db, provider.tenantId, provider.name);
  const id = existing?.id ?? randomUUID();
  const credentials = provider.credentialsSealed(id);
  if (existing === undefined) {
    const first = (await findDefaultProvider(db, provider.tenantId)) === undefined;
    await db
      .insertInto('mailbox_providers')
      .values({
        id,
        tenant_id: provider.tenantId,
        kind: provider.kind,
        name: provider.name,
        settings_json: provider.settingsJson,
        credentials_sealed: credentials,
        created_at: provider.now,
        updated_at: provider.now,
        is_default: first ? 1 : 0,
      })
      .execute();
  } else {
    await db
      .updateTable('mailbox_providers')
      .set({
        kind: provider.kind,
        settings_json: provider.settingsJson,
        credentials_sealed: credentials ?? existing.credentials_sealed,
        updated_at: provider.now,
      })
      .where('id', '=', id)
      .execute();
  }
  return id;
}

/** Makes `providerId` the tenant's default (run it in a transaction with what follows from it). */
export async function setDefaultProvider(
  db: Kysely<Database>,
  provider: { tenantId: string; id: string; now: number },
): Promise<void> {
  await db
    .updateTable('mailbox_providers')
    .set({ is_default: 0, updated_at: provider.now })
    .where('tenant_id', '=', provider.tenantId)
    .where('is_default', '=', sql.lit(1))
    .where('id', '!=', provider.id)
    .execute();
  await db
    .updateTable('mailbox_providers')
    .set({ is_default: 1, updated_at: provider.now })
    .where('id', '=', provider.id)
    .where('is_default', '=', sql.lit(0))
    .execute();
}

/** Removes a provider that is not the default; its mailboxes go through the default from then on. */
export async function deleteProvider(db: Kysely<Database>, providerId: string): Promise<void> {
  await db
    .updateTable('mailboxes')
    .set({ provider_id: null })
    .where('provider_id', '=', providerId)
    .execute();
  await db
    .deleteFrom('mailbox_providers')
    .where('id', '=', providerId)
    .where('is_default', '=', sql.lit(0))
    .execute();
}
