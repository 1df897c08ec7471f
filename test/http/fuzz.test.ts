// The doors that write, fuzzed: the Salesforce webhook and every form and /api write, called
// in-process (the Hono app, no sockets) with random paths among the real write routes, random
// bodies (text, JSON-ish values, deep nesting and filler up to and past the size caps, binary,
// invalid UTF-8, forms, well- and ill-formed multipart), random headers (content types,
// x-instant-sync-* values, X-Forwarded-For, Authorization) and random cookies. Whatever arrives:
//   (a) the answer is never a 5xx;
//   (b) nothing is recorded or changed without a valid signature or credential: no change, job,
//       link or trace; the tenants, their connections, mailboxes and admin sessions as they were;
//       and only anonymous Connect (anyone may start a Salesforce sign-in) adds pending sign-ins.
// A third property signs random bodies correctly for a tenant: each is either accepted (202) and
// recorded only as well-formed 18-character Event ids, or refused (4xx) with nothing recorded.
// The big run is on SQLite (this is about input handling, not storage); a shorter one checks
// PostgreSQL. A failure prints fast-check's seed and path: FUZZ_SEED=<seed> FUZZ_PATH=<path>
// replays exactly that case.
import { afterAll, beforeAll, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Hono } from 'hono';
import { normalizeEventId, toCaseSafeId } from '../../src/domain/salesforce-ids.ts';
import { createHttpAppFor, tenantCreationDeps } from '../../src/main.ts';
import { maxPendingConnects } from '../../src/salesforce/connection-manager.ts';
import { signWebhook } from '../../src/intake/webhook/webhook-delivery.ts';
import { createTenant, type CreatedTenant } from '../../src/tenants/create-tenant.ts';
import { startSandboxedService, type SandboxedService } from '../support/sandboxed-service.ts';
import { describeOnBackends, type TestDatabase } from '../support/test-databases.ts';

const adminToken = 'fuzz-admin-token-abcdefghijklmnop-0123456789';
const formCap = 16 * 1024;
const apiCap = 64 * 1024;
const webhookCap = 1024 * 1024;

/** fast-check's replay settings, when a failure is being replayed. */
const replay = {
  ...(process.env['FUZZ_SEED'] === undefined ? {} : { seed: Number(process.env['FUZZ_SEED']) }),
  ...(process.env['FUZZ_PATH'] === undefined ? {} : { path: process.env['FUZZ_PATH'] }),
};

// ---- what a fuzzed request is ----

interface Route {
  method: string;
  /** `{slug}` is replaced by the case's slug. */
  template: string;
}

/** Every route that writes (the OAuth callback completes a Connect, so it counts). */
const writeRoutes: Route[] = [
  { method: 'POST', template: '/t/{slug}/hooks/salesforce' },
  { method: 'POST', template: '/t/{slug}/connect' },
  { method: 'POST', template: '/t/{slug}/disconnect' },
  { method: 'GET', template: '/t/{slug}/oauth/callback' },
  { method: 'POST', template: '/admin/login' },
  { method: 'POST', template: '/admin/logout' },
  { method: 'POST', template: '/admin/retry' },
  { method: 'POST', template: '/admin/tenants/{slug}/settings' },
  { method: 'POST', template: '/admin/tenants/{slug}/mailboxes' },
  { method: 'POST', template: '/admin/tenants/{slug}/disconnect' },
  { method: 'POST', template: '/api/retry' },
  { method: 'PATCH', template: '/api/tenants/{slug}/settings' },
  { method: 'POST', template: '/api/tenants/{slug}/mailboxes' },
  { method: 'POST', template: '/api/tenants/{slug}/disconnect' },
];

type BodySpec =
  | { kind: 'none' }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'json'; value: unknown }
  /** `open` repeated `depth` times, then `inner`, then `close` repeated (or not, unbalanced). */
  | { kind: 'nested'; open: string; close: string; depth: number; balanced: boolean }
  /** `size` bytes of one character (described, not spelled out, so a failure report stays short). */
  | { kind: 'filler'; size: number; fill: string; prefix: string }
  | { kind: 'form'; fields: [string, string][] }
  | { kind: 'multipart'; boundary: string; parts: MultipartPart[]; ending: 'closed' | 'open' | 'garbage' };

interface MultipartPart {
  name: string;
  value: string;
  filename: string | undefined;
  /** Leave out the Content-Disposition header (a part the parser cannot name). */
  headless: boolean;
}

/** `match`: the content type the body's kind calls for. */
type ContentType = { kind: 'none' } | { kind: 'match' } | { kind: 'given'; value: string };

/** How the webhook signature header is made; `valid` is never among them here. */
type SignatureSpec =
  | { kind: 'none' }
  | { kind: 'given'; value: string }
  | { kind: 'wrong-secret'; secret: string }
  | { kind: 'right-secret-other-timestamp' }
  | { kind: 'right-secret-other-body'; extra: string }
  | { kind: 'other-tenant' };

interface FuzzRequest {
  method: string;
  route: Route;
  slug: string;
  query: string;
  body: BodySpec;
  contentType: ContentType;
  clientId: string | undefined;
  timestamp: string | undefined;
  signature: SignatureSpec;
  authorization: string | undefined;
  /** A double-submit CSRF pair (cookie and form field): anyone's browser has one, so it is no credential. */
  csrfPair: string | undefined;
  cookies: [string, string][];
  headers: [string, string][];
}

/** The request as fetch sees it, and a short description of it for failure messages. */
interface BuiltRequest {
  path: string;
  init: RequestInit & { headers: Record<string, string> };
  bodyBytes: Uint8Array | undefined;
}

