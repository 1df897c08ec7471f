// The hot paths' multi-row inserts: on SQLite the rows go in padded to the next power of two
// (one statement text per size class), and what lands is exactly the rows given, in order, on
// either database.
import { beforeEach, expect, it } from 'vitest';
import { addTraces, tracesOf } from '../../src/store/traces-repository.ts';
import { paddedRowCount } from '../../src/store/bulk-insert.ts';
import { seedTenant } from '../support/seed-tenant.ts';
import { describeEachBackend } from '../support/test-databases.ts';

it('pads SQLite statements to the next power of two and leaves PostgreSQL statements as they are', () => {
  expect([1, 2, 3, 5, 8, 9, 200, 257].map((n) => paddedRowCount('question', n))).toEqual([
    1, 2, 4, 8, 8, 16, 256, 512,
  ]);
  expect([1, 3, 9, 257].map((n) => paddedRowCount('numbered', n))).toEqual([1, 3, 9, 257]);
});

describeEachBackend('multi-row inserts', (database) => {
  let tenantId: string;
  beforeEach(async () => {
    tenantId = await seedTenant(database.store.db);
  });

  it('writes exactly the rows given, in their order, whatever their number', async () => {
    for (const count of [1, 3, 5, 17]) {
      const eventId = `00U00000000${String(count).padStart(4, '0')}AAA`;
      const steps = Array.from({ length: count }, (_, i) => ({
        tenant_id: tenantId,
        event_id: eventId,
        job_id: i % 2 === 0 ? null : i,
        at: 1_000 + i,
        step: `step ${i}`,
        message: `message ${i}`,
        data_json: i % 3 === 0 ? null : JSON.stringify({ i }),
      }));
      await addTraces(database.store.db, steps);
      const stored = await tracesOf(database.store.db, eventId, tenantId);
      expect(
        stored.map(({ id: _id, ...row }) => ({
          ...row,
          job_id: row.job_id === null ? null : Number(row.job_id),
        })),
      ).toEqual(steps);
    }
  });

  it('refuses a row without its first column instead of dropping it', async () => {
    await expect(
      addTraces(database.store.db, [
        {
          tenant_id: null as unknown as string,
          event_id: '00U000000000001AAA',
          job_id: null,
          at: 1,
          step: 'read',
          message: 'm',
          data_json: null,
        },
      ]),
    ).rejects.toThrow('a row for traces without its tenant_id');
  });
});
