// The service's HTTP side started in-process on a free port, with its own clock and a capture
// of every log line, for journeys that need the real pages and the real runtime together.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/load-config.ts';
import { startHttpServer } from '../../src/http/start-http-server.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { createHttpAppFor, openRuntimeWithSecrets, type RuntimeWithSecrets } from '../../src/main.ts';
import type { ManualClock } from './manual-clock.ts';

export interface ServiceUnderTest {
  url: string;
  runtime: RuntimeWithSecrets;
  /** Every log line written so far. */
  logs: string[];
  /** The settings it runs with (for CLI commands on the same data). */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export async function startServiceUnderTest(options: {
  databaseUrl: string;
  clock: ManualClock;
  /** The same key for every start on one database (the database remembers which key sealed it). */
  secretKey: string;
  env?: Record<string, string>;
}): Promise<ServiceUnderTest> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    INSTANT_SYNC_DATABASE_URL: options.databaseUrl,
    INSTANT_SYNC_SECRET_KEY: options.secretKey,
    INSTANT_SYNC_PORT: String(port),
    INSTANT_SYNC_PUBLIC_URL: url,
    ...options.env,
  };
  const config = loadConfig({ env });
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ level: 'debug', destination });
  const runtime = await openRuntimeWithSecrets(config, logger, { migrations: 'auto', clock: options.clock });
  const server = await startHttpServer(createHttpAppFor(runtime), {
    host: '127.0.0.1',
    port,
    requestTimeoutMs: config.requestTimeout,
    maxConnections: config.maxConnections,
  });
  return {
    url,
    runtime,
    logs,
    env,
    async close() {
      await server.close(1000);
      await runtime.close();
    },
  };
}
