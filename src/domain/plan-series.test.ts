import { describe, expect, it } from 'vitest';
import { planSeriesInstances, type SeriesOccurrence } from './plan-series.ts';

const instances = ['2027-01-04', '2027-01-11', '2027-01-18', '2027-01-25'].map((date, i) => ({
  id: `i${i}`,
  date,
}));
const plain = (eventId: string, date: string, extra: Partial<SeriesOccurrence> = {}): SeriesOccurrence => ({
  eventId,
  date,
  knownSlot: undefined,
  isException: false,
  isExclusion: false,
  hash: `h-${eventId}`,
  ...extra,
});

describe('planSeriesInstances', () => {
  it('does nothing when every instance has its unchanged record', () => {
    const plan = planSeriesInstances(
      instances,
      instances.map((instance, i) => plain(`e${i}`, instance.date)),
      {},
    );
    expect(plan).toMatchObject({ cancel: [], change: [], unplaced: [], slots: {} });
    expect(plan.members).toHaveLength(4);
  });

  it('cancels the instance of a deleted record and of an excluded one', () => {
    const plan = planSeriesInstances(
      instances,
      [
        plain('e0', '2027-01-04'),
        plain('e2', '2027-01-18', { isExclusion: true }),
        plain('e3', '2027-01-25'),
      ],
      {},
    );
    expect(plan.cancel.map((i) => i.date)).toEqual(['2027-01-11', '2027-01-18']);
    expect(plan.slots).toEqual({ '2027-01-11': 'cancelled', '2027-01-18': 'cancelled' });
  });

  it('changes the instance of an exception once, and again only when the record changes', () => {
    const records = instances.map((instance, i) =>
      plain(`e${i}`, instance.date, i === 1 ? { isException: true, date: '2027-01-12' } : {}),
    );
    const first = planSeriesInstances(instances, records, {});
    expect(first.change).toEqual([{ id: 'i1', date: '2027-01-11', eventId: 'e1' }]);
    expect(planSeriesInstances(instances, records, first.slots).change).toEqual([]);
    const edited = records.map((r) => (r.eventId === 'e1' ? { ...r, hash: 'other' } : r));
    expect(planSeriesInstances(instances, edited, first.slots).change).toHaveLength(1);
  });

  it('keeps a moved record on the date it was first seen on, even past another date', () => {
    const records = [
      plain('e0', '2027-01-04'),
      plain('e1', '2027-01-19', { isException: true, knownSlot: '2027-01-11' }),
      plain('e2', '2027-01-18'),
      plain('e3', '2027-01-25'),
    ];
    const plan = planSeriesInstances(instances, records, {});
    expect(plan.cancel).toEqual([]);
    expect(plan.members).toContainEqual({ eventId: 'e1', slotDate: '2027-01-11' });
    expect(plan.members).toContainEqual({ eventId: 'e2', slotDate: '2027-01-18' });
  });

  it('gives a moved record seen for the first time the nearest free date', () => {
    const records = [
      plain('e0', '2027-01-04'),
      plain('e1', '2027-01-13', { isException: true }),
      plain('e3', '2027-01-25'),
    ];
    const plan = planSeriesInstances(instances, records, {});
    expect(plan.members).toContainEqual({ eventId: 'e1', slotDate: '2027-01-11' });
    expect(plan.cancel.map((i) => i.date)).toEqual(['2027-01-18']);
  });

  it('reports a record for which the calendar has no date', () => {
    const plan = planSeriesInstances(
      instances.slice(0, 1),
      [plain('e0', '2027-01-04'), plain('e9', '2027-02-01')],
      {},
    );
    expect(plan.unplaced.map((r) => r.eventId)).toEqual(['e9']);
  });

  it('changes back an instance whose record is no longer an exception, and ignores old cancellations of listed instances', () => {
    const records = instances.map((instance, i) => plain(`e${i}`, instance.date));
    const plan = planSeriesInstances(instances, records, { '2027-01-11': 'old', '2027-01-18': 'cancelled' });
    expect(plan.change.map((c) => c.date)).toEqual(['2027-01-11']);
  });
});
