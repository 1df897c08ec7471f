import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideSync, type MailboxView, type SyncDecisionInput } from './decide-sync.ts';
import type { SalesforceEvent } from './salesforce-event.ts';

const event: SalesforceEvent = {
  id: '00U5g0000000001EAA',
  subject: 'Quarterly review',
  description: null,
  location: null,
  start: Date.UTC(2026, 10, 25, 9),
  end: Date.UTC(2026, 10, 25, 10),
  isAllDay: false,
  activityDate: '2026-11-25',
  durationMinutes: 60,
  showAs: 'Busy',
  isPrivate: false,
  ownerId: '0055g0000000001AAA',
  isChild: false,
  reminderAt: null,
  isReminderSet: false,
  isLegacyRecurrence: false,
  recurrence: null,
  isSeries: false,
  seriesKey: null,
  occurrence: null,
  createdById: '0055g0000000001AAA',
  createdAt: Date.UTC(2026, 10, 24, 8),
  version: Date.UTC(2026, 10, 24, 9),
};
const mailbox: MailboxView = {
  id: 'mbx-1',
  state: 'active',
  address: 'ada@acme.example',
  timeZone: 'Europe/Berlin',
  lastError: null,
};
/** A digest that shows what it hashed, so a test can tell which content a hash stands for. */
const digest = (...parts: readonly string[]) => `#${parts.join('|').length}`;

function input(
  overrides: Partial<SyncDecisionInput> & { event?: Partial<SalesforceEvent> } = {},
): SyncDecisionInput {
  const { event: eventOverrides, ...rest } = overrides;
  const ev = { ...event, ...eventOverrides };
  return {
    found: { event: ev, record: { Id: ev.id, Subject: ev.subject, CreatedById: ev.createdById } },
    seriesFromRead: undefined,
    seriesFromEarlierSyncs: undefined,
    rules: [],
    mailbox,
    route: () => ({ cannotWrite: () => undefined }),
    invitees: [],
    invitationPolicy: 'none',
    internalDomains: [],
    occurrences: [],
    knownSlots: new Map(),
    digest,
    ...rest,
  };
}

function desiredOf(decision: ReturnType<typeof decideSync>) {
  if (decision.kind !== 'desired') throw new Error(`waits: ${decision.reason}`);
  return decision.desired;
}

