// End to end, in separate processes (sandbox org with CDC, a calendar sandbox — Graph's or
// Google's — and `instant-sync serve`), as one set of cases each provider's test file runs:
// 500 Events for 50 owners are created, edited and deleted, and every mailbox ends up holding
// exactly the owner's live Events; the same with a fifth of the calendar's answers failing; the same
// after the database is lost and the Events are backfilled; and Events that cannot be synced are
// skipped with a reason `instant-sync trace` prints, while the others sync; and a Lightning
// series (a series record and one Event record per occurrence) is one calendar series whose
// occurrences equal Salesforce's through every kind of change.
// A hybrid tenant runs the same cases with several providers (each with its sandbox), some owners
// assigned to a provider other than the default: each mailbox is audited in its provider's
// sandbox, and the others must hold nothing of it.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { providerPluginNamed } from '../../src/providers/registry.ts';
import type { CalendarKind } from '../support/calendar-sandboxes.ts';
import { auditMailboxes, waitForMailboxesToMatch } from '../support/mailbox-audit.ts';
import { startSystem, type ProviderSpec, type RunningSystem } from '../support/system-processes.ts';
import type { TestDatabase } from '../support/test-databases.ts';
import { waitFor } from '../support/wait-for.ts';

export interface EndToEndExpectations {
  /** What `trace` says of an Event whose owner has no mailbox at the provider. */
  noMailbox: RegExp;
}

