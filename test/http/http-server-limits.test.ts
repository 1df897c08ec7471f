// The HTTP server's limits against clients that would hold its connections: a body sent a byte
// a second is cut off at the request timeout (408), and connections beyond the limit are closed
// as they arrive while the ones already open keep working.
import { connect, type Socket } from 'node:net';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpServer, type RunningHttpServer } from '../../src/http/start-http-server.ts';

function testApp(): Hono {
  const app = new Hono();
  app.get('/ping', (c) => c.text('pong'));
  app.post('/echo', async (c) => c.text(`got ${(await c.req.text()).length} bytes`));
  // A body cut off mid-way rejects its read: expected here, not worth Hono's console output.
  app.onError((_error, c) => c.text('aborted', 400));
  return app;
}

/** A connected socket that collects what the server sends and tells when it closes. */
async function openSocket(port: number) {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (received += chunk));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, closed, received: () => received };
}

/** Resolves with true when `closed` settles within `ms`, false otherwise. */
async function closesWithin(closed: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([closed.then(() => true as const), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** Sends one keep-alive GET /ping on `socket` and waits for its answer. */
async function ping(connection: Awaited<ReturnType<typeof openSocket>>): Promise<void> {
  const before = connection.received().length;
  connection.socket.write('GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n');
  for (const deadline = Date.now() + 5000; Date.now() < deadline;) {
    if (connection.received().slice(before).includes('pong')) return;
    await new Promise((resolve) => connection.socket.once('data', resolve));
  }
  throw new Error('no answer to GET /ping');
}

describe('HTTP server limits', () => {
  let server: RunningHttpServer | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await server?.close(100);
    server = undefined;
  });

  it('cuts off a client that sends its body a byte a second, at the request timeout', async () => {
    server = await startHttpServer(testApp(), {
      host: '127.0.0.1',
      port: 0,
      requestTimeoutMs: 2000,
      maxConnections: 100,
    });
    const slow = await openSocket(server.port);
    sockets.push(slow.socket);
    const started = Date.now();
    slow.socket.write(
      'POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n',
    );
    const trickle = setInterval(() => slow.socket.write('x'), 1000);
    try {
      // Node's default would let it go on for 300 s; 10 s is a wide margin over 2 s.
      expect(await closesWithin(slow.closed, 10_000)).toBe(true);
    } finally {
      clearInterval(trickle);
    }
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    expect(elapsed).toBeLessThan(5000);
    expect(slow.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes connections beyond the limit as they arrive, and keeps the first ones', async () => {
    server = await startHttpServer(testApp(), {
      host: '127.0.0.1',
      port: 0,
      requestTimeoutMs: 30_000,
      maxConnections: 2,
    });
    const first = await openSocket(server.port);
    const second = await openSocket(server.port);
    sockets.push(first.socket, second.socket);
    // An answer on each means the server has taken both in (a TCP connect alone does not).
    await ping(first);
    await ping(second);

    const third = await openSocket(server.port);
    sockets.push(third.socket);
    expect(await closesWithin(third.closed, 5000)).toBe(true);
    expect(third.received()).toBe('');

    await ping(first);
    await ping(second);
  });
});
