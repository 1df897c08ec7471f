// Calendar API v3's events endpoints under /calendar/v3/calendars/{calendarId}/events: insert,
// get, list, patch, update, delete and instances, for a Bearer token from the token endpoint.
// The token's subject reaches its own primary calendar ("primary" or its address; anyone
// else's is 404), its scopes decide what it may do (403 insufficientPermissions), and every
// request runs under the quotas, latency and faults of google-limits.ts.
import { Hono, type Context } from 'hono';
import type { AccessToken, GoogleAuth } from './google-auth.ts';
import type { Calendar, GoogleCalendars, SendUpdates } from './google-calendars.ts';
import {
  badRequest,
  GoogleApiError,
  insufficientScopes,
  invalidCredentials,
  invalidParameter,
  loginRequired,
  notFound,
} from './google-errors.ts';
import { privateStamps, writableFields } from './google-event-input.ts';
import { eventJson } from './google-event-json.ts';
import { selectFields } from './google-fields.ts';
import { isDroppedConnection, limiter, type LimitOptions } from './google-limits.ts';
import { listEvents, listInstances, listPage, parseListQuery } from './google-list.ts';

export interface GoogleRouteOptions {
  calendars: GoogleCalendars;
  auth: GoogleAuth;
  limits: LimitOptions;
}

const scope = (name: string) => `https://www.googleapis.com/auth/${name}`;
/** The scopes that allow reading events, and the ones that allow changing them (Events reference, Authorization). */
const readScopes = [
  'calendar',
  'calendar.readonly',
  'calendar.events',
  'calendar.events.readonly',
  'calendar.events.owned',
  'calendar.events.owned.readonly',
].map(scope);
const writeScopes = ['calendar', 'calendar.events', 'calendar.events.owned'].map(scope);

