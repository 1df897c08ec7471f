import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localTls } from '../../sandbox/local-tls.ts';
import { makeTestCertificate } from '../support/test-certificate.ts';
import { contextTrustingExtraCa } from '../../src/lib/outbound-tls.ts';

describe('the TLS context for an extra CA', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    const { certPem, keyPem } = localTls();
    server = createServer({ cert: certPem, key: keyPem }, (socket) => socket.end());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => {
    server.close();
  });

  /** Opens a TLS connection to the local server with `context`; resolves with the error, if any. */
  const handshake = (context: ReturnType<typeof contextTrustingExtraCa>) =>
    new Promise<Error | undefined>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', secureContext: context });
      socket.once('secureConnect', () => {
        socket.destroy();
        resolve(undefined);
      });
      socket.once('error', (error: Error) => resolve(error));
    });

  it('trusts a server whose certificate the extra CA signed', async () => {
    expect(await handshake(contextTrustingExtraCa(localTls().caPem))).toBeUndefined();
  });

  it('refuses a server signed by a CA it was not given', async () => {
    const other = makeTestCertificate().certificatePem;
    const error = await handshake(contextTrustingExtraCa(other));
    expect(error?.message).toMatch(/certificate/i);
  });

  it('is one context per CA for the process, shared by every client that trusts it', () => {
    const { caPem } = localTls();
    expect(contextTrustingExtraCa(caPem)).toBe(contextTrustingExtraCa(caPem));
    expect(contextTrustingExtraCa(caPem)).not.toBe(
      contextTrustingExtraCa(makeTestCertificate().certificatePem),
    );
  });
});
