// Waits on state, never on time: checks `condition` until it holds or the deadline passes.
import { setTimeout as sleep } from 'node:timers/promises';

export async function waitFor<T>(
  condition: () => T | Promise<T>,
  options: { timeoutMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let last: T | undefined;
  for (;;) {
    last = await condition();
    if (last !== undefined && last !== null && last !== false) return last;
    if (Date.now() > deadline) {
      throw new Error(
        `${options.what ?? 'condition'} did not hold within ${options.timeoutMs ?? 20_000} ms (last: ${String(last)})`,
      );
    }
    await sleep(20);
  }
}
