// Admin sign-ins as rows (so signing out, or a new admin password, ends them on every node at
// once) and shared rate-limit counters (so a lockout holds across nodes and restarts, and
// concurrent guesses cannot all slip in before the first failure is counted).
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function securitySchema(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('admin_sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('credential', 'text', (c) => c.notNull())
        .addColumn('client', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('admin_sessions_expires_at')
        .on('admin_sessions')
        .column('expires_at')
        .execute();
      await db.schema
        .createTable('rate_limits')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('window_started_at', 'bigint', (c) => c.notNull())
        .addColumn('hits', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('rate_limits_window_started_at')
        .on('rate_limits')
        .column('window_started_at')
        .execute();
    },
  };
}
