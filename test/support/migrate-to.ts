// Brings a database to the schema of one migration (not the latest), as an older release left it:
// for the tests of what a later migration does to the rows it finds.
import { Migrator } from 'kysely/migration';
import { allMigrations } from '../../src/store/migrations/index.ts';
import type { Store } from '../../src/store/open-store.ts';

export async function migrateTo(store: Store, name: string): Promise<void> {
  const migrator = new Migrator({
    db: store.db,
    provider: { getMigrations: () => Promise.resolve(allMigrations(store.backend)) },
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
  });
  const { error } = await migrator.migrateTo(name);
  if (error !== undefined)
    throw error instanceof Error ? error : new Error(`could not migrate to ${name}`, { cause: error });
}
