// The service's HTTP side started in-process on a free port, with its own clock and a capture
// of every log line, for journeys that need the real pages and the real runtime together.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
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

/**
 * A TCP port nothing listens on right now, taken from below the kernel's ephemeral range.
 *
 * A port the kernel hands out for `listen(0)` comes from its ephemeral range, and so does the
 * local port of every outgoing connection: between this probe closing and the service binding,
 * any process on the machine (the service under test itself, connecting to its sandboxes) could
 * be given the same number. Ports below that range are only ever taken by someone asking for
 * them by number, so the one given here stays free. Each test worker counts through a slice of
 * its own, so two workers never hand out the same port.
 */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < portSlice.size; tries += 1) {
    const port = portSlice.first + (nextInSlice++ % portSlice.size);
    if (await canListenOn(port)) return port;
  }
  throw new Error(`no free port in ${portSlice.first}-${portSlice.first + portSlice.size - 1}`);
}

const portSlice = ((): { first: number; size: number } => {
  // Linux says where its ephemeral range starts; 32768 is its default and the common one.
  let ephemeralLow = 32_768;
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    if (low !== undefined && Number(low) > 12_000) ephemeralLow = Number(low);
  } catch {
    // Not Linux: the default.
  }
  const slices = 16;
  const first = 10_000;
  const size = Math.floor((ephemeralLow - first) / slices);
  const worker = Number(process.env['VITEST_POOL_ID'] ?? process.pid) % slices;
  return { first: first + worker * size, size };
})();
let nextInSlice = Math.floor(Math.random() * portSlice.size);

async function canListenOn(port: number): Promise<boolean> {
  const probe = createServer();
  const listening = await new Promise<boolean>((resolve) => {
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (listening) await new Promise<void>((resolve) => probe.close(() => resolve()));
  return listening;
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
