// The sandbox's own control API under /__sandbox/ (JSON), so other processes (the demo, end-to-
// end tests, benchmarks) can drive the org as its users and its admin would: apps, users,
// Events, the clock, faults. Not part of Salesforce's protocol; nothing here needs a token.
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { SalesforceApiError } from './api-error.ts';
import type { SalesforceSandbox } from './index.ts';
import { fromThisEventOnwardsAnswer, type EventInput, type OrgData } from './org-data.ts';
import { refusalCodes } from './pubsub/pubsub-server.ts';
import { objectOfId } from './salesforce-ids.ts';
import { schemas, toWire, type SObjectRecord } from './sobject-schema.ts';

const policySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('until_revoked') }),
  z.object({ kind: z.literal('immediately') }),
  z.object({ kind: z.literal('expire_after'), days: z.number().int().positive() }),
  z.object({ kind: z.literal('expire_if_unused'), days: z.number().int().positive() }),
]);

const appSchema = z.object({
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  callbackUrls: z.array(z.string()),
  refreshTokenPolicy: policySchema.optional(),
  certificatePem: z.string().optional(),
  preAuthorizedUsernames: z.array(z.string()).optional(),
});

const userSchema = z.object({
  id: z.string().optional(),
  username: z.string().min(1),
  email: z.string().min(1),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  timeZoneSidKey: z.string().optional(),
  isActive: z.boolean().optional(),
  password: z.string().optional(),
  permissions: z
    .object({
      viewSetupAndConfiguration: z.boolean().optional(),
      manageUsers: z.boolean().optional(),
      customizeApplication: z.boolean().optional(),
      modifyAllData: z.boolean().optional(),
    })
    .optional(),
});

const personSchema = z.object({
  firstName: z.string().optional(),
  lastName: z.string().min(1),
  email: z.string().optional(),
  company: z.string().optional(),
});

