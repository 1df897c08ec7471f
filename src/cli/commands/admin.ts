// `instant-sync admin set-password`: the password that signs in to the admin pages, read from a
// file or standard input (never an argument) and stored as a scrypt hash. Every admin session
// ends with it: whoever signed in with the old password (or the token) signs in again.
import type { Command } from 'commander';
import { setAdminPassword } from '../../admin/admin-auth.ts';
import type { CliContext } from '../cli-context.ts';
import { openData, withRuntime } from '../command-setup.ts';
import { readSecretInput } from '../read-secret-input.ts';

export function registerAdmin(program: Command, ctx: CliContext): void {
  const admin = program.command('admin').description('the admin pages: who may sign in');
  admin
    .command('set-password')
    .description(
      'set the admin password (12 to 1,024 characters), read from a file or standard input; signs out every admin session',
    )
    .option('--password-file <file>', 'file holding the password (- reads standard input)', '-')
    .action((opts: { passwordFile: string }, command: Command) =>
      withRuntime(ctx, command, openData, async ({ store, config }) => {
        const { endedSessions } = await setAdminPassword(
          store.repos,
          await readSecretInput(opts.passwordFile),
        );
        ctx.stdout(`Admin password set. Sign in at ${config.publicUrl.replace(/\/+$/, '')}/admin/\n`);
        if (endedSessions > 0)
          ctx.stdout(
            `Signed out ${endedSessions} admin session(s): they sign in again with the new password.\n`,
          );
      }),
    );
}
