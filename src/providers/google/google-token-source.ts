// Tokens for the Calendar API from a service account with domain-wide delegation: per mailbox, a
// google-auth-library JWT client whose assertion names the mailbox as its subject (`sub`). The
// library signs the assertion (RS256), caches each client's token until five minutes before it
// expires and makes one token request at a time per client (checked in google-auth-library 10.5
// and gtoken 8: OAuth2Client.refreshToken shares one promise per refresh key, and
// eagerRefreshThresholdMillis defaults to 5 minutes). Its HTTP goes through the service's
// outbound fetch, with Google's token URL sent to the settings' one (the sandbox's key names the
// sandbox; a real key leaves it unchanged) and its own retries off: the engine owns retries.
import { gaxios, JWT } from 'google-auth-library';
import { calendarScope, googleTokenFailure } from './google-errors.ts';

/** Where the library sends every token request (gtoken's constant), whatever the key file says. */
export const googleTokenUrl = 'https://oauth2.googleapis.com/token';

export interface GoogleServiceAccount {
  /** The key's client_email: the assertion's issuer. */
  serviceAccountEmail: string;
  privateKeyPem: string;
  privateKeyId: string;
  /** The key's token_uri: https://oauth2.googleapis.com/token, or the sandbox's. */
  tokenUrl: string;
  /** Default: calendar.events only. */
  scopes?: readonly string[];
  /** The service account's client id (numeric), named in the fix when delegation is missing. */
  clientId?: string | undefined;
}

export class GoogleTokenSource {
  readonly #account: GoogleServiceAccount;
  readonly #transporter: gaxios.Gaxios;
  readonly #maxMailboxes: number;
  /** Least recently used first: a Map keeps insertion order, and a use moves a client to the end. */
  readonly #clients = new Map<string, JWT>();
  /** The service account itself (no subject), for checking the key. */
  #own: JWT | undefined;

  constructor(
    account: GoogleServiceAccount,
    fetchImpl: typeof fetch,
    options: { maxMailboxes?: number; timeoutMs?: number } = {},
  ) {
    this.#account = account;
    this.#maxMailboxes = options.maxMailboxes ?? 10_000;
    // One transporter for every client: the library adds its (static) interceptors to a Set, so
    // sharing it costs nothing per client.
    this.#transporter = new gaxios.Gaxios({
      fetchImplementation: redirectTokenRequests(fetchImpl, account.tokenUrl),
      timeout: options.timeoutMs ?? 30_000,
      // gtoken asks for retries of its POST (retryConfig); retry: 0 turns them off.
      retry: false,
      retryConfig: { retry: 0 },
    });
  }

  get clientId(): string | undefined {
    return this.#account.clientId;
  }

  /** The auth client acting as `mailbox` (undefined: as the service account itself). */
  client(mailbox: string | undefined): JWT {
    if (mailbox === undefined) return (this.#own ??= this.#jwt(undefined));
    const key = mailbox.toLowerCase();
    let client = this.#clients.get(key);
    if (client !== undefined) this.#clients.delete(key);
    else client = this.#jwt(mailbox);
    this.#clients.set(key, client);
    if (this.#clients.size > this.#maxMailboxes) {
      const oldest = this.#clients.keys().next().value;
      if (oldest !== undefined) this.#clients.delete(oldest);
    }
    return client;
  }

  /** A token for `mailbox` (cached), or the failure in the service's vocabulary. */
  async token(mailbox?: string): Promise<string> {
    try {
      const { token } = await this.client(mailbox).getAccessToken();
      if (token === null || token === undefined || token === '')
        throw new Error('Google answered without an access token');
      return token;
    } catch (error) {
      throw googleTokenFailure(error, { clientId: this.#account.clientId, mailbox });
    }
  }

  /** Drops a mailbox's client (Google refused its token): the next call signs a new assertion. */
  forget(mailbox: string): void {
    this.#clients.delete(mailbox.toLowerCase());
  }

  #jwt(subject: string | undefined): JWT {
    return new JWT({
      email: this.#account.serviceAccountEmail,
      key: this.#account.privateKeyPem,
      keyId: this.#account.privateKeyId,
      ...(subject === undefined ? {} : { subject }),
      scopes: [...(this.#account.scopes ?? [calendarScope])],
      transporter: this.#transporter,
    });
  }
}

/** The outbound fetch, with a request to Google's token URL sent to `tokenUrl` instead. */
function redirectTokenRequests(fetchImpl: typeof fetch, tokenUrl: string): typeof fetch {
  return (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    return fetchImpl(url === googleTokenUrl ? tokenUrl : input, init);
  };
}
