// The TLS trust of every outbound connection when an extra CA is configured (a corporate
// proxy's, or the sandboxes' local CA): the public roots and that CA, in one TLS context for the
// process. Built from a `ca` list, a context parses the whole root bundle (about 150
// certificates) into a certificate store of its own: a megabyte or more of native memory and a
// few milliseconds of CPU each time. The HTTP client, the Pub/Sub API's gRPC channels (one per
// Salesforce org, opened again on each reconnect) and each Exchange transport share this one.
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';

const contexts = new Map<string, SecureContext>();

/** The TLS context trusting the public roots and `extraCaPem`: one per CA for the process's life. */
export function contextTrustingExtraCa(extraCaPem: string): SecureContext {
  let context = contexts.get(extraCaPem);
  if (context === undefined) {
    context = createSecureContext({ ca: [...rootCertificates, extraCaPem] });
    contexts.set(extraCaPem, context);
  }
  return context;
}
