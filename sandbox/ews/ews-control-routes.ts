// The Exchange sandbox's own API under /__sandbox/ (JSON, no authentication, zod-checked), so
// the demo, end-to-end tests and benchmarks can drive a sandbox running as another process:
// service accounts and the impersonation role, mailboxes, every calendar's items and the
// meeting messages that would have been sent, counters, latency, faults, the clock, and an HTML
// view of every calendar.
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { EwsSandbox } from './index.ts';
import type { EwsStore } from './ews-store.ts';
import { mailboxesPage } from './ews-view.ts';

const faultKinds = z.enum(['500', '503', 'server-busy', 'reset', 'timeout']);

class ControlError extends Error {
  readonly status: 400 | 404;
  constructor(status: 400 | 404, message: string) {
    super(message);
    this.status = status;
  }
}

export function ewsControlRoutes(sandbox: EwsSandbox, store: EwsStore): Hono {
  const app = new Hono();
  const body = async <T>(c: Context, schema: z.ZodType<T>): Promise<T> => {
    const parsed = schema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) throw new ControlError(400, z.prettifyError(parsed.error));
    return parsed.data;
  };
  const known = (c: Context) => {
    const address = c.req.param('address') ?? '';
    if (store.mailbox(address) === undefined) throw new ControlError(404, `No mailbox ${address}`);
    return address;
  };

  app.post('/__sandbox/accounts', async (c) => {
    sandbox.addAccount(
      await body(
        c,
        z.object({
          username: z.string().regex(/^[^\\@\s]+\\[^\\@\s]+$|^[^\\@\s]+@[^\\@\s]+$/),
          password: z.string().min(1),
        }),
      ),
    );
    return c.body(null, 204);
  });
  app.post('/__sandbox/impersonation', async (c) => {
    const { username } = await body(c, z.object({ username: z.string().min(1) }));
    try {
      sandbox.grantImpersonation(username);
    } catch (error) {
      throw new ControlError(404, (error as Error).message);
    }
    return c.body(null, 204);
  });
  app.post('/__sandbox/mailboxes', async (c) => {
    const input = await body(
      c,
      z.object({ address: z.string().includes('@'), displayName: z.string().min(1).optional() }),
    );
    sandbox.addMailbox(input.address, input.displayName);
    const mailbox = store.mailbox(input.address)!;
    return c.json({ address: mailbox.address, displayName: mailbox.displayName }, 201);
  });
  app.get('/__sandbox/mailboxes', (c) =>
    c.json(
      store.mailboxes().map((m) => ({ address: m.address, displayName: m.displayName, items: m.items.size })),
    ),
  );
  app.get('/__sandbox/mailboxes/:address/items', (c) => c.json(sandbox.items(known(c))));
  app.get('/__sandbox/mailboxes/:address/messages', (c) => c.json(sandbox.sentMessages(known(c))));
  app.get('/__sandbox/stats', (c) => c.json(sandbox.stats()));
  app.get('/__sandbox/faults/log', (c) => c.json(sandbox.faultLog()));
  app.get('/__sandbox/writes', (c) => {
    const query = z
      .object({ after: z.coerce.number().default(0), limit: z.coerce.number().int().positive().default(100) })
      .safeParse(c.req.query());
    if (!query.success) throw new ControlError(400, z.prettifyError(query.error));
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
        mailbox: z.string().includes('@').optional(),
        hangMs: z.number().int().positive().optional(),
      }),
    );
    sandbox.failNext(input.kind, {
      afterCommit: input.afterCommit,
      ...(input.mailbox === undefined ? {} : { mailbox: input.mailbox }),
      ...(input.hangMs === undefined ? {} : { hangMs: input.hangMs }),
    });
    return c.body(null, 204);
  });
  app.get('/__sandbox/view', (c) => c.html(mailboxesPage(store)));

  app.onError((error, c) =>
    c.json({ error: error.message }, error instanceof ControlError ? error.status : 400),
  );
  return app;
}
