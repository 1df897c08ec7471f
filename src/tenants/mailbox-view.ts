// A mailbox as admins see it (CLI, admin page, API): whose, where, from where, and what is wrong
// with it. `not_found` is the provider's word: the mailbox does not exist there, or the provider
// refuses the service access to it (the problem says which), and the owner's Events wait for it
// (`waitingEvents`) until it is created, access is granted, or the owner is mapped to another.
import type { ListedMailbox } from '../store/mailboxes-repository.ts';

export type MailboxViewState = 'active' | 'inactive' | 'unresolved' | 'not_found';

export interface MailboxView {
  user: string;
  mailbox: string | null;
  source: string;
  /** The provider assigned to the mailbox (a hybrid tenant's); null: the tenant's default. */
  provider: string | null;
  state: MailboxViewState;
  timeZone: string | null;
  problem: string | null;
  /** Since when the provider has said the mailbox does not exist (ISO), if it has. */
  notFoundSince: string | null;
  /** The owner's Events that wait for the mailbox to exist. */
  waitingEvents: number;
}

export function toMailboxView(row: ListedMailbox): MailboxView {
  const notFound = row.state === 'active' && row.missing_since !== null;
  return {
    user: row.salesforce_user_id,
    mailbox: row.address,
    source: row.source,
    provider: row.provider_name,
    state: notFound ? 'not_found' : row.state,
    timeZone: row.time_zone,
    problem: notFound ? row.missing_reason : row.last_error,
    notFoundSince: row.missing_since === null ? null : new Date(row.missing_since).toISOString(),
    waitingEvents: row.waiting_events,
  };
}

/** The state in words, for tables. */
export function describeMailboxState(view: MailboxView): string {
  if (view.state !== 'not_found') return view.state;
  const n = view.waitingEvents;
  return `not found${n > 0 ? ` (${n} Event${n === 1 ? '' : 's'} waiting)` : ''}`;
}
