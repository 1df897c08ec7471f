// `instant-sync backfill <slug> --from --to`: sync every Event dated within a range and follow
// the progress.
import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { backfill, backlogOf, checkBackfillRange } from '../../intake/manual/backfill.ts';
import { printJson, type CliContext } from '../cli-context.ts';
import { openDataWithSecrets, withRuntime } from '../command-setup.ts';
import { chooseTenant } from './tenant-arguments.ts';
import type { Repositories } from '../../store/repositories.ts';

export function registerBackfill(program: Command, ctx: CliContext): void {
  program
    .command('backfill')
    .description(
      'sync every Event dated within a range (e.g. after connecting an org that already has Events) and follow the progress; a second run changes nothing',
    )
    .argument('<slug>', 'the tenant')
    .requiredOption('--from <date>', 'first day, e.g. 2026-01-01')
    .requiredOption('--to <date>', 'last day, e.g. 2026-12-31')
    .option('--no-wait', 'queue the Events and return at once')
    .option('--json', 'print the result as JSON')
    .action(
      (slug: string, opts: { from: string; to: string; wait: boolean; json?: boolean }, command: Command) =>
        withRuntime(ctx, command, openDataWithSecrets, async ({ store, clock, salesforce }) => {
          const range = { from: opts.from, to: opts.to };
          checkBackfillRange(range);
          const tenant = await chooseTenant(store.repos, slug);
          const result = await backfill(
            { repos: store.repos, clock, rest: salesforce.restClient(tenant.id) },
            tenant,
            range,
          );
          if (opts.json !== true)
            ctx.stdout(
              `Found ${result.found} Events from ${range.from} to ${range.to}; ${result.queued} queued for tenant ${tenant.slug}.\n`,
            );
          const progress =
            opts.wait && result.queued > 0
              ? await followBacklog(ctx, store.repos, tenant.id, result.eventIds, opts.json !== true)
              : undefined;
          if (opts.json === true)
            printJson(ctx, {
              found: result.found,
              queued: result.queued,
              ...(progress === undefined ? {} : progress),
            });
        }),
    );
}

/** Follows the queued Events until they are synced (or nothing moves for a while: no engine running). */
async function followBacklog(
  ctx: CliContext,
  repos: Repositories,
  tenantId: string,
  eventIds: readonly string[],
  show: boolean,
): Promise<{ synced: number; deadLettered: number; pending: number }> {
  const total = eventIds.length;
  const stallMs = 30_000;
  let last = { pending: total, dead: 0 };
  let movedAt = Date.now();
  let shownTenth = -1;
  for (;;) {
    const now = await backlogOf(repos, tenantId, eventIds);
    if (now.pending !== last.pending) movedAt = Date.now();
    last = now;
    const done = total - now.pending;
    if (show) {
      if (ctx.isTerminal === true) {
        const width = 30;
        const filled = Math.round((done / total) * width);
        ctx.stdout(
          `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} synced${now.dead > 0 ? `, ${now.dead} set aside` : ''}`,
        );
      } else if (Math.floor((done * 10) / total) > shownTenth) {
        shownTenth = Math.floor((done * 10) / total);
        ctx.stdout(`synced ${done} of ${total}\n`);
      }
    }
    if (now.pending === 0 || Date.now() - movedAt > stallMs) break;
    await sleep(500);
  }
  if (show) {
    if (ctx.isTerminal === true) ctx.stdout('\n');
    if (last.pending > 0)
      ctx.stdout(
        `${last.pending} Events are still queued and nothing moved for ${stallMs / 1000} s: is the engine running (instant-sync serve or worker)? They sync when it runs.\n`,
      );
    else
      ctx.stdout(
        `Done: ${total - last.dead} synced or already up to date${last.dead > 0 ? `, ${last.dead} set aside (instant-sync retry --dead)` : ''}.\n`,
      );
  }
  return { synced: total - last.pending - last.dead, deadLettered: last.dead, pending: last.pending };
}
