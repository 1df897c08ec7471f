import { describe, expect, it } from 'vitest';
import { planSync, type LinkView } from './plan-sync.ts';

const link: LinkView = { mailboxId: 'mb-1', contentHash: 'h1', state: 'active' };

describe('planSync', () => {
  it.each([
    [
      'a new Event',
      { kind: 'item', mailboxId: 'mb-1', hash: 'h1' },
      undefined,
      'delete',
      { action: 'create', mailboxId: 'mb-1' },
    ],
    [
      'an Event whose item was deleted',
      { kind: 'item', mailboxId: 'mb-1', hash: 'h1' },
      { ...link, state: 'deleted' },
      'delete',
      { action: 'create', reason: 'back in the calendar' },
    ],
    [
      'an Event deleted after a create whose answer was lost',
      { kind: 'absent', reason: 'deleted in Salesforce' },
      { ...link, state: 'deleted', createPending: true },
      'delete',
      {
        action: 'delete',
        mailboxId: 'mb-1',
        reason: 'deleted in Salesforce; an earlier create may have reached the calendar',
      },
    ],
    [
      'an unchanged Event',
      { kind: 'item', mailboxId: 'mb-1', hash: 'h1' },
      link,
      'delete',
      { action: 'none', reason: 'the calendar item is already up to date' },
    ],
    [
      'a changed Event',
      { kind: 'item', mailboxId: 'mb-1', hash: 'h2' },
      link,
      'delete',
      { action: 'update', mailboxId: 'mb-1' },
    ],
    [
      'an Event with a new owner',
      { kind: 'item', mailboxId: 'mb-2', hash: 'h1' },
      link,
      'delete',
      { action: 'move', fromMailboxId: 'mb-1', toMailboxId: 'mb-2' },
    ],
    [
      'a deleted Event',
      { kind: 'absent', reason: 'deleted in Salesforce' },
      link,
      'delete',
      { action: 'delete', reason: 'deleted in Salesforce' },
    ],
    [
      'a deleted Event under the keep policy',
      { kind: 'absent', reason: 'deleted in Salesforce' },
      link,
      'keep',
      { action: 'none' },
    ],
    [
      'a deleted Event never synced',
      { kind: 'absent', reason: 'deleted in Salesforce' },
      undefined,
      'delete',
      { action: 'none' },
    ],
    [
      'an Event that cannot be mapped',
      { kind: 'unmappable', reason: 'End is before Start' },
      link,
      'delete',
      { action: 'none', reason: 'End is before Start' },
    ],
  ] as const)('plans %s', (_name, desired, current, policy, expected) => {
    expect(planSync(desired, current, policy)).toMatchObject(expected);
  });
});
