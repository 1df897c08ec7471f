// The signed webhook as a caller meets it: every refusal is a JSON error that records nothing;
// a valid delivery records each change once and one job per Event, even when delivered twice,
// under the Event's 18-character id whichever form it was sent in.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli-in-process.ts';
import { generateSecretKey } from '../../src/lib/secret-box.ts';
import { tenantCreationDeps } from '../../src/main.ts';
import { signWebhook } from '../../src/intake/webhook/webhook-delivery.ts';
import { createTenant, type CreatedTenant } from '../../src/tenants/create-tenant.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { startServiceUnderTest, type ServiceUnderTest } from '../support/service-under-test.ts';
import { describeEachBackend } from '../support/test-databases.ts';

describeEachBackend('signed webhook', (database) => {
  let service: ServiceUnderTest;
  let clock: ManualClock;
  let tenant: CreatedTenant;

  beforeAll(async () => {
    clock = new ManualClock(Date.now());
    service = await startServiceUnderTest({
      databaseUrl: database.url,
      clock,
      secretKey: generateSecretKey().toString('base64'),
    });
    tenant = await createTenant(tenantCreationDeps(service.runtime), { slug: 'acme' });
  });
  afterAll(() => service.close());

  function deliver(
    body: string,
    overrides: {
      timestamp?: string;
      signature?: string;
      clientId?: string;
      slug?: string;
      /** null: no Content-Type header at all. */
      contentType?: string | null;
    } = {},
  ) {
    const timestamp = overrides.timestamp ?? String(Math.floor(clock.now() / 1000));
    const contentType = overrides.contentType === undefined ? 'application/json' : overrides.contentType;
    return fetch(`${service.url}/t/${overrides.slug ?? 'acme'}/hooks/salesforce`, {
      method: 'POST',
      headers: {
        ...(contentType === null ? {} : { 'content-type': contentType }),
        'x-instant-sync-client-id': overrides.clientId ?? tenant.clientId,
        'x-instant-sync-timestamp': timestamp,
        'x-instant-sync-signature': overrides.signature ?? signWebhook(tenant.webhookSecret, timestamp, body),
      },
      // Bytes, because fetch gives a string body a text/plain Content-Type of its own.
      body: Buffer.from(body),
    });
  }

  const signedNow = (body: string) => {
    const timestamp = String(Math.floor(clock.now() / 1000));
    return { timestamp, signature: signWebhook(tenant.webhookSecret, timestamp, body) };
  };

  const answerOf = async (response: Response) => {
    const json = (await response.json()) as { error?: { code: string } };
    return [response.status, json.error?.code ?? json] as const;
  };

  const storedIds = async (table: 'changes' | 'jobs') =>
    (
      await service.runtime.store.db
        .selectFrom(table)
        .select('event_id')
        .where('tenant_id', '=', tenant.id)
        .orderBy('event_id')
        .execute()
    ).map((row) => row.event_id);

  const recorded = async () => ({
    changes: (
      await service.runtime.store.db
        .selectFrom('changes')
        .selectAll()
        .where('tenant_id', '=', tenant.id)
        .execute()
    ).length,
    jobs: (
      await service.runtime.store.db
        .selectFrom('jobs')
        .selectAll()
        .where('tenant_id', '=', tenant.id)
        .execute()
    ).length,
  });

  it('refuses every bad delivery with a JSON error and records nothing', async () => {
    const body = JSON.stringify({ events: [{ id: '00U5g00000AbCdEEAV', changeType: 'CREATE' }] });
    const stale = String(Math.floor((clock.now() - 5 * 60_000 - 1000) / 1000));
    const cases: [Promise<Response>, number, string][] = [
      [
        deliver(body, {
          signature: signWebhook('whsec_wrong', String(Math.floor(clock.now() / 1000)), body),
        }),
        401,
        'bad_signature',
      ],
      [
        deliver(body, { timestamp: stale, signature: signWebhook(tenant.webhookSecret, stale, body) }),
        401,
        'stale_timestamp',
      ],
      [deliver(body, { clientId: '1234567890' }), 401, 'unknown_client'],
      [deliver(body, { slug: 'nobody' }), 404, 'unknown_tenant'],
      [
        deliver(
          JSON.stringify({
            events: [{ id: 'x'.repeat(18), changeType: 'CREATE' }],
            pad: 'x'.repeat(1024 * 1024),
          }),
        ),
        413,
        'too_large',
      ],
      [deliver('{ "events": [ '), 400, 'malformed_json'],
      [deliver(JSON.stringify({ events: [] })), 400, 'malformed_body'],
      [
        deliver(JSON.stringify({ events: [{ id: '001000000000001AAA', changeType: 'CREATE' }] })),
        400,
        'malformed_event',
      ],
      [
        deliver(JSON.stringify({ events: [{ id: '00U5g00000AbCdEEAV', changeType: 'TOUCH' }] })),
        400,
        'malformed_event',
      ],
      [
        deliver(
          JSON.stringify({
            events: [
              {
                id: '00U5g00000AbCdEEAV',
                changeType: 'UPDATE',
                systemModstamp: new Date(clock.now() + 5 * 60_000 + 1000).toISOString(),
              },
            ],
          }),
        ),
        400,
        'malformed_event',
      ],
      [
        deliver(
          JSON.stringify({
            events: [
              { id: '00U5g00000AbCdEEAV', changeType: 'UPDATE', systemModstamp: '2099-01-01T00:00:00.000Z' },
            ],
          }),
        ),
        400,
        'malformed_event',
      ],
    ];
    for (const [response, status, code] of cases) {
      const answer = await response;
      expect([answer.status, ((await answer.json()) as { error: { code: string } }).error.code]).toEqual([
        status,
        code,
      ]);
    }
    expect(await recorded()).toEqual({ changes: 0, jobs: 0 });
  });

  it('records a valid delivery once, with one job per Event, however often it is delivered', async () => {
    const body = JSON.stringify({
      events: [
        { id: '00U5g00000AbCdEEAV', changeType: 'CREATE' },
        {
          id: '00U5g00000AbCdEEAV',
          changeType: 'UPDATE',
          systemModstamp: new Date(clock.now()).toISOString(),
        },
        { id: '00U5g00000XyZwVEAV', changeType: 'DELETE' },
      ],
    });
    const timestamp = String(Math.floor(clock.now() / 1000));
    const first = await deliver(body, { timestamp });
    expect(first.status).toBe(202);
    expect(await first.json()).toEqual({ received: 3, recorded: 3, duplicates: 0 });
    const again = await deliver(body, { timestamp });
    expect(await again.json()).toEqual({ received: 3, recorded: 0, duplicates: 3 });
    expect(await recorded()).toEqual({ changes: 3, jobs: 2 });
  });

  it('refuses a body whose Content-Type is not JSON (415) before reading it', async () => {
    const before = await recorded();
    const body = JSON.stringify({ events: [{ id: '00U5g000001ABCDEA4', changeType: 'CREATE' }] });
    const huge = JSON.stringify({
      events: [{ id: '00U5g000001ABCDEA4', changeType: 'CREATE' }],
      pad: 'x'.repeat(2 * 1024 * 1024),
    });
    for (const contentType of [
      'text/plain',
      'text/plain;charset=UTF-8',
      null,
      '',
      'application/x-www-form-urlencoded',
      'application/jsonp',
      'application/json-patch+json',
      'application/problem+json',
      'multipart/form-data; boundary=x',
    ]) {
      const answer = await deliver(body, { contentType });
      expect([contentType, ...(await answerOf(answer))]).toEqual([
        contentType,
        415,
        'unsupported_media_type',
      ]);
    }
    // Refused before its megabytes are read: the type, not the size, is what the caller hears of.
    expect(await answerOf(await deliver(huge, { contentType: 'text/plain' }))).toEqual([
      415,
      'unsupported_media_type',
    ]);
    expect(await recorded()).toEqual(before);
  });

  it('refuses a signature that is not exactly 64 hex characters (sha256= allowed), however it starts', async () => {
    const before = await recorded();
    const body = JSON.stringify({ events: [{ id: '00U5g000001ABCDEA4', changeType: 'CREATE' }] });
    const { timestamp, signature } = signedNow(body);
    for (const forged of [
      `${signature}zz`,
      `${signature}0`,
      `${signature}00`,
      `sha256=${signature}zz`,
      `sha256=sha256=${signature}`,
      `SHA256=${signature}`,
      `sha256:${signature}`,
      signature.slice(0, 63),
      `${signature.slice(0, 63)}g`,
      `${signature},${signature}`,
      '',
    ]) {
      const answer = await deliver(body, { timestamp, signature: forged });
      expect([forged, ...(await answerOf(answer))]).toEqual([forged, 401, 'bad_signature']);
    }
    expect(await recorded()).toEqual(before);
  });

  it('refuses changeType values that name members of every JavaScript object (400, not 500)', async () => {
    const before = await recorded();
    for (const changeType of [
      'constructor',
      '__proto__',
      'toString',
      'hasOwnProperty',
      'valueOf',
      'create',
    ]) {
      const answer = await deliver(JSON.stringify({ events: [{ id: '00U5g000001ABCDEA4', changeType }] }));
      expect([changeType, ...(await answerOf(answer))]).toEqual([changeType, 400, 'malformed_event']);
    }
    // Fields read only from the object itself, never from what it inherits.
    const inherited = [
      ['{"__proto__": {"events": [{"id": "00U5g000001ABCDEA4", "changeType": "CREATE"}]}}', 'malformed_body'],
      [
        '{"events": [{"__proto__": {"id": "00U5g000001ABCDEA4", "changeType": "CREATE"}}]}',
        'malformed_event',
      ],
      ['{"events": [["00U5g000001ABCDEA4", "CREATE"]]}', 'malformed_event'],
      [
        '{"events": [{"id": "00U5g000001ABCDEA4", "changeType": "CREATE"}], "deliveryId": {}}',
        'malformed_body',
      ],
      // A delivery id must be storable and comparable as it is: printable ASCII only.
      [
        '{"events": [{"id": "00U5g000001ABCDEA4", "changeType": "CREATE"}], "deliveryId": "a\\u0000b"}',
        'malformed_body',
      ],
      [
        '{"events": [{"id": "00U5g000001ABCDEA4", "changeType": "CREATE"}], "deliveryId": "a\\ud800"}',
        'malformed_body',
      ],
    ] as const;
    for (const [body, code] of inherited) {
      expect([body, ...(await answerOf(await deliver(body)))]).toEqual([body, 400, code]);
    }
    expect(await recorded()).toEqual(before);
  });

  it('refuses an 18-character id whose last 3 characters do not match its case (lowercased, retyped)', async () => {
    const before = await recorded();
    for (const id of [
      '00U5g000001abcdea4',
      '00u5g000001abcdea4',
      '00U5g000001ABCDAAA',
      '00U5g000001ABCDea4',
    ]) {
      const answer = await deliver(JSON.stringify({ events: [{ id, changeType: 'UPDATE' }] }));
      expect([id, ...(await answerOf(answer))]).toEqual([id, 400, 'malformed_event']);
    }
    expect(await recorded()).toEqual(before);
  });

  it('accepts JSON with parameters and in any case, and a signature in upper- or lower-case hex, with or without sha256=', async () => {
    const accepted: unknown[] = [];
    const cases = [
      ['application/json; charset=utf-8', (sig: string) => sig],
      ['Application/JSON', (sig: string) => sig.toUpperCase()],
      ['application/json;charset=UTF-8', (sig: string) => `sha256=${sig}`],
      ['APPLICATION/JSON ; charset="utf-8"', (sig: string) => `sha256=${sig.toUpperCase()}`],
    ] as const;
    for (const [index, [contentType, shape]] of cases.entries()) {
      const body = JSON.stringify({
        deliveryId: `formats-${index}`,
        events: [{ id: '00U5g000001ABCDEA4', changeType: 'UPDATE' }],
      });
      const { timestamp, signature } = signedNow(body);
      const answer = await deliver(body, { timestamp, signature: shape(signature), contentType });
      accepted.push([contentType, ...(await answerOf(answer))]);
    }
    expect(accepted).toEqual(
      cases.map(([contentType]) => [contentType, 202, { received: 1, recorded: 1, duplicates: 0 }]),
    );
  });

  it('ignores fields it does not know, in the body and in each event, so newer packages keep working', async () => {
    const body = JSON.stringify({
      deliveryId: 'newer-package',
      packageVersion: '3.0',
      events: [
        {
          id: '00U5g000001ABCDEA4',
          changeType: 'UPDATE',
          subject: 'Kick-off',
          changedFields: ['Subject'],
          __proto__: 'ignored too',
        },
      ],
    });
    expect(await answerOf(await deliver(body))).toEqual([202, { received: 1, recorded: 1, duplicates: 0 }]);
  });

  it('stores a 15-character id as its 18-character form, found by trace under either', async () => {
    const short = '00U5g00000Kq7Rz';
    const long = '00U5g00000Kq7RzEAJ';
    const body = JSON.stringify({
      deliveryId: 'short-ids',
      events: [
        { id: short, changeType: 'CREATE' },
        // The same Event in its other form is the same change: one dedupe key, one job.
        { id: long, changeType: 'CREATE' },
      ],
    });
    expect(await answerOf(await deliver(body))).toEqual([202, { received: 2, recorded: 1, duplicates: 1 }]);
    expect((await storedIds('changes')).filter((id) => id.startsWith(short))).toEqual([long]);
    expect((await storedIds('jobs')).filter((id) => id.startsWith(short))).toEqual([long]);

    const byShort = await runCliInProcess(['trace', short, '--json'], service.env);
    const byLong = await runCliInProcess(['trace', long, '--json'], service.env);
    expect(byShort.code).toBe(0);
    expect(byShort.stdout).toBe(byLong.stdout);
    expect(JSON.parse(byShort.stdout)).toEqual([
      expect.objectContaining({
        tenant: 'acme',
        eventId: long,
        entries: [expect.objectContaining({ step: 'received', message: 'create from webhook' })],
      }),
    ]);
  });

  it("trace never tells another Event's story for an id that differs only in case", async () => {
    const body = JSON.stringify({ events: [{ id: '00U5g00000Mn4Tq', changeType: 'CREATE' }] });
    expect((await answerOf(await deliver(body)))[0]).toBe(202);
    // Another Event (15-character ids are case-sensitive): nothing is known of it.
    const other = await runCliInProcess(['trace', '00U5g00000mn4tq'], service.env);
    expect(other).toMatchObject({ code: 1, stdout: '' });
    expect(other.stderr).toContain('nothing is known of Event 00U5g00000mn4tqEAA');
    // Not an id at all: its suffix says its case was changed.
    const lowered = await runCliInProcess(['trace', '00U5g00000mn4tqeaj'], service.env);
    expect(lowered).toMatchObject({ code: 2, stdout: '' });
    expect(lowered.stderr).toContain('its last 3 characters do not match the case of its first 15');
  });
});
