// `instant-sync serve`: the long-running service. Opens the database (migrating it unless told
// not to), loads the secret key, serves HTTP (health checks, tenant connect pages), watches the
// Salesforce connections' expiry, takes in changes (CDC subscriptions, polling), runs the sync
// engine (unless INSTANT_SYNC_ENGINE is false), and shuts down cleanly on SIGINT/SIGTERM.
// `instant-sync worker` runs the engine alone, for more sync capacity next to `serve`.
// Either one also serves /metrics without a token on INSTANT_SYNC_METRICS_PORT when it is set
// (bound to INSTANT_SYNC_METRICS_HOST, localhost by default), for a Prometheus on the same host.
import { recordQueueDepth } from '../../reports/queue-history.ts';
import { countSyncMinutes } from '../../reports/sync-history.ts';
import { flushCompileCache } from 'node:module';
import type { Command } from 'commander';
import {
  createHttpAppFor,
  createIntake,
  createNodePresence,
  createSyncWorker,
  nodeId,
  openRuntimeWithSecrets,
  version,
} from '../../main.ts';
import { runRetention } from '../../maintenance/retention.ts';
import { createMetricsApp } from '../../http/create-http-app.ts';
import { startHttpServer, type RunningHttpServer } from '../../http/start-http-server.ts';
import { startPeriodicTask } from '../../lib/periodic-task.ts';
import { followLoad } from '../../lib/heap-mode.ts';
import type { Config } from '../../config/options.ts';
import type { Logger } from '../../lib/logger.ts';
import { runningFrom } from '../../lib/package-files.ts';
import type { CliContext } from '../cli-context.ts';
import { setUpCommand } from '../command-setup.ts';

export function registerServe(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description(
      'run the service: change intake, the sync engine, tenant connect pages and /healthz, /readyz on INSTANT_SYNC_HOST:INSTANT_SYNC_PORT',
    )
    .action(async (_opts: unknown, command: Command) => {
      const { config, logger } = setUpCommand(ctx, command);
      await serve(ctx, config, logger);
    });
}

/** Runs the service until SIGINT/SIGTERM (or the context's stop signal). */
export async function serve(ctx: CliContext, config: Config, logger: Logger): Promise<void> {
  const runtime = await openRuntimeWithSecrets(config, logger, { migrations: 'auto' });
  let server;
  try {
    server = await startHttpServer(createHttpAppFor(runtime), {
      host: config.host,
      port: config.port,
      requestTimeoutMs: config.requestTimeout,
      maxConnections: config.maxConnections,
    });
  } catch (error) {
    await runtime.close();
    throw error;
  }
  let metricsServer;
  try {
    metricsServer = await startMetricsServer(config, runtime);
  } catch (error) {
    await server.close(0);
    await runtime.close();
    throw error;
  }
  // Registered before any work: what a killed earlier run on this host held comes back now.
  const presence = createNodePresence(runtime, 'serve');
  await presence.start();
  const expiryChecks = startPeriodicTask(
    'salesforce-expiry-check',
    config.expiryCheckInterval,
    () => runtime.salesforce.expiryMonitor.check(),
    logger,
  );
  // The queue's depth and the syncs of each minute, once a minute, for the admin pages' charts.
  const activitySamples = startPeriodicTask(
    'activity-samples',
    60_000,
    async () => {
      await recordQueueDepth(runtime.store.repos, runtime.clock.now());
      await countSyncMinutes(runtime.store.repos, runtime.clock.now());
    },
    logger,
  );
  // What retention no longer keeps, removed by one node at a time (the lease outlives the interval,
  // so the node holding it keeps it while it runs; another takes over if it dies).
  const stopRetention = new AbortController();
  const retention = startPeriodicTask(
    'retention',
    config.retentionInterval,
    async () => {
      await runRetention(
        { ...runtime, repos: runtime.store.repos, backend: runtime.store.backend.name, nodeId },
        { historyMs: config.retainHistory, failuresMs: config.retainFailures },
        config.retentionInterval + 60_000,
        stopRetention.signal,
      );
    },
    logger,
  );
  const intake = createIntake(runtime);
  intake.start();
  const engine = config.engine
    ? createSyncWorker(runtime, { presence, stopGraceMs: config.shutdownTimeout })
    : undefined;
  engine?.start();
  const heap = followLoad(logger);
  // Listen for SIGINT/SIGTERM before saying we are up: a supervisor may stop us right after.
  const stopped = waitForStop(ctx.stopSignal);
  logger.info({ url: server.url, database: runtime.store.location, version, code: runningFrom }, 'listening');
  // Everything serving loads is loaded: the next start reads it from the compile cache (bin/instant-sync.js).
  flushCompileCache();
  ctx.stdout(`Instant Sync ${version} listening on ${server.url}\n`);
  ctx.stdout(`  database:   ${runtime.store.location}\n`);
  ctx.stdout(`  public URL: ${config.publicUrl}\n`);
  ctx.stdout(`  engine:     ${engine === undefined ? 'off (run instant-sync worker)' : 'on'}\n`);
  if (metricsServer !== undefined) ctx.stdout(`  metrics:    ${metricsServer.url}/metrics\n`);

  await stopped;
  logger.info('shutting down');
  await server.close(config.shutdownTimeout);
  await metricsServer?.close(1000);
  await expiryChecks.stop();
  await activitySamples.stop();
  stopRetention.abort();
  await retention.stop();
  await intake.stop();
  await engine?.stop();
  heap?.stop();
  await presence.stop();
  await runtime.close();
  logger.info('stopped');
  logger.flush();
}