// ---- arbitraries ----

const headerChar = fc
  .oneof(
    { weight: 30, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
    { weight: 2, arbitrary: fc.integer({ min: 0x80, max: 0xff }) },
    { weight: 1, arbitrary: fc.constant(0x09) },
  )
  .map((code) => String.fromCharCode(code));
const headerValue = (maxLength: number) => fc.string({ unit: headerChar, maxLength });
const cookieValue = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 80 }),
  fc.string({ unit: fc.constantFrom(...'abcdefABCDEF0123456789-_.%'), minLength: 32, maxLength: 64 }),
);
const token = (min: number, max: number) =>
  fc.string({
    unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_'),
    minLength: min,
    maxLength: max,
  });
/** Text with lone surrogates among ordinary characters (what a broken client may send). */
const utf16Text = (maxLength: number) =>
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength });

function eventIdArbitrary(): fc.Arbitrary<unknown> {
  const id15 = fc
    .string({
      unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'),
      minLength: 12,
      maxLength: 12,
    })
    .map((rest) => `00U${rest}`);
  return fc.oneof(
    { weight: 5, arbitrary: id15.map(toCaseSafeId) },
    { weight: 3, arbitrary: id15 },
    // The case of an 18-character id changed on the way: refused.
    { weight: 2, arbitrary: id15.map((id) => toCaseSafeId(id).toLowerCase()) },
    { weight: 1, arbitrary: id15.map((id) => `${id}AAA`) },
    { weight: 1, arbitrary: id15.map((id) => `001${toCaseSafeId(id).slice(3)}`) },
    { weight: 1, arbitrary: id15.map((id) => `00u${toCaseSafeId(id).slice(3)}`) },
    { weight: 1, arbitrary: id15.map((id) => ` ${toCaseSafeId(id)}`) },
    { weight: 1, arbitrary: id15.map((id) => `${toCaseSafeId(id)}\u0000`) },
    { weight: 1, arbitrary: fc.string({ maxLength: 25 }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  );
}

/** Bodies shaped like webhook deliveries, right or nearly right. */
function webhookShapedArbitrary(now: () => number): fc.Arbitrary<unknown> {
  const changeType = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom('CREATE', 'UPDATE', 'DELETE', 'UNDELETE') },
    {
      weight: 2,
      arbitrary: fc.constantFrom('create', 'Update', 'TOUCH', 'constructor', '__proto__', 'toString', ''),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
  );
  const modstamp = fc.oneof(
    fc.integer({ min: -86_400_000, max: 4 * 60_000 }).map((offset) => new Date(now() + offset).toISOString()),
    fc
      .integer({ min: 6 * 60_000, max: 365 * 86_400_000 })
      .map((offset) => new Date(now() + offset).toISOString()),
    fc.constantFrom(
      '2026-02-30T00:00:00Z',
      'yesterday',
      '',
      '0',
      '+275760-09-13T00:00:00.000Z',
      '1970-01-01',
    ),
    fc.jsonValue({ maxDepth: 1 }),
  );
  const extras = fc.dictionary(
    fc.oneof(
      fc.string({ maxLength: 10 }),
      fc.constantFrom('__proto__', 'constructor', 'prototype', 'id', 'events'),
    ),
    fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string({ unit: 'binary', maxLength: 10 })),
    { maxKeys: 3 },
  );
  const event = fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .record(
          { id: eventIdArbitrary(), changeType, systemModstamp: modstamp },
          { requiredKeys: ['id', 'changeType'] },
        )
        .chain((e) => extras.map((x) => ({ ...x, ...e }))),
    },
    {
      weight: 1,
      arbitrary: fc.record(
        { id: eventIdArbitrary(), changeType, systemModstamp: modstamp },
        { requiredKeys: [] },
      ),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  );
  const deliveryId = fc.oneof(
    fc.uuid(),
    fc.string({ maxLength: 20 }),
    // Any code point, control characters and NUL among them.
    fc.string({ unit: 'binary', maxLength: 20 }),
    utf16Text(10),
    fc.constantFrom('', 'x'.repeat(200), 'x'.repeat(201), 'a\u0000b', '\u0000'),
    fc.jsonValue({ maxDepth: 1 }),
  );
  return fc.oneof(
    {
      weight: 8,
      arbitrary: fc
        .record(
          { deliveryId, events: fc.array(event, { minLength: 0, maxLength: 12 }) },
          { requiredKeys: ['events'] },
        )
        .chain((body) => extras.map((x) => ({ ...x, ...body }))),
    },
    // As many events as a delivery may carry, or one more.
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(1999, 2000, 2001), eventIdArbitrary(), changeType)
        .map(([n, id, type]) => ({ events: Array.from({ length: n }, () => ({ id, changeType: type })) })),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  );
}

/** Deliveries as the package sends them: 1 to 20 events with ids in either form. */
function validDeliveryArbitrary(): fc.Arbitrary<unknown> {
  const id15 = fc
    .string({
      unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'),
      minLength: 12,
      maxLength: 12,
    })
    .map((rest) => `00U${rest}`);
  const event = fc.record(
    {
      id: fc.oneof(id15, id15.map(toCaseSafeId)),
      changeType: fc.constantFrom('CREATE', 'UPDATE', 'DELETE', 'UNDELETE'),
      systemModstamp: fc.constantFrom('2026-01-01T00:00:00.000Z', '2020-02-29T23:59:59Z'),
    },
    { requiredKeys: ['id', 'changeType'] },
  );
  return fc.record(
    { deliveryId: fc.uuid(), events: fc.array(event, { minLength: 1, maxLength: 20 }) },
    { requiredKeys: ['events'] },
  );
}

