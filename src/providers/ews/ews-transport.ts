// HTTP for EWS: a SOAP 1.1 POST to the Exchange server's EWS URL as the service account, over a
// small pool of connections of our own. NTLM authenticates a connection, not a request: on each
// connection the Type 1 → 401 + Type 2 → Type 3 handshake runs once (the Type 3 message rides on
// the first real request), and later requests on that connection go without credentials. A 401
// after that means the server forgot the connection's sign-in: one new handshake, no more. Basic
// sends the credentials on every request. The pool is shared by every mailbox (impersonation is
// in the SOAP header), which is also how Exchange counts: EWSMaxConcurrency charges the service
// account. Never puts the password or an Authorization header in a message.
import { hostname } from 'node:os';
import ntlm from '@ewsjs/ntlm-client';
import { Client } from 'undici';
import { PermanentError, RetryableError } from '../../lib/errors.ts';
import { contextTrustingExtraCa } from '../../lib/outbound-tls.ts';

export interface EwsSignIn {
  /** DOMAIN\user or a UPN (user@corp.example). */
  username: string;
  password: string;
  auth: 'ntlm' | 'basic';
}

export interface EwsTransportOptions extends EwsSignIn {
  /** https://mail.contoso.com/EWS/Exchange.asmx */
  url: string;
  /**
   * Connections (so requests) at once. Exchange's default EWSMaxConcurrency lets a service
   * account have 27 (Exchange 2013 and later) across every process using it: 8 leaves room for
   * three workers.
   */
  maxConnections?: number;
  /** A CA to trust next to the public roots (an internal PKI's, or the sandboxes'). */
  extraCaPem?: string | undefined;
  /** How long an idle connection (and its NTLM sign-in) is kept; below IIS's two-minute connection timeout. */
  keepAliveMs?: number;
}

export interface EwsHttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

interface Connection {
  client: Client;
  /** The NTLM handshake ran on the socket the client holds now. */
  signedIn: boolean;
  /** Sockets lost so far: a handshake whose socket was lost half-way is void. */
  generation: number;
}

export const defaultMaxConnections = 8;

export class EwsTransport {
  readonly #options: EwsTransportOptions;
  readonly #origin: string;
  readonly #path: string;
  readonly #connect: ConstructorParameters<typeof Client>[1];
  readonly #idle: Connection[] = [];
  readonly #all = new Set<Connection>();
  readonly #waiting: ((connection: Connection) => void)[] = [];
  #handshakes = 0;

