// However many calls wait, outbound HTTP opens at most maxConnectionsPerOrigin sockets to one
// origin and reuses them: a burst's calls queue for a socket instead of each opening its own.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { createOutboundFetch, maxConnectionsPerOrigin } from './outbound-fetch.ts';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

it('opens at most maxConnectionsPerOrigin sockets to an origin, for four times as many calls at once', async () => {
  let sockets = 0;
  let inFlight = 0;
  let mostInFlight = 0;
  server = createServer((request, response) => {
    inFlight++;
    mostInFlight = Math.max(mostInFlight, inFlight);
    // Answered once the next calls have had their chance to ask for a socket.
    setTimeout(() => {
      inFlight--;
      response.end(request.url);
    }, 20);
  });
  server.on('connection', () => sockets++);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const outboundFetch = createOutboundFetch({});
  const calls = maxConnectionsPerOrigin * 4;
  const answers = await Promise.all(
    Array.from({ length: calls }, async (_, i) =>
      (await outboundFetch(`http://127.0.0.1:${port}/${i}`)).text(),
    ),
  );
  expect(answers).toEqual(Array.from({ length: calls }, (_, i) => `/${i}`));
  expect(sockets).toBeLessThanOrEqual(maxConnectionsPerOrigin);
  expect(mostInFlight).toBeLessThanOrEqual(maxConnectionsPerOrigin);
  // The sockets are used side by side, not one after another.
  expect(mostInFlight).toBeGreaterThan(1);
});