export function googleCalendarRoutes(options: GoogleRouteOptions): Hono {
  const { calendars, auth } = options;
  const limited = limiter(options.limits);
  const app = new Hono({ strict: false });
  const base = '/calendar/v3/calendars/:calendarId/events';

  const authenticate = (c: Context): AccessToken => {
    const header = c.req.header('authorization');
    if (header === undefined) throw loginRequired();
    const state = auth.check(/^Bearer\s+(.+)$/i.exec(header)?.[1]);
    if (typeof state === 'string') throw state === 'missing' ? loginRequired() : invalidCredentials();
    return state;
  };

  /** The calendar a request names, for a token allowed `access` to it. */
  const calendarOf = (c: Context, token: AccessToken, access: 'read' | 'write'): Calendar => {
    const allowed = access === 'read' ? readScopes : writeScopes;
    if (!allowed.some((s) => token.scopes.has(s))) throw insufficientScopes();
    const id = c.req.param('calendarId') ?? '';
    if (id !== 'primary' && id.toLowerCase() !== token.subject) throw notFound();
    return calendars.calendar(token.subject, !token.delegated);
  };

  /** Runs `work` under the limits for the token's user. */
  const run = (
    c: Context,
    work: (token: AccessToken) => Response | Promise<Response>,
    stamps?: (token: AccessToken) => string[],
  ) => {
    const token = authenticate(c);
    return limited(
      c,
      { user: token.subject, project: token.projectId },
      () => work(token),
      stamps === undefined ? undefined : () => stamps(token),
    );
  };

  const writeOptions = (c: Context, token: AccessToken) => ({
    sendUpdates: sendUpdatesOf(c),
    canInvite: token.delegated,
  });

  app.post(base, async (c) => {
    const body = await jsonBody(c);
    return run(
      c,
      (token) => {
        const calendar = calendarOf(c, token, 'write');
        return c.json(
          partial(c, eventJson(calendars.insert(calendar, body, writeOptions(c, token))), 'event'),
        );
      },
      () => privateStamps(writableFields(body)),
    );
  });

  app.get(base, (c) =>
    run(
      c,
      (token) => {
        const calendar = calendarOf(c, token, 'read');
        const url = new URL(c.req.url);
        const query = parseListQuery(url, 'list');
        const candidates = listEvents(calendars, calendar, query, options.limits.now());
        return c.json(partial(c, listPage(calendars, calendar, url, query, candidates, true), 'events'));
      },
      () =>
        new URL(c.req.url).searchParams
          .getAll('privateExtendedProperty')
          .map((constraint) => constraint.slice(constraint.indexOf('=') + 1)),
    ),
  );

  app.get(`${base}/:eventId/instances`, (c) =>
    run(
      c,
      (token) => {
        const calendar = calendarOf(c, token, 'read');
        const url = new URL(c.req.url);
        const query = parseListQuery(url, 'instances');
        const target = calendars.target(calendar, c.req.param('eventId'));
        if (target.kind !== 'event') throw notFound();
        const candidates = listInstances(calendars, calendar, target.event, query, options.limits.now());
        return c.json(partial(c, listPage(calendars, calendar, url, query, candidates, false), 'events'));
      },
      (token) => calendars.stamps(calendarOf(c, token, 'read'), c.req.param('eventId')),
    ),
  );

  app.get(`${base}/:eventId`, (c) =>
    run(
      c,
      (token) => {
        const calendar = calendarOf(c, token, 'read');
        const target = calendars.target(calendar, c.req.param('eventId'));
        const view = calendars.view(calendar, target);
        // A cancelled instance carries only its id, recurringEventId and originalStartTime.
        const minimal = target.kind === 'instance' && view.fields['status'] === 'cancelled';
        return c.json(partial(c, eventJson(minimal ? { ...view, minimal } : view), 'event'));
      },
      (token) => calendars.stamps(calendarOf(c, token, 'read'), c.req.param('eventId')),
    ),
  );

  for (const [method, replace] of [
    ['patch', false],
    ['put', true],
  ] as const)
    app[method](`${base}/:eventId`, async (c) => {
      const body = await jsonBody(c);
      return run(
        c,
        (token) => {
          const calendar = calendarOf(c, token, 'write');
          const view = calendars.change(
            calendar,
            c.req.param('eventId'),
            body,
            replace,
            writeOptions(c, token),
          );
          return c.json(partial(c, eventJson(view), 'event'));
        },
        (token) => calendars.stamps(calendarOf(c, token, 'write'), c.req.param('eventId')),
      );
    });

  app.delete(`${base}/:eventId`, (c) =>
    run(
      c,
      (token) => {
        const calendar = calendarOf(c, token, 'write');
        calendars.delete(calendar, c.req.param('eventId'), sendUpdatesOf(c));
        return c.body(null, 204);
      },
      (token) => calendars.stamps(calendarOf(c, token, 'write'), c.req.param('eventId')),
    ),
  );

  app.all('/calendar/v3/*', () => {
    throw notFound();
  });

  app.onError((error, c) => {
    if (error instanceof GoogleApiError) {
      for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
      return c.json(error.toBody(), error.code as 400);
    }
    if (isDroppedConnection(error)) return new Response(null, { status: 499 });
    return c.json(
      new GoogleApiError(500, {
        domain: 'global',
        reason: 'backendError',
        message: (error as Error).message,
      }).toBody(),
      500,
    );
  });
  return app;
}

/** The answer as the `fields` parameter asks for it. */
const partial = (c: Context, json: Record<string, unknown>, kind: 'event' | 'events') =>
  selectFields(json, c.req.query('fields'), kind) as Record<string, unknown>;

/** sendUpdates (or the deprecated sendNotifications), default none as Google's is. */
function sendUpdatesOf(c: Context): SendUpdates {
  const value = c.req.query('sendUpdates');
  if (value === undefined) return c.req.query('sendNotifications') === 'true' ? 'all' : 'none';
  if (value !== 'all' && value !== 'externalOnly' && value !== 'none')
    throw invalidParameter(
      'sendUpdates',
      `Invalid string value: '${value}'. Allowed values: [all, externalOnly, none]`,
    );
  return value;
}

async function jsonBody(c: Context): Promise<Record<string, unknown>> {
  const body: unknown = await c.req.json().catch(() => undefined);
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest('Parse Error', 'parseError');
  return body as Record<string, unknown>;
}
