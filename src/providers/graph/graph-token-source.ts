// App-only tokens for Graph from the Microsoft identity platform with a client secret or a
// certificate (MSAL signs the client assertion, PS256 with the SHA-256 thumbprint), through MSAL (which caches them
// until shortly before they expire; concurrent callers share one request). The login host is a setting (national clouds, the sandbox);
// MSAL's HTTP goes through the service's outbound fetch, which trusts any configured extra CA.
import { createHash, X509Certificate } from 'node:crypto';
import {
  ConfidentialClientApplication,
  type INetworkModule,
  type NetworkResponse,
  type NodeAuthOptions,
} from '@azure/msal-node';
import { describeError, PermanentError, RetryableError } from '../../lib/errors.ts';

export interface GraphAppCredentials {
  /** The Microsoft Entra tenant (directory) id. */
  directoryTenantId: string;
  clientId: string;
  /** The app's client secret, or… */
  clientSecret?: string | undefined;
  /** …its certificate: the PEM private key and the PEM certificate uploaded to the app registration. */
  certificate?: { privateKeyPem: string; certificatePem: string } | undefined;
  /** https://login.microsoftonline.com, or a national cloud's. */
  loginBaseUrl: string;
  /** https://graph.microsoft.com, or a national cloud's: the token's audience. */
  graphBaseUrl: string;
}

const renewalMarginMs = 300_000;
/** A token with less than this left is renewed before it is used (a call may take that long). */
const stillGoodMs = 60_000;
/** After a background renewal failed, the next is tried this much later. */
const renewalRetryMs = 30_000;

export class GraphTokenSource {
  readonly #msal: ConfidentialClientApplication;
  readonly #scope: string;
  readonly #now: () => number;
  /** One request for a token at a time: a batch's first calls all wait for the same token. */
  #pending: Promise<string> | undefined;
  /**
   * The token in hand, reused until five minutes before it expires (when MSAL would renew it
   * too): asking MSAL for every Graph call costs a cache search and its garbage each time. From
   * then on it is renewed in the background while calls go on with it, so no call waits for the
   * hourly renewal; only a token about to expire (within a minute) is waited for.
   */
  #current: { token: string; renewAt: number; expiresAt: number } | undefined;
  readonly #login: string;
  /** After a failed background renewal, no other is tried before this time. */
  #quietUntil = 0;
  /** Why the last request to the sign-in endpoint failed: MSAL's own error keeps only a code. */
  #lastNetworkError: unknown;

  constructor(
    credentials: GraphAppCredentials,
    fetchImpl: typeof fetch,
    now: () => number = () => Date.now(),
  ) {
    this.#now = now;
    const login = credentials.loginBaseUrl.replace(/\/+$/, '');
    this.#scope = `${credentials.graphBaseUrl.replace(/\/+$/, '')}/.default`;
    const auth: NodeAuthOptions = {
      clientId: credentials.clientId,
      authority: `${login}/${credentials.directoryTenantId}`,
      knownAuthorities: [new URL(login).host],
    };
    if (credentials.certificate !== undefined) {
      const certificate = new X509Certificate(credentials.certificate.certificatePem);
      auth.clientCertificate = {
        thumbprintSha256: createHash('sha256').update(certificate.raw).digest('hex'),
        privateKey: credentials.certificate.privateKeyPem,
        x5c: credentials.certificate.certificatePem,
      };
    } else auth.clientSecret = credentials.clientSecret ?? '';
    this.#login = login;
    this.#msal = new ConfidentialClientApplication({
      auth,
      system: {
        networkClient: networkModule(fetchImpl, (error) => {
          this.#lastNetworkError = error;
        }),
      },
    });
  }

  token(): Promise<string> {
    const current = this.#current;
    const now = this.#now();
    if (current !== undefined && now < current.renewAt) return Promise.resolve(current.token);
    if (current !== undefined && now < current.expiresAt - stillGoodMs) {
      // Renewed in the background, and after a failure tried again only 30 s later (not at every
      // call); a lasting failure shows on the calls once the token in hand is about to expire.
      if (this.#pending === undefined && now >= this.#quietUntil)
        this.#single().catch(() => {
          this.#quietUntil = this.#now() + renewalRetryMs;
        });
      return Promise.resolve(current.token);
    }
    return this.#single();
  }

  /** One request for a token at a time. */
  #single(): Promise<string> {
    return (this.#pending ??= this.#acquire().finally(() => {
      this.#pending = undefined;
    }));
  }

  /**
   * Starts getting a token if none is in hand, without waiting for it: a batch asks before it
   * reads from Salesforce, so the token's round trip overlaps those reads instead of following
   * them (the first sync after a start, a new tenant). A failure shows on the first call.
   */
  prepare(): void {
    this.token().catch(() => undefined);
  }

  async #acquire(): Promise<string> {
    this.#lastNetworkError = undefined;
    try {
      const result = await this.#msal.acquireTokenByClientCredential({ scopes: [this.#scope] });
      if (result === null || result.accessToken === '')
        throw new RetryableError('Microsoft returned no access token');
      const expiresAt = result.expiresOn?.getTime() ?? this.#now();
      this.#current = { token: result.accessToken, renewAt: expiresAt - renewalMarginMs, expiresAt };
      return result.accessToken;
    } catch (error) {
      if (error instanceof RetryableError) throw error;
      const code = (error as { errorCode?: string }).errorCode ?? '';
      if (['invalid_client', 'unauthorized_client', 'invalid_request', 'invalid_scope'].includes(code)) {
        throw new PermanentError(
          `Microsoft refused the app's credentials (${code}): check the Graph provider's tenant id, client id and secret`,
        );
      }
      if (
        ['network_error', 'endpoints_resolution_error'].includes(code) &&
        this.#lastNetworkError !== undefined
      )
        throw new RetryableError(
          `cannot reach the Microsoft sign-in endpoint at ${this.#login}: ${describeNetworkError(this.#lastNetworkError)}`,
          { cause: error },
        );
      throw new RetryableError(`cannot get a Graph token: ${describeError(error)}`, { cause: error });
    }
  }
}

/** `fetch failed (connect ECONNREFUSED 127.0.0.1:443)`: fetch's own words and, when it has one, its cause's. */
function describeNetworkError(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  return cause instanceof Error && cause.message !== ''
    ? `${describeError(error)} (${cause.message})`
    : describeError(error);
}

function networkModule(fetchImpl: typeof fetch, onFailure: (error: unknown) => void): INetworkModule {
  const send = async <T>(
    url: string,
    method: string,
    options?: { headers?: Record<string, string>; body?: string },
  ): Promise<NetworkResponse<T>> => {
    const response = await fetchImpl(url, {
      method,
      ...(options?.headers === undefined ? {} : { headers: options.headers }),
      ...(options?.body === undefined ? {} : { body: options.body }),
      signal: AbortSignal.timeout(30_000),
    }).catch((error: unknown) => {
      onFailure(error);
      throw error;
    });
    return {
      headers: Object.fromEntries(response.headers),
      body: (await response.json()) as T,
      status: response.status,
    };
  };
  return {
    sendGetRequestAsync: (url, options) => send(url, 'GET', options),
    sendPostRequestAsync: (url, options) => send(url, 'POST', options),
  };
}
