// What Salesforce says of users is recorded many at once (one statement for a batch's owners), on
// both databases; an admin's override keeps its address, and a new address from Salesforce is a
// new mailbox whose existence is not known yet.
import { expect, it } from 'vitest';
import type { ResolvedMailbox } from '../../src/store/mailboxes-repository.ts';
import { describeEachBackend } from '../support/test-databases.ts';

describeEachBackend('mailboxes resolved from Salesforce', (database) => {
  const tenantId = '00000000-0000-4000-8000-00000000b001';
  const resolved = (userId: string, address: string | null, now: number): ResolvedMailbox => ({
    tenantId,
    userId,
    address,
    state: address === null ? 'unresolved' : 'active',
    timeZone: address === null ? null : 'Europe/Berlin',
    lastError: address === null ? 'the user is not visible to the connection' : null,
    now,
  });

  it('saves a batch of users in one statement, and again over the rows it made', async () => {
    const { repos, statements } = database.store;
    await repos.tenants.insertTenant({
      id: tenantId,
      slug: 'mailboxes-acme',
      name: 'Acme',
      client_id: '2000000001',
      webhook_secret_sealed: 'sealed',
      settle_window_ms: 500,
      invitation_policy: 'none',
      delete_policy: 'delete',
      internal_domains_json: '[]',
      exclusion_rules_json: '[]',
      poll_interval_ms: null,
      created_at: 1,
      updated_at: 1,
    });
    const users = Array.from({ length: 600 }, (_, i) => `005U${String(i).padStart(11, '0')}`);
    const before = statements.sent;
    await repos.mailboxes.saveResolvedMailboxes(
      users.map((id, i) => resolved(id, i === 0 ? null : `${id}@acme.example`, 10)),
    );
    // 600 users: 500 in one statement, 100 in another.
    expect(statements.sent - before).toBe(2);
    const found = await repos.mailboxes.findMailboxes(tenantId, users);
    expect(found.size).toBe(600);
    expect(found.get(users[0]!)).toMatchObject({ state: 'unresolved', address: null, time_zone: null });
    expect(found.get(users[1]!)).toMatchObject({
      state: 'active',
      address: `${users[1]}@acme.example`,
      time_zone: 'Europe/Berlin',
      resolved_at: 10,
    });

    // An admin's mapping stays; a mailbox found missing is no longer so once its address changes.
    await repos.mailboxes.saveMailboxOverride({
      tenantId,
      userId: users[1]!,
      address: 'shared@acme.example',
      now: 20,
    });
    await repos.mailboxes.markMailboxMissing({
      id: found.get(users[2]!)!.id,
      reason: 'no such mailbox',
      now: 20,
    });
    await repos.mailboxes.saveResolvedMailboxes([
      resolved(users[1]!, 'renamed@acme.example', 30),
      resolved(users[2]!, 'moved@acme.example', 30),
    ]);
    const again = await repos.mailboxes.findMailboxes(tenantId, users.slice(0, 3));
    expect(again.get(users[1]!)).toMatchObject({ address: 'shared@acme.example', source: 'override' });
    expect(again.get(users[2]!)).toMatchObject({
      address: 'moved@acme.example',
      missing_since: null,
      resolved_at: 30,
    });
  });
});