  constructor(options: EwsTransportOptions) {
    this.#options = options;
    const url = new URL(options.url);
    this.#origin = url.origin;
    this.#path = `${url.pathname}${url.search}`;
    const keepAlive = options.keepAliveMs ?? 30_000;
    this.#connect = {
      pipelining: 1,
      keepAliveTimeout: keepAlive,
      keepAliveMaxTimeout: keepAlive,
      // The process's one TLS context for the extra CA (lib/outbound-tls.ts): a `ca` list would
      // parse the whole root bundle again on each connect.
      ...(options.extraCaPem === undefined
        ? {}
        : {
            connect: {
              secureContext: contextTrustingExtraCa(options.extraCaPem),
            },
          }),
    };
  }

  /** NTLM handshakes run so far (one per connection while the server keeps them signed in). */
  get handshakes(): number {
    return this.#handshakes;
  }

  /** POSTs a SOAP envelope; `anchorMailbox` routes it to the owner's mailbox server (X-AnchorMailbox). */
  async post(
    envelope: string,
    options: { anchorMailbox?: string | undefined; signal: AbortSignal },
  ): Promise<EwsHttpAnswer> {
    const connection = await this.#acquire(options.signal);
    try {
      if (this.#options.auth === 'basic') {
        const basic = Buffer.from(`${this.#options.username}:${this.#options.password}`, 'utf8').toString(
          'base64',
        );
        return await this.#request(connection, 'POST', envelope, options, `Basic ${basic}`);
      }
      if (!connection.signedIn) return await this.#handshake(connection, envelope, options);
      const answer = await this.#request(connection, 'POST', envelope, options);
      if (answer.status !== 401) return answer;
      // The server no longer knows this connection (restarted, or a balancer moved it): sign in again, once.
      connection.signedIn = false;
      return await this.#handshake(connection, envelope, options);
    } finally {
      this.#release(connection);
    }
  }

  /** Closes every connection. */
  async close(): Promise<void> {
    const clients = [...this.#all].map((c) => c.client);
    this.#all.clear();
    this.#idle.length = 0;
    await Promise.all(clients.map((client) => client.destroy().catch(() => undefined)));
  }

  async #handshake(
    connection: Connection,
    envelope: string,
    options: { anchorMailbox?: string | undefined; signal: AbortSignal },
  ): Promise<EwsHttpAnswer> {
    const { user, domain } = splitUsername(this.#options.username);
    const workstation = hostname().toUpperCase();
    for (let attempt = 1; ; attempt += 1) {
      const generation = connection.generation;
      // A GET carries the Type 1 message: nothing to send twice, and IIS answers it before any handler.
      const negotiate = await this.#request(
        connection,
        'GET',
        undefined,
        options,
        ntlm.createType1Message(workstation, domain),
      );
      if (negotiate.status !== 401) {
        // Not asking for credentials at all: the server lets the request through as it is.
        return await this.#request(connection, 'POST', envelope, options);
      }
      const challenge = ntlmChallenge(negotiate.headers['www-authenticate']);
      if (challenge === undefined)
        throw new PermanentError(
          `the Exchange server does not offer NTLM sign-in at ${this.#options.url} (it offers ${offered(negotiate.headers['www-authenticate'])}): ` +
            'enable Windows (NTLM) authentication on the EWS virtual directory, or use --auth basic',
        );
      if (connection.generation !== generation || headerValue(negotiate.headers['connection']) === 'close') {
        // The server closed (or will close) the connection after its challenge: the challenge is void.
        if (attempt < 2) continue;
        throw new RetryableError(
          'the Exchange server closed the connection in the middle of the NTLM sign-in',
        );
      }
      let authenticate: string;
      try {
        authenticate = ntlm.createType3Message(
          ntlm.decodeType2Message(challenge),
          user,
          this.#options.password,
          workstation,
          domain,
        );
      } catch {
        throw new PermanentError("the Exchange server's NTLM challenge cannot be read");
      }
      this.#handshakes += 1;
      const answer = await this.#request(connection, 'POST', envelope, options, authenticate);
      const sameSocket = connection.generation === generation;
      // A 401 on a socket other than the challenge's says nothing of the password: once more.
      if (answer.status === 401 && !sameSocket && attempt < 2) continue;
      connection.signedIn = answer.status !== 401 && sameSocket;
      return answer;
    }
  }

  async #request(
    connection: Connection,
    method: 'GET' | 'POST',
    body: string | undefined,
    options: { anchorMailbox?: string | undefined; signal: AbortSignal },
    authorization?: string,
  ): Promise<EwsHttpAnswer> {
    const response = await connection.client.request({
      path: this.#path,
      method,
      headers: {
        accept: 'text/xml',
        'user-agent': 'InstantSync',
        ...(body === undefined ? {} : { 'content-type': 'text/xml; charset=utf-8' }),
        ...(options.anchorMailbox === undefined ? {} : { 'x-anchormailbox': options.anchorMailbox }),
        ...(authorization === undefined ? {} : { authorization }),
      },
      ...(body === undefined ? {} : { body }),
      signal: options.signal,
    });
    // Read to the end: a connection is reused only once its last answer is consumed.
    const text = await response.body.text();
    return { status: response.statusCode, headers: response.headers, body: text };
  }

  #acquire(signal: AbortSignal): Promise<Connection> {
    signal.throwIfAborted();
    const idle = this.#idle.pop();
    if (idle !== undefined) return Promise.resolve(idle);
    if (this.#all.size < (this.#options.maxConnections ?? defaultMaxConnections))
      return Promise.resolve(this.#open());
    return new Promise((resolve, reject) => {
      const take = (connection: Connection) => {
        signal.removeEventListener('abort', abandon);
        resolve(connection);
      };
      const abandon = () => {
        const index = this.#waiting.indexOf(take);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(signal.reason as Error);
      };
      signal.addEventListener('abort', abandon, { once: true });
      this.#waiting.push(take);
    });
  }

  #release(connection: Connection): void {
    if (!this.#all.has(connection)) return void connection.client.destroy().catch(() => undefined);
    const next = this.#waiting.shift();
    if (next !== undefined) next(connection);
    else this.#idle.push(connection);
  }

  #open(): Connection {
    const client = new Client(this.#origin, this.#connect);
    const connection: Connection = { client, signedIn: false, generation: 0 };
    // A new socket, or a lost one, has no NTLM sign-in.
    client.on('connect', () => {
      connection.signedIn = false;
    });
    client.on('disconnect', () => {
      connection.generation += 1;
      connection.signedIn = false;
    });
    this.#all.add(connection);
    return connection;
  }
}

const headerValue = (value: string | string[] | undefined) =>
  (Array.isArray(value) ? value.join(',') : (value ?? '')).trim().toLowerCase();

/** DOMAIN\user → user and domain; a UPN (or a bare name) has no domain part for NTLM. */
export function splitUsername(username: string): { user: string; domain: string } {
  const slash = username.indexOf('\\');
  return slash > 0
    ? { user: username.slice(slash + 1), domain: username.slice(0, slash).toUpperCase() }
    : { user: username, domain: '' };
}

/** The NTLM challenge among the WWW-Authenticate values (there may be several, Negotiate too). */
function ntlmChallenge(header: string | string[] | undefined): string | undefined {
  const values = (Array.isArray(header) ? header : header === undefined ? [] : [header]).flatMap((v) =>
    v.split(','),
  );
  return values.map((v) => v.trim()).find((v) => /^NTLM \S+/i.test(v));
}

/** The schemes a 401 offered, for the message: "Negotiate, Basic" (never a challenge's content). */
function offered(header: string | string[] | undefined): string {
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  const schemes = [
    ...new Set(values.flatMap((v) => v.split(',')).map((v) => v.trim().split(/\s+/)[0] ?? '')),
  ];
  return schemes.filter(Boolean).join(', ') || 'no scheme';
}
