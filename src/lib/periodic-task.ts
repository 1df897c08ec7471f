// Runs an async task every `intervalMs`, one run at a time (the next starts only after the last
// finished), logging failures instead of letting them escape. stop() waits for a run in progress.
import type { Logger } from './logger.ts';

export interface PeriodicTask {
  stop(): Promise<void>;
}

export function startPeriodicTask(
  name: string,
  intervalMs: number,
  task: () => Promise<void>,
  logger: Logger,
): PeriodicTask {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const run = () => {
    running = task()
      .catch((error: unknown) => logger.error({ err: error, task: name }, 'periodic task failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(run, intervalMs);
      });
  };
  run();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
