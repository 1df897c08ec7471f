// A tenant's mailbox provider (this version: one per tenant, named "default"): its kind, its
// non-secret settings as JSON, and its credentials sealed.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, MailboxProviderKind, MailboxProviderRow } from './schema.ts';

/** The context a tenant's provider credentials are sealed under (binds them to the row). */
export const providerCredentialsContext = (tenantId: string, providerId: string): string =>
  `tenant:${tenantId}:mailbox-provider:${providerId}:credentials`;

export async function findProvider(
  db: Kysely<Database>,
  tenantId: string,
): Promise<MailboxProviderRow | undefined> {
  return db
    .selectFrom('mailbox_providers')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('name', '=', 'default')
    .executeTakeFirst();
}

export async function saveProvider(
  db: Kysely<Database>,
  provider: {
    tenantId: string;
    kind: MailboxProviderKind;
    settingsJson: string;
    credentialsSealed: (providerId: string) => string | null;
    now: number;
  },
): Promise<string> {
  const existing = await findProvider(db, provider.tenantId);
  const id = existing?.id ?? randomUUID();
  const credentials = provider.credentialsSealed(id);
  if (existing === undefined) {
    await db
      .insertInto('mailbox_providers')
      .values({
        id,
        tenant_id: provider.tenantId,
        kind: provider.kind,
        name: 'default',
        settings_json: provider.settingsJson,
        credentials_sealed: credentials,
        created_at: provider.now,
        updated_at: provider.now,
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