/** The 18-character forms of the Event ids a delivery's body names (what it may record). */
function eventIdsNamedIn(text: string): Set<string> {
  const named = new Set<string>();
  try {
    const parsed = JSON.parse(text) as { events?: unknown };
    for (const event of Array.isArray(parsed.events) ? (parsed.events as unknown[]) : []) {
      const id = typeof event === 'object' && event !== null ? (event as { id?: unknown }).id : undefined;
      const normalized = typeof id === 'string' ? normalizeEventId(id) : undefined;
      if (normalized !== undefined) named.add(normalized);
    }
  } catch {
    // Not JSON: it names nothing.
  }
  return named;
}

/** Raw texts no JSON encoder would write: prototype keys as own fields, duplicates, comments. */
const trickyJsonTexts = fc.constantFrom(
  '{"__proto__":{"events":[{"id":"00U5g00000AbCdEEAV","changeType":"CREATE"}]}}',
  '{"events":[{"id":"00U5g00000AbCdEEAV","changeType":"CREATE","__proto__":{"changeType":"DELETE"}}]}',
  '{"constructor":{"prototype":{"events":1}},"events":[]}',
  '{"events":[{"id":"00U5g00000AbCdEEAV","changeType":"CREATE"}],"events":"twice"}',
  '{"events":[{"id":"00U5g00000AbCdE","id":"00U5g00000AbCdEEAV","changeType":"UPDATE"}]}',
  '{"events":[{"id":"00U5g00000AbCdEEAV","changeType":"CREATE"}]} // comment',
  '\uFEFF{"events":[{"id":"00U5g00000AbCdEEAV","changeType":"CREATE"}]}',
  '{"events":[{"id":"00U5g00000AbCdEEAV","changeType":"CREATE"}]}\u0000',
  '{"events":[{"id":"00U5g00000AbCdEEAV","changeType":"CREATE","systemModstamp":"2026-11-24T09:00:00.000+99:99"}]}',
  '{"events":[{"id":"00U5g00000AbCdEEAV","changeType":"CREATE"}],"deliveryId":"\\ud800"}',
  '{"events":[{"id":"00U5g00000AbCdEEAV","changeType":"CREATE"}],"deliveryId":"a\\u0000b"}',
  '{"events":[{"id":"00U5g00000AbCdEEAV","changeType":"CREATE","systemModstamp":"2026-01-01T00:00:00Z\\u0000"}]}',
  '{"events":[1e999]}',
  '[{"events":[]}]',
  'null',
  '"events"',
  '',
  ' ',
  '{"csrf":"x","secret":"x","tenant":"acme","eventId":"00U5g00000AbCdEEAV","dead":true}',
  '{"settleWindow":"0s","exclusionRules":[{"field":"Subject","op":"equals","value":"x","label":"y"}]}',
  '{"user":"005000000000001AAA","mailbox":"someone@example.com"}',
);

/** Bytes that are not UTF-8: stray continuation bytes, overlong forms, surrogates, truncation. */
const invalidUtf8 = fc
  .tuple(
    fc.constantFrom('', '{"events":[{"id":"', 'csrf=', '{"tenant":"'),
    fc.constantFrom(
      [0xff],
      [0xfe, 0xff],
      [0xc0, 0xaf],
      [0xe0, 0x80, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0xe2, 0x82],
      [0x80, 0x80, 0x80],
    ),
    fc.constantFrom('', '"}]}', '&secret=x'),
  )
  .map(([before, bad, after]) => ({
    kind: 'bytes' as const,
    bytes: new Uint8Array([...Buffer.from(before), ...bad, ...Buffer.from(after)]),
  }));

const formFieldNames = [
  'csrf',
  'secret',
  'tenant',
  'eventId',
  'dead',
  'back',
  'settleWindow',
  'pollInterval',
  'invitationPolicy',
  'deletePolicy',
  'internalDomains',
  'exclusionRules',
  'user',
  'mailbox',
  '__proto__',
  'constructor',
  'csrf[]',
  'csrf.x',
];

function formValueArbitrary(realSlugs: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ maxLength: 60 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    { weight: 1, arbitrary: utf16Text(20) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        ...realSlugs,
        'all',
        'true',
        '00U5g00000AbCdEEAV',
        '005000000000001AAA',
        'someone@example.com',
        '/admin/failures',
        '//evil.example/',
        '0s',
        '1h',
        '-1ms',
        'none',
        'keep',
        '[]',
        '[{"field":"Subject","op":"equals","value":"x","label":"y"}]',
        '',
      ),
    },
  );
}

