// The store counts each statement it sends (queries, and a transaction's BEGIN and COMMIT): the
// figure behind instant_sync_database_statements_total and the bench's statements per change.
import { expect, it } from 'vitest';
import { describeEachBackend } from '../support/test-databases.ts';

describeEachBackend('statements sent', (database) => {
  it('counts one per query and a transaction as its queries plus BEGIN and COMMIT', async () => {
    const { repos, statements } = database.store;
    const start = statements.sent;
    await repos.tenants.findTenantBySlug('nobody-here');
    expect(statements.sent - start).toBe(1);
    await repos.transaction(async (tx) => {
      await tx.tenants.findTenantBySlug('nobody-here');
      await tx.tenants.findTenantBySlug('nor-here');
    });
    expect(statements.sent - start).toBe(1 + 4);
  });

  it('counts a transaction that rolled back, its ROLLBACK included', async () => {
    const { repos, statements } = database.store;
    const start = statements.sent;
    await expect(
      repos.transaction(async (tx) => {
        await tx.tenants.findTenantBySlug('nobody-here');
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(statements.sent - start).toBe(3);
  });
});
