// When change data capture cannot be used — the org's daily event delivery allocation spent, Event
// not selected for CDC, the Pub/Sub API refusing the subscription — the tenant is polled at the
// faster fallback interval, every place an admin looks says so and why, and CDC comes back by
// itself once it can: after a spent allocation from the latest event (what polling found is not
// delivered again), with a poll over the gap.
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { cdcNode } from '../support/cdc-node.ts';
import type { CdcFallbackReason } from '../../src/intake/cdc/cdc-fallback.ts';
import { type CdcScheduler } from '../../src/intake/cdc/cdc-scheduler.ts';
import { PollingScheduler } from '../../src/intake/polling/polling-scheduler.ts';
import { intakeStatus } from '../../src/intake/intake-status.ts';
import { doctorDeps } from '../../src/main.ts';
import { runDoctor } from '../../src/reports/doctor.ts';
import { createMetrics } from '../../src/reports/metrics.ts';
import type { TenantRow } from '../../src/store/schema.ts';
import { findTenantBySlug } from '../../src/store/tenants-repository.ts';
import { runCliInProcess } from '../support/cli-in-process.ts';
import { startSandboxedService, type SandboxedService } from '../support/sandboxed-service.ts';
import { describeEachBackend } from '../support/test-databases.ts';
import { TestBrowser } from '../support/test-browser.ts';
import { waitFor } from '../support/wait-for.ts';

const token = 'admin-token-0123456789abcdefghij';
const fallbackPollMs = 15_000;

