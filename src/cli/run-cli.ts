// The `instant-sync` command line: builds the program, runs one command and turns every
// outcome into an exit code. Nothing here calls process.exit, so tests can run it in-process.
//
// Exit codes: 0 success; 1 the command failed (database unreachable, unexpected error);
// 2 the command line or the configuration is wrong (unknown command, bad argument, invalid
// setting, a tenant that already exists).
import { Command, CommanderError } from 'commander';
import { version } from '../main.ts';
import { BadInputError, CheckFailedError, ConfigError, describeError, NotFoundError } from '../lib/errors.ts';
import type { CliContext } from './cli-context.ts';
import { registerAdmin } from './commands/admin.ts';
import { registerConnection } from './commands/connection.ts';
import { registerMigrate } from './commands/migrate.ts';
import { registerBackup } from './commands/backup.ts';
import { registerSecretKey } from './commands/secret-key.ts';
import { registerServe, registerWorker } from './commands/serve.ts';
import { registerStart } from './commands/start.ts';
import { registerBackfill } from './commands/backfill.ts';
import { registerDoctor } from './commands/doctor.ts';
import { registerMailboxes } from './commands/mailboxes.ts';
import { registerProvider } from './commands/provider.ts';
import { registerRetry } from './commands/retry.ts';
import { registerTrace } from './commands/trace.ts';
import { registerTenants } from './commands/tenants.ts';

export const exitCodes = { ok: 0, failed: 1, usage: 2 } as const;

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('instant-sync')
    .description(
      "Puts every Salesforce Event into its owner's Outlook, Exchange or Google calendar within seconds.",
    )
    .version(version, '-v, --version')
    .option('--config <file>', 'read settings from this JSON file (default: $INSTANT_SYNC_CONFIG)')
    .configureOutput({ writeOut: ctx.stdout, writeErr: ctx.stderr })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .showSuggestionAfterError(true)
    .allowExcessArguments(false)
    .addHelpText(
      'after',
      [
        '',
        'Settings come from INSTANT_SYNC_* environment variables and the config file; see docs/configuration.md.',
        'Exit codes: 0 success, 1 the command failed, 2 bad command line or configuration.',
      ].join('\n'),
    );
  registerStart(program, ctx);
  registerServe(program, ctx);
  registerWorker(program, ctx);
  registerMigrate(program, ctx);
  registerBackup(program, ctx);
  registerTenants(program, ctx);
  registerConnection(program, ctx);
  registerProvider(program, ctx);
  registerMailboxes(program, ctx);
  registerTrace(program, ctx);
  registerBackfill(program, ctx);
  registerRetry(program, ctx);
  registerDoctor(program, ctx);
  registerAdmin(program, ctx);
  registerSecretKey(program, ctx);
  return program;
}

export async function runCli(argv: readonly string[], ctx: CliContext): Promise<number> {
  const program = buildProgram(ctx);
  if (argv.length === 0) {
    program.outputHelp();
    return exitCodes.ok;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCodes.ok;
  } catch (error) {
    return report(ctx, error);
  }
}

function report(ctx: CliContext, error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander has already printed its message (or the help text).
    return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
  }
  if (error instanceof ConfigError) {
    ctx.stderr(`${error.message}\n`);
    return exitCodes.usage;
  }
  if (error instanceof BadInputError) {
    ctx.stderr(`error: ${error.message}\n`);
    return exitCodes.usage;
  }
  if (error instanceof NotFoundError) {
    ctx.stderr(`error: ${error.message}\n`);
    return exitCodes.failed;
  }
  if (error instanceof CheckFailedError) return exitCodes.failed;
  ctx.stderr(`error: ${describeError(error)}\n`);
  return exitCodes.failed;
}
