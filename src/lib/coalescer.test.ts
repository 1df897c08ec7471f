import { describe, expect, it } from 'vitest';
import { Coalescer } from './coalescer.ts';

describe('Coalescer', () => {
  it("writes one moment's items in one write, each caller awaiting its own", async () => {
    const writes: string[][] = [];
    const coalescer = new Coalescer<string>({
      writeMany: (items) => {
        writes.push([...items]);
        return Promise.resolve();
      },
      keyOf: (item) => item,
    });
    await Promise.all(['a', 'b', 'c'].map((item) => coalescer.add(item)));
    await coalescer.add('d');
    expect(writes).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('never writes two items of one key together', async () => {
    const writes: string[][] = [];
    const coalescer = new Coalescer<{ key: string; n: number }>({
      writeMany: (items) => {
        writes.push(items.map((i) => `${i.key}${i.n}`));
        return Promise.resolve();
      },
      keyOf: (item) => item.key,
    });
    await Promise.all([
      coalescer.add({ key: 'a', n: 1 }),
      coalescer.add({ key: 'b', n: 1 }),
      coalescer.add({ key: 'a', n: 2 }),
    ]);
    expect(writes).toEqual([['a1', 'b1'], ['a2']]);
  });

  it('writes each item alone when writing them together fails: only the bad one fails', async () => {
    const written: string[] = [];
    const coalescer = new Coalescer<string>({
      writeMany: (items) => {
        if (items.includes('bad')) return Promise.reject(new Error('cannot store "bad"'));
        written.push(...items);
        return Promise.resolve();
      },
      keyOf: (item) => item,
    });
    const outcomes = await Promise.allSettled(['x', 'bad', 'y'].map((item) => coalescer.add(item)));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(written).toEqual(['x', 'y']);
  });
});
