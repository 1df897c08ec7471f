// Compares every mailbox with the org, as an admin checking the promise would: for each live
// Salesforce Event its owner's mailbox must hold exactly one item stamped with its id, showing
// its current subject, and no mailbox may hold an item of an Event that is gone. A Lightning
// series is one item (stamped with the series record's id) whose occurrences must equal the
// series' live occurrence records one for one, in start and subject; occurrence records are
// never items of their own. In a hybrid tenant each mailbox is read in the sandbox of its owner's
// provider, and the other providers' sandboxes must hold nothing of it.
import type { RunningSystem } from './system-processes.ts';

export interface MailboxAudit {
  /** Items beyond the first for one Event id in one mailbox. */
  duplicated: number;
  /** Live Events without an item. */
  missing: number;
  /** Items that show an older version (another subject) than Salesforce's. */
  stale: number;
  /** Items of Events that are deleted, belong to someone else, or carry no Salesforce id. */
  orphaned: number;
  /** Series whose calendar occurrences differ from Salesforce's occurrence records. */
  occurrences: number;
  /** Items in the sandbox of a provider other than the owner's (a hybrid tenant's). */
  misplaced: number;
  /** One line per problem (the first ones), for a failure message. */
  problems: string[];
}

export async function auditMailboxes(
  system: Pick<RunningSystem, 'owners' | 'salesforce' | 'calendars'>,
  /** `ignore`: Events skipped on purpose (no item expected; one found is orphaned). */
  options: { ignore?: ReadonlySet<string> } = {},
): Promise<MailboxAudit> {
  const emailOf = new Map(system.owners.map((o) => [o.id, o.email]));
  const expected = new Map<string, Map<string, string>>();
  const events = await system.salesforce.events();
  // A series record (GroupEventType 3) and its occurrence records share an ActivityRecurrence2Id.
  const isSeries = (event: Record<string, unknown>) => event['GroupEventType'] === '3';
  const seriesByKey = new Map(
    events.filter(isSeries).map((event) => [String(event['ActivityRecurrence2Id']), String(event['Id'])]),
  );
  /** Each series record's live occurrence records, as `start|subject` (start as an ISO instant). */
  const occurrencesOf = new Map<string, string[]>([...seriesByKey.values()].map((id) => [id, []]));
  /** Occurrence records a calendar may show as items of their own, with their series record. */
  const seriesOfOccurrence = new Map<string, string>();
  for (const event of events) {
    const key = event['ActivityRecurrence2Id'];
    if (
      typeof key !== 'string' ||
      isSeries(event) ||
      event['IsChild'] === true ||
      event['IsRecurrence2Exclusion'] === true
    )
      continue;
    const seriesId = seriesByKey.get(key);
    if (seriesId === undefined) continue;
    seriesOfOccurrence.set(String(event['Id']), seriesId);
    occurrencesOf.get(seriesId)?.push(`${isoInstant(event['StartDateTime'])}|${String(event['Subject'])}`);
  }
  for (const event of events) {
    const id = String(event['Id']);
    const email = emailOf.get(String(event['OwnerId']));
    if (
      email === undefined ||
      event['IsChild'] === true ||
      (typeof event['ActivityRecurrence2Id'] === 'string' && !isSeries(event)) ||
      options.ignore?.has(id) === true
    )
      continue;
    const byId = expected.get(email) ?? new Map<string, string>();
    byId.set(id, String(event['Subject']));
    expected.set(email, byId);
  }
  const audit: MailboxAudit = {
    duplicated: 0,
    missing: 0,
    stale: 0,
    orphaned: 0,
    occurrences: 0,
    misplaced: 0,
    problems: [],
  };
  const note = (problem: string) => {
    if (audit.problems.length < 50) audit.problems.push(problem);
  };
  const owners = system.owners;
  for (let i = 0; i < owners.length; i += 10) {
    await Promise.all(
      owners.slice(i, i + 10).map(async (owner) => {
        const want = expected.get(owner.email) ?? new Map<string, string>();
        const seen = new Set<string>();
        const items = await system.calendars.items(owner.email);
        // An occurrence the calendar series cannot hold is an item of its own: it counts as one of
        // the series' occurrences.
        const detached = new Map<string, string[]>();
        for (const item of items) {
          const seriesId = seriesOfOccurrence.get(item.salesforceId ?? '');
          if (seriesId === undefined) continue;
          const read = await system.calendars.item(owner.email, item.itemId);
          detached.set(seriesId, [...(detached.get(seriesId) ?? []), `${read.start}|${read.subject}`]);
        }
        for (const item of items) {
          if (seriesOfOccurrence.has(item.salesforceId ?? '')) continue;
          const id = item.salesforceId ?? `(unstamped ${item.itemId})`;
          if (seen.has(id)) {
            audit.duplicated++;
            note(`${owner.email}: a second item for ${id}`);
            continue;
          }
          seen.add(id);
          const subject = want.get(id);
          if (subject === undefined) {
            audit.orphaned++;
            note(`${owner.email}: ${id} "${item.subject}" should not be there`);
          } else if (subject !== item.subject) {
            audit.stale++;
            note(`${owner.email}: ${id} is "${item.subject}", not "${subject}"`);
          } else if (occurrencesOf.has(id)) {
            const want = (occurrencesOf.get(id) ?? []).sort();
            const have = [
              ...(await system.calendars.instances(owner.email, item.itemId)).map(
                (i) => `${i.start}|${i.subject}`,
              ),
              ...(detached.get(id) ?? []),
            ].sort();
            const lacking = want.filter((o) => !have.includes(o));
            const extra = have.filter((o) => !want.includes(o));
            if (lacking.length > 0 || extra.length > 0) {
              audit.occurrences++;
              note(
                `${owner.email}: series ${id} lacks ${lacking.slice(0, 3).join(', ') || 'nothing'} and has ${extra.slice(0, 3).join(', ') || 'nothing more'} (${want.length} occurrence records, ${have.length} calendar occurrences)`,
              );
            }
          }
        }
        for (const id of want.keys())
          if (!seen.has(id)) {
            audit.missing++;
            note(`${owner.email}: ${id} is missing`);
          }
        for (const { sandbox, item } of await system.calendars.strays(owner.email)) {
          audit.misplaced++;
          note(
            `${owner.email}: ${item.salesforceId ?? `(unstamped ${item.itemId})`} "${item.subject}" is in the ${sandbox}, not the owner's`,
          );
        }
      }),
    );
  }
  return audit;
}

/** A Salesforce datetime (2026-12-01T09:00:00.000+0000) as 2026-12-01T09:00:00Z. */
function isoInstant(value: unknown): string {
  const ms = Date.parse(String(value).replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(ms) ? String(value) : `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** Audits until every mailbox matches (resolves with the clean audit) or `timeoutMs` passes (throws). */
export async function waitForMailboxesToMatch(
  system: Pick<RunningSystem, 'owners' | 'salesforce' | 'calendars'> & { serviceOutput?: () => string },
  options: { timeoutMs: number; ignore?: ReadonlySet<string> },
): Promise<MailboxAudit> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const audit = await auditMailboxes(system, options);
    if (audit.problems.length === 0) return audit;
    if (Date.now() > deadline)
      throw new Error(
        `mailboxes still differ after ${options.timeoutMs} ms (${audit.duplicated} duplicated, ${audit.missing} missing, ${audit.stale} stale, ${audit.orphaned} orphaned, ${audit.occurrences} series with other occurrences, ${audit.misplaced} at another provider):\n` +
          `${audit.problems.slice(0, 20).join('\n')}\n--- service output (tail) ---\n${system.serviceOutput?.().slice(-4000) ?? ''}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
