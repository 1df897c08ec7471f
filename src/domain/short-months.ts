// Which monthly or yearly series visit a month too short for their day (29 to 31). RFC 5545, and
// so Salesforce, skips such a month, while Outlook and Exchange move the occurrence to the
// month's last day and count it: the providers that do so skip such a series with this reason.
import type { Recurrence } from './calendar-item.ts';

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * The day of month a monthly or yearly series repeats on when one of the months it visits (up to
 * its end, or five years) is too short for it; undefined when every month it visits has that day.
 */
export function dayMissingFromAVisitedMonth(recurrence: Recurrence): number | undefined {
  const day = recurrence.byMonthDay;
  if (day === null || day <= 28 || recurrence.setPosition !== null) return undefined;
  if (recurrence.frequency !== 'monthly' && recurrence.frequency !== 'yearly') return undefined;
  const stepMonths = recurrence.frequency === 'monthly' ? recurrence.interval : 12 * recurrence.interval;
  let year = Number(recurrence.startDate.slice(0, 4));
  let month =
    recurrence.frequency === 'yearly' ? (recurrence.byMonth ?? 1) : Number(recurrence.startDate.slice(5, 7));
  const last =
    recurrence.end.kind === 'until' ? recurrence.end.date : `${year + 5}${recurrence.startDate.slice(4)}`;
  let visited = 0;
  for (let step = 0; step < 120; step += 1) {
    const first = `${year}-${String(month).padStart(2, '0')}-01`;
    if (first > last || (recurrence.end.kind === 'count' && visited >= recurrence.end.count)) break;
    if (daysIn(year, month) < day) return day;
    visited += 1;
    month += stepMonths;
    year += Math.floor((month - 1) / 12);
    month = ((month - 1) % 12) + 1;
  }
  return undefined;
}
