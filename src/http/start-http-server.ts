// Binds the HTTP app to a host and port and stops it gracefully: stop accepting, let open
// requests finish, then cut what is left when the deadline passes.
//
// Node's defaults let a client hold a connection for 300 s by sending its body a byte at a
// time, and accept connections without limit: a handful of slow clients could tie up the
// process. Here a whole request must arrive within the request timeout, headers within
// 10 s, an idle keep-alive connection is closed after 5 s, and connections beyond the limit
// are closed as they arrive.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import { ConfigError } from '../lib/errors.ts';

export interface RunningHttpServer {
  /** Where the server listens, e.g. http://127.0.0.1:8080 */
  url: string;
  port: number;
  close(timeoutMs: number): Promise<void>;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  /** The most a client may take to send a whole request (INSTANT_SYNC_REQUEST_TIMEOUT). */
  requestTimeoutMs: number;
  /** The most connections open at once (INSTANT_SYNC_MAX_CONNECTIONS). */
  maxConnections: number;
}

const headersTimeoutMs = 10_000;
const keepAliveTimeoutMs = 5_000;

export async function startHttpServer(app: Hono, options: HttpServerOptions): Promise<RunningHttpServer> {
  const server = createAdaptorServer({
    fetch: app.fetch,
    serverOptions: {
      requestTimeout: options.requestTimeoutMs,
      // Node refuses a headers timeout longer than the request timeout.
      headersTimeout: Math.min(headersTimeoutMs, options.requestTimeoutMs),
      keepAliveTimeout: keepAliveTimeoutMs,
      // Node looks for requests past their timeouts only this often (30 s by default), which
      // would let a short request timeout run up to 30 s over.
      connectionsCheckingInterval: Math.min(1000, options.requestTimeoutMs / 2),
    },
  }) as Server;
  server.maxConnections = options.maxConnections;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const where = `${options.host}:${options.port}`;
      reject(
        error.code === 'EADDRINUSE'
          ? new ConfigError([
              `port ${options.port} is already in use (${where}): set INSTANT_SYNC_PORT to a free port`,
            ])
          : error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND'
            ? new ConfigError([
                `cannot listen on ${where}: INSTANT_SYNC_HOST is not an address of this machine`,
              ])
            : error,
      );
    };
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host === '0.0.0.0' || host === '[::]' ? 'localhost' : host}:${port}`,
    port,
    close: (timeoutMs) =>
      new Promise<void>((resolve) => {
        const deadline = setTimeout(() => server.closeAllConnections(), timeoutMs);
        server.close(() => {
          clearTimeout(deadline);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
