// Where each change source of a tenant has read up to: saved, read, and forgotten per source.
import { expect, it } from 'vitest';
import { forgetPosition, readPosition, savePosition } from '../../src/store/intake-positions-repository.ts';
import { seedTenant } from '../support/seed-tenant.ts';
import { describeEachBackend } from '../support/test-databases.ts';

describeEachBackend('intake positions', (database) => {
  const db = () => database.store.db;

  it("forgets one source's position of one tenant, keeping the others", async () => {
    const a = await seedTenant(db());
    const b = await seedTenant(db());
    for (const tenantId of [a, b]) {
      await savePosition(db(), { tenantId, source: 'cdc', value: `replay-${tenantId}`, now: 1000 });
      await savePosition(db(), { tenantId, source: 'poll', value: '5000', now: 1000 });
    }
    await forgetPosition(db(), a, 'cdc');
    expect(await readPosition(db(), a, 'cdc')).toBeUndefined();
    expect(await readPosition(db(), a, 'poll')).toBe('5000');
    expect(await readPosition(db(), b, 'cdc')).toBe(`replay-${b}`);
    // Forgetting what is not there is no error.
    await forgetPosition(db(), a, 'cdc');
  });
});
