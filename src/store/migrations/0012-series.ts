// Lightning event series: Salesforce keeps a series record (the pattern) and one Event record per
// occurrence; the calendar keeps one series. `series_members` says which series each occurrence
// record belongs to and which of the series' dates it stands for (so a deleted occurrence, which
// Salesforce no longer describes, still finds its series, and a moved one keeps its date);
// `series_states` keeps, per series, what was last applied to the calendar series' occurrences.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function seriesSchema(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('series_members')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('series_event_id', 'text', (c) => c.notNull())
        .addColumn('slot_date', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('series_members_pk', ['tenant_id', 'event_id'])
        .execute();
      await db.schema
        .createIndex('series_members_series')
        .on('series_members')
        .columns(['tenant_id', 'series_event_id'])
        .execute();
      await db.schema
        .createTable('series_states')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('series_event_id', 'text', (c) => c.notNull())
        .addColumn('state_json', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('series_states_pk', ['tenant_id', 'series_event_id'])
        .execute();
    },
  };
}
