// Who is calling, decided as IIS decides it in front of Exchange's EWS virtual directory.
// Without credentials: 401 offering Negotiate, NTLM and (enabled, as many on-premises servers
// have it over TLS) Basic. NTLM is bound to the connection: the NEGOTIATE message gets a
// CHALLENGE on that socket, the AUTHENTICATE message must come on the same socket and is
// verified there (NTLMv2 only), and the socket stays authenticated afterwards, as IIS keeps an
// NTLM-authenticated connection; another socket starts over. Negotiate carrying raw NTLM tokens
// is NTLM; Kerberos is not offered. Basic is checked on every request. Service accounts are
// DOMAIN\user or user@domain; the ApplicationImpersonation role is granted per account.
import type { Socket } from 'node:net';
import type { Context } from 'hono';
import {
  makeChallenge,
  readAuthenticate,
  readNegotiate,
  verifyNtlmV2,
  type Challenge,
  type NtlmServer,
} from './ews-ntlm.ts';

export interface Account {
  username: string;
  password: string;
  /** DOMAIN\user accounts: the NetBIOS domain and user, lower-cased. */
  domain: string | undefined;
  user: string;
  /** user@domain accounts: the UPN, lower-cased (also the account's own mailbox address). */
  upn: string | undefined;
  impersonation: boolean;
}

interface SocketState {
  challenge?: Challenge;
  scheme?: 'NTLM' | 'Negotiate';
  account?: Account;
}

const server: NtlmServer = {
  netbiosDomain: 'CORP',
  netbiosComputer: 'EXCH01',
  dnsDomain: 'corp.example',
  dnsComputer: 'exch01.corp.example',
};

const unauthorizedPage =
  '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\r\n' +
  '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>401 - Unauthorized: Access is denied due to invalid credentials.</title></head>' +
  '<body><div id="header"><h1>Server Error</h1></div><div id="content"><fieldset><h2>401 - Unauthorized: Access is denied due to invalid credentials.</h2>' +
  '<h3>You do not have permission to view this directory or page using the credentials that you supplied.</h3></fieldset></div></body></html>';

export class EwsAuth {
  readonly #accounts: Account[] = [];
  readonly #sockets = new WeakMap<Socket, SocketState>();
  readonly #now: () => number;
  handshakes = 0;
  basicEnabled = true;

  constructor(now: () => number) {
    this.#now = now;
  }

  addAccount(input: { username: string; password: string }): void {
    const name = input.username.trim();
    const slash = name.indexOf('\\');
    const account: Account = {
      username: name,
      password: input.password,
      domain: slash === -1 ? undefined : name.slice(0, slash).toLowerCase(),
      user: (slash === -1 ? name.split('@')[0]! : name.slice(slash + 1)).toLowerCase(),
      upn: name.includes('@') && slash === -1 ? name.toLowerCase() : undefined,
      impersonation: false,
    };
    const existing = this.#accounts.findIndex((a) => a.username.toLowerCase() === name.toLowerCase());
    if (existing !== -1) {
      account.impersonation = this.#accounts[existing]!.impersonation;
      this.#accounts[existing] = account;
    } else this.#accounts.push(account);
  }

  grantImpersonation(username: string): void {
    const account = this.#find(username, undefined);
    if (account === undefined) throw new Error(`No account ${username}`);
    account.impersonation = true;
  }

  /** The account a logon name names: DOMAIN\user, user@domain (the UPN), or a bare user in the server's domain. */
  #find(user: string, domain: string | undefined): Account | undefined {
    const name = user.toLowerCase();
    if (domain === undefined && name.includes('\\')) {
      const [d = '', u = ''] = name.split('\\');
      return this.#find(u, d);
    }
    if (name.includes('@'))
      return this.#accounts.find((a) => a.upn === name || `${a.user}@${server.dnsDomain}` === name);
    const wanted = domain === undefined || domain === '' ? undefined : domain.toLowerCase();
    return this.#accounts.find(
      (a) =>
        a.user === name &&
        (wanted === undefined ||
          a.domain === wanted ||
          (a.domain === undefined &&
            (wanted === server.netbiosDomain.toLowerCase() || wanted === server.dnsDomain))),
    );
  }

  /** The account making this request, or the 401 answer to send. */
  authenticate(c: Context): Account | Response {
    const socket = (c.env as { incoming?: { socket?: Socket } } | undefined)?.incoming?.socket;
    const state = socket === undefined ? {} : (this.#sockets.get(socket) ?? {});
    if (socket !== undefined) this.#sockets.set(socket, state);
    const header = c.req.header('authorization');
    if (header === undefined) return state.account ?? this.#unauthorized(c);
    const [scheme = '', token = ''] = header.trim().split(/\s+/, 2);
    const kind = scheme.toLowerCase();
    if (kind === 'basic' && this.basicEnabled) {
      const decoded = Buffer.from(token, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const account = colon === -1 ? undefined : this.#find(decoded.slice(0, colon), undefined);
      return account !== undefined && account.password === decoded.slice(colon + 1)
        ? account
        : this.#unauthorized(c);
    }
    if (kind !== 'ntlm' && kind !== 'negotiate') return this.#unauthorized(c);
    const message = Buffer.from(token, 'base64');
    const negotiate = readNegotiate(message);
    if (negotiate !== undefined) {
      this.handshakes++;
      const challenge = makeChallenge(negotiate, server, this.#now());
      state.challenge = challenge;
      state.scheme = kind === 'ntlm' ? 'NTLM' : 'Negotiate';
      delete state.account;
      return new Response(unauthorizedPage, {
        status: 401,
        headers: {
          'content-type': 'text/html',
          'www-authenticate': `${state.scheme} ${challenge.message.toString('base64')}`,
        },
      });
    }
    // An AUTHENTICATE message only answers a challenge sent on this connection.
    const challenge = state.challenge;
    delete state.challenge;
    const authenticate = challenge === undefined ? undefined : readAuthenticate(message, challenge.flags);
    if (challenge === undefined || authenticate === undefined) return this.#unauthorized(c);
    const account = this.#find(authenticate.user, authenticate.domain);
    if (account === undefined || !verifyNtlmV2(authenticate, account.password, challenge.serverChallenge))
      return this.#unauthorized(c);
    state.account = account;
    return account;
  }

  #unauthorized(c: Context): Response {
    const headers = new Headers({ 'content-type': 'text/html' });
    headers.append('www-authenticate', 'Negotiate');
    headers.append('www-authenticate', 'NTLM');
    if (this.basicEnabled) headers.append('www-authenticate', `Basic realm="${new URL(c.req.url).hostname}"`);
    return new Response(unauthorizedPage, { status: 401, headers });
  }
}
