// Builds the CalendarProvider for a tenant's provider settings. Providers get their endpoints,
// credentials and the outbound fetch from here; they never look anything up themselves.
import { PermanentError } from '../lib/errors.ts';
import type { CalendarProvider, ProviderKind } from './calendar-provider.ts';
import { GraphProvider } from './graph/graph-provider.ts';
import { GraphTokenSource } from './graph/graph-token-source.ts';

export interface GraphSettings {
  directoryTenantId: string;
  clientId: string;
  graphBaseUrl: string;
  loginBaseUrl: string;
}

export function createProvider(
  kind: ProviderKind,
  settings: Record<string, unknown>,
  credentials: Record<string, unknown>,
  fetchImpl: typeof fetch,
): CalendarProvider {
  switch (kind) {
    case 'graph': {
      const graph = settings as Partial<GraphSettings>;
      const secret = credentials['clientSecret'];
      const privateKeyPem = credentials['certificatePrivateKeyPem'];
      const certificatePem = credentials['certificatePem'];
      const certificate =
        typeof privateKeyPem === 'string' && typeof certificatePem === 'string'
          ? { privateKeyPem, certificatePem }
          : undefined;
      if (
        graph.directoryTenantId === undefined ||
        graph.clientId === undefined ||
        (typeof secret !== 'string' && certificate === undefined)
      ) {
        throw new PermanentError(
          'the Graph provider needs a directory tenant id, a client id, and a client secret or certificate',
        );
      }
      const graphBaseUrl = graph.graphBaseUrl ?? 'https://graph.microsoft.com';
      const tokens = new GraphTokenSource(
        {
          directoryTenantId: graph.directoryTenantId,
          clientId: graph.clientId,
          clientSecret: typeof secret === 'string' ? secret : undefined,
          certificate,
          loginBaseUrl: graph.loginBaseUrl ?? 'https://login.microsoftonline.com',
          graphBaseUrl,
        },
        fetchImpl,
      );
      return new GraphProvider({ tokens, graphBaseUrl, fetch: fetchImpl });
    }
    case 'ews':
    case 'google':
      throw new PermanentError(`the ${kind} provider is not available in this version`);
  }
}
