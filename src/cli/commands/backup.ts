// `instant-sync backup <file>` and `instant-sync restore <file>`: a consistent copy of the embedded
// (SQLite) database taken while the service runs, and putting one back while it is stopped
// (src/maintenance/backup.ts). PostgreSQL has pg_dump and pg_restore (docs/operations.md).
import type { Command } from 'commander';
import { SecretBox } from '../../lib/secret-box.ts';
import { loadSecretKey } from '../../lib/secret-key-source.ts';
import { backupDatabase, restoreDatabase, sqliteFileOf } from '../../maintenance/backup.ts';
import { openRuntime } from '../../main.ts';
import { printJson, type CliContext } from '../cli-context.ts';
import { setUpCommand, withRuntime } from '../command-setup.ts';

export function registerBackup(program: Command, ctx: CliContext): void {
  program
    .command('backup')
    .description('copy the SQLite database into a new file, consistently, while the service runs')
    .argument('<file>', 'the new file (it must not exist)')
    .option('--json', 'print the result as JSON')
    .action((file: string, opts: { json?: boolean }, command: Command) =>
      withRuntime(
        ctx,
        command,
        (config, logger) => {
          sqliteFileOf(config.databaseUrl);
          return openRuntime(config, logger, { migrations: 'skip' });
        },
        async (runtime) => {
          const made = await backupDatabase(runtime.store, file);
          if (opts.json === true) printJson(ctx, made);
          else
            ctx.stdout(
              `Backed up ${runtime.store.location} to ${made.file} (${megabytes(made.bytes)}, schema ${made.schema ?? 'empty'}).\n` +
                `Its secrets are sealed with key ${made.secretKeyId ?? '(none yet)'}: keep the secret key with it, or it cannot be restored.\n`,
            );
        },
      ),
    );

  program
    .command('restore')
    .description(
      'put a backup made by `instant-sync backup` in place of the SQLite database (the service must be stopped)',
    )
    .argument('<file>', 'the backup')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, opts: { json?: boolean }, command: Command) => {
      const { config } = setUpCommand(ctx, command, { quiet: true });
      sqliteFileOf(config.databaseUrl);
      const { key } = await loadSecretKey({
        secretKey: config.secretKey,
        secretKeyFile: config.secretKeyFile,
        mayGenerate: false,
      });
      const restored = await restoreDatabase({
        databaseUrl: config.databaseUrl,
        source: file,
        secretKeyId: new SecretBox(key).keyId,
        now: Date.now(),
      });
      if (opts.json === true) printJson(ctx, restored);
      else
        ctx.stdout(
          `Restored ${restored.from} into ${restored.into} (schema ${restored.schema ?? 'empty'}${restored.migrated.length > 0 ? `, migrated: ${restored.migrated.join(', ')}` : ''}).\n` +
            (restored.keptAt === null ? '' : `The database it replaced is kept at ${restored.keptAt}.\n`) +
            'Start the service; then run `instant-sync backfill <slug> --from … --to …` for each tenant to bring the calendars back in line with what changed since the backup (items are found by their Salesforce id: no duplicates).\n',
        );
    });
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}
