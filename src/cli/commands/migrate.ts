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
    .option('--dry-run', 'list the migrations that would run, and run none')
    .option('--json', 'print the result as JSON')
    .action((opts: { json?: boolean; dryRun?: boolean }, command: Command) =>
      withRuntime(
        ctx,
        command,
        (config, logger) => openRuntime(config, logger, { migrations: 'skip' }),
        async (runtime) => {
          if (opts.dryRun === true) {
            const all = await migrationStatus(runtime.store);
            const pending = all.filter((m) => m.executedAt === undefined).map((m) => m.name);
            const current = all.filter((m) => m.executedAt !== undefined).at(-1)?.name ?? null;
            if (opts.json === true)
              printJson(ctx, { database: runtime.store.location, current, pending, known: all.length });
            else if (pending.length === 0)
              ctx.stdout(
                `Database ${runtime.store.location} is up to date (schema ${current ?? 'empty'}): nothing would run.\n`,
              );
            else
              ctx.stdout(
                `Database ${runtime.store.location} is at schema ${current ?? 'empty'}; migrate would apply, in order:\n` +
                  pending.map((name) => `  ${name}\n`).join(''),
              );
            return;
          }
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
