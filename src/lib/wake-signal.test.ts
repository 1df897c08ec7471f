import { describe, expect, it } from 'vitest';
import { WakeSignal } from './wake-signal.ts';

const hour = 3_600_000;

describe('WakeSignal', () => {
  it('ends a wait when rung, long before its pause is over', async () => {
    const signal = new WakeSignal();
    const waiting = signal.wait(hour);
    signal.ring();
    await expect(waiting).resolves.toBeUndefined();
  });

  it('keeps a ring that came while nobody waited for the next wait, once', async () => {
    const signal = new WakeSignal();
    signal.ring();
    await expect(signal.wait(hour)).resolves.toBeUndefined();
    const controller = new AbortController();
    let ended = false;
    const second = signal.wait(hour, controller.signal).then(() => (ended = true));
    await Promise.resolve();
    expect(ended).toBe(false);
    controller.abort();
    await second;
    expect(ended).toBe(true);
  });

  it('ends after its pause when nobody rings', async () => {
    await expect(new WakeSignal().wait(1)).resolves.toBeUndefined();
  });
});
