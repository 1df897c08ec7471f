// The service's doors as an attacker meets them, over real HTTP on both databases: bodies capped
// before they are read (413), a sign-in lockout that concurrent guesses cannot outrun and a
// restart does not clear, bearer guesses limited the same way, sessions that end at sign-out and
// at a new password, the browser security headers, tenant slugs that cannot reach a header, and
// Connect limited per address with the pending sign-ins of a tenant bounded.
import { request } from 'node:http';
import { scryptSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminAuth, setAdminPassword } from '../../src/admin/admin-auth.ts';
import { maxPendingConnects } from '../../src/salesforce/connection-manager.ts';
import { readMeta, writeMeta } from '../../src/store/meta-repository.ts';
import { startSandboxedService, type SandboxedService } from '../support/sandboxed-service.ts';
import { describeEachBackend } from '../support/test-databases.ts';
import { TestBrowser } from '../support/test-browser.ts';

const token = 'security-admin-token-0123456789';
const password = 'a long enough admin password';

/** Sends `declared` bytes (or chunked, when undefined) to `path` until the server answers; its status and how much was sent. */
function pushBody(
  url: string,
  path: string,
  options: { declared?: number; headers?: Record<string, string>; maxBytes: number },
): Promise<{ status: number; sentBytes: number }> {
  const target = new URL(path, url);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(options.declared === undefined ? {} : { 'content-length': String(options.declared) }),
          ...options.headers,
        },
      },
      (res) => {
        answered = true;
        res.resume();
        resolve({ status: res.statusCode ?? 0, sentBytes: sent });
        req.destroy();
      },
    );
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const pump = () => {
      while (!answered && sent < options.maxBytes) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!answered && options.declared === undefined) req.end();
    };
    pump();
  });
}

