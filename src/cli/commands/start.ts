// `instant-sync start` (what `npm start` runs): the service, or — on a machine where no Salesforce
// org is configured yet (no server-wide Salesforce app, no tenant but the demo's) — the demo with
// the sandbox org and the Graph sandbox. `instant-sync demo [--provider <kind>]` runs the demo
// whatever is configured, with any provider's sandbox.
import type { Command } from 'commander';
import type { Config } from '../../config/options.ts';
import { demoSlug, runDemo } from '../../demo/run-demo.ts';
import { BadInputError } from '../../lib/errors.ts';
import type { ProviderPlugin } from '../../providers/provider-plugin.ts';
import { providerPluginNamed, providerPlugins } from '../../providers/registry.ts';
import type { Logger } from '../../lib/logger.ts';
import { openRuntime } from '../../main.ts';
import type { CliContext } from '../cli-context.ts';
import { setUpCommand } from '../command-setup.ts';
import { serve, waitForStop } from './serve.ts';

/** Why the real service should run, or undefined when nothing real is configured. */
async function realSetup(config: Config, logger: Logger): Promise<string | undefined> {
  if (config.salesforceClientId !== undefined) return 'INSTANT_SYNC_SALESFORCE_CLIENT_ID is set';
  const runtime = await openRuntime(config, logger, { migrations: 'auto' });
  try {
    const tenants = (await runtime.store.repos.tenants.listTenants()).filter((t) => t.slug !== demoSlug);
    return tenants.length > 0 ? `tenant ${tenants[0]?.slug ?? ''} is configured` : undefined;
  } finally {
    await runtime.close();
  }
}

async function demo(
  ctx: CliContext,
  config: Config,
  logger: Logger,
  paceMs: number | undefined,
  provider?: ProviderPlugin,
): Promise<void> {
  await runDemo(config, logger, {
    print: (line) => ctx.stdout(`${line}\n`),
    stopSignal: waitForStop(ctx.stopSignal),
    ...(paceMs === undefined ? {} : { paceMs }),
    ...(provider === undefined ? {} : { provider }),
  });
}

export function registerStart(program: Command, ctx: CliContext): void {
  program
    .command('start')
    .description(
      'what `npm start` runs: the service when a Salesforce org is configured, otherwise the demo (sandbox org and sandbox Microsoft 365)',
    )
    .action(async (_opts: unknown, command: Command) => {
      const { config, logger } = setUpCommand(ctx, command, { quiet: true });
      const reason = await realSetup(config, logger);
      if (reason === undefined) await demo(ctx, config, logger, undefined);
      else {
        ctx.stdout(`Starting the service (${reason}).\n`);
        await serve(ctx, config, setUpCommand(ctx, command).logger);
      }
    });

  program
    .command('demo')
    .description(
      'run the demo: a sandbox Salesforce org and a sandbox mailbox provider, a demo tenant connected through OAuth, and a stream of Events synced live',
    )
    .option('--pace <ms>', 'milliseconds between two changes to the demo Events', '2000')
    .option(
      '--provider <kind>',
      `the mailbox provider whose sandbox the demo syncs to: ${providerPlugins.map((p) => `${p.kind} (${p.sandbox.label})`).join(', ')}`,
      providerPlugins[0]?.kind,
    )
    .action(async (opts: { pace: string; provider: string }, command: Command) => {
      const { config, logger } = setUpCommand(ctx, command, { quiet: true });
      const pace = Number(opts.pace);
      if (!Number.isInteger(pace) || pace < 100 || pace > 600_000)
        throw new BadInputError(
          `--pace takes a whole number of milliseconds from 100 to 600000, got ${JSON.stringify(opts.pace)}`,
        );
      const provider = providerPluginNamed(opts.provider);
      await demo(ctx, config, logger, pace, provider);
    });
}
