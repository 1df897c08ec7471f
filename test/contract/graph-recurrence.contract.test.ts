// What only Graph does with a series' occurrences (the shared contract checks the rest): Outlook
// keeps an occurrence between its neighbours, so moving one past the next is refused, and the
// provider says so as OccurrenceCannotMoveError (the engine then shows it as an item of its own).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphSandbox } from '../../sandbox/graph/index.ts';
import type { CalendarItem } from '../../src/domain/calendar-item.ts';
import { parseRrule } from '../../src/domain/rrule.ts';
import { instantsOf } from '../../src/domain/time-zones.ts';
import { OccurrenceCannotMoveError } from '../../src/providers/calendar-provider.ts';
import type { GraphProvider } from '../../src/providers/graph/graph-provider.ts';
import { startGraphUnderTest } from '../support/graph-under-test.ts';

describe('occurrences of a Graph series', () => {
  let graph: GraphSandbox;
  let provider: GraphProvider;

  beforeAll(async () => {
    ({ graph, provider } = await startGraphUnderTest());
  });
  afterAll(() => graph.close());

  it('refuses to move an occurrence past its neighbour, as OccurrenceCannotMoveError', async () => {
    const zone = 'Europe/Berlin';
    const recurrence = parseRrule('RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=5', {
      startDate: '2027-03-22',
      timeZone: zone,
      startTime: '09:00:00',
    });
    if ('problem' in recurrence) throw new Error(recurrence.problem);
    const start = instantsOf('2027-03-22T09:00:00', zone)[0] ?? Number.NaN;
    const series: CalendarItem = {
      salesforceEventId: '00U5g00000RecurInst',
      subject: 'Weekly',
      body: '',
      location: null,
      timing: { kind: 'timed', start, end: start + 1_800_000, timeZone: zone },
      showAs: 'busy',
      sensitivity: 'normal',
      reminderMinutesBeforeStart: null,
      attendees: [],
      recurrence,
    };
    const ref = await provider.create('rep@acme.example', series, { idempotencyKey: 'instances' });
    const window = { from: start - 86_400_000, to: start + 40 * 86_400_000, timeZone: zone };
    const second = (await provider.instances.list('rep@acme.example', ref, window)).find(
      (i) => i.date === '2027-03-29',
    )!;
    const moved = instantsOf('2027-03-30T14:00:00', zone)[0] ?? Number.NaN;
    await provider.instances.change('rep@acme.example', second.id, {
      ...series,
      recurrence: null,
      timing: { kind: 'timed', start: moved, end: moved + 1_800_000, timeZone: zone },
    });
    const tooFar = instantsOf('2027-04-06T09:00:00', zone)[0] ?? Number.NaN;
    await expect(
      provider.instances.change('rep@acme.example', second.id, {
        ...series,
        recurrence: null,
        timing: { kind: 'timed', start: tooFar, end: tooFar + 1_800_000, timeZone: zone },
      }),
    ).rejects.toBeInstanceOf(OccurrenceCannotMoveError);
  });
});
