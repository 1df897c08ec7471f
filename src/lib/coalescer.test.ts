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

  it('gathers the items added while a write is in flight into the next write', async () => {
    const writes: string[][] = [];
    let release: () => void = () => undefined;
    const coalescer = new Coalescer<string>({
      writeMany: (items) => {
        writes.push([...items]);
        return writes.length === 1 ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve();
      },
      keyOf: (item) => item,
    });
    const first = coalescer.add('a');
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toEqual([['a']]);
    // The first write has not answered: these wait for it, whatever turn they came in.
    const more = [coalescer.add('b')];
    await new Promise((resolve) => setImmediate(resolve));
    more.push(coalescer.add('c'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toEqual([['a']]);
    release();
    await Promise.all([first, ...more]);
    expect(writes).toEqual([['a'], ['b', 'c']]);
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
