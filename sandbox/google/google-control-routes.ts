// The Google sandbox's own API under /__sandbox/ (JSON, no token, zod-checked), so the demo,
// end-to-end tests and benchmarks can drive a sandbox running as another process: service
// accounts and their keys, domain-wide delegation, users, every calendar's events and the
// notifications sendUpdates would have sent, counters, latency, faults, the clock, and an HTML
// view of every calendar.
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { GoogleCalendars } from './google-calendars.ts';
import { GoogleApiError } from './google-errors.ts';
import type { GoogleSandbox } from './index.ts';
import { calendarsPage } from './google-view.ts';

const faultKinds = z.enum(['500', '503', '429', 'reset', 'timeout']);

export function googleControlRoutes(sandbox: GoogleSandbox, calendars: GoogleCalendars): Hono {
  const app = new Hono();
  const body = async <T>(c: Context, schema: z.ZodType<T>): Promise<T> => {
    const parsed = schema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success)
      throw new GoogleApiError(400, {
        domain: 'global',
        reason: 'invalid',
        message: z.prettifyError(parsed.error),
      });
    return parsed.data;
  };
  const known = (c: Context) => {
    const email = c.req.param('email') ?? '';
    if (!calendars.isUser(email))
      throw new GoogleApiError(404, { domain: 'global', reason: 'notFound', message: `No user ${email}` });
    return email;
  };

  app.post('/__sandbox/service-accounts', async (c) => {
    const input = await body(
      c,
      z.object({ clientEmail: z.string().includes('@'), projectId: z.string().min(1).optional() }),
    );
    return c.json(
      sandbox.addServiceAccount({
        clientEmail: input.clientEmail,
        ...(input.projectId === undefined ? {} : { projectId: input.projectId }),
      }),
      201,
    );
  });
  app.post('/__sandbox/delegations', async (c) => {
    const input = await body(
      c,
      z.object({ clientId: z.string().min(1), scopes: z.array(z.string().min(1)) }),
    );
    sandbox.delegate(input.clientId, input.scopes);
    return c.body(null, 204);
  });
  app.post('/__sandbox/users', async (c) => {
    const { email } = await body(c, z.object({ email: z.string().includes('@') }));
    sandbox.addUser(email);
    return c.json({ email: email.toLowerCase() }, 201);
  });
  app.get('/__sandbox/users', (c) =>
    c.json(sandbox.users().map((email) => ({ email, events: sandbox.events(email).length }))),
  );
  app.get('/__sandbox/users/:email/events', (c) => c.json(sandbox.events(known(c))));
  app.get('/__sandbox/users/:email/notifications', (c) => c.json(sandbox.notifications(known(c))));
  app.get('/__sandbox/stats', (c) => c.json(sandbox.stats()));
  app.get('/__sandbox/faults/log', (c) => c.json(sandbox.faultLog()));
  app.get('/__sandbox/writes', (c) => {
    const query = z
      .object({ after: z.coerce.number().default(0), limit: z.coerce.number().int().positive().default(100) })
      .safeParse(c.req.query());
    if (!query.success)
      throw new GoogleApiError(400, {
        domain: 'global',
        reason: 'invalid',
        message: z.prettifyError(query.error),
      });
    return c.json(sandbox.writesAfter(query.data.after, query.data.limit));
  });
  app.post('/__sandbox/latency', async (c) => {
    sandbox.setLatency((await body(c, z.object({ ms: z.number().int().min(0) }))).ms);
    return c.body(null, 204);
  });
  app.post('/__sandbox/clock', async (c) => {
    sandbox.clock.advance((await body(c, z.object({ advanceMs: z.number().int().min(0) }))).advanceMs);
    return c.json({ now: sandbox.clock.now() });
  });
  app.post('/__sandbox/faults', async (c) => {
    const input = await body(
      c,
      z.object({
        failureRate: z.number().min(0).max(1),
        kinds: z.array(faultKinds),
        afterCommit: z.boolean(),
        hangMs: z.number().int().positive().optional(),
      }),
    );
    const { hangMs, ...rest } = input;
    sandbox.injectFaults(
      input.failureRate === 0 || input.kinds.length === 0
        ? undefined
        : { ...rest, ...(hangMs === undefined ? {} : { hangMs }) },
    );
    return c.body(null, 204);
  });
  app.post('/__sandbox/faults/next', async (c) => {
    const input = await body(
      c,
      z.object({
        kind: faultKinds,
        afterCommit: z.boolean(),
        user: z.string().includes('@').optional(),
        hangMs: z.number().int().positive().optional(),
      }),
    );
    sandbox.failNext(input.kind, {
      afterCommit: input.afterCommit,
      ...(input.user === undefined ? {} : { user: input.user }),
      ...(input.hangMs === undefined ? {} : { hangMs: input.hangMs }),
    });
    return c.body(null, 204);
  });
  app.post('/__sandbox/faults/token-next', async (c) => {
    const input = await body(
      c,
      z.object({
        kind: z.enum(['503', 'reset', 'timeout']),
        hangMs: z.number().int().positive().optional(),
      }),
    );
    sandbox.failNextTokenRequest(input.kind, input.hangMs === undefined ? {} : { hangMs: input.hangMs });
    return c.body(null, 204);
  });
  app.get('/__sandbox/view', (c) => c.html(calendarsPage(calendars)));

  app.onError((error, c) => {
    if (error instanceof GoogleApiError) return c.json(error.toBody(), error.code as 400);
    return c.json(
      new GoogleApiError(400, { domain: 'global', reason: 'invalid', message: error.message }).toBody(),
      400,
    );
  });
  return app;
}
