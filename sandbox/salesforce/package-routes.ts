// The REST resources of our Salesforce package's custom settings and of the Tooling API's
// RemoteProxy (Remote Site Settings), added to the REST API's routes so they sit behind its
// session check and API limit:
//   POST   /services/data/vNN.N/sobjects/<Setting>              201 { id, success, errors }
//   GET    /services/data/vNN.N/sobjects/<Setting>/<id>[?fields=] the record with attributes
//   PATCH  /services/data/vNN.N/sobjects/<Setting>/<id>         204
//   DELETE /services/data/vNN.N/sobjects/<Setting>/<id>         204
//   POST   /services/data/vNN.N/tooling/sobjects/RemoteProxy    201 { id, success, errors }
//   GET    /services/data/vNN.N/tooling/sobjects/RemoteProxy/<id> with FullName and Metadata
//   PATCH  /services/data/vNN.N/tooling/sobjects/RemoteProxy/<id> 204
//   DELETE /services/data/vNN.N/tooling/sobjects/RemoteProxy/<id> 204
// A setting's paths answer NOT_FOUND while the package is not installed, as for any sObject the
// org does not have. The rules are package-data.ts's.
import type { Context, Hono } from 'hono';
import { methodNotAllowed, notFound, SalesforceApiError } from './api-error.ts';
import type { OrgData } from './org-data.ts';
import type { RestEnv } from './rest-routes.ts';
import { readRecord } from './soql-engine.ts';
import type { ObjectSchema } from './sobject-schema.ts';

export function packageRoutes(app: Hono<RestEnv>, options: { data: OrgData }): void {
  const { data } = options;
  /** The setting a path names; NOT_FOUND when the org has none of that name (the package is not installed). */
  const setting = (c: Context<RestEnv>): ObjectSchema => {
    const schema = data.package.schema(c.req.param('object') ?? '');
    if (schema === undefined) throw notFound();
    return schema;
  };
  const fieldsParam = (c: Context<RestEnv>) => c.req.query('fields')?.split(',').filter(Boolean);

  app.post('/services/data/:version/sobjects/:object', async (c) => {
    const schema = setting(c);
    const record = data.package.createSetting(c.get('user').Id, schema.name, await jsonBody(c, schema.name));
    return c.json({ id: record.Id, success: true, errors: [] }, 201);
  });
  app.get('/services/data/:version/sobjects/:object/:id', (c) => {
    const schema = setting(c);
    const record = data.package.setting(schema.name, c.req.param('id'));
    return c.json(readRecord(schema.name, record, fieldsParam(c), data, c.get('version')));
  });
  app.patch('/services/data/:version/sobjects/:object/:id', async (c) => {
    const schema = setting(c);
    const body = await jsonBody(c, schema.name);
    data.package.updateSetting(c.get('user').Id, schema.name, c.req.param('id'), body);
    return c.body(null, 204);
  });
  app.delete('/services/data/:version/sobjects/:object/:id', (c) => {
    data.package.deleteSetting(setting(c).name, c.req.param('id'));
    return c.body(null, 204);
  });
  app.all('/services/data/:version/sobjects/:object/:id', (c) => {
    setting(c);
    return methodNotAllowed(c, 'HEAD,GET,PATCH,DELETE');
  });

  const remoteProxy = '/services/data/:version/tooling/sobjects/RemoteProxy';
  app.post(remoteProxy, async (c) => {
    const record = data.package.createRemoteSite(c.get('user').Id, await jsonBody(c, 'RemoteProxy'));
    return c.json({ id: record.Id, success: true, errors: [] }, 201);
  });
  app.get(`${remoteProxy}/:id`, (c) => {
    const record = data.package.remoteSite(c.req.param('id'));
    return c.json(readRecord('RemoteProxy', record, fieldsParam(c), data, c.get('version'), 'tooling'));
  });
  app.patch(`${remoteProxy}/:id`, async (c) => {
    data.package.updateRemoteSite(c.get('user').Id, c.req.param('id'), await jsonBody(c, 'RemoteProxy'));
    return c.body(null, 204);
  });
  app.delete(`${remoteProxy}/:id`, (c) => {
    data.package.deleteRemoteSite(c.get('user').Id, c.req.param('id'));
    return c.body(null, 204);
  });
  app.all(`${remoteProxy}/:id`, (c) => methodNotAllowed(c, 'HEAD,GET,PATCH,DELETE'));
}

async function jsonBody(c: Context<RestEnv>, objectName: string): Promise<Record<string, unknown>> {
  const body: unknown = await c.req.json().catch(() => undefined);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new SalesforceApiError(
      400,
      'JSON_PARSER_ERROR',
      `the body must be a JSON object of ${objectName} fields`,
    );
  }
  return body as Record<string, unknown>;
}
