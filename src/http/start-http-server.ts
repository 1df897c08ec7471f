// Binds the HTTP app to a host and port and stops it gracefully: stop accepting, let open
// requests finish, then cut what is left when the deadline passes.
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

export async function startHttpServer(
  app: Hono,
  options: { host: string; port: number },
): Promise<RunningHttpServer> {
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
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