describeEachBackend('CDC fallback to polling', (database) => {
  let env: SandboxedService;
  let tenant: TenantRow;
  const nodes: CdcScheduler[] = [];
  const reconciled: string[] = [];

  beforeAll(async () => {
    env = await startSandboxedService({
      databaseUrl: database.url,
      pubSub: true,
      env: { INSTANT_SYNC_ADMIN_TOKEN: token },
    });
    await env.connectedTenant('acme');
    tenant = (await findTenantBySlug(env.service.runtime.store.db, 'acme'))!;
  });
  afterAll(() => env.close());
  afterEach(async () => {
    for (const node of nodes.splice(0)) await node.stop();
    await waitFor(() => env.sandbox.stats().cdcSubscribers === 0, { what: 'the subscriptions to end' });
    env.sandbox.setCdcDeliveryAllocation(25_000);
    env.sandbox.setCdcEnabled(true);
  });

  const pollerDeps = () => ({
    repos: env.service.runtime.store.repos,
    clock: env.clock,
    logger: env.service.runtime.logger,
    restClient: env.service.runtime.salesforce.restClient,
  });
  function scheduler(
    fallbackRetryMs: Partial<Record<CdcFallbackReason, number>> = {
      'delivery-allocation': 300,
      'not-selected': 300,
      refused: 300,
    },
  ) {
    const node = cdcNode(env, {
      onReconciled: (reason) => reconciled.push(reason),
      readLimits: (tenantId) => env.service.runtime.salesforce.restClient(tenantId).limits(),
      liveAfterMs: 500,
      fallbackRetryMs,
      tickMs: 60_000,
    });
    nodes.push(node);
    return node;
  }
  const polling = () =>
    new PollingScheduler({
      ...pollerDeps(),
      nodeId: 'node-a',
      intervalMs: 60_000,
      fallbackIntervalMs: fallbackPollMs,
      apiBudgetPercent: 90,
    });
  const cdcState = () => env.service.runtime.store.repos.cdcStates.readCdcState(tenant.id);
  const statusNow = () => intakeStatus(env.service.runtime.store.repos, env.service.runtime.config, tenant);
  const sourceOf = async (eventId: string) =>
    (
      await env.service.runtime.store.db
        .selectFrom('changes')
        .select('source')
        .where('event_id', '=', eventId)
        .orderBy('id')
        .executeTakeFirst()
    )?.source;
  const newEvent = (subject: string) =>
    env.sandbox.createEvent(env.ownerId, {
      Subject: subject,
      StartDateTime: '2026-12-07T09:00:00Z',
      DurationInMinutes: 30,
    });

  it('a spent delivery allocation: polls every 15 s instead and says why everywhere, then resumes CDC from the latest event once the allocation frees up', async () => {
    const poller = polling();
    await poller.runDue(); // the first poll only sets the watermark
    const node = scheduler();
    await node.tick();
    await waitFor(async () => (await cdcState())?.state === 'streaming', { what: 'CDC streaming' });

    // Two deliveries left: the third Event ends the stream with Salesforce's limit error.
    env.sandbox.setCdcDeliveryAllocation(env.sandbox.cdcDeliveryAllocation().used + 2);
    const events = [newEvent('One'), newEvent('Two'), newEvent('Three'), newEvent('Four')];
    const paused = await waitFor(
      async () => {
        const state = await cdcState();
        return state?.state === 'polling' ? state : undefined;
      },
      { what: 'the tenant polled instead of CDC' },
    );
    expect(paused).toMatchObject({
      reason: 'delivery-allocation',
      detail: expect.stringContaining('You have exceeded the event delivery limit for your org.') as unknown,
    });
    expect(await sourceOf(events[0]!.Id)).toBe('cdc');
    expect(await sourceOf(events[3]!.Id)).toBeUndefined();

    // Polled at the fallback interval, not the usual minute: the rest arrive by polling.
    env.advance(fallbackPollMs);
    await poller.runDue();
    expect(await sourceOf(events[3]!.Id)).toBe('poll');

    // Said everywhere: the intake status the pages show, `status`, `doctor`, /metrics.
    const status = await waitFor(async () => {
      const s = await statusNow();
      return s.limits?.deliveries === undefined ? undefined : s;
    });
    expect(status).toMatchObject({
      cdc: 'polling',
      pollEveryMs: fallbackPollMs,
      fallback: { reason: 'delivery-allocation', label: 'delivery allocation spent' },
    });
    expect(status.summary).toMatch(
      /^polling every 15 s instead of CDC: the org's daily event delivery allocation is spent/,
    );
    expect(status.limits?.deliveries?.used).toBe(status.limits?.deliveries?.max);
    expect(status.limits?.api?.max).toBe(100_000);

    const cli = await runCliInProcess(['status'], env.service.env);
    expect(cli.stdout).toMatch(/acme .*polling every 15 s \(CDC paused: delivery allocation spent\)/);
    expect(cli.stdout).toContain('Salesforce: You have exceeded the event delivery limit for your org.');

    const checks = Object.fromEntries(
      (await runDoctor(doctorDeps(env.service.runtime), 'acme')).map((c) => [c.name, c]),
    );
    expect(checks['Event deliveries']).toMatchObject({ result: 'warn' });
    expect(checks['Event deliveries']?.detail).toMatch(/^(\d+) of \1 change and platform events delivered/);
    expect(checks['Change data capture (service)']).toMatchObject({
      result: 'warn',
      fix: expect.stringContaining('Platform Events add-on') as unknown,
    });

    const metrics = await createMetrics(env.service.runtime.store.repos, { sent: 0 }, () =>
      env.clock.now(),
    ).render();
    expect(metrics).toContain(
      `instant_sync_cdc_fallback{tenant="${tenant.id}",reason="delivery-allocation"} 1`,
    );
    expect(metrics).toContain(`instant_sync_salesforce_event_deliveries_used_ratio{tenant="${tenant.id}"} 1`);

    const browser = new TestBrowser();
    await browser.submit(await browser.get(`${env.service.url}/admin/`), {
      button: /Sign in/,
      fields: { secret: token },
    });
    const overview = await browser.get(`${env.service.url}/admin/`);
    expect(overview.html).toContain('CDC paused: delivery allocation spent');
    const page = await browser.get(`${env.service.url}/admin/tenants/acme`);
    expect(page.html).toContain('polling every 15 s instead of CDC');
    expect(page.html).toContain('You have exceeded the event delivery limit for your org.');
    expect(page.html).toMatch(/API requests today: [\d,]+ of 100,000/);
    // The tenant's own page, to whoever connected it (signed in by Connect).
    const own = await env.reconnect('acme');
    expect(own.html).toContain('polling every 15 s instead of CDC');
    expect(own.html).toMatch(
      /events delivered to API subscribers, last 24 hours:\s+([\d,]+) of \1 \(100 %\)/,
    );

    // While none is free, CDC is not tried: the limits say so first.
    const asked = env.sandbox.stats().cdcFetchRequests;
    await waitFor(async () => {
      const state = await cdcState();
      return state !== undefined && state.updated_at > paused.updated_at;
    });
    expect(env.sandbox.stats().cdcFetchRequests).toBe(asked);

    // Freed: CDC resumes from the latest event, with a poll over the gap; nothing is delivered twice.
    env.sandbox.setCdcDeliveryAllocation(25_000);
    const usedBefore = env.sandbox.cdcDeliveryAllocation().used;
    await waitFor(async () => (await cdcState())?.state === 'streaming', { what: 'CDC back' });
    await waitFor(() => reconciled.includes('CDC resumed from the latest event'), {
      what: 'a poll over the gap',
    });
    const after = newEvent('After');
    await waitFor(async () => (await sourceOf(after.Id)) === 'cdc', { what: 'a new Event by CDC' });
    expect(env.sandbox.cdcDeliveryAllocation().used - usedBefore).toBe(1);
    expect((await statusNow()).cdc).toBe('streaming');
  });

  it('Event not selected for CDC: polls instead and says what to select, and streams again once Event is selected', async () => {
    env.sandbox.setCdcEnabled(false);
    const node = scheduler();
    await node.tick();
    await waitFor(async () => (await cdcState())?.reason === 'not-selected', { what: 'not-selected' });
    const status = await statusNow();
    expect(status.fallback?.fix).toContain('Setup → Change Data Capture, select Event');
    expect(status.fallback?.detail).toMatch(/not found/);

    env.sandbox.setCdcEnabled(true);
    await waitFor(async () => (await cdcState())?.state === 'streaming', { what: 'CDC back' });
    const later = newEvent('Selected again');
    await waitFor(async () => (await sourceOf(later.Id)) === 'cdc', { what: 'a new Event by CDC' });
  });

  it('three refusals in a row: polls instead with the refusal in Salesforce’s words, and streams again when the API accepts', async () => {
    const node = scheduler();
    await node.tick();
    await waitFor(async () => (await cdcState())?.state === 'streaming', { what: 'CDC streaming' });
    // The refusal Salesforce's Pub/Sub API gives a caller over its connection limit.
    env.sandbox.pubSubOutage(10_000, {
      code: 'RESOURCE_EXHAUSTED',
      details:
        "The service received too many connections and doesn't have the resources to accept new connections.",
    });
    const refused = await waitFor(
      async () => {
        const state = await cdcState();
        return state?.reason === 'refused' ? state : undefined;
      },
      { what: 'refused' },
    );
    expect(refused.detail).toContain('The service received too many connections');
    await waitFor(async () => (await cdcState())?.state === 'streaming', {
      what: 'CDC back',
      timeoutMs: 30_000,
    });
  });

  it('an outage (the stream broken three times in a row): polls meanwhile, and tries CDC again as the reconnect backoff goes, not a minute later', async () => {
    const node = scheduler({}); // the waits a running service uses
    await node.tick();
    await waitFor(async () => (await cdcState())?.state === 'streaming', { what: 'CDC streaming' });
    env.sandbox.pubSubOutage(10_000); // refused with UNAVAILABLE meanwhile
    const broken = await waitFor(
      async () => {
        const state = await cdcState();
        return state?.reason === 'refused' ? state : undefined;
      },
      { what: 'polling instead' },
    );
    // CDC is tried again after the backoff: 2–4 s after the third break (4–8 s after a fourth),
    // not a minute later as it was.
    expect(Number(broken.retry_at) - Number(broken.updated_at)).toBeLessThanOrEqual(8000);
    // Back well before a minute, even with a break or two more while the outage lasts.
    await waitFor(async () => (await cdcState())?.state === 'streaming', {
      what: 'CDC back after the outage',
      timeoutMs: 40_000,
    });
  });

  it('polls a tenant at the fallback interval only while CDC cannot be used and the API budget allows', async () => {
    const { repos } = env.service.runtime.store;
    const poller = polling();
    env.advance(60_000);
    await poller.runDue(); // a poll now: the intervals count from here
    const polledAt = async () =>
      (await repos.intakePositions.listPositions(tenant.id)).find((p) => p.source === 'poll')?.updatedAt;
    const save = (state: string) =>
      repos.cdcStates.saveCdcState({
        tenant_id: tenant.id,
        state,
        reason: state === 'polling' ? 'not-selected' : null,
        detail: null,
        since: env.clock.now(),
        retry_at: null,
        now: env.clock.now(),
      });
    const pollsAfter = async (ms: number) => {
      const before = await polledAt();
      env.advance(ms);
      await poller.runDue();
      return (await polledAt()) !== before;
    };

    await save('streaming');
    expect(await pollsAfter(fallbackPollMs)).toBe(false);
    expect(await pollsAfter(60_000 - fallbackPollMs)).toBe(true);

    await save('polling');
    expect(await pollsAfter(fallbackPollMs)).toBe(true);

    // Over the API budget (90 %): the usual interval, leaving the org's API to its own users.
    await repos.cdcStates.saveOrgLimits({
      tenant_id: tenant.id,
      api_max: 100_000,
      api_remaining: 5_000,
      deliveries_max: 25_000,
      deliveries_remaining: 0,
      read_at: env.clock.now(),
    });
    expect(await pollsAfter(fallbackPollMs)).toBe(false);
    expect((await statusNow()).pollEveryMs).toBe(60_000);
    await repos.cdcStates.saveOrgLimits({
      tenant_id: tenant.id,
      api_max: 100_000,
      api_remaining: 90_000,
      deliveries_max: 25_000,
      deliveries_remaining: 25_000,
      read_at: env.clock.now(),
    });
    await save('streaming');
  });
});
