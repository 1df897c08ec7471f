// The HTTP client for every outbound call (Salesforce, mailbox providers, notifications): the
// platform's fetch, or, when an extra CA is configured (a corporate proxy's, or the sandboxes'
// local CA), undici's fetch with that CA trusted next to the usual public roots.
import { rootCertificates } from 'node:tls';
import { Agent, fetch as undiciFetch } from 'undici';

export function createOutboundFetch(options: { extraCaPem?: string | undefined }): typeof fetch {
  if (options.extraCaPem === undefined) return fetch;
  const dispatcher = new Agent({ connect: { ca: [...rootCertificates, options.extraCaPem] } });
  return (input: string | URL | Request, init?: RequestInit) =>
    undiciFetch(input as Parameters<typeof undiciFetch>[0], {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher,
    });
}
