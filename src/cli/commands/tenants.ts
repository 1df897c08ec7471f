// `instant-sync tenants add|show|set|list|remove|rotate-webhook-secret`: the tenants this server serves, each one
// Salesforce org.
import type { Command } from 'commander';
import { tenantCreationDeps } from '../../main.ts';
import { parseDuration } from '../../config/duration.ts';
import { BadInputError } from '../../lib/errors.ts';
import { createTenant } from '../../tenants/create-tenant.ts';
import { updateTenantSettings } from '../../tenants/update-tenant-settings.ts';
import { removeTenant } from '../../tenants/remove-tenant.ts';
import { rotateWebhookSecret } from '../../tenants/rotate-webhook-secret.ts';
import { findProviderPlugin } from '../../providers/registry.ts';
import { toTenantSummary } from '../../tenants/tenant-summary.ts';
import { printJson, printTable, type CliContext } from '../cli-context.ts';
import { openData, openDataWithSecrets, withRuntime } from '../command-setup.ts';
import { readSecretInput } from '../read-secret-input.ts';

interface TenantSetOptions {
  name?: string;
  settleWindow?: string;
  loginUrl?: string;
  clientId?: string;
  clientSecretFile?: string;
  refreshTokenPolicy?: string;
  jwtUsername?: string;
  jwtKeyFile?: string;
  invitationPolicy?: string;
  deletePolicy?: string;
  internalDomains?: string;
  exclusionRulesFile?: string;
  pollInterval?: string;
}

