// The processes running the service (`serve`, `worker`), so a job or lease held by one that died
// is taken back at once when it is restarted on the same host, and within its heartbeat's life
// when it is not: a node renews its row every few seconds, and one whose row has expired holds
// nothing any more.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function nodesSchema(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('nodes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('host_key', 'text', (c) => c.notNull())
        .addColumn('pid', 'integer', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('heartbeat_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('nodes_host_key').on('nodes').column('host_key').execute();
    },
  };
}
