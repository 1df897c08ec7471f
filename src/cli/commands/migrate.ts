// `instant-sync migrate`: applies pending schema migrations and says what it did.
import type { Command } from 'commander';
import { openRuntime } from '../../main.ts';
import { migrateToLatest, migrationStatus } from '../../store/migrate.ts';
import { printJson, type CliContext } from '../cli-context.ts';
import { withRuntime } from '../command-setup.ts';

export function registerMigrate(program: Command, ctx: CliContext): void {
  program
    .command('migrate')
    .description('apply pending database migrations (safe to run while other nodes are up)')
    .option('--json', 'print the result as JSON')
    .action((opts: { json?: boolean }, command: Command) =>
      withRuntime(
        ctx,
        command,
        (config, logger) => openRuntime(config, logger, { migrations: 'skip' }),
        async (runtime) => {
          const applied = await migrateToLatest(runtime.store, (name) => {
            if (opts.json !== true) ctx.stdout(`applied ${name}\n`);
          });
          const all = await migrationStatus(runtime.store);
          const current = all.filter((m) => m.executedAt !== undefined).at(-1)?.name ?? null;
          if (opts.json === true) {
            printJson(ctx, { database: runtime.store.location, applied, current, known: all.length });
          } else {
            const state = applied.length === 0 ? 'was already up to date' : 'is up to date';
            ctx.stdout(`Database ${runtime.store.location} ${state} (schema ${current ?? 'empty'}).\n`);
          }
        },
      ),
    );
}