export function registerTenants(program: Command, ctx: CliContext): void {
  const tenants = program
    .command('tenants')
    .description(
      'create, show, change, list and remove tenants (one per Salesforce org), and rotate their webhook secrets',
    );

  tenants
    .command('add')
    .description('create a tenant: prints its Client ID, tenant URL and webhook secret (shown once)')
    .argument('<slug>', 'short name used in the tenant URL, e.g. acme → <public-url>/t/acme/')
    .option('--name <name>', 'display name (default: the slug)')
    .option('--json', 'print the result as JSON')
    .action((slug: string, opts: { name?: string; json?: boolean }, command: Command) =>
      withRuntime(ctx, command, openDataWithSecrets, async (runtime) => {
        const tenant = await createTenant(tenantCreationDeps(runtime), { slug, name: opts.name });
        const { logger } = runtime;
        logger.info({ tenant: tenant.slug, clientId: tenant.clientId }, 'tenant created');
        if (opts.json === true) {
          printJson(ctx, tenant);
          return;
        }
        ctx.stdout(
          [
            `Created tenant ${tenant.slug}.`,
            `  Name:        ${tenant.name}`,
            `  Client ID:   ${tenant.clientId}`,
            `  Tenant URL:  ${tenant.tenantUrl}`,
            '',
            'Webhook secret (shown only now; our Salesforce package gets it by itself when the tenant connects,',
            'other callers of the webhook need it: docs/webhook.md):',
            `  ${tenant.webhookSecret}`,
            '',
          ].join('\n'),
        );
      }),
    );

  tenants
    .command('set')
    .description("change a tenant's settings and how it reaches Salesforce")
    .argument('<slug>', 'the tenant')
    .option('--name <name>', 'display name')
    .option(
      '--settle-window <duration>',
      'how long changes arriving while their Event syncs wait to join one run, 0s to 1h (default 500ms)',
    )
    .option(
      '--login-url <url>',
      'Salesforce login URL: https://login.salesforce.com, https://test.salesforce.com or a My Domain',
    )
    .option('--client-id <key>', "consumer key of the tenant's own External Client App")
    .option('--client-secret-file <file>', 'file holding its consumer secret (- reads standard input)')
    .option(
      '--refresh-token-policy <policy>',
      'as set on the app: until-revoked, expire-after:<n>d or idle:<n>d',
    )
    .option('--jwt-username <username>', 'Salesforce user the JWT bearer flow signs in as')
    .option('--jwt-key-file <file>', 'PEM private key for the JWT bearer flow (- reads standard input)')
    .option(
      '--invitation-policy <policy>',
      'none (default: nobody is emailed; invitees are listed in the body), internal (only the internal domains become attendees) or all',
    )
    .option(
      '--poll-interval <duration>',
      "how often this tenant is polled, 10s to 1d, or 'default' for INSTANT_SYNC_POLL_INTERVAL",
    )
    .option('--delete-policy <policy>', 'delete (default: a deleted Event removes its item) or keep')
    .option(
      '--internal-domains <domains>',
      'comma-separated email domains counted as internal, e.g. acme.com,acme.de',
    )
    .option(
      '--exclusion-rules-file <file>',
      'JSON file of rules for Events never to sync, e.g. [{"field":"CreatedById","op":"equals","value":"005…","label":"the other sync tool"}] (- reads standard input)',
    )
    .action((slug: string, opts: TenantSetOptions, command: Command) =>
      withRuntime(ctx, command, openDataWithSecrets, async (runtime) => {
        const settleWindowMs = opts.settleWindow === undefined ? undefined : parseDuration(opts.settleWindow);
        if (opts.settleWindow !== undefined && settleWindowMs === undefined) {
          throw new BadInputError(
            `--settle-window expects a duration such as 2s or 500ms, got ${JSON.stringify(opts.settleWindow)}`,
          );
        }
        const pollIntervalMs =
          opts.pollInterval === undefined
            ? undefined
            : opts.pollInterval === 'default'
              ? null
              : parseDuration(opts.pollInterval);
        if (opts.pollInterval !== undefined && pollIntervalMs === undefined) {
          throw new BadInputError(
            `--poll-interval expects a duration such as 60s or 5m, or default, got ${JSON.stringify(opts.pollInterval)}`,
          );
        }
        await updateTenantSettings(
          { repos: runtime.store.repos, secretBox: runtime.secretBox, clock: runtime.clock },
          slug,
          {
            name: opts.name,
            settleWindowMs,
            loginUrl: opts.loginUrl,
            clientId: opts.clientId,
            clientSecret:
              opts.clientSecretFile === undefined ? undefined : await readSecretInput(opts.clientSecretFile),
            refreshTokenPolicy: opts.refreshTokenPolicy,
            jwtUsername: opts.jwtUsername,
            jwtPrivateKeyPem:
              opts.jwtKeyFile === undefined ? undefined : await readSecretInput(opts.jwtKeyFile),
            invitationPolicy: opts.invitationPolicy,
            pollIntervalMs,
            deletePolicy: opts.deletePolicy,
            internalDomains: opts.internalDomains,
            exclusionRulesJson:
              opts.exclusionRulesFile === undefined
                ? undefined
                : await readSecretInput(opts.exclusionRulesFile),
          },
        );
        ctx.stdout(`Updated tenant ${slug}.\n`);
      }),
    );

  tenants
    .command('show')
    .description('one tenant: settings, Salesforce connection, mailbox provider and queue (never a secret)')
    .argument('<slug>', 'the tenant')
    .option('--json', 'print the result as JSON')
    .action((slug: string, opts: { json?: boolean }, command: Command) =>
      withRuntime(ctx, command, openDataWithSecrets, async ({ salesforce, store, queue, config }) => {
        const { tenant, connection } = await salesforce.connections.get(slug);
        const providers = (await store.repos.mailboxProviders.listProviders(tenant.id)).map((row) => {
          const settings = JSON.parse(row.settings_json) as Record<string, unknown>;
          const plugin = findProviderPlugin(row.kind);
          return {
            name: row.name,
            isDefault: row.is_default === 1,
            kind: row.kind,
            ...settings,
            described: plugin === undefined ? row.kind : `${plugin.label} (${plugin.summary(settings)})`,
          };
        });
        const view = {
          ...toTenantSummary(tenant, config.publicUrl),
          connection,
          /** The default provider (the only one, unless the tenant is hybrid). */
          provider: providers.find((p) => p.isDefault) ?? null,
          providers,
          mailboxes: (await store.repos.mailboxes.listMailboxes(tenant.id)).length,
          jobs: await queue.counts(tenant.id),
        };
        if (opts.json === true) {
          printJson(ctx, view);
          return;
        }
        const jobs = view.jobs;
        ctx.stdout(
          [
            `${view.name} (${view.slug})`,
            `  Client ID:          ${view.clientId}`,
            `  Tenant URL:         ${view.tenantUrl}`,
            `  Salesforce:         ${connection.status}${connection.orgId === null ? '' : `, org ${connection.orgId} as ${connection.username ?? connection.userId ?? '?'}`}`,
            `  Mailbox provider:   ${
              providers.length === 0
                ? 'none (instant-sync provider set)'
                : providers.length === 1
                  ? (providers[0]?.described ?? '')
                  : providers
                      .map((p) => `${p.name}${p.isDefault ? ' (default)' : ''}: ${p.described}`)
                      .join('; ')
            }`,
            `  Mailboxes seen:     ${view.mailboxes}`,
            `  Settle window:      ${view.settleWindowMs} ms`,
            `  Invitations:        ${view.invitationPolicy}${view.internalDomains.length > 0 ? ` (internal: ${view.internalDomains.join(', ')})` : ''}`,
            `  Deleted Events:     ${view.deletePolicy === 'delete' ? 'their items are deleted' : 'their items are kept'}`,
            `  Exclusion rules:    ${view.exclusionRules.length === 0 ? 'none' : view.exclusionRules.map((r) => r.label ?? `${r.field} ${r.op} ${JSON.stringify(r.value)}`).join('; ')}`,
            `  Queue:              ${jobs.ready} ready, ${jobs.scheduled} scheduled, ${jobs.running} running, ${jobs.paused} paused, ${jobs.dead} dead`,
            '',
          ].join('\n'),
        );
      }),
    );

  tenants
    .command('remove')
    .description(
      'remove a tenant and all its data (its Salesforce grant is revoked first); calendar items stay where they are',
    )
    .argument('<slug>', 'the tenant')
    .option('--yes', 'confirm: nothing of the tenant can be recovered afterwards')
    .action((slug: string, opts: { yes?: boolean }, command: Command) =>
      withRuntime(ctx, command, openDataWithSecrets, async ({ salesforce, store }) => {
        if (opts.yes !== true)
          throw new BadInputError(
            `removing tenant ${slug} deletes all its data: run again with --yes to confirm`,
          );
        const { revoked } = await removeTenant(
          { repos: store.repos, revoke: (name) => salesforce.connections.disconnect(name) },
          slug,
        );
        ctx.stdout(
          `Removed tenant ${slug}.${revoked ? ' Its Salesforce grant was revoked.' : ' No Salesforce grant was revoked (none, or Salesforce could not be reached).'}\n`,
        );
      }),
    );

  tenants
    .command('list')
    .description('list tenants with their Client ID and tenant URL')
    .option('--json', 'print the result as JSON')
    .action((opts: { json?: boolean }, command: Command) =>
      withRuntime(ctx, command, openData, async ({ store, config }) => {
        const summaries = (await store.repos.tenants.listTenants()).map((row) =>
          toTenantSummary(row, config.publicUrl),
        );
        if (opts.json === true) {
          printJson(ctx, summaries);
        } else if (summaries.length === 0) {
          ctx.stdout('No tenants yet. Create one with: instant-sync tenants add <slug>\n');
        } else {
          printTable(
            ctx,
            ['SLUG', 'NAME', 'CLIENT ID', 'TENANT URL', 'CREATED'],
            summaries.map((t) => [t.slug, t.name, t.clientId, t.tenantUrl, t.createdAt]),
          );
        }
      }),
    );

  tenants
    .command('rotate-webhook-secret')
    .description(
      'give a tenant a new webhook secret (shown once); deliveries signed with the old one are refused from now on',
    )
    .argument('<slug>', 'the tenant')
    .option('--json', 'print the result as JSON')
    .action((slug: string, opts: { json?: boolean }, command: Command) =>
      withRuntime(
        ctx,
        command,
        openDataWithSecrets,
        async ({ store, secretBox, clock, logger, salesforce }) => {
          const rotated = await rotateWebhookSecret({ repos: store.repos, secretBox, clock }, slug);
          logger.info({ tenant: rotated.slug }, 'webhook secret rotated');
          // A connected org with our package gets the new secret at once, as a Connect would give it.
          const orgPackage = await salesforce.connections.updatePackage(slug);
          const inPackage = orgPackage !== undefined && 'installed' in orgPackage && orgPackage.installed;
          if (opts.json === true) {
            printJson(ctx, { ...rotated, packageUpdated: inPackage });
            return;
          }
          ctx.stdout(
            [
              `New webhook secret for tenant ${rotated.slug} (shown only now):`,
              `  ${rotated.webhookSecret}`,
              '',
              inPackage
                ? 'Our Salesforce package in the org has it already. Deliveries signed with the old secret are refused from'
                : 'Give it to whatever calls the webhook (docs/webhook.md) now: deliveries signed with the old secret are refused from',
              'this moment. Changes made meanwhile still arrive through CDC and polling.',
              '',
            ].join('\n'),
          );
        },
      ),
    );
}
