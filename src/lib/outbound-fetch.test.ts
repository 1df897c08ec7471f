// However many calls wait, outbound HTTP opens at most maxConnectionsPerOrigin sockets to one
// origin and reuses them: a burst's calls queue for a socket instead of each opening its own,
// also after calls in flight were given up.
import { createServer, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { createOutboundFetch, createOutboundHttp, maxConnectionsPerOrigin } from './outbound-fetch.ts';

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

it('keeps one pool of sockets for an origin when every call in flight is given up at once', async () => {
  // Two sockets at most. Two calls in flight are given up while a third waits for a socket; two
  // more come once it has one. The pool that served the first calls serves them all: the third
  // takes a new socket, the fourth the other one, the fifth the third's once it is answered.
  const held: ServerResponse[] = [];
  let sockets = 0;
  server = createServer((_request, response) => held.push(response));
  server.on('connection', () => sockets++);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const { request } = createOutboundHttp({ connectionsPerOrigin: 2 });
  const call = async (signal?: AbortSignal) =>
    (await request(`http://127.0.0.1:${port}/`, { method: 'GET', headers: {}, signal })).text();
  const until = async (condition: () => boolean) => {
    while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
  };
  const givenUp = [new AbortController(), new AbortController()];
  const first = givenUp.map(async ({ signal }) => call(signal).catch(() => 'given up'));
  const third = call();
  await until(() => held.length === 2);
  for (const controller of givenUp) controller.abort();
  await until(() => held.length === 3);
  const fourth = call();
  const fifth = call();
  await until(() => held.length >= 4);
  held[2]?.end('third');
  await until(() => held.length >= 5);
  held[3]?.end('fourth');
  held[4]?.end('fifth');
  expect(await Promise.all([...first, third, fourth, fifth])).toEqual([
    'given up',
    'given up',
    'third',
    'fourth',
    'fifth',
  ]);
  // Two sockets the given-up calls took down with them, and two for the other three.
  expect(sockets).toBe(4);
}, 30_000);