function bodyArbitrary(realSlugs: string[], now: () => number): fc.Arbitrary<BodySpec> {
  const formField = fc.tuple(
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...formFieldNames) },
      { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
    ),
    formValueArbitrary(realSlugs),
  );
  const multipartPart = fc.record({
    name: fc.oneof(fc.constantFrom(...formFieldNames), fc.string({ maxLength: 12 })),
    value: formValueArbitrary(realSlugs),
    filename: fc.option(fc.constantFrom('a.txt', '', '../../etc/passwd', 'x"y'), { nil: undefined }),
    headless: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  });
  const caps = [formCap, apiCap, webhookCap];
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
    {
      weight: 3,
      arbitrary: fc
        .string({ unit: 'binary', maxLength: 300 })
        .map((text) => ({ kind: 'text' as const, text })),
    },
    { weight: 2, arbitrary: utf16Text(120).map((text) => ({ kind: 'text' as const, text })) },
    { weight: 2, arbitrary: trickyJsonTexts.map((text) => ({ kind: 'text' as const, text })) },
    {
      weight: 3,
      arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ kind: 'bytes' as const, bytes })),
    },
    { weight: 2, arbitrary: invalidUtf8 },
    {
      weight: 4,
      arbitrary: fc.jsonValue({ maxDepth: 6 }).map((value) => ({ kind: 'json' as const, value })),
    },
    { weight: 5, arbitrary: webhookShapedArbitrary(now).map((value) => ({ kind: 'json' as const, value })) },
    {
      weight: 1,
      arbitrary: fc
        .record({
          pair: fc.constantFrom(['[', ']'], ['{"a":', '}'], ['{"events":', '}'], ['{"events":[', ']}']),
          // Deep, up to about the largest cap.
          depth: fc.oneof(fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 2000, max: 200_000 })),
          balanced: fc.boolean(),
        })
        .map(({ pair, depth, balanced }) => ({
          kind: 'nested' as const,
          open: pair[0] ?? '[',
          close: pair[1] ?? ']',
          depth,
          balanced,
        })),
    },
    {
      weight: 1,
      arbitrary: fc
        .record({
          cap: fc.constantFrom(...caps),
          offset: fc.constantFrom(-1, 0, 1, -4096, 4096),
          fill: fc.constantFrom('a', ' ', '[', 'é', '\u0000'),
          prefix: fc.constantFrom(
            '',
            'csrf=x&secret=',
            '{"events":[{"id":"00U5g00000AbCdEEAV","changeType":"CREATE"}],"pad":"',
          ),
        })
        .map(({ cap, offset, fill, prefix }) => ({
          kind: 'filler' as const,
          size: cap + offset,
          fill,
          prefix,
        })),
    },
    {
      weight: 4,
      arbitrary: fc.array(formField, { maxLength: 8 }).map((fields) => ({ kind: 'form' as const, fields })),
    },
    {
      weight: 3,
      arbitrary: fc
        .record({
          boundary: fc.oneof(token(1, 70), fc.constantFrom('----x', '', '"quoted"', 'a b')),
          parts: fc.array(multipartPart, { maxLength: 5 }),
          ending: fc.constantFrom('closed', 'closed', 'open', 'garbage'),
        })
        .map((m) => ({ kind: 'multipart' as const, ...m })),
    },
  );
}

// ---- building a request from its description ----

function bodyBytes(body: BodySpec, csrfPair: string | undefined): Uint8Array | undefined {
  const utf8 = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));
  switch (body.kind) {
    case 'none':
      return undefined;
    case 'text':
      return utf8(body.text);
    case 'bytes':
      return body.bytes;
    case 'json':
      return utf8(JSON.stringify(body.value) ?? 'undefined');
    case 'nested':
      return utf8(body.open.repeat(body.depth) + '1' + (body.balanced ? body.close.repeat(body.depth) : ''));
    case 'filler': {
      const prefix = Buffer.from(body.prefix);
      const unit = Buffer.from(body.fill);
      const count = Math.max(0, Math.floor((body.size - prefix.length) / unit.length));
      return new Uint8Array(Buffer.concat([prefix, Buffer.alloc(count * unit.length, unit)]));
    }
    case 'form': {
      const fields =
        csrfPair === undefined ? body.fields : [['csrf', csrfPair] as [string, string], ...body.fields];
      return utf8(new URLSearchParams(fields).toString());
    }
    case 'multipart': {
      const parts = [
        ...(csrfPair === undefined
          ? []
          : [{ name: 'csrf', value: csrfPair, filename: undefined, headless: false }]),
        ...body.parts,
      ];
      let text = '';
      for (const part of parts) {
        text += `--${body.boundary}\r\n`;
        if (!part.headless) {
          text += `Content-Disposition: form-data; name="${part.name}"`;
          text +=
            part.filename === undefined
              ? '\r\n'
              : `; filename="${part.filename}"\r\nContent-Type: text/plain\r\n`;
        }
        text += `\r\n${part.value}\r\n`;
      }
      text +=
        body.ending === 'closed'
          ? `--${body.boundary}--\r\n`
          : body.ending === 'garbage'
            ? '--\u0000garbage'
            : '';
      return utf8(text);
    }
  }
}

function contentTypeOf(request: FuzzRequest): string | undefined {
  const { contentType, body } = request;
  if (contentType.kind === 'none') return undefined;
  if (contentType.kind === 'given') return contentType.value;
  if (body.kind === 'form') return 'application/x-www-form-urlencoded';
  if (body.kind === 'multipart') return `multipart/form-data; boundary=${body.boundary}`;
  return 'application/json';
}

interface FuzzContext {
  /** The tenants the fuzzed requests aim at: one connected, one not. */
  tenants: [CreatedTenant, CreatedTenant];
  /** The Connect-ed tenant's id and org, for forged tenant sessions. */
  acme: { id: string; orgId: string };
  /** An admin session that has been signed out. */
  endedAdminSession: string;
  now: () => number;
}