describe('decideSync', () => {
  it('an Event of an active mailbox becomes an item in that mailbox, hashed over its canonical content', () => {
    const decision = decideSync(input());
    expect(decision).toMatchObject({ kind: 'desired', desired: { kind: 'item', mailboxId: 'mbx-1' } });
    if (decision.kind !== 'desired') return;
    expect(decision.item?.subject).toBe('Quarterly review');
    expect(decision.series).toBeUndefined();
    // Another subject is other content: another hash.
    const other = desiredOf(decideSync(input({ event: { subject: 'Quarterly review (moved)' } })));
    expect(other).not.toEqual(decision.desired);
  });

  it('a gone Event should not be in the calendar; a deleted occurrence still names its series', () => {
    expect(desiredOf(decideSync(input({ found: null })))).toEqual({
      kind: 'absent',
      reason: 'deleted in Salesforce (or no longer visible to the connected user)',
    });
    const occurrence = decideSync(input({ found: null, seriesFromEarlierSyncs: '00U5g0000000SERIES' }));
    expect(occurrence).toMatchObject({ kind: 'desired', seriesOf: '00U5g0000000SERIES' });
  });

  it('a record that is not a valid Event is left alone with the reason', () => {
    expect(desiredOf(decideSync(input({ found: { problem: 'StartDateTime is not a date' } })))).toEqual({
      kind: 'unmappable',
      reason: 'Salesforce sent a record that is not a valid Event: StartDateTime is not a date',
    });
  });

  it('an exclusion rule takes the item out of the calendar, with the rule as the reason', () => {
    const desired = desiredOf(
      decideSync(
        input({
          rules: [
            {
              field: 'CreatedById',
              op: 'equals',
              value: event.createdById,
              label: 'made by the integration user',
            },
          ],
        }),
      ),
    );
    expect(desired.kind).toBe('absent');
    expect(desired.kind === 'absent' && desired.reason).toContain('made by the integration user');
  });

  it("an occurrence record stands for nothing of its own: its series' job syncs it", () => {
    const occurrence = { occurrence: { isException: true, isExclusion: false }, seriesKey: 'k' };
    const placed = decideSync(input({ event: occurrence, seriesFromRead: '00U5g0000000SERIES' }));
    expect(placed).toMatchObject({
      kind: 'desired',
      seriesOf: '00U5g0000000SERIES',
      desired: { kind: 'absent' },
    });
    // The read's answer wins over what earlier syncs knew.
    expect(
      decideSync(input({ event: occurrence, seriesFromRead: 'A', seriesFromEarlierSyncs: 'B' })),
    ).toMatchObject({ seriesOf: 'A' });
    const orphan = desiredOf(decideSync(input({ event: occurrence })));
    expect(orphan).toMatchObject({ kind: 'unmappable' });
    expect(orphan.kind === 'unmappable' && orphan.reason).toContain(
      'whose series record the connected user cannot read',
    );
  });

  it("an invitee's copy is skipped as such, whatever its mailbox (the owner's Event is synced)", () => {
    for (const owner of [mailbox, undefined, { ...mailbox, state: 'inactive' as const }]) {
      const decision = decideSync(input({ event: { isChild: true }, mailbox: owner }));
      expect(desiredOf(decision)).toEqual({
        kind: 'unmappable',
        reason: "an invitee's copy (IsChild): the owner's Event is synced instead",
      });
      expect(decision.kind === 'desired' && decision.seriesOf).toBeUndefined();
    }
  });

  it('an owner without an active mailbox is a skip that says why', () => {
    expect(desiredOf(decideSync(input({ mailbox: undefined })))).toEqual({
      kind: 'unmappable',
      reason: `the owner ${event.ownerId} has no mailbox to sync to (not resolved)`,
    });
    const inactive = {
      ...mailbox,
      state: 'inactive' as const,
      lastError: 'the user is inactive in Salesforce',
    };
    expect(desiredOf(decideSync(input({ mailbox: inactive })))).toMatchObject({
      reason: expect.stringContaining('(the user is inactive in Salesforce)') as unknown,
    });
    expect(desiredOf(decideSync(input({ mailbox: { ...mailbox, address: null } })))).toMatchObject({
      kind: 'unmappable',
    });
  });

  it('a mailbox whose provider cannot be used makes the Event wait, and the provider is only asked when it matters', () => {
    expect(
      decideSync(input({ route: () => ({ name: 'exchange', problem: 'its password is wrong' }) })),
    ).toEqual({
      kind: 'wait',
      reason:
        'the mailbox ada@acme.example goes through exchange provider, which cannot be used: its password is wrong',
    });
    expect(decideSync(input({ route: () => undefined }))).toEqual({
      kind: 'wait',
      reason: 'the mailbox ada@acme.example goes through no provider, which cannot be used: none is set up',
    });
    let asked = 0;
    const route = () => {
      asked++;
      return undefined;
    };
    decideSync(input({ found: null, route }));
    decideSync(input({ event: { isChild: true }, route }));
    decideSync(input({ mailbox: undefined, route }));
    expect(asked).toBe(0);
  });

  it('what mapping cannot show, and what the provider cannot write, are skips with their reasons', () => {
    expect(desiredOf(decideSync(input({ event: { end: event.start! - 1 } })))).toMatchObject({
      kind: 'unmappable',
    });
    const decision = decideSync(
      input({ route: () => ({ cannotWrite: () => 'an all-day item in Pacific/Apia' }) }),
    );
    expect(desiredOf(decision)).toEqual({ kind: 'unmappable', reason: 'an all-day item in Pacific/Apia' });
  });

  it('a series record becomes the calendar series, hashed with its occurrences', () => {
    const series = {
      isSeries: true,
      recurrence: { pattern: 'RRULE:FREQ=WEEKLY;BYDAY=WE;COUNT=3', timeZone: 'Europe/Berlin' },
    } as Partial<SalesforceEvent>;
    const alone = decideSync(input({ event: series }));
    if (alone.kind === 'desired' && alone.desired.kind !== 'item') throw new Error(alone.desired.reason);
    if (alone.kind !== 'desired') throw new Error('waits');
    expect(alone.series).toBeDefined();
    expect(alone.item?.recurrence).not.toBeNull();
    const occurrence: SalesforceEvent = {
      ...event,
      id: '00U5g0000000002EAA',
      start: Date.UTC(2026, 11, 2, 9),
      end: Date.UTC(2026, 11, 2, 11),
      occurrence: { isException: true, isExclusion: false },
    };
    const withChange = decideSync(input({ event: series, occurrences: [{ event: occurrence }] }));
    expect(desiredOf(withChange)).not.toEqual(alone.desired);
  });

  it('an item is wanted exactly when the Event is live, its own, not an occurrence, and its mailbox active (property)', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom<MailboxView['state']>('active', 'inactive', 'unresolved'),
        fc.option(fc.constant('00U5g0000000SERIES'), { nil: undefined }),
        (gone, child, occurrence, state, seriesOf) => {
          const decision = decideSync(
            input({
              ...(gone ? { found: null } : {}),
              event: {
                isChild: child,
                occurrence: occurrence ? { isException: false, isExclusion: false } : null,
              },
              mailbox: { ...mailbox, state },
              seriesFromEarlierSyncs: seriesOf,
            }),
          );
          const desired = desiredOf(decision);
          expect(desired.kind === 'item').toBe(!gone && !child && !occurrence && state === 'active');
          // A deleted occurrence or a live one names its series; nothing else does.
          expect(decision.kind === 'desired' && decision.seriesOf).toBe(
            (gone || (occurrence && !child)) && seriesOf !== undefined ? seriesOf : undefined,
          );
          if (desired.kind !== 'item') expect(desired.reason).not.toBe('');
        },
      ),
    );
  });
});
