// Shared start-up of every command: load and validate the configuration, make the logger, and
// (for commands that work on the data) open the runtime and close it whatever happens.
import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.ts';
import type { Config } from '../config/options.ts';
import { createLogger, type Logger, type LogLevel } from '../lib/logger.ts';
import { openRuntime, openRuntimeWithSecrets, type Runtime, type RuntimeWithSecrets } from '../main.ts';
import type { CliContext } from './cli-context.ts';

export interface CommandSetup {
  config: Config;
  logger: Logger;
}

export function setUpCommand(
  ctx: CliContext,
  command: Command,
  options: { quiet?: boolean } = {},
): CommandSetup {
  const { config: configFile } = command.optsWithGlobals<{ config?: string }>();
  const config = loadConfig({ env: ctx.env, configFile });
  // Commands that print data (tenants list --json) keep their logs on stderr and only speak up
  // for warnings, unless a more detailed level (debug, trace) was asked for.
  const level: LogLevel = options.quiet === true && config.logLevel === 'info' ? 'warn' : config.logLevel;
  const logger = createLogger(
    ctx.logDestination === undefined ? { level } : { level, destination: ctx.logDestination },
  );
  return { config, logger };
}

/** Runs a data command's `body` on a runtime opened by `open`; logs stay quiet unless asked for. */
export async function withRuntime<R extends Runtime>(
  ctx: CliContext,
  command: Command,
  open: (config: Config, logger: Logger) => Promise<R>,
  body: (runtime: R) => Promise<void>,
): Promise<void> {
  const { config, logger } = setUpCommand(ctx, command, { quiet: true });
  const runtime = await open(config, logger);
  try {
    await body(runtime);
  } finally {
    await runtime.close();
  }
}

/** Opens the runtime a data command needs, migrating the database if configured to. */
export const openData = (config: Config, logger: Logger): Promise<Runtime> =>
  openRuntime(config, logger, { migrations: 'auto' });

/** The same, with the secret key loaded: for commands that read or write secrets or talk to Salesforce. */
export const openDataWithSecrets = (config: Config, logger: Logger): Promise<RuntimeWithSecrets> =>
  openRuntimeWithSecrets(config, logger, { migrations: 'auto' });