function buildRequest(request: FuzzRequest, context: FuzzContext): BuiltRequest {
  const path = request.route.template.replace('{slug}', request.slug) + request.query;
  const headers: Record<string, string> = {};
  for (const [name, value] of request.headers) headers[name] = value;
  const contentType = contentTypeOf(request);
  if (contentType !== undefined) headers['content-type'] = contentType;
  if (request.authorization !== undefined) headers['authorization'] = request.authorization;
  const cookies = [...request.cookies];
  if (request.csrfPair !== undefined) cookies.push(['is_csrf', request.csrfPair]);
  if (cookies.length > 0) headers['cookie'] = cookies.map(([n, v]) => `${n}=${v}`).join('; ');
  const bytes =
    request.method === 'GET' || request.method === 'HEAD'
      ? undefined
      : bodyBytes(request.body, request.csrfPair);
  if (request.clientId !== undefined) headers['x-instant-sync-client-id'] = request.clientId;
  if (request.timestamp !== undefined) headers['x-instant-sync-timestamp'] = request.timestamp;
  const signature = signatureOf(request, bytes, context);
  if (signature !== undefined) headers['x-instant-sync-signature'] = signature;
  return {
    path,
    init: { method: request.method, headers, ...(bytes === undefined ? {} : { body: bytes }) },
    bodyBytes: bytes,
  };
}

/** The server reads the body as UTF-8 text (invalid bytes replaced) and verifies that. */
const asServerText = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes ?? new Uint8Array());

function signatureOf(
  request: FuzzRequest,
  bytes: Uint8Array | undefined,
  context: FuzzContext,
): string | undefined {
  const spec = request.signature;
  // Looked up by value, not as a key: the slug may well be "constructor".
  const [first, second] = context.tenants;
  const target = context.tenants.find((t) => t.slug === request.slug) ?? first;
  const other = target === first ? second : first;
  const timestamp = request.timestamp ?? String(Math.floor(context.now() / 1000));
  const text = asServerText(bytes);
  switch (spec.kind) {
    case 'none':
      return undefined;
    case 'given':
      return spec.value;
    case 'wrong-secret':
      return signWebhook(spec.secret, timestamp, text);
    case 'right-secret-other-timestamp':
      return signWebhook(target.webhookSecret, `${timestamp}0`, text);
    case 'right-secret-other-body':
      return signWebhook(target.webhookSecret, timestamp, `${text}${spec.extra || ' '}`);
    case 'other-tenant':
      return signWebhook(other.webhookSecret, timestamp, text);
  }
}

/** One line per part of the request, short enough to read in a failure. */
function describeRequest(request: FuzzRequest, built: BuiltRequest): string {
  const body = built.bodyBytes;
  const preview =
    body === undefined
      ? '(none)'
      : `${body.length} bytes, ${request.body.kind}: ${JSON.stringify(asServerText(body.subarray(0, 300)))}${body.length > 300 ? '…' : ''}`;
  return [
    `${request.method} ${built.path}`,
    ...Object.entries(built.init.headers).map(([n, v]) => `  ${n}: ${JSON.stringify(v).slice(0, 300)}`),
    `  body ${preview}`,
  ].join('\n');
}

