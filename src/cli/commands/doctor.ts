// `instant-sync doctor <slug>`: check everything a tenant needs to sync and say what to fix.
import type { Command } from 'commander';
import { CheckFailedError } from '../../lib/errors.ts';
import { doctorDeps } from '../../main.ts';
import { runDoctor } from '../../reports/doctor.ts';
import { printJson, type CliContext } from '../cli-context.ts';
import { openDataWithSecrets, withRuntime } from '../command-setup.ts';

export function registerDoctor(program: Command, ctx: CliContext): void {
  program
    .command('doctor')
    .description(
      'check everything a tenant needs to sync (configuration, Salesforce access and permissions, CDC for Event, API budget, mailbox provider credentials, clock skew) and say what to fix',
    )
    .argument('<slug>', 'the tenant')
    .option('--json', 'print the result as JSON')
    .action((slug: string, opts: { json?: boolean }, command: Command) =>
      withRuntime(ctx, command, openDataWithSecrets, async (runtime) => {
        const checks = await runDoctor(doctorDeps(runtime), slug);
        const failed = checks.filter((c) => c.result === 'fail').length;
        if (opts.json === true) printJson(ctx, checks);
        else {
          const mark = { ok: '✓', warn: '!', fail: '✗' } as const;
          for (const check of checks) {
            ctx.stdout(`${mark[check.result]} ${check.name.padEnd(26)} ${check.detail}\n`);
            if (check.fix !== undefined && check.result !== 'ok')
              ctx.stdout(`  ${''.padEnd(26)} → ${check.fix}\n`);
          }
          ctx.stdout(
            failed === 0 ? `Tenant ${slug} can sync.\n` : `Tenant ${slug}: ${failed} problem(s) to fix.\n`,
          );
        }
        if (failed > 0) throw new CheckFailedError(`${failed} check(s) failed`);
      }),
    );
}
