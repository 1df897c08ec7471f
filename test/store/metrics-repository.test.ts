// The database-backed metric counts: rows counted by a column's value, as numbers on both
// backends (PostgreSQL's count is a bigint, which its driver returns as text).
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { recordChanges } from '../../src/store/changes/record-changes.ts';
import { countRowsBy, type CountedColumn, type CountedTable } from '../../src/store/metrics-repository.ts';
import { seedTenant } from '../support/seed-tenant.ts';
import { describeEachBackend } from '../support/test-databases.ts';

describeEachBackend('metrics repository', (database) => {
  const db = () => database.store.db;

  it('counts rows by the value of a column, as numbers; a value no row has is absent', async () => {
    const tenantId = await seedTenant(db());
    await seedTenant(db(), { connection: 'reconnect_required' });
    await seedTenant(db(), { connection: 'reconnect_required' });
    const change = (eventId: string, source: 'poll' | 'webhook') => ({
      eventId,
      changeType: 'update' as const,
      source,
      dedupeKey: `test:${randomUUID()}`,
      committedAt: null,
    });
    await recordChanges(db(), {
      tenantId,
      settleWindowMs: 0,
      now: 1000,
      changes: [change('E1', 'poll'), change('E2', 'poll'), change('E1', 'webhook')],
    });
    const counted = async (table: CountedTable, column: CountedColumn) =>
      new Map((await countRowsBy(db(), table, column)).map((row) => [row.value, row.n]));

    expect(await counted('changes', 'source')).toEqual(
      new Map([
        ['poll', 2],
        ['webhook', 1],
      ]),
    );
    expect(await counted('jobs', 'state')).toEqual(new Map([['waiting', 2]]));
    expect(await counted('salesforce_connections', 'state')).toEqual(
      new Map([
        ['connected', 1],
        ['reconnect_required', 2],
      ]),
    );
  });
});
