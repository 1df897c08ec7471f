// A mailbox as admins see it (CLI, API): whose, where, from where, and what is wrong with it.
import type { MailboxRow } from '../store/schema.ts';

export interface MailboxView {
  user: string;
  mailbox: string | null;
  source: string;
  state: string;
  timeZone: string | null;
  problem: string | null;
}

export function toMailboxView(row: MailboxRow): MailboxView {
  return {
    user: row.salesforce_user_id,
    mailbox: row.address,
    source: row.source,
    state: row.state,
    timeZone: row.time_zone,
    problem: row.last_error,
  };
}