export function controlRoutes(sandbox: SalesforceSandbox, data: OrgData): Hono {
  const app = new Hono();
  const body = async <T>(c: Context, schema: z.ZodType<T>): Promise<T> => {
    const parsed = schema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) throw new SalesforceApiError(400, 'BAD_REQUEST', z.prettifyError(parsed.error));
    return parsed.data;
  };

  app.get('/__sandbox/state', (c) =>
    c.json({
      orgId: sandbox.orgId,
      url: sandbox.url,
      now: new Date(sandbox.clock.now()).toISOString(),
      users: [...data.users.values()].map(wire),
      apps: [...sandbox.apps()].map(({ clientSecret: _secret, certificatePem: _pem, ...app }) => app),
      stats: sandbox.stats(),
    }),
  );
  app.get('/__sandbox/stats', (c) => c.json(sandbox.stats()));

  app.post('/__sandbox/clock', async (c) => {
    const input = await body(
      c,
      z.union([z.object({ advanceMs: z.number() }), z.object({ set: z.number() })]),
    );
    if ('advanceMs' in input) sandbox.clock.advance(input.advanceMs);
    else sandbox.clock.set(input.set);
    return c.json({ now: new Date(sandbox.clock.now()).toISOString() });
  });

  app.post('/__sandbox/apps', async (c) => {
    const input = await body(c, appSchema);
    sandbox.addConnectedApp(withoutUndefined(input));
    return c.json({ clientId: input.clientId }, 201);
  });
  app.put('/__sandbox/apps/:clientId/refresh-token-policy', async (c) => {
    sandbox.setRefreshTokenPolicy(c.req.param('clientId'), await body(c, policySchema));
    return c.body(null, 204);
  });

  app.post('/__sandbox/users', async (c) => {
    const { permissions, ...user } = await body(c, userSchema);
    return c.json(
      wire(
        sandbox.addUser({
          ...withoutUndefined(user),
          ...(permissions === undefined ? {} : { permissions: withoutUndefined(permissions) }),
        }),
      ),
      201,
    );
  });
  app.post('/__sandbox/contacts', async (c) =>
    c.json(sandbox.addContact(withoutUndefined(await body(c, personSchema))), 201),
  );
  app.post('/__sandbox/leads', async (c) =>
    c.json(sandbox.addLead(withoutUndefined(await body(c, personSchema))), 201),
  );

  app.get('/__sandbox/events', (c) => c.json(sandbox.listEvents().map(wire)));
  app.post('/__sandbox/events', async (c) => {
    const input = (await c.req.json().catch(() => undefined)) as Record<string, unknown> | undefined;
    const ownerId = typeof input?.['ownerId'] === 'string' ? input['ownerId'] : undefined;
    if (input === undefined || ownerId === undefined)
      throw new SalesforceApiError(400, 'BAD_REQUEST', 'ownerId is required');
    const { ownerId: _owner, unchecked, ...fields } = input;
    return c.json(
      wire(sandbox.createEvent(ownerId, fields as EventInput, { unchecked: unchecked === true })),
      201,
    );
  });
  app.patch('/__sandbox/events/:id', async (c) => {
    const input = (await c.req.json().catch(() => ({}))) as Record<string, unknown>;
    const { unchecked, ...fields } = input;
    return c.json(
      wire(sandbox.updateEvent(c.req.param('id'), fields as EventInput, { unchecked: unchecked === true })),
    );
  });
  app.delete('/__sandbox/events/:id', (c) => {
    sandbox.deleteEvent(c.req.param('id'));
    return c.body(null, 204);
  });
  app.post('/__sandbox/events/:id/undelete', (c) => c.json(wire(sandbox.undeleteEvent(c.req.param('id')))));
  app.get('/__sandbox/events/:id/series', (c) => {
    const found = sandbox.getSeries(c.req.param('id'));
    if (found === undefined) throw new SalesforceApiError(404, 'NOT_FOUND', 'no series has this event');
    return c.json({ series: wire(found.series), occurrences: found.occurrences.map(wire) });
  });
  // Unlike REST (which answers before the deletions commit), this answers once they are committed.
  app.delete('/__sandbox/events/:id/fromThisEventOnwards', async (c) => {
    await sandbox.deleteFromThisEventOnwards(c.req.param('id'));
    return c.json(fromThisEventOnwardsAnswer);
  });

  app.post('/__sandbox/tokens/status', async (c) => {
    const { token } = await body(c, z.object({ token: z.string() }));
    return c.json({ active: sandbox.isTokenActive(token) });
  });

  app.put('/__sandbox/cdc', async (c) => {
    sandbox.setCdcEnabled((await body(c, z.object({ enabled: z.boolean() }))).enabled);
    return c.body(null, 204);
  });
  // The entities selected for change data capture, as an admin sees and sets them in Setup.
  app.get('/__sandbox/cdc/entities', (c) => c.json(sandbox.cdcEntities()));
  app.put('/__sandbox/cdc/entities', async (c) => {
    const { entities } = await body(
      c,
      z.object({
        entities: z.array(
          z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'an entity is an API name such as Event or Account'),
        ),
      }),
    );
    sandbox.setCdcEntities(entities);
    return c.json(sandbox.cdcEntities());
  });
  // The event delivery allocation: deliveries by the org's other subscribers, and its Max.
  app.get('/__sandbox/cdc/allocation', (c) => c.json(sandbox.cdcDeliveryAllocation()));
  app.put('/__sandbox/cdc/allocation', async (c) => {
    sandbox.setCdcDeliveryAllocation((await body(c, z.object({ max: z.number().int().min(0) }))).max);
    return c.json(sandbox.cdcDeliveryAllocation());
  });
  app.post('/__sandbox/cdc/deliveries', async (c) => {
    sandbox.recordCdcDeliveries((await body(c, z.object({ count: z.number().int().positive() }))).count);
    return c.json(sandbox.cdcDeliveryAllocation());
  });
  app.post('/__sandbox/cdc/gap', async (c) => {
    const input = await body(
      c,
      z.object({
        changeType: z.enum(['GAP_CREATE', 'GAP_UPDATE', 'GAP_DELETE', 'GAP_UNDELETE', 'GAP_OVERFLOW']),
        recordIds: z.array(z.string()).default([]),
      }),
    );
    sandbox.emitGap(input.changeType, input.recordIds);
    return c.body(null, 204);
  });
  app.post('/__sandbox/cdc/break', (c) => {
    sandbox.breakStreams();
    return c.body(null, 204);
  });
  app.post('/__sandbox/cdc/outage', async (c) => {
    const { ms, ...refusal } = await body(
      c,
      z.object({
        ms: z.number().int().positive(),
        code: z.enum(refusalCodes).optional(),
        errorCode: z.string().min(1).optional(),
        details: z.string().min(1).optional(),
      }),
    );
    sandbox.pubSubOutage(ms, withoutUndefined(refusal));
    return c.body(null, 204);
  });
  app.post('/__sandbox/cdc/expire', (c) => {
    sandbox.expireChangeEvents();
    return c.body(null, 204);
  });
  app.post('/__sandbox/apps/:clientId/revoke', (c) =>
    c.json({ revoked: sandbox.revokeAppGrants(c.req.param('clientId')) }),
  );

  // Our Salesforce package: installed or not, its settings' records, the org's remote sites.
  app.get('/__sandbox/package', (c) => c.json(sandbox.packageState()));
  app.post('/__sandbox/package', async (c) => {
    sandbox.setPackageInstalled((await body(c, z.object({ installed: z.boolean() }))).installed);
    return c.json(sandbox.packageState());
  });
  app.put('/__sandbox/package/settings/:object', async (c) =>
    c.json(
      sandbox.writePackageSetting(c.req.param('object'), await body(c, z.record(z.string(), z.unknown()))),
    ),
  );
  app.post('/__sandbox/package/remote-sites', async (c) => {
    const site = await body(
      c,
      z.object({
        fullName: z.string().min(1),
        url: z.string().min(1),
        isActive: z.boolean().optional(),
        disableProtocolSecurity: z.boolean().optional(),
        description: z.string().optional(),
      }),
    );
    return c.json(sandbox.addRemoteSite(withoutUndefined(site)), 201);
  });

  app.post('/__sandbox/faults', async (c) => {
    const input = await body(
      c,
      z.object({
        failNext: z
          .object({
            count: z.number().int().positive(),
            status: z.number().int(),
            body: z.unknown().optional(),
            paths: z.string().optional(),
          })
          .optional(),
        latencyMs: z.number().int().min(0).optional(),
      }),
    );
    sandbox.injectFaults(
      withoutUndefined({
        ...input,
        failNext: input.failNext === undefined ? undefined : withoutUndefined(input.failNext),
      }),
    );
    return c.body(null, 204);
  });

  app.onError((error, c) => {
    if (error instanceof SalesforceApiError)
      return c.json({ error: error.message, errorCode: error.errorCode }, error.status as 400);
    return c.json({ error: error.message }, 400);
  });
  return app;
}

/** A record with its values in Salesforce's wire format (datetimes as 2026-11-24T09:00:00.000+0000). */
function wire(record: SObjectRecord): Record<string, unknown> {
  const fields = schemas[objectOfId(record.Id) ?? '']?.fields ?? {};
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, toWire(fields[k] ?? 'string', v)]));
}

function withoutUndefined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}
