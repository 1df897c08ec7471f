// The address a request came from, which rate limits and lockouts count by. Behind a reverse
// proxy every request comes from the proxy, so with INSTANT_SYNC_TRUST_PROXY the address is the
// one the proxy appended to X-Forwarded-For (the last entry: earlier ones are the client's own
// word and may be forged).
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

export function clientAddressOf(options: { trustProxy: boolean }): (c: Context) => string {
  return (c) => {
    if (options.trustProxy) {
      const forwarded = c.req.header('x-forwarded-for');
      const last = forwarded?.split(',').at(-1)?.trim();
      if (last !== undefined && /^[0-9A-Fa-f.:]{2,45}$/.test(last)) return last;
    }
    try {
      return getConnInfo(c).remote.address ?? 'unknown';
    } catch {
      // Requests made in-process (app.request in tests) have no socket.
      return 'unknown';
    }
  };
}
