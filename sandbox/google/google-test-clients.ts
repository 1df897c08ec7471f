// For the Google sandbox's tests: Google's own client libraries, unchanged, pointed at the
// sandbox. google-auth-library's JWT client (domain-wide delegation by `subject`) whose
// transporter trusts the sandboxes' local CA and sends the token request, which it always
// addresses to https://oauth2.googleapis.com/token, to the key file's token_uri instead; and
// @googleapis/calendar with its rootUrl at the sandbox.
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { calendar, type calendar_v3 } from '@googleapis/calendar';
import { gaxios, JWT } from 'google-auth-library';
import { Agent, fetch as undiciFetch } from 'undici';
import type { GoogleSandbox, GoogleServiceAccountKey } from './index.ts';

export const scopes = {
  events: 'https://www.googleapis.com/auth/calendar.events',
  eventsReadonly: 'https://www.googleapis.com/auth/calendar.events.readonly',
  calendar: 'https://www.googleapis.com/auth/calendar',
} as const;

const googleTokenUrl = 'https://oauth2.googleapis.com/token';

export interface GoogleClients {
  /** A JWT client for the key: as `subject` (delegated) or, without one, as the service account itself. */
  jwt(key: GoogleServiceAccountKey, options?: { subject?: string; scopes?: string[] }): JWT;
  /** The Calendar API client for an auth client. */
  api(auth: JWT): calendar_v3.Calendar;
  /** Plain HTTPS to the sandbox (trusting its CA). */
  fetch(
    path: string,
    init?: { method?: string; headers?: Record<string, string>; body?: string },
  ): Promise<Response>;
  close(): Promise<void>;
}

export function googleClients(sandbox: GoogleSandbox): GoogleClients {
  const dispatcher = new Agent({
    connect: { ca: [...rootCertificates, readFileSync(sandbox.caFile, 'utf8')] },
  });
  const send = (url: string, init: RequestInit | undefined) =>
    undiciFetch(url, {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher,
    }) as unknown as Promise<Response>;
  return {
    jwt: (key, options = {}) => {
      const fetchImplementation = (input: string | URL | Request, init?: RequestInit) => {
        const url = input instanceof Request ? input.url : input.toString();
        return send(url.startsWith(googleTokenUrl) ? key.token_uri : url, init);
      };
      return new JWT({
        email: key.client_email,
        key: key.private_key,
        keyId: key.private_key_id,
        ...(options.subject === undefined ? {} : { subject: options.subject }),
        scopes: options.scopes ?? [scopes.events],
        transporter: new gaxios.Gaxios({ fetchImplementation }),
      });
    },
    api: (auth) => calendar({ version: 'v3', auth, rootUrl: `${sandbox.url}/` }),
    fetch: (path, init) => send(`${sandbox.url}${path}`, init),
    close: () => dispatcher.close(),
  };
}

/** The Google error a client call failed with: HTTP status and the first error's reason (or OAuth's error). */
export async function failure(
  call: Promise<unknown>,
): Promise<{ status: number; reason: string; message: string }> {
  try {
    await call;
  } catch (error) {
    const response = (error as { response?: { status: number; data: unknown } }).response;
    const data = response?.data as
      | { error?: { errors?: { reason: string; message: string }[] } | string; error_description?: string }
      | undefined;
    if (typeof data?.error === 'string')
      return { status: response?.status ?? 0, reason: data.error, message: data.error_description ?? '' };
    const first = data?.error?.errors?.[0];
    return {
      status: response?.status ?? 0,
      reason: first?.reason ?? '',
      message: first?.message ?? String(error),
    };
  }
  throw new Error('expected the call to fail');
}