export function endToEndCases(
  /** The tenant's provider, or a hybrid tenant's providers (the default first). */
  providers: CalendarKind | readonly ProviderSpec[],
  database: TestDatabase,
  expected: EndToEndExpectations,
): void {
  let system: RunningSystem;
  let serial = 0;
  /** Events that are skipped on purpose: not expected in any mailbox. */
  const skipped = new Set<string>();

  beforeAll(async () => {
    system = await startSystem({
      databaseUrl: database.url,
      owners: 50,
      providers: typeof providers === 'string' ? [{ kind: providers }] : providers,
    });
    await system.startService();
    await system.setUpTenant();
  }, 120_000);
  afterAll(async () => {
    await system.close();
  });

  /** Runs `work` over `items`, `width` at a time. */
  const inParallel = async <T>(items: readonly T[], width: number, work: (item: T) => Promise<unknown>) => {
    for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(work));
  };

  const createEvents = async (count: number) => {
    const created: string[] = [];
    await inParallel([...Array(count).keys()], 25, async () => {
      const n = serial++;
      const owner = system.owners[n % system.owners.length]!;
      const day = String(1 + (n % 28)).padStart(2, '0');
      const fields =
        n % 10 === 0
          ? {
              Subject: `Offsite ${n}`,
              IsAllDayEvent: true,
              ActivityDate: `2026-12-${day}`,
              DurationInMinutes: 1440,
            }
          : {
              Subject: `Meeting ${n}`,
              StartDateTime: `2026-12-${day}T${String(8 + (n % 9)).padStart(2, '0')}:00:00Z`,
              DurationInMinutes: 30 + (n % 4) * 15,
            };
      created.push(String((await system.salesforce.createEvent(owner.id, fields))['Id']));
    });
    return created;
  };

  /** What is wrong with the mailboxes, compared with Salesforce (empty when they match). */
  const differences = async (): Promise<string[]> =>
    (await auditMailboxes(system, { ignore: skipped })).problems;

  const settle = (timeoutMs: number) => waitForMailboxesToMatch(system, { timeoutMs, ignore: skipped });

  const editAndDelete = async (ids: string[], edits: number, deletions: number) => {
    await inParallel(ids.slice(0, edits), 25, (id) =>
      system.salesforce.updateEvent(id, { Subject: `Edited ${id}`, Location: 'Room 2' }),
    );
    await inParallel(ids.slice(edits, edits + deletions), 25, (id) => system.salesforce.deleteEvent(id));
  };

  it('creates, updates and deletes 500 Events for 50 owners: every mailbox holds exactly its Events', async () => {
    const ids = await createEvents(500);
    await editAndDelete(ids, 150, 50);
    await settle(120_000);
    expect(await differences()).toEqual([]);
  }, 180_000);

  it('gets the same result with 20 % of calendar calls failing, and no mailbox holds a duplicate', async () => {
    const before = await system.calendars.stats();
    await system.calendars.faults({
      failureRate: 0.2,
      kinds: ['500', '503', '429', 'timeout'],
      afterCommit: true,
      hangMs: 1500,
    });
    try {
      const ids = await createEvents(100);
      const older = (await system.salesforce.events())
        .map((e) => String(e['Id']))
        .filter((id) => !ids.includes(id));
      await editAndDelete([...ids.slice(0, 50), ...older.slice(0, 60)], 80, 30);
      await settle(240_000);
      // About a fifth of the phase's calls failed: at least one in twenty, since the draw is random
      // (with ~100 calls or more, fewer than that is a one-in-many-thousands draw), and never none.
      const after = await system.calendars.stats();
      const calls = after.requests - before.requests;
      const faults = after.faults - before.faults;
      expect(faults, `${faults} faults in ${calls} calls`).toBeGreaterThanOrEqual(
        Math.max(5, Math.floor(calls / 20)),
      );
      // The faults reached every provider's sandbox (a hybrid tenant's too), not only the default's.
      for (const provider of system.providers)
        expect((await provider.sandbox.stats()).faults, provider.name).toBeGreaterThan(0);
    } finally {
      await system.calendars.faults({ failureRate: 0, kinds: [], afterCommit: false });
    }
    expect(await differences()).toEqual([]);
  }, 300_000);

  it('makes no duplicate when the database is lost and every Event is backfilled', async () => {
    await system.stopService();
    system.useDatabase(await database.createEmpty());
    await system.startService();
    await system.setUpTenant();
    const result = await system.cli([
      'backfill',
      'acme',
      '--from',
      '2026-11-01',
      '--to',
      '2027-01-31',
      '--json',
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      found: (await system.salesforce.events()).length,
      pending: 0,
    });
    const created = await createEvents(20);
    await settle(120_000);
    expect(await differences()).toEqual([]);
    // The backfill found each item in its mailbox and adopted it.
    const story = await system.cli(['trace', created[0]!]);
    expect(story.code).toBe(0);
  }, 240_000);

  it('skips Events it cannot sync with a reason trace prints, and syncs the rest of the batch', async () => {
    const owner = system.owners[0]!;
    const noMailbox = await system.salesforce.addUser({
      username: 'nobox@acme.example',
      email: 'nobox@acme.example',
    });
    const oddZone = await system.salesforce.addUser({
      username: 'mars@acme.example',
      email: 'mars@acme.example',
      timeZoneSidKey: 'Mars/Olympus_Mons',
    });
    const at = { StartDateTime: '2026-12-20T10:00:00Z', DurationInMinutes: 30 };
    const [backwards, ofNoMailbox, ofOddZone] = await Promise.all([
      system.salesforce.createEvent(owner.id, {
        Subject: 'Backwards',
        StartDateTime: '2026-12-20T10:00:00Z',
        EndDateTime: '2026-12-20T09:00:00Z',
        unchecked: true,
      }),
      system.salesforce.createEvent(noMailbox, { Subject: 'Nowhere', ...at }),
      system.salesforce.createEvent(oddZone, { Subject: 'Odd zone', ...at }),
      system.salesforce.createEvent(owner.id, { Subject: 'Fine', ...at }),
    ]);
    await waitFor(
      async () =>
        (await system.calendars.items(owner.email)).some((i) => i.subject === 'Fine') ? true : undefined,
      { timeoutMs: 30_000 },
    );
    skipped.add(String(backwards?.['Id']));
    const traceOf = async (event: Record<string, unknown> | undefined) => {
      const id = String(event?.['Id']);
      return waitFor(
        async () => {
          const result = await system.cli(['trace', id]);
          return /skip|dead|error/.test(result.stdout) ? result.stdout : undefined;
        },
        { timeoutMs: 30_000 },
      );
    };
    expect(await traceOf(backwards)).toMatch(/skip\s+none: .*end.*before.*start/i);
    expect(await traceOf(ofNoMailbox)).toMatch(expected.noMailbox);
    expect(await traceOf(ofOddZone)).toMatch(/the owner's time zone "Mars\/Olympus_Mons" is unknown/);
    expect(await differences()).toEqual([]);
  }, 120_000);

  it("keeps a Lightning series one calendar series whose occurrences equal Salesforce's through every kind of change", async () => {
    const owner = system.owners[7]!;
    const first = await system.salesforce.createEvent(owner.id, {
      Subject: 'Weekly pipeline',
      StartDateTime: '2027-03-01T09:00:00Z',
      EndDateTime: '2027-03-01T09:45:00Z',
      IsRecurrence2: true,
      Recurrence2PatternText: 'RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10',
    });
    // The series record and its occurrence records share one ActivityRecurrence2Id.
    const key = first['ActivityRecurrence2Id'];
    const family = async () =>
      (await system.salesforce.events()).filter(
        (e) => e['ActivityRecurrence2Id'] === key && e['IsChild'] !== true,
      );
    const seriesId = String((await family()).find((e) => e['GroupEventType'] === '3')?.['Id']);
    const occurrences = async () =>
      (await family())
        .filter((e) => e['GroupEventType'] !== '3')
        .sort((a, b) => String(a['StartDateTime']).localeCompare(String(b['StartDateTime'])));
    const seriesItems = async () =>
      (await system.calendars.items(owner.email)).filter((i) => i.salesforceId === seriesId);
    const instances = async () => {
      const [item] = await seriesItems();
      return item === undefined ? [] : system.calendars.instances(owner.email, item.itemId);
    };
    expect(await occurrences()).toHaveLength(10);
    await settle(60_000);
    expect(await seriesItems()).toHaveLength(1);
    expect(await instances()).toHaveLength(10);

    // One occurrence edited on its own: later, and renamed.
    const third = (await occurrences())[2]!;
    await system.salesforce.updateEvent(String(third['Id']), {
      Subject: 'Pipeline with the CFO',
      StartDateTime: '2027-03-15T11:00:00Z',
      EndDateTime: '2027-03-15T12:00:00Z',
    });
    await settle(60_000);
    expect((await instances()).find((i) => i.subject === 'Pipeline with the CFO')).toMatchObject({
      start: '2027-03-15T11:00:00Z',
    });

    // One occurrence moved past the next one. A calendar series that keeps occurrences between
    // their neighbours (Outlook) cannot hold it: it becomes an item of its own, its series
    // occurrence cancelled (never both); one that does not (Google) moves the occurrence.
    const second = (await occurrences())[1]!;
    await system.salesforce.updateEvent(String(second['Id']), {
      Subject: 'Pipeline 1:1',
      StartDateTime: '2027-03-17T10:00:00Z',
      EndDateTime: '2027-03-17T10:30:00Z',
    });
    await settle(60_000);
    // What the owner's provider can do: the series is one item in one mailbox, written by that
    // provider alone (in a hybrid tenant too), so its capabilities decide — not the intersection of
    // the tenant's providers', which would expect a provider that can move an occurrence past its
    // neighbours (Google) to detach it as one that cannot (Graph, EWS) must.
    const { capabilities } = providerPluginNamed(system.calendars.kindOf(owner.email));
    const movesAcross = capabilities.seriesInstances?.moveAcrossNeighbours === true;
    expect(await instances()).toHaveLength(movesAcross ? 10 : 9);
    expect(
      (await system.calendars.items(owner.email)).filter((i) => i.salesforceId === second['Id']),
    ).toHaveLength(movesAcross ? 0 : 1);

    // One occurrence removed (the fifth).
    await system.salesforce.deleteEvent(
      String((await occurrences()).find((o) => String(o['StartDateTime']).startsWith('2027-03-29'))!['Id']),
    );
    await settle(60_000);
    expect(await instances()).toHaveLength(movesAcross ? 9 : 8);

    // The series renamed: every occurrence but the ones edited on their own.
    await system.salesforce.updateEvent(seriesId, { Subject: 'Pipeline review' });
    await settle(60_000);
    expect((await instances()).filter((i) => i.subject === 'Pipeline review')).toHaveLength(7);

    // The series moved an hour later: Salesforce makes its occurrences anew (edits on their own
    // and removals are gone), and so does the calendar.
    await system.salesforce.updateEvent(seriesId, {
      StartDateTime: '2027-03-01T10:00:00Z',
      EndDateTime: '2027-03-01T10:45:00Z',
    });
    await waitFor(async () => ((await occurrences()).length === 10 ? true : undefined), {
      timeoutMs: 30_000,
    });
    await settle(60_000);
    expect((await instances()).map((i) => i.start.slice(10))).toEqual(Array(10).fill('T10:00:00Z'));
    expect(
      (await system.calendars.items(owner.email)).filter((i) => i.salesforceId === second['Id']),
    ).toEqual([]);

    // The eighth occurrence and the following ones deleted.
    await system.salesforce.deleteFromThisEventOnwards(
      String((await occurrences()).find((o) => String(o['StartDateTime']).startsWith('2027-04-19'))!['Id']),
    );
    await waitFor(async () => ((await occurrences()).length === 7 ? true : undefined), { timeoutMs: 30_000 });
    await settle(60_000);
    expect(await instances()).toHaveLength(7);

    // The whole series deleted.
    await system.salesforce.deleteFromThisEventOnwards(String((await occurrences())[0]!['Id']));
    await waitFor(async () => ((await occurrences()).length === 0 ? true : undefined), { timeoutMs: 30_000 });
    await settle(60_000);
    expect(await seriesItems()).toEqual([]);
    expect(
      (await system.calendars.items(owner.email)).filter((i) => i.salesforceId === second['Id']),
    ).toEqual([]);
    expect(await differences()).toEqual([]);
  }, 420_000);
}
