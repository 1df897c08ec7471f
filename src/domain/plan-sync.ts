// planSync: what to do to a mailbox so it matches Salesforce for one Event, with the reason. Pure:
// it compares what the Event should be (an item, nothing, or "leave it") with the link to what
// the mailbox holds. An update whose content is unchanged is nothing: no provider call.

export type DeletePolicy = 'delete' | 'keep';

export interface LinkView {
  mailboxId: string;
  contentHash: string;
  state: 'active' | 'deleted';
  /** A create was sent to `mailboxId` and its answer never saved: an item may be there. */
  createPending?: boolean;
}

export type Desired =
  /** The Event should be in `mailboxId` as an item whose canonical content hashes to `hash`. */
  | { kind: 'item'; mailboxId: string; hash: string }
  /** The Event is gone (deleted, undeletable, not found) or excluded by a rule: no item should exist. */
  | { kind: 'absent'; reason: string }
  /** The Event cannot be mapped faithfully now: leave any existing item alone and report why. */
  | { kind: 'unmappable'; reason: string };

export type SyncPlan =
  | { action: 'create'; mailboxId: string; reason: string }
  | { action: 'update'; mailboxId: string; reason: string }
  | { action: 'move'; fromMailboxId: string; toMailboxId: string; reason: string }
  | { action: 'delete'; mailboxId: string; reason: string }
  | { action: 'none'; reason: string };

export function planSync(desired: Desired, link: LinkView | undefined, deletePolicy: DeletePolicy): SyncPlan {
  const live = link !== undefined && link.state === 'active' ? link : undefined;
  switch (desired.kind) {
    case 'item':
      if (live === undefined) {
        return {
          action: 'create',
          mailboxId: desired.mailboxId,
          reason: link === undefined ? 'new in the calendar' : 'back in the calendar',
        };
      }
      if (live.mailboxId !== desired.mailboxId) {
        return {
          action: 'move',
          fromMailboxId: live.mailboxId,
          toMailboxId: desired.mailboxId,
          reason: 'the owner changed',
        };
      }
      if (live.contentHash === desired.hash)
        return { action: 'none', reason: 'the calendar item is already up to date' };
      return { action: 'update', mailboxId: live.mailboxId, reason: 'the Event changed' };
    case 'absent':
      if (live === undefined && link?.createPending === true)
        return {
          action: 'delete',
          mailboxId: link.mailboxId,
          reason: `${desired.reason}; an earlier create may have reached the calendar`,
        };
      if (live === undefined) return { action: 'none', reason: `${desired.reason}; nothing in the calendar` };
      if (deletePolicy === 'keep')
        return {
          action: 'none',
          reason: `${desired.reason}; the tenant keeps calendar items of deleted Events`,
        };
      return { action: 'delete', mailboxId: live.mailboxId, reason: desired.reason };
    case 'unmappable':
      return { action: 'none', reason: desired.reason };
  }
}