function requestArbitrary(context: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const realSlugs = context.tenants.map((t) => t.slug);
  const slug = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...realSlugs) },
    { weight: 2, arbitrary: fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }).map(encodeURIComponent) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'ACME',
        'acme%0d%0aSet-Cookie:%20x=1',
        '..',
        '%2e%2e',
        'acme%00',
        'acme%2Fhooks',
        '%ff',
        '%',
        '-acme',
        'acme--x',
        'a'.repeat(41),
        'x'.repeat(3000),
        '%F0%9F%98%80',
      ),
    },
  );
  const route = fc.oneof(
    // The webhook takes the most, as the door most exposed to the internet.
    { weight: 6, arbitrary: fc.constant(writeRoutes[0]!) },
    { weight: 10, arbitrary: fc.constantFrom(...writeRoutes.slice(1)) },
  );
  // Mostly the route's own method; now and then another (a route that does not exist).
  const otherMethod = fc.oneof(
    { weight: 12, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD') },
  );
  const query = fc.oneof(
    { weight: 6, arbitrary: fc.constant('') },
    {
      weight: 3,
      arbitrary: fc
        .array(
          fc.tuple(
            fc.oneof(
              fc.constantFrom('state', 'code', 'error', 'error_description', 'result'),
              fc.string({ maxLength: 8 }),
            ),
            fc.oneof(fc.string({ maxLength: 60 }), token(43, 43)),
          ),
          { maxLength: 4 },
        )
        .map((pairs) => `?${new URLSearchParams(pairs).toString()}`),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom('?state=%ff&code=%', '?state&code', '?state=a&state=b&code=x', '?%'),
    },
  );
  const givenContentType = fc.oneof(
    fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'APPLICATION/JSON;CHARSET="UTF-8"',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'application/json;;;',
      'application/json; charset',
      'application/json; boundary=x; charset=utf8; charset=ascii',
      'application/jsonx',
      'application/json-patch+json',
      'application/x-www-form-urlencoded',
      'application/x-www-form-urlencoded; charset=iso-8859-1',
      'multipart/form-data',
      'multipart/form-data; boundary=',
      'multipart/form-data; boundary="----x"',
      'multipart/mixed; boundary=x',
      'text/plain',
      'text/html',
      '*/*',
      '',
    ),
    headerValue(60),
  );
  const contentType: fc.Arbitrary<ContentType> = fc.oneof(
    { weight: 6, arbitrary: fc.constant({ kind: 'match' as const }) },
    { weight: 2, arbitrary: fc.constant({ kind: 'none' as const }) },
    { weight: 4, arbitrary: givenContentType.map((value) => ({ kind: 'given' as const, value })) },
  );
  const clientIds = context.tenants.map((t) => t.clientId);
  const clientId = fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 6, arbitrary: fc.constantFrom(...clientIds) },
    { weight: 2, arbitrary: fc.stringMatching(/^[0-9]{10}$/) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(...clientIds.map((id) => ` ${id}0`), ...clientIds.map((id) => id.slice(1))),
    },
    { weight: 1, arbitrary: headerValue(30) },
  );
  const timestamp = fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 6, arbitrary: fc.constant('fresh') },
    { weight: 2, arbitrary: fc.integer({ min: -400, max: 400 }).map((d) => `fresh${d >= 0 ? '+' : ''}${d}`) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '0',
        '-1',
        '1e3',
        '0x10',
        '99999999999999999999',
        '1.5',
        ' 1',
        '',
        'NaN',
        '00000000000001',
      ),
    },
    { weight: 1, arbitrary: headerValue(20) },
  );
  const signature: fc.Arbitrary<SignatureSpec> = fc.oneof(
    { weight: 2, arbitrary: fc.constant({ kind: 'none' as const }) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(
          fc.constantFrom('', 'sha256=', 'SHA256=', 'sha1='),
          fc.stringMatching(/^[0-9a-fA-F]{64}$/),
          fc.constantFrom('', ' ', 'ff', '=='),
        )
        .map(([pre, hex, post]) => ({ kind: 'given' as const, value: `${pre}${hex}${post}` })),
    },
    { weight: 1, arbitrary: headerValue(100).map((value) => ({ kind: 'given' as const, value })) },
    {
      weight: 2,
      arbitrary: token(1, 40).map((secret) => ({ kind: 'wrong-secret' as const, secret: `whsec_${secret}` })),
    },
    { weight: 2, arbitrary: fc.constant({ kind: 'right-secret-other-timestamp' as const }) },
    {
      weight: 2,
      arbitrary: fc
        .string({ maxLength: 3 })
        .map((extra) => ({ kind: 'right-secret-other-body' as const, extra })),
    },
    { weight: 2, arbitrary: fc.constant({ kind: 'other-tenant' as const }) },
  );
  // Never the token itself: near misses, other schemes, the token where it does not belong.
  const authorization = fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: token(1, 64).map((t) => `Bearer ${t}`) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        `Bearer ${adminToken.slice(0, -1)}`,
        `Bearer ${adminToken}x`,
        `Bearer ${adminToken.toUpperCase()}`,
        `bearer ${adminToken}`,
        `Bearer  ${adminToken}`,
        `Bearer ${adminToken},${adminToken}`,
        `Basic ${Buffer.from(`admin:${adminToken}`).toString('base64')}`,
        `Token ${adminToken}`,
        `Bearer ${'x'.repeat(513)}`,
        'Bearer',
        'Bearer ',
        '',
      ),
    },
    { weight: 1, arbitrary: headerValue(80) },
  );
  const csrfPair = fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: token(32, 48) },
  );
  const cookie = fc.tuple(
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('is_admin', 'is_csrf', 'is_oauth', 'is_session') },
      { weight: 1, arbitrary: token(1, 12) },
    ),
    fc.oneof(
      { weight: 4, arbitrary: cookieValue },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          context.endedAdminSession,
          adminToken,
          // A tenant session for the connected tenant, with a forged or missing tag.
          `${context.acme.id}.${context.acme.orgId}.${context.now() + 3_600_000}.AAAA`,
          `${context.acme.id}.${context.acme.orgId}.${context.now() + 3_600_000}.`,
          `${context.acme.id}.${context.acme.orgId}.99999999999999999`,
          '%ff%fe',
          '"quoted"',
        ),
      },
    ),
  );
  const extraHeader = fc.tuple(
    fc.oneof(
      fc.constantFrom(
        'x-instant-sync-client-id-x',
        'x-instant-sync-delivery',
        'x-instant-sync-signature-256',
        'x-forwarded-for',
        'x-forwarded-proto',
        'x-request-id',
        'x-csrf-token',
        'x-api-key',
        // Not content-length or transfer-encoding: over a socket those frame the body, so they
        // cannot disagree with it as they could here, in-process.
        'content-encoding',
        'origin',
      ),
      token(1, 20).map((t) => `x-instant-sync-${t}`),
    ),
    fc.oneof(
      headerValue(60),
      fc.constantFrom(
        'gzip',
        'chunked',
        '0',
        '-1',
        '127.0.0.1',
        '198.51.100.7, 10.0.0.1',
        '::1',
        adminToken,
        'null',
      ),
    ),
  );
  return fc
    .record({
      route,
      otherMethod,
      slug,
      query,
      body: bodyArbitrary(realSlugs, context.now),
      contentType,
      clientId,
      timestamp,
      signature,
      authorization,
      csrfPair,
      cookies: fc.array(cookie, { maxLength: 4 }),
      headers: fc.array(extraHeader, { maxLength: 3 }),
    })
    .map(({ otherMethod: method, ...r }) => ({
      ...r,
      method: method ?? r.route.method,
      timestamp: resolveTimestamp(r.timestamp, context.now),
    }));
}

function resolveTimestamp(spec: string | undefined, now: () => number): string | undefined {
  if (spec === undefined || !spec.startsWith('fresh')) return spec;
  const offset = spec === 'fresh' ? 0 : Number(spec.slice('fresh'.length));
  return String(Math.floor(now() / 1000) + offset);
}

// ---- the suite ----

