// The HTTP client for every outbound call (Salesforce, mailbox providers, notifications): undici's
// fetch with at most `maxConnectionsPerOrigin` sockets per origin (a burst of thousands of calls
// reuses them instead of opening a TLS connection each, which costs memory on both sides), and,
// when an extra CA is configured (a corporate proxy's, or the sandboxes' local CA), that CA
// trusted next to the usual public roots. That trust is one TLS context shared by every socket
// (lib/outbound-tls.ts): given a `ca` list instead, each new connection would parse the whole root
// bundle into a certificate store of its own (CPU on every connect, and megabytes of native memory
// per socket).
import { Agent, fetch as undiciFetch } from 'undici';
import { contextTrustingExtraCa } from './outbound-tls.ts';

export const maxConnectionsPerOrigin = 128;

export function createOutboundFetch(options: { extraCaPem?: string | undefined }): typeof fetch {
  const dispatcher = new Agent({
    connections: maxConnectionsPerOrigin,
    ...(options.extraCaPem === undefined
      ? {}
      : {
          connect: { secureContext: contextTrustingExtraCa(options.extraCaPem) },
        }),
  });
  return (input: string | URL | Request, init?: RequestInit) =>
    undiciFetch(input as Parameters<typeof undiciFetch>[0], {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher,
    });
}
