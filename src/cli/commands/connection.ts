// `instant-sync connect|disconnect|status`: a tenant's Salesforce connection from the command
// line. Connect with the web server flow happens in a browser (the OAuth sign-in needs one), so
// `connect` prints where to go; with --jwt it connects on the spot.
import type { Command } from 'commander';
import { describeCountdown } from '../../domain/salesforce-connection.ts';
import { oauthAppFor } from '../../salesforce/oauth-app.ts';
import { intakeStatus } from '../../intake/intake-status.ts';
import { toTenantSummary } from '../../tenants/tenant-summary.ts';
import { printJson, printTable, type CliContext } from '../cli-context.ts';
import { openDataWithSecrets, withRuntime } from '../command-setup.ts';

export function registerConnection(program: Command, ctx: CliContext): void {
  program
    .command('connect')
    .description('connect a tenant to its Salesforce org (prints the page to open; --jwt connects at once)')
    .argument('<slug>', 'the tenant')
    .option(
      '--jwt',
      'connect with the JWT bearer flow (set --jwt-username and --jwt-key-file with `tenants set` first)',
    )
    .option('--json', 'print the result as JSON')
    .action((slug: string, opts: { jwt?: boolean; json?: boolean }, command: Command) =>
      withRuntime(ctx, command, openDataWithSecrets, async ({ salesforce, store, secretBox, config }) => {
        const { connections } = salesforce;
        if (opts.jwt === true) {
          const { connection } = await connections.connectWithJwt(slug);
          if (opts.json === true) printJson(ctx, connection);
          else
            ctx.stdout(
              `${connection.status}: tenant ${slug} to org ${connection.orgId ?? '?'} as ${connection.username ?? connection.userId ?? '?'} (JWT bearer: nothing expires).\n`,
            );
          return;
        }
        const { tenant } = await connections.get(slug);
        const row = await store.repos.salesforceConnections.findConnection(tenant.id);
        if (row !== undefined) oauthAppFor(row, { secretBox, settings: salesforce.deps.settings });
        const page = toTenantSummary(tenant, config.publicUrl).tenantUrl;
        const callbackUrl = connections.callbackUrl(slug);
        if (opts.json === true) {
          printJson(ctx, { tenantUrl: page, callbackUrl });
          return;
        }
        ctx.stdout(
          [
            `Open the tenant page in a browser and click Connect (sign-in happens at Salesforce):`,
            `  ${page}`,
            `The Salesforce External Client App must list this callback URL:`,
            `  ${callbackUrl}`,
            '',
          ].join('\n'),
        );
      }),
    );

  program
    .command('disconnect')
    .description("revoke a tenant's Salesforce grant and mark it Disconnected")
    .argument('<slug>', 'the tenant')
    .option('--json', 'print the result as JSON')
    .action((slug: string, opts: { json?: boolean }, command: Command) =>
      withRuntime(ctx, command, openDataWithSecrets, async ({ salesforce }) => {
        const result = await salesforce.connections.disconnect(slug);
        if (opts.json === true) {
          printJson(ctx, { ...result.connection, revoked: result.revoked });
          return;
        }
        ctx.stdout(
          result.revoked
            ? `${result.connection.status}: tenant ${slug}; the grant was revoked at Salesforce.\n`
            : `${result.connection.status}: tenant ${slug}. Nothing was revoked at Salesforce (no grant, or Salesforce could not be reached: check Setup → Connected Apps OAuth Usage).\n`,
        );
      }),
    );

  program
    .command('status')
    .description(
      'every tenant with its Salesforce connection state, expiry, queue and how changes come in (CDC streaming, or polling faster instead and why)',
    )
    .option('--json', 'print the result as JSON')
    .action((opts: { json?: boolean }, command: Command) =>
      withRuntime(ctx, command, openDataWithSecrets, async ({ salesforce, store, queue, clock, config }) => {
        const rows = [];
        for (const tenant of await store.repos.tenants.listTenants()) {
          const { connection } = await salesforce.connections.get(tenant.slug);
          rows.push({
            ...toTenantSummary(tenant, config.publicUrl),
            connection,
            jobs: await queue.counts(tenant.id),
            intake: await intakeStatus(store.repos, config, tenant),
          });
        }
        if (opts.json === true) {
          printJson(ctx, rows);
        } else if (rows.length === 0) {
          ctx.stdout('No tenants yet. Create one with: instant-sync tenants add <slug>\n');
        } else {
          printTable(
            ctx,
            ['TENANT', 'SALESFORCE', 'ORG', 'USER', 'EXPIRES', 'QUEUED', 'PAUSED', 'DEAD', 'CHANGES'],
            rows.map(({ slug, connection: c, jobs, intake }) => [
              slug,
              c.status.replace(/ \(.*\)$/, ''),
              c.orgId ?? '-',
              c.username ?? '-',
              c.expiresAt === null
                ? '-'
                : `${c.expiresAt.slice(0, 10)} (${describeCountdown(Date.parse(c.expiresAt) - clock.now())})`,
              String(jobs.ready + jobs.scheduled + jobs.running),
              String(jobs.paused),
              String(jobs.dead),
              c.state === 'disconnected'
                ? '-'
                : intake.cdc === 'polling' && intake.fallback !== undefined
                  ? `polling every ${Math.round(intake.pollEveryMs / 1000)} s (CDC paused: ${intake.fallback.label})`
                  : intake.cdc === 'streaming'
                    ? 'CDC'
                    : `polling every ${Math.round(intake.pollEveryMs / 1000)} s`,
            ]),
          );
          // Why CDC is not used, in Salesforce's words, and what to do: one paragraph per such tenant.
          for (const { slug, intake } of rows) {
            const fallback = intake.fallback;
            if (fallback === undefined) continue;
            const retry =
              fallback.retryAt === null ? '' : ` Tried again at ${new Date(fallback.retryAt).toISOString()}.`;
            ctx.stdout(
              `\n${slug}: ${intake.summary} (since ${new Date(fallback.since).toISOString()}; Salesforce: ${fallback.detail}). ` +
                `To do: ${fallback.fix}.${retry}\n`,
            );
          }
        }
      }),
    );
}