function fuzzSuite(database: TestDatabase, runs: { anonymous: number; signed: number }): void {
  let env: SandboxedService;
  let app: Hono;
  let context: FuzzContext;
  let signedTenant: CreatedTenant;

  beforeAll(async () => {
    env = await startSandboxedService({
      databaseUrl: database.url,
      // Behind a "proxy", so X-Forwarded-For spreads the attempts over addresses and the
      // per-address limits do not answer every later case with 429.
      env: { INSTANT_SYNC_ADMIN_TOKEN: adminToken, INSTANT_SYNC_TRUST_PROXY: 'true' },
    });
    const { runtime } = env.service;
    const acme = await env.connectedTenant('acme');
    const beta = await createTenant(tenantCreationDeps(runtime), { slug: 'beta' });
    signedTenant = await createTenant(tenantCreationDeps(runtime), { slug: 'signed' });
    app = createHttpAppFor(runtime);
    const connection = await runtime.store.db
      .selectFrom('salesforce_connections')
      .select(['org_id'])
      .where('tenant_id', '=', acme.id)
      .executeTakeFirstOrThrow();
    context = {
      tenants: [acme, beta],
      acme: { id: acme.id, orgId: connection.org_id ?? '' },
      endedAdminSession: await signInAndOut(app),
      now: () => runtime.clock.now(),
    };
  });
  afterAll(() => env.close());

  /** Everything a request without a credential must leave as it was. */
  const protectedState = async () => {
    const db = env.service.runtime.store.db;
    const notSigned = signedTenant.id;
    const count = async (table: 'changes' | 'jobs' | 'links' | 'traces') =>
      Number(
        (
          await db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('tenant_id', '!=', notSigned)
            .executeTakeFirstOrThrow()
        ).n,
      );
    return {
      changes: await count('changes'),
      jobs: await count('jobs'),
      links: await count('links'),
      traces: await count('traces'),
      tenants: await db.selectFrom('tenants').selectAll().orderBy('id').execute(),
      connections: await db.selectFrom('salesforce_connections').selectAll().orderBy('tenant_id').execute(),
      mailboxes: await db.selectFrom('mailboxes').selectAll().orderBy('id').execute(),
      providers: await db.selectFrom('mailbox_providers').selectAll().orderBy('id').execute(),
      adminSessions: await db.selectFrom('admin_sessions').selectAll().execute(),
      adminPassword: await db.selectFrom('meta').selectAll().where('key', '=', 'admin_password').execute(),
    };
  };
  const pendingSignIns = async () =>
    Number(
      (
        await env.service.runtime.store.db
          .selectFrom('oauth_states')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it(`answers every unsigned, unauthenticated write without a 5xx, and records or changes nothing (${runs.anonymous} cases)`, async () => {
    const before = await protectedState();
    expect(before.changes + before.jobs).toBe(0);
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(requestArbitrary(context), async (request) => {
        const built = buildRequest(request, context);
        const what = () => describeRequest(request, built);
        const statesBefore = await pendingSignIns();
        const response = await app.request(built.path, built.init);
        const text = await response.text();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.status >= 500 || response.status < 200)
          throw new Error(`${what()}\nanswered ${response.status}: ${text.slice(0, 500)}`);
        expect(
          await protectedState(),
          `${what()}\nanswered ${response.status} and changed something`,
        ).toEqual(before);
        const statesAfter = await pendingSignIns();
        const isConnect = request.method === 'POST' && request.route.template === '/t/{slug}/connect';
        // Anonymous Connect may start one sign-in (and expired ones are cleared); nothing else adds any.
        if (statesAfter > statesBefore && !(isConnect && statesAfter === statesBefore + 1))
          throw new Error(
            `${what()}\nanswered ${response.status} and added ${statesAfter - statesBefore} OAuth state(s)`,
          );
      }),
      { numRuns: runs.anonymous, ...replay },
    );
    // The pending sign-ins Connect may leave stay bounded per tenant.
    expect(await pendingSignIns()).toBeLessThanOrEqual(maxPendingConnects * context.tenants.length);
    // Not a property: a check that the cases got past the first refusals, to every kind of answer.
    if (runs.anonymous >= 1000)
      expect([...statuses.keys()]).toEqual(expect.arrayContaining([303, 400, 401, 403, 404, 413, 415, 429]));
  }, 240_000);

  it(`records a correctly signed random body only as 18-character Event ids, or refuses it and records nothing (${runs.signed} cases)`, async () => {
    const db = env.service.runtime.store.db;
    /** The signed tenant's changes, Events and jobs, counted. */
    const tally = async () => {
      const changes = await db
        .selectFrom('changes')
        .select((eb) => [
          eb.fn.countAll<number>().as('n'),
          eb.fn.count<number>('event_id').distinct().as('events'),
          eb.fn.max('id').as('last'),
        ])
        .where('tenant_id', '=', signedTenant.id)
        .executeTakeFirstOrThrow();
      const jobs = await db
        .selectFrom('jobs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('tenant_id', '=', signedTenant.id)
        .executeTakeFirstOrThrow();
      return {
        changes: Number(changes.n),
        events: Number(changes.events),
        lastChangeId: Number(changes.last ?? 0),
        jobs: Number(jobs.n),
      };
    };
    const changesAfter = (id: number) =>
      db
        .selectFrom('changes')
        .select(['event_id', 'source'])
        .where('tenant_id', '=', signedTenant.id)
        .where('id', '>', id)
        .execute();
    const body = fc.oneof(
      { weight: 4, arbitrary: validDeliveryArbitrary().map((value) => ({ kind: 'json' as const, value })) },
      {
        weight: 8,
        arbitrary: webhookShapedArbitrary(context.now).map((value) => ({ kind: 'json' as const, value })),
      },
      {
        weight: 2,
        arbitrary: fc.jsonValue({ maxDepth: 5 }).map((value) => ({ kind: 'json' as const, value })),
      },
      { weight: 1, arbitrary: trickyJsonTexts.map((text) => ({ kind: 'text' as const, text })) },
      {
        weight: 1,
        arbitrary: fc
          .string({ unit: 'binary', maxLength: 200 })
          .map((text) => ({ kind: 'text' as const, text })),
      },
      { weight: 1, arbitrary: utf16Text(100).map((text) => ({ kind: 'text' as const, text })) },
      { weight: 1, arbitrary: invalidUtf8 },
      {
        weight: 1,
        arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => ({ kind: 'bytes' as const, bytes })),
      },
      {
        weight: 1,
        arbitrary: fc
          .record({ depth: fc.integer({ min: 1, max: 300_000 }), balanced: fc.boolean() })
          .map(({ depth, balanced }) => ({
            kind: 'nested' as const,
            open: '{"events":[',
            close: ']}',
            depth,
            balanced,
          })),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom(webhookCap - 1, webhookCap, webhookCap + 1).map((size) => ({
          kind: 'filler' as const,
          size,
          fill: 'a',
          prefix: '{"events":[{"id":"00U5g00000AbCdEEAV","changeType":"CREATE"}],"pad":"',
        })),
      },
    );
    const contentType = fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'Application/JSON; charset="UTF-8"; version=2',
    );
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(body, contentType, fc.uuid(), async (spec: BodySpec, type, requestId) => {
        // A fresh minute for each delivery, so the tenant's rate limit does not answer them all.
        env.advance(61_000);
        const bytes = bodyBytes(spec, undefined);
        const timestamp = String(Math.floor(context.now() / 1000));
        const signature = signWebhook(signedTenant.webhookSecret, timestamp, asServerText(bytes));
        const path = `/t/${signedTenant.slug}/hooks/salesforce`;
        const headers = {
          'content-type': type,
          'x-request-id': requestId,
          'x-instant-sync-client-id': signedTenant.clientId,
          'x-instant-sync-timestamp': timestamp,
          'x-instant-sync-signature': signature,
        };
        const preview = asServerText((bytes ?? new Uint8Array()).subarray(0, 300));
        const what = `POST ${path} (${type}), validly signed, body of ${bytes?.length ?? 0} bytes (${spec.kind}): ${JSON.stringify(preview)}`;
        const before = await tally();
        const response = await app.request(path, {
          method: 'POST',
          headers,
          ...(bytes === undefined ? {} : { body: bytes }),
        });
        const answer = await response.text();
        const after = await tally();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.status === 202) {
          const counts = JSON.parse(answer) as { recorded: number };
          const added = await changesAfter(before.lastChangeId);
          expect(added.length, `${what}\nrecorded a different number than it said: ${answer}`).toBe(
            counts.recorded,
          );
          // Only well-formed 18-character Event ids the body named, as webhook changes.
          const named = eventIdsNamedIn(asServerText(bytes));
          for (const change of added) {
            if (
              change.event_id.length !== 18 ||
              !change.event_id.startsWith('00U') ||
              normalizeEventId(change.event_id) !== change.event_id ||
              !named.has(change.event_id) ||
              change.source !== 'webhook'
            )
              throw new Error(
                `${what}\nrecorded the Event id ${JSON.stringify(change.event_id)} from ${change.source}`,
              );
          }
          // One job per Event recorded.
          expect(after.jobs, `${what}\njobs and recorded Events differ`).toBe(after.events);
          return;
        }
        if (response.status < 400 || response.status >= 500)
          throw new Error(`${what}\nanswered ${response.status}: ${answer.slice(0, 500)}`);
        expect(
          after,
          `${what}\nanswered ${response.status} and recorded something: ${answer.slice(0, 300)}`,
        ).toEqual(before);
      }),
      { numRuns: runs.signed, ...replay },
    );
    // Not a property: a check that the bodies were both accepted and refused.
    const seen = JSON.stringify(Object.fromEntries(statuses));
    expect(statuses.get(202) ?? 0, `answers: ${seen}`).toBeGreaterThan(0);
    expect(statuses.get(400) ?? 0, `answers: ${seen}`).toBeGreaterThan(0);
  }, 120_000);
}

