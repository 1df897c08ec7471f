// What change intake needs to be durable and to run on one node at a time: each source's
// position per tenant (a CDC replay id, a polling watermark), saved in the same transaction as
// the changes it covers, and named leases so a tenant's subscription or poll runs on one node.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function intakeSchema(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('intake_positions')
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('position', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('intake_positions_pk', ['tenant_id', 'source'])
        .execute();

      await db.schema
        .createTable('leases')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('holder', 'text', (c) => c.notNull())
        .addColumn('acquired_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}
