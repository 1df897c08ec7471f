// `instant-sync tenants add|list`: the tenants this server serves, each one Salesforce org.
import type { Command } from 'commander';
import { openRuntime, openRuntimeWithSecrets } from '../../main.ts';
import { listTenants } from '../../store/tenants-repository.ts';
import { createTenant } from '../../tenants/create-tenant.ts';
import { toTenantSummary } from '../../tenants/tenant-summary.ts';
import { printJson, printTable, type CliContext } from '../cli-context.ts';
import { withRuntime } from '../command-setup.ts';

export function registerTenants(program: Command, ctx: CliContext): void {
  const tenants = program.command('tenants').description('create and list tenants (one per Salesforce org)');

  tenants
    .command('add')
    .description('create a tenant: prints its Client ID, tenant URL and webhook secret (shown once)')
    .argument('<slug>', 'short name used in the tenant URL, e.g. acme → <public-url>/t/acme/')
    .option('--name <name>', 'display name (default: the slug)')
    .option('--json', 'print the result as JSON')
    .action((slug: string, opts: { name?: string; json?: boolean }, command: Command) =>
      withRuntime(
        ctx,
        command,
        (config, logger) => openRuntimeWithSecrets(config, logger, { migrations: 'auto' }),
        async ({ store, secretBox, clock, config, logger }) => {
          const tenant = await createTenant(
            { db: store.db, secretBox, clock, publicUrl: config.publicUrl },
            { slug, name: opts.name },
          );
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
              'Webhook secret (shown only now; store it where the Salesforce package can read it):',
              `  ${tenant.webhookSecret}`,
              '',
            ].join('\n'),
          );
        },
      ),
    );

  tenants
    .command('list')
    .description('list tenants with their Client ID and tenant URL')
    .option('--json', 'print the result as JSON')
    .action((opts: { json?: boolean }, command: Command) =>
      withRuntime(
        ctx,
        command,
        (config, logger) => openRuntime(config, logger, { migrations: 'auto' }),
        async ({ store, config }) => {
          const summaries = (await listTenants(store.db)).map((row) =>
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
        },
      ),
    );
}
