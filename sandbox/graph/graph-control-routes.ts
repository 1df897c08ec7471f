// The Graph sandbox's own API under /__sandbox/ (JSON, no token), so other processes can set it
// up and look inside: apps, mailboxes, every mailbox's events, latency, faults, counters; and an
// HTML page listing each mailbox's calendar for the demo.
import { Hono } from 'hono';
import { html } from 'hono/html';
import { z } from 'zod';
import { GraphError } from './graph-errors.ts';
import type { GraphMailboxes } from './graph-mailboxes.ts';
import type { GraphSandbox } from './index.ts';

export function graphControlRoutes(sandbox: GraphSandbox, mailboxes: GraphMailboxes): Hono {
  const app = new Hono();
  const body = async <T>(c: { req: { json(): Promise<unknown> } }, schema: z.ZodType<T>): Promise<T> => {
    const parsed = schema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) throw new GraphError(400, 'BadRequest', z.prettifyError(parsed.error));
    return parsed.data;
  };

  app.post('/__sandbox/apps', async (c) => {
    sandbox.addApp(
      await body(
        c,
        z.object({
          tenantId: z.string().min(1),
          clientId: z.string().min(1),
          clientSecret: z.string().min(1).optional(),
          certificatePem: z.string().includes('BEGIN CERTIFICATE').optional(),
        }),
      ),
    );
    return c.body(null, 204);
  });
  app.post('/__sandbox/mailboxes', async (c) => {
    const input = await body(
      c,
      z.object({ address: z.string().includes('@'), displayName: z.string().optional() }),
    );
    return c.json(sandbox.addMailbox(input.address, input.displayName), 201);
  });
  app.get('/__sandbox/mailboxes', (c) =>
    c.json(mailboxes.mailboxes().map((m) => ({ ...m, events: sandbox.events(m.address).length }))),
  );
  app.get('/__sandbox/mailboxes/:address/events', (c) => c.json(sandbox.events(c.req.param('address'))));
  app.get('/__sandbox/stats', (c) => c.json(sandbox.stats()));
  app.get('/__sandbox/faults/log', (c) => c.json(sandbox.faultLog()));
  app.get('/__sandbox/writes', (c) =>
    c.json(sandbox.writesAfter(Number(c.req.query('after') ?? 0), Number(c.req.query('limit') ?? 100))),
  );
  app.post('/__sandbox/latency', async (c) => {
    sandbox.setLatency((await body(c, z.object({ ms: z.number().int().min(0) }))).ms);
    return c.body(null, 204);
  });
  app.post('/__sandbox/faults', async (c) => {
    const input = await body(
      c,
      z.object({
        failureRate: z.number().min(0).max(1),
        kinds: z.array(z.enum(['500', '503', '504', '429', 'reset', 'timeout'])),
        afterCommit: z.boolean().default(false),
        hangMs: z.number().int().positive().optional(),
      }),
    );
    const { hangMs, ...rest } = input;
    sandbox.injectFaults(
      input.failureRate === 0 ? undefined : { ...rest, ...(hangMs === undefined ? {} : { hangMs }) },
    );
    return c.body(null, 204);
  });

  app.get('/__sandbox/view', (c) =>
    c.html(
      html`<!doctype html>
        <html lang="en">
          <head>
            <meta charset="utf-8" />
            <title>Graph sandbox mailboxes</title>
            <meta http-equiv="refresh" content="2" />
          </head>
          <body style="font-family: sans-serif; margin: 2rem">
            <h1>Graph sandbox mailboxes</h1>
            ${mailboxes.mailboxes().map(
              (m) =>
                html`<h2>${m.address}</h2>
                  <ul>
                    ${sandbox.events(m.address).map((e) => {
                      const start = e['start'] as { dateTime: string; timeZone: string };
                      return html`<li>
                        ${start.dateTime.slice(0, 16).replace('T', ' ')} ${start.timeZone} —
                        <strong>${String(e['subject'])}</strong>
                      </li>`;
                    })}
                  </ul>`,
            )}
          </body>
        </html>`,
    ),
  );

  app.onError((error, c) => {
    if (error instanceof GraphError) return c.json(error.toBody(), error.status as 400);
    return c.json({ error: { code: 'BadRequest', message: error.message } }, 400);
  });
  return app;
}