/** Signs in with the token and out again: the cookie of a session that has ended. */
async function signInAndOut(app: Hono): Promise<string> {
  const csrf = 'c'.repeat(40);
  const signIn = await app.request('/admin/login', {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie: `is_csrf=${csrf}`,
      'x-forwarded-for': '203.0.113.250',
    },
    body: new URLSearchParams({ csrf, secret: adminToken }).toString(),
  });
  const session = /is_admin=([^;]+)/.exec(signIn.headers.get('set-cookie') ?? '')?.[1];
  if (signIn.status !== 303 || session === undefined) throw new Error(`could not sign in: ${signIn.status}`);
  const page = await (await app.request('/admin/', { headers: { cookie: `is_admin=${session}` } })).text();
  const sessionCsrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
  const signOut = await app.request('/admin/logout', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `is_admin=${session}` },
    body: new URLSearchParams({ csrf: sessionCsrf }).toString(),
  });
  const after = await app.request('/admin/', { headers: { cookie: `is_admin=${session}` } });
  if (signOut.status !== 303 || after.status !== 303) throw new Error('could not sign out');
  return session;
}

describeOnBackends(['sqlite'], 'fuzzed writes', (database) =>
  fuzzSuite(database, { anonymous: 2000, signed: 400 }),
);
describeOnBackends(['postgres'], 'fuzzed writes', (database) =>
  fuzzSuite(database, { anonymous: 1000, signed: 200 }),
);
