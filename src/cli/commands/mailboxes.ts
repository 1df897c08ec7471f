// `instant-sync mailboxes map|list`: which mailbox each Salesforce user's Events land in.
import type { Command } from 'commander';
import { mapOwnerToMailbox } from '../../tenants/map-mailbox.ts';
import { describeMailboxState, toMailboxView } from '../../tenants/mailbox-view.ts';
import { printJson, printTable, type CliContext } from '../cli-context.ts';
import { openData, openDataWithSecrets, withRuntime } from '../command-setup.ts';
import { chooseTenant, userArgument } from './tenant-arguments.ts';

export function registerMailboxes(program: Command, ctx: CliContext): void {
  const mailboxes = program
    .command('mailboxes')
    .description('which mailbox each Salesforce user’s Events go to');
  mailboxes
    .command('map')
    .description(
      "send a Salesforce user's Events to a mailbox of your choosing (instead of the user's email)",
    )
    .argument('<user>', 'Salesforce user id (005…) or the email address Salesforce has for the user')
    .argument('<mailbox>', 'mailbox address, e.g. jane.doe@contoso.com')
    .option('--tenant <slug>', 'the tenant (needed when there are several)')
    .option(
      '--provider <name>',
      "the provider the mailbox goes through (a hybrid tenant's, by name); its Events move there, and items the mailbox already holds are found by their Salesforce id, not copied",
    )
    .action((user: string, mailbox: string, opts: { tenant?: string; provider?: string }, command: Command) =>
      withRuntime(ctx, command, openDataWithSecrets, async ({ store, clock, salesforce }) => {
        const tenant = await chooseTenant(store.repos, opts.tenant);
        const {
          userId,
          address,
          released,
          provider: through,
          moved,
        } = await mapOwnerToMailbox(
          {
            repos: store.repos,
            clock,
            userIdByEmail: async (email) =>
              (
                await salesforce
                  .restClient(tenant.id)
                  .query(`SELECT Id FROM User WHERE Email = '${email.replaceAll("'", "\\'")}' LIMIT 2`)
              )[0]?.Id,
          },
          tenant,
          userArgument(user),
          mailbox,
          opts.provider,
        );
        ctx.stdout(
          `Events of ${userId} now go to ${address}${through === undefined ? '' : ` through the provider ${through}`} (tenant ${tenant.slug}).${moved === 0 ? " Items already synced move with their Event's next change." : ''}\n` +
            (released === 0
              ? ''
              : `${released} Event${released === 1 ? '' : 's'} that waited for the former mailbox sync now.\n`) +
            (moved === 0
              ? ''
              : `${moved} Event${moved === 1 ? '' : 's'} of the mailbox were queued to move to ${through ?? 'the provider'}: each item is looked for there by its Salesforce id before one is made.\n`),
        );
      }),
    );
  mailboxes
    .command('list')
    .description('every Salesforce user seen as an Event owner, with the mailbox used and its state')
    .option('--tenant <slug>', 'the tenant (needed when there are several)')
    .option('--json', 'print the result as JSON')
    .action((opts: { tenant?: string; json?: boolean }, command: Command) =>
      withRuntime(ctx, command, openData, async ({ store }) => {
        const tenant = await chooseTenant(store.repos, opts.tenant);
        const rows = (await store.repos.mailboxes.listMailboxes(tenant.id)).map(toMailboxView);
        // A hybrid tenant's mailboxes each go through one of its providers: a column says which.
        const providers = await store.repos.mailboxProviders.listProviders(tenant.id);
        const hybrid = providers.length > 1;
        const defaultName = providers.find((p) => p.is_default === 1)?.name ?? 'default';
        if (opts.json === true) printJson(ctx, rows);
        else if (rows.length === 0)
          ctx.stdout(`No mailboxes yet for ${tenant.slug}: they appear as Events of their owners sync.\n`);
        else
          printTable(
            ctx,
            [
              'SALESFORCE USER',
              'MAILBOX',
              'FROM',
              ...(hybrid ? ['PROVIDER'] : []),
              'STATE',
              'TIME ZONE',
              'PROBLEM',
            ],
            rows.map((r) => [
              r.user,
              r.mailbox ?? '-',
              r.source,
              ...(hybrid ? [r.provider ?? `${defaultName} (default)`] : []),
              describeMailboxState(r),
              r.timeZone ?? '-',
              r.problem ?? '',
            ]),
          );
      }),
    );
}
