// What Exchange Server over EWS can do and show, declared once (the plugin and the provider carry
// this object): how hard one mailbox may be driven, that a create has no idempotency key, and
// what Exchange's calendar cannot express, with what is done instead.
import type { ShowAs } from '../../domain/calendar-item.ts';
import type { ProviderCapabilities } from '../calendar-provider.ts';

/** types.xsd: ReminderMinutesBeforeStartType is an int from 0 to 2,629,800 (five years of minutes). */
export const maxReminderMinutes = 2_629_800;

/** LegacyFreeBusyStatus has a value for every show-as Salesforce has. */
export const ewsShowAs: Readonly<Record<ShowAs, ShowAs>> = {
  free: 'free',
  tentative: 'tentative',
  busy: 'busy',
  oof: 'oof',
  workingElsewhere: 'workingElsewhere',
};

export const ewsCapabilities: ProviderCapabilities = {
  // Exchange throttles by budgets an administrator sets (EWSMaxConcurrency, 27 by default since
  // Exchange 2013, charged to the service account across every mailbox it acts as), and
  // documents no per-mailbox rate: a few requests at once per mailbox, and a generous window the
  // server's own ErrorServerBusy back-off hint tightens when it must.
  maxConcurrentPerMailbox: 4,
  requestsPerWindow: { count: 600, windowMs: 60_000 },
  // EWS has no client request id: a create retried after a lost answer is preceded by a search
  // for the Salesforce id stamp (the engine does it whenever a create's answer may have been lost).
  idempotentCreate: null,
  showAs: ewsShowAs,
  privateItems: true,
  maxReminderMinutes,
  attendeeTypes: ['required', 'optional'],
  recurrence: ['daily', 'weekly', 'monthly', 'yearly'],
  // Microsoft: ErrorOccurrenceCrossingBoundary "occurs when the Start or End time of an
  // occurrence is updated so that the occurrence is scheduled to happen earlier or later than the
  // corresponding previous or next occurrence".
  seriesInstances: { moveAcrossNeighbours: false },
  limitations: [
    'a create has no idempotency key: a create retried after its answer was lost is preceded by a search for the item stamped with the Salesforce id, so it makes one item',
    'an occurrence of a series cannot move past a neighbouring occurrence: such an occurrence is cancelled in the series and shown as an item of its own',
    'a series or all-day Event in a time zone no Windows time zone keeps time like over its dates is skipped with that reason (a single timed Event is written in UTC instead, its instants exact)',
    'a series on the 29th, 30th or 31st of the month, which Exchange would move to the last day of shorter months, is skipped with that reason',
    'a yearly series every 9 or more years, and a monthly or yearly series at a position on a set of days other than one weekday, weekdays, weekend days or any day, have no Exchange pattern and are skipped with that reason',
    'a reminder more than 2,629,800 minutes (five years) before the start is written as that',
  ],
};
