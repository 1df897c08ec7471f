// The provider-neutral calendar item: what a Salesforce Event becomes before any provider sees
// it. Providers translate it to Graph, EWS or Google wire shapes; the engine hashes its canonical
// form to tell whether an update would change anything.

export type ShowAs = 'free' | 'tentative' | 'busy' | 'oof' | 'workingElsewhere';

export type ItemTiming =
  /** Instants (epoch ms) shown in `timeZone` (IANA), the owner's zone. */
  | { kind: 'timed'; start: number; end: number; timeZone: string }
  /**
   * Whole days: `startDate` up to, not including, `endDate` (YYYY-MM-DD). The dates are never
   * shifted; `timeZone` (the owner's) is where providers that tie all-day items to a zone put them.
   */
  | { kind: 'all-day'; startDate: string; endDate: string; timeZone: string };

export interface Attendee {
  email: string;
  name: string | null;
  type: 'required' | 'optional';
}

export type Weekday = 'MO' | 'TU' | 'WE' | 'TH' | 'FR' | 'SA' | 'SU';

export interface Recurrence {
  frequency: 'daily' | 'weekly' | 'monthly' | 'yearly';
  interval: number;
  /** Weekly: the days. Monthly/yearly by position: the day with `setPosition`. */
  byDay: Weekday[];
  /** 1..31 for "the Nth of the month". */
  byMonthDay: number | null;
  /** 1..12 for yearly patterns. */
  byMonth: number | null;
  /** 1..4 or -1 (last) with `byDay` for "the second Tuesday". */
  setPosition: number | null;
  weekStart: Weekday;
  /** The first occurrence's date (YYYY-MM-DD) in `timeZone`. */
  startDate: string;
  end: { kind: 'never' } | { kind: 'count'; count: number } | { kind: 'until'; date: string };
  timeZone: string;
}

export interface CalendarItem {
  salesforceEventId: string;
  subject: string;
  /** Plain text. */
  body: string;
  location: string | null;
  timing: ItemTiming;
  showAs: ShowAs;
  sensitivity: 'normal' | 'private';
  /** Minutes before the start, or null for no reminder. */
  reminderMinutesBeforeStart: number | null;
  attendees: Attendee[];
  recurrence: Recurrence | null;
}

/**
 * A stable text of everything a provider would write: equal texts mean an update would change
 * nothing. Keys are sorted so the text does not depend on construction order.
 */
export function canonicalItem(item: CalendarItem): string {
  return JSON.stringify(item, (_key, value: unknown) =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(
          Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : value,
  );
}
