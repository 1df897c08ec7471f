// An HTTP endpoint that records the JSON bodies POSTed to it, standing in for an admin's
// notification webhook.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CaptureServer {
  url: string;
  received: unknown[];
  close(): Promise<void>;
}

export async function startCaptureServer(): Promise<CaptureServer> {
  const received: unknown[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push(JSON.parse(body) as unknown);
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/notify`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