describeEachBackend('security of the HTTP doors', (database) => {
  let env: SandboxedService;
  let url: string;

  beforeAll(async () => {
    env = await startSandboxedService({
      databaseUrl: database.url,
      env: { INSTANT_SYNC_ADMIN_TOKEN: token, INSTANT_SYNC_TRUST_PROXY: 'true' },
    });
    url = env.service.url;
    await env.connectedTenant('acme');
    await setAdminPassword(env.service.runtime.store.repos, password);
  });
  afterAll(() => env.close());

  /** A client at its own address (the service trusts X-Forwarded-For here, as behind a proxy). */
  let nextAddress = 1;
  const newAddress = () => `198.51.100.${nextAddress++}`;

  const signIn = async (secret: string, address: string) => {
    const page = await fetch(`${url}/admin/login`, { headers: { 'x-forwarded-for': address } });
    const csrf = /is_csrf=([^;]+)/.exec(page.headers.get('set-cookie') ?? '')?.[1] ?? '';
    const response = await fetch(`${url}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'x-forwarded-for': address,
        'content-type': 'application/x-www-form-urlencoded',
        cookie: `is_csrf=${csrf}`,
      },
      body: new URLSearchParams({ csrf, secret }).toString(),
    });
    const session = /is_admin=([^;]+)/.exec(response.headers.get('set-cookie') ?? '')?.[1];
    return { status: response.status, session, retryAfter: response.headers.get('retry-after') };
  };
  const adminPage = (session: string) =>
    fetch(`${url}/admin/`, { redirect: 'manual', headers: { cookie: `is_admin=${session}` } });

  describe('bodies', () => {
    it('answers 413 to a huge declared body on every unauthenticated form, before reading it', async () => {
      for (const path of ['/admin/login', '/t/acme/connect', '/t/acme/disconnect', '/admin/logout']) {
        const result = await pushBody(url, path, { declared: 256 * 1024 * 1024, maxBytes: 8 * 1024 * 1024 });
        expect({ path, status: result.status }).toEqual({ path, status: 413 });
      }
    });

    it('cuts a chunked body off once it passes the cap, long before it ends', async () => {
      for (const path of ['/admin/login', '/t/acme/connect', '/api/retry']) {
        const result = await pushBody(url, path, {
          maxBytes: 64 * 1024 * 1024,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        });
        expect({ path, status: result.status }).toEqual({ path, status: 413 });
        expect(result.sentBytes).toBeLessThan(64 * 1024 * 1024);
      }
      const webhook = await pushBody(url, '/t/acme/hooks/salesforce', {
        declared: 1024 * 1024 + 1,
        maxBytes: 2 * 1024 * 1024,
        headers: { 'content-type': 'application/json' },
      });
      expect(webhook.status).toBe(413);
    });
  });

  describe('sign-in', () => {
    it('checks at most five of 40 concurrent wrong passwords, and the lockout outlives a restart', async () => {
      const address = newAddress();
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) => signIn(`wrong password number ${i}`, address)),
      );
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 401)).toHaveLength(5);
      expect(statuses.filter((s) => s === 429)).toHaveLength(35);
      // Locked out, the right password waits too.
      const right = await signIn(password, address);
      expect(right.status).toBe(429);
      expect(Number(right.retryAfter)).toBeGreaterThan(800);
      // A new process (another node, or this one restarted) sees the same count.
      const { runtime } = env.service;
      const restarted = new AdminAuth({ repos: runtime.store.repos, secretBox: runtime.secretBox, token });
      expect(await restarted.signIn(password, address, runtime.clock.now())).toMatchObject({
        ok: false,
        reason: 'locked',
      });
      // Another address is not affected.
      expect((await signIn(password, newAddress())).status).toBe(303);
    });

    it('limits wrong bearer tokens per address, the right token included once locked', async () => {
      const address = newAddress();
      const call = (bearer: string) =>
        fetch(`${url}/api/tenants`, {
          headers: { authorization: `Bearer ${bearer}`, 'x-forwarded-for': address },
        }).then((r) => r.status);
      const statuses = await Promise.all(Array.from({ length: 30 }, (_, i) => call(`guess-${i}`)));
      expect(statuses.filter((s) => s === 401)).toHaveLength(5);
      expect(statuses.filter((s) => s === 429)).toHaveLength(25);
      expect(await call(token)).toBe(429);
      // The right token from another address is not counted against anyone.
      const other = newAddress();
      for (let i = 0; i < 8; i += 1) {
        const response = await fetch(`${url}/api/tenants`, {
          headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': other },
        });
        expect(response.status).toBe(200);
      }
    });

    it('ends a session at sign-out, and every session at a new password', async () => {
      const first = await signIn(password, newAddress());
      expect(first.status).toBe(303);
      expect((await adminPage(first.session!)).status).toBe(200);
      // Sign out with the page's CSRF token.
      const page = await (await adminPage(first.session!)).text();
      const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
      const out = await fetch(`${url}/admin/logout`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          cookie: `is_admin=${first.session!}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ csrf }).toString(),
      });
      expect(out.status).toBe(303);
      // The old cookie, replayed, no longer signs in.
      expect((await adminPage(first.session!)).headers.get('location')).toBe('/admin/login');

      const second = await signIn(password, newAddress());
      const third = await signIn(token, newAddress());
      expect((await adminPage(second.session!)).status).toBe(200);
      await setAdminPassword(env.service.runtime.store.repos, `${password} (new)`);
      expect((await adminPage(second.session!)).status).toBe(303);
      expect((await adminPage(third.session!)).status).toBe(303);
      expect((await signIn(password, newAddress())).status).toBe(401);
      expect((await signIn(`${password} (new)`, newAddress())).status).toBe(303);
      await setAdminPassword(env.service.runtime.store.repos, password);
    });

    it('ends a session signed in with the token when the token changes', async () => {
      const { runtime } = env.service;
      const viaToken = await signIn(token, newAddress());
      const now = runtime.clock.now();
      const sameToken = new AdminAuth({ repos: runtime.store.repos, secretBox: runtime.secretBox, token });
      expect(await sameToken.session(viaToken.session, now)).toBeDefined();
      const newToken = new AdminAuth({
        repos: runtime.store.repos,
        secretBox: runtime.secretBox,
        token: 'a-different-admin-token-0123456789',
      });
      expect(await newToken.session(viaToken.session, now)).toBeUndefined();
    });

    it('hashes the password with scrypt N=2^17, and rehashes an older, cheaper hash at the next sign-in', async () => {
      const db = env.service.runtime.store.db;
      expect(await readMeta(db, 'admin_password')).toMatch(/^scrypt2\.17\.8\.1\./);
      const salt = randomBytes(16);
      const legacy = scryptSync(password, salt, 32, { N: 16384, r: 8, p: 1 });
      await writeMeta(
        db,
        'admin_password',
        `scrypt.${salt.toString('base64url')}.${legacy.toString('base64url')}`,
      );
      expect((await signIn(password, newAddress())).status).toBe(303);
      expect(await readMeta(db, 'admin_password')).toMatch(/^scrypt2\.17\.8\.1\./);
      expect((await signIn(password, newAddress())).status).toBe(303);
    });
  });

  describe('pages', () => {
    it('sends the security headers on pages and API answers, and no HSTS over plain http', async () => {
      for (const path of ['/admin/login', '/t/acme/', '/api/tenants', '/healthz']) {
        const response = await fetch(`${url}${path}`);
        const headers = Object.fromEntries(response.headers);
        expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
        expect(headers['content-security-policy']).toContain("default-src 'none'");
        expect(headers['x-frame-options']).toBe('DENY');
        expect(headers['x-content-type-options']).toBe('nosniff');
        expect(headers['referrer-policy']).toBe('no-referrer');
        expect(headers['strict-transport-security']).toBeUndefined();
      }
      // The tenant page's Connect leads to Salesforce's sign-in, and only there.
      const tenantPage = await fetch(`${url}/t/acme/`);
      expect(tenantPage.headers.get('content-security-policy')).toContain(
        `form-action 'self' ${new URL(env.sandbox.url).origin}`,
      );
    });

    it('answers 404, not 500, for a slug with a line break or other characters no slug has', async () => {
      for (const path of [
        '/t/acme%0d%0aSet-Cookie:%20x=1/',
        '/t/acme%0d%0a',
        '/t/ACME/',
        '/t/a%20b/connect',
      ]) {
        const response = await fetch(`${url}${path}`, { redirect: 'manual' });
        expect({ path, status: response.status }).toEqual({ path, status: 404 });
        expect(response.headers.get('set-cookie')).toBeNull();
      }
    });
  });

  describe('malformed input', () => {
    it('refuses broken multipart forms, NULs in slugs and in delivery ids with a 4xx, never a 500', async () => {
      for (const path of ['/admin/login', '/admin/logout', '/t/acme/connect']) {
        for (const body of ['', '--x\r\n\r\n\r\n--x--\r\n']) {
          const response = await fetch(`${url}${path}`, {
            method: 'POST',
            redirect: 'manual',
            headers: { 'content-type': 'multipart/form-data; boundary=x' },
            body,
          });
          expect({ path, body, status: response.status < 500 }).toEqual({ path, body, status: true });
        }
      }
      const nulSlug = await fetch(`${url}/t/acme%00/hooks/salesforce`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(nulSlug.status).toBe(404);
      const nulApi = await fetch(`${url}/api/tenants/a%00`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(nulApi.status).toBe(404);
    });
  });

  describe('Connect', () => {
    const startConnect = async (address: string) => {
      const page = await fetch(`${url}/t/acme/`, { headers: { 'x-forwarded-for': address } });
      const csrf = /is_csrf=([^;]+)/.exec(page.headers.get('set-cookie') ?? '')?.[1] ?? '';
      const response = await fetch(`${url}/t/acme/connect`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'x-forwarded-for': address,
          'content-type': 'application/x-www-form-urlencoded',
          cookie: `is_csrf=${csrf}`,
        },
        body: new URLSearchParams({ csrf }).toString(),
      });
      return { status: response.status, retryAfter: response.headers.get('retry-after') };
    };
    const pendingStates = async () =>
      Number(
        (
          await env.service.runtime.store.db
            .selectFrom('oauth_states')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    it('limits the Connects one address starts, and bounds the sign-ins a tenant has pending', async () => {
      const address = newAddress();
      const statuses: number[] = [];
      for (let i = 0; i < 21; i += 1) statuses.push((await startConnect(address)).status);
      expect(statuses.slice(0, 20).every((s) => s === 303)).toBe(true);
      const limited = await startConnect(address);
      expect(limited.status).toBe(429);
      expect(Number(limited.retryAfter)).toBeGreaterThan(0);

      // Many addresses: the tenant's pending sign-ins stop at the bound.
      const before = await pendingStates();
      const more = [];
      for (let i = before; i < maxPendingConnects + 5; i += 1)
        more.push((await startConnect(newAddress())).status);
      expect(more.filter((s) => s === 429).length).toBeGreaterThanOrEqual(5);
      expect(await pendingStates()).toBe(maxPendingConnects);
      // They expire, and Connect works again.
      env.advance(11 * 60_000);
      expect((await startConnect(newAddress())).status).toBe(303);
    });
  });

  it('keeps a browser without a session out of the admin pages', async () => {
    const page = await new TestBrowser().get(`${url}/admin/`);
    expect(page.url).toBe(`${url}/admin/login`);
  });
});
