// `instant-sync provider set|kinds|show|list`: a tenant's mailbox provider (or, for a hybrid
// tenant, its several), where its Events become calendar items.
import type { Command } from 'commander';
import { findProviderPlugin, providerPluginNamed, providerPlugins } from '../../providers/registry.ts';
import { providerNamed } from '../../tenants/assign-mailbox-provider.ts';
import { defaultProviderName, setMailboxProvider } from '../../tenants/set-mailbox-provider.ts';
import { BadInputError } from '../../lib/errors.ts';
import { printJson, printTable, type CliContext } from '../cli-context.ts';
import { openData, openDataWithSecrets, withRuntime } from '../command-setup.ts';
import { readSecretInput } from '../read-secret-input.ts';
import { chooseTenant } from './tenant-arguments.ts';

/** The key commander gives an option's value: `--client-secret-file <file>` → `clientSecretFile`. */
function optionKey(flag: string): string {
  return (flag.split(' ')[0] ?? '')
    .replace(/^--/, '')
    .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function registerProvider(program: Command, ctx: CliContext): void {
  const provider = program
    .command('provider')
    .description("a tenant's mailbox provider: where its Events become calendar items");
  const set = provider
    .command('set')
    .description(
      `set the mailbox provider of a tenant (${providerPlugins.map((p) => `${p.kind}: ${p.label}`).join('; ')}); switching to another kind sets aside the old provider's links (then run backfill)`,
    )
    .argument('<slug>', 'the tenant')
    .argument('<kind>', providerPlugins.map((p) => p.kind).join(' | '))
    .option(
      '--name <name>',
      'the provider to set, for a tenant with several (hybrid: e.g. onprem over ews and cloud over graph); default: "default"',
    )
    .option(
      '--default',
      "make it the tenant's default provider: mailboxes not assigned another go through it (the first one set is the default)",
    );
  // Each provider's own options, from its description (providers/<kind>/index.ts).
  const flags = new Set<string>();
  for (const plugin of providerPlugins)
    for (const option of plugin.options)
      if (!flags.has(option.flag)) {
        flags.add(option.flag);
        set.option(option.flag, `${option.help} (${plugin.kind})`);
      }
  set.action((slug: string, kind: string, opts: Record<string, string | undefined>, command: Command) => {
    // The kind first (before any option is checked or a secret read), then options of another kind.
    const plugin = providerPluginNamed(kind);
    const foreign = [...flags].filter(
      (flag) => opts[optionKey(flag)] !== undefined && !plugin.options.some((o) => o.flag === flag),
    );
    if (foreign.length > 0)
      throw new BadInputError(
        `${foreign.map((flag) => flag.split(' ')[0]).join(', ')} ${foreign.length === 1 ? 'is not an option' : 'are not options'} of ${plugin.kind} (${plugin.label}), which takes ${plugin.options.map((o) => o.flag.split(' ')[0]).join(', ')}`,
      );
    return withRuntime(ctx, command, openDataWithSecrets, async ({ store, secretBox, clock }) => {
      const input: Record<string, string | undefined> = {};
      for (const option of plugin.options) {
        const given = opts[optionKey(option.flag)];
        input[option.input] =
          given === undefined || option.file !== true ? given : await readSecretInput(given);
      }
      const { label, summary, setAside, name, isDefault, moved } = await setMailboxProvider(
        { repos: store.repos, secretBox, clock },
        slug,
        kind,
        input,
        { name: opts['name'], makeDefault: opts['default'] !== undefined },
      );
      ctx.stdout(
        name === defaultProviderName
          ? `Tenant ${slug} now syncs to ${label} (${summary}).\n`
          : `Tenant ${slug}'s provider ${name} is ${label} (${summary})${isDefault ? ', the default' : ''}. ${isDefault ? 'Mailboxes not assigned another provider go through it' : `Assign mailboxes to it with \`instant-sync mailboxes map <user> <address> --provider ${name} --tenant ${slug}\``}.\n`,
      );
      if (moved > 0)
        ctx.stdout(
          `${moved} Event(s) whose mailbox goes through it now were queued: each item is looked for there by its Salesforce id before one is made.\n`,
        );
      if (setAside > 0)
        ctx.stdout(
          `${setAside} calendar item(s) made through the previous provider were set aside (kept for the record, never changed from here). Run \`instant-sync backfill ${slug} --from <date> --to <date>\` to create the Events' items in ${label}.\n`,
        );
    });
  });
  provider
    .command('kinds')
    .description('list the mailbox providers this version has: what each takes, can show, and cannot')
    .option('--json', 'print the result as JSON')
    .action((opts: { json?: boolean }) => {
      const kinds = providerPlugins.map((p) => ({
        kind: p.kind,
        label: p.label,
        setupGuide: p.setupGuide,
        options: p.options.map((o) => o.flag),
        capabilities: p.capabilities,
      }));
      if (opts.json === true) return printJson(ctx, kinds);
      for (const { kind, label, setupGuide, options, capabilities: c } of kinds) {
        const shownAs = Object.entries(c.showAs)
          .filter(([from, to]) => from !== to)
          .map(([from, to]) => `${from} as ${to}`);
        ctx.stdout(
          [
            `${kind}: ${label} (${setupGuide})`,
            `  set up with: ${options.join(' ')}`,
            `  limits: ${c.maxConcurrentPerMailbox} requests at once and ${c.requestsPerWindow.count} per ${c.requestsPerWindow.windowMs / 1000} s per mailbox`,
            `  retried creates: ${c.idempotentCreate === null ? 'may make a second item' : `one item (${c.idempotentCreate.how})`}`,
            `  shows: private ${c.privateItems ? 'yes' : 'no'}; reminders up to ${c.maxReminderMinutes} min; attendees ${c.attendeeTypes.join(' and ')}; series ${c.recurrence.join(', ')}${c.seriesInstances === null ? '' : `, single occurrences changed or cancelled${c.seriesInstances.moveAcrossNeighbours ? '' : ' (not moved past their neighbours)'}`}${shownAs.length === 0 ? '' : `; show-as ${shownAs.join(', ')}`}`,
            ...c.limitations.map((l) => `  note: ${l}`),
            '',
          ].join('\n'),
        );
      }
    });
  provider
    .command('show')
    .description(
      "show a tenant's mailbox provider (never its secret); with several (hybrid), the default one unless --name says which",
    )
    .argument('<slug>', 'the tenant')
    .option('--name <name>', 'the provider to show, for a tenant with several')
    .option('--json', 'print the result as JSON')
    .action((slug: string, opts: { json?: boolean; name?: string }, command: Command) =>
      withRuntime(ctx, command, openData, async ({ store }) => {
        const tenant = await chooseTenant(store.repos, slug);
        const all = await store.repos.mailboxProviders.listProviders(tenant.id);
        const row =
          opts.name === undefined
            ? all.find((p) => p.is_default === 1)
            : await providerNamed(store.repos, tenant, opts.name);
        const view =
          row === undefined
            ? null
            : {
                kind: row.kind,
                ...(JSON.parse(row.settings_json) as Record<string, unknown>),
                secretStored: row.credentials_sealed !== null,
                name: row.name,
                isDefault: row.is_default === 1,
              };
        if (opts.json === true) printJson(ctx, view);
        else if (view === null)
          ctx.stdout(
            `Tenant ${slug} has no mailbox provider yet (instant-sync provider set ${slug} <${providerPlugins.map((p) => p.kind).join('|')}> …).\n`,
          );
        else
          ctx.stdout(
            `${Object.entries(view)
              .map(([k, v]) => `${k}: ${String(v)}`)
              .join('\n')}\n${
              all.length > 1
                ? `The tenant has ${all.length} providers: ${all.map((p) => `${p.name} (${p.kind}${p.is_default === 1 ? ', default' : ''})`).join(', ')}.\n`
                : ''
            }`,
          );
      }),
    );
  provider
    .command('list')
    .description(
      "a tenant's mailbox providers (several for a hybrid tenant), with how many mailboxes each has",
    )
    .argument('<slug>', 'the tenant')
    .option('--json', 'print the result as JSON')
    .action((slug: string, opts: { json?: boolean }, command: Command) =>
      withRuntime(ctx, command, openData, async ({ store }) => {
        const tenant = await chooseTenant(store.repos, slug);
        const mailboxRows = await store.repos.mailboxes.listMailboxes(tenant.id);
        const rows = (await store.repos.mailboxProviders.listProviders(tenant.id)).map((row) => {
          const plugin = findProviderPlugin(row.kind);
          const isDefault = row.is_default === 1;
          return {
            name: row.name,
            kind: row.kind,
            isDefault,
            described:
              plugin === undefined
                ? row.kind
                : `${plugin.label} (${plugin.summary(JSON.parse(row.settings_json) as Record<string, unknown>)})`,
            mailboxes: mailboxRows.filter((m) =>
              m.provider_name === null ? isDefault : m.provider_name === row.name,
            ).length,
          };
        });
        if (opts.json === true) printJson(ctx, rows);
        else if (rows.length === 0)
          ctx.stdout(`Tenant ${slug} has no mailbox provider yet (instant-sync provider set).\n`);
        else
          printTable(
            ctx,
            ['NAME', 'KIND', 'DEFAULT', 'MAILBOXES', 'PROVIDER'],
            rows.map((r) => [r.name, r.kind, r.isDefault ? 'yes' : '', String(r.mailboxes), r.described]),
          );
      }),
    );
}