export function registerWorker(program: Command, ctx: CliContext): void {
  program
    .command('worker')
    .description(
      'run the sync engine alone (no HTTP, no intake): claims due jobs and syncs them; run several for more capacity',
    )
    .action(async (_opts: unknown, command: Command) => {
      const { config, logger } = setUpCommand(ctx, command);
      const runtime = await openRuntimeWithSecrets(config, logger, { migrations: 'auto' });
      let metricsServer;
      try {
        metricsServer = await startMetricsServer(config, runtime);
      } catch (error) {
        await runtime.close();
        throw error;
      }
      const presence = createNodePresence(runtime, 'worker');
      await presence.start();
      const engine = createSyncWorker(runtime, { presence, stopGraceMs: config.shutdownTimeout });
      engine.start();
      const heap = followLoad(logger);
      const stopped = waitForStop(ctx.stopSignal);
      logger.info({ database: runtime.store.location, version, code: runningFrom }, 'worker started');
      flushCompileCache();
      ctx.stdout(`Instant Sync ${version} worker started\n`);
      ctx.stdout(`  database:   ${runtime.store.location}\n`);
      if (metricsServer !== undefined) ctx.stdout(`  metrics:    ${metricsServer.url}/metrics\n`);
      await stopped;
      logger.info('shutting down');
      await metricsServer?.close(1000);
      await engine.stop();
      heap?.stop();
      await presence.stop();
      await runtime.close();
      logger.info('stopped');
      logger.flush();
    });
}

/** The tokenless metrics listener, when INSTANT_SYNC_METRICS_PORT is set. */
async function startMetricsServer(
  config: Config,
  runtime: { metrics: Parameters<typeof createMetricsApp>[0]; logger: Logger },
): Promise<RunningHttpServer | undefined> {
  if (config.metricsPort === undefined) return undefined;
  return startHttpServer(createMetricsApp(runtime.metrics, runtime.logger), {
    host: config.metricsHost,
    port: config.metricsPort,
    requestTimeoutMs: config.requestTimeout,
    maxConnections: 100,
  });
}

/** Resolves on the first SIGINT or SIGTERM (or when `signal` aborts); a second signal exits at once. */
export function waitForStop(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal !== undefined) {
      if (signal.aborted) resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
      return;
    }
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
