// What Google Calendar can do and show, declared once (the plugin and the provider carry this
// object): its per-user quota, how a create is made idempotent, and what a plain Google event
// cannot express, with what is written instead.
import type { ProviderCapabilities } from '../calendar-provider.ts';
import { googleShowAs, maxReminderMinutes } from './to-google-event.ts';

export const googleCapabilities: ProviderCapabilities = {
  maxConcurrentPerMailbox: 4,
  // "Per minute per user per project: 600 requests", over a sliding window. Google counts a patch
  // (every update) as three quota units, so a mailbox's burst of updates may still meet
  // 403 rateLimitExceeded, which backs that mailbox off.
  requestsPerWindow: { count: 600, windowMs: 60_000 },
  idempotentCreate: {
    how: 'the event id is derived from the Salesforce Event id, so a repeated create meets the existing event (409 duplicate) and patches it',
  },
  showAs: googleShowAs,
  privateItems: true,
  maxReminderMinutes,
  attendeeTypes: ['required', 'optional'],
  recurrence: ['daily', 'weekly', 'monthly', 'yearly'],
  // Google documents no rule like Outlook's ErrorOccurrenceCrossingBoundary: an instance's times are
  // its own, so one may move past its neighbours.
  seriesInstances: { moveAcrossNeighbours: true },
  limitations: [
    'a plain Google Calendar event is busy or free only: tentative and out of office are written as busy, working elsewhere as free',
    'a reminder more than four weeks (40,320 minutes) before the start is written as four weeks',
    'an occurrence made private on its own makes its whole series private: Google applies a more restrictive visibility of one occurrence to all of them',
  ],
};
