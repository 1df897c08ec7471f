// The HTTP client's lighter entry point (`request`, what Graph's calls go through) against a real
// HTTPS server signed by an extra CA: the same answers as fetch gives (status, headers, JSON, an
// empty body's JSON failing), and a caller's time limit ending the call with fetch's TimeoutError;
// and the same through `requestThroughFetch`, what a provider gets when it is given a fetch.
import { once } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localTls } from '../../sandbox/local-tls.ts';
import { createOutboundHttp, requestThroughFetch, type HttpRequest } from '../../src/lib/outbound-fetch.ts';

describe('outbound requests', () => {
  let server: Server;
  let base: string;
  const http = createOutboundHttp({ extraCaPem: localTls().caPem });

  beforeAll(async () => {
    const { certPem, keyPem } = localTls();
    server = createServer({ cert: certPem, key: keyPem }, (req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        if (req.url === '/created') {
          res.writeHead(201, { 'content-type': 'application/json', 'x-request-id': 'r-1' });
          res.end(
            JSON.stringify({
              method: req.method,
              body: JSON.parse(body) as unknown,
              auth: req.headers.authorization,
            }),
          );
        } else if (req.url === '/throttled') {
          res.writeHead(429, { 'retry-after': '3', 'content-type': 'application/json' });
          res.end('{"error":{"code":"TooManyRequests"}}');
        } else if (req.url === '/deleted') {
          res.writeHead(204);
          res.end();
        }
        // '/hangs' never answers.
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  const ways: [string, () => HttpRequest][] = [
    ['request', () => http.request],
    ['request through fetch', () => requestThroughFetch(http.fetch)],
  ];

  for (const [name, way] of ways)
    describe(name, () => {
      it('gives the status, the headers and the JSON body', async () => {
        const answer = await way()(`${base}/created`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer t' },
          body: '{"subject":"Kick-off"}',
        });
        expect(answer.ok).toBe(true);
        expect(answer.status).toBe(201);
        expect(answer.headers.get('X-Request-Id')).toBe('r-1');
        expect(answer.headers.get('absent')).toBeNull();
        expect(await answer.json()).toEqual({
          method: 'POST',
          body: { subject: 'Kick-off' },
          auth: 'Bearer t',
        });
      });

      it('gives a refusal as an answer, with its Retry-After and body', async () => {
        const answer = await way()(`${base}/throttled`, { method: 'GET', headers: {} });
        expect(answer.ok).toBe(false);
        expect(answer.status).toBe(429);
        expect(answer.headers.get('retry-after')).toBe('3');
        expect(await answer.text()).toBe('{"error":{"code":"TooManyRequests"}}');
      });

      it('gives an empty answer whose JSON fails as fetch’s does', async () => {
        const answer = await way()(`${base}/deleted`, { method: 'DELETE', headers: {} });
        expect(answer.status).toBe(204);
        await expect(answer.json()).rejects.toThrow(SyntaxError);
      });

      it('ends a call past its time limit with a TimeoutError', async () => {
        const error = await way()(`${base}/hangs`, {
          method: 'GET',
          headers: {},
          signal: AbortSignal.timeout(300),
        }).catch((e: unknown) => e);
        expect((error as Error).name).toBe('TimeoutError');
      });
    });
});
