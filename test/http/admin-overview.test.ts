// The admin overview with a thousand tenants: a page of 50 at a time, searched by slug or name,
// in the order asked, with the way to the next and previous pages; only the page's tenants are
// read. Over real HTTP, signed in with the admin token.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSyncedService, type SyncedService } from '../support/synced-service.ts';
import { describeEachBackend } from '../support/test-databases.ts';
import { TestBrowser } from '../support/test-browser.ts';

const token = 'admin-token-0123456789abcdefghij';

describeEachBackend('the admin overview with 1,000 tenants', (database) => {
  let synced: SyncedService;
  let url: string;
  let browser: TestBrowser;

  beforeAll(async () => {
    synced = await startSyncedService({
      databaseUrl: database.url,
      env: { INSTANT_SYNC_ADMIN_TOKEN: token },
    });
    url = synced.env.service.url;
    const { db } = synced.env.service.runtime.store;
    const tenants = Array.from({ length: 1000 }, (_, i) => {
      const n = String(i).padStart(4, '0');
      return {
        id: `00000000-0000-4000-8000-00000000${n}`,
        slug: `org-${n}`,
        name: i === 617 ? 'Globex 100% Corporation' : `Org ${n}`,
        client_id: String(1_000_000_000 + i),
        webhook_secret_sealed: 'v1.test.not-a-real-secret',
        settle_window_ms: 500,
        created_at: i,
        updated_at: i,
      };
    });
    for (let i = 0; i < tenants.length; i += 200) {
      const chunk = tenants.slice(i, i + 200);
      await db.insertInto('tenants').values(chunk).execute();
      await db
        .insertInto('salesforce_connections')
        .values(
          chunk.map((t) => ({
            tenant_id: t.id,
            state: 'disconnected' as const,
            auth_flow: 'web_server' as const,
            login_url: 'https://login.salesforce.com',
            updated_at: 0,
          })),
        )
        .execute();
    }
    browser = new TestBrowser();
    await browser.submit(await browser.get(`${url}/admin/`), {
      button: /Sign in/,
      fields: { secret: token },
    });
  }, 120_000);
  afterAll(() => synced?.close());

  /** The tenant slugs the overview page at `path` lists, in order, and its "Tenants a–b of n" line. */
  const overview = async (path: string) => {
    const page = await browser.get(`${url}${path}`);
    const slugs = [...page.html.matchAll(/<a href="\/admin\/tenants\/([^"]+)">/g)].map((m) => m[1]);
    const range = /Tenants ([\d,]+)–([\d,]+) of\s+([\d,]+)/.exec(page.html)?.slice(1) ?? [];
    return { page, slugs, range, next: /rel="next"/.test(page.html), previous: /rel="prev"/.test(page.html) };
  };

  it('shows 50 tenants a page, by name, with the way to the next', async () => {
    const first = await overview('/admin/');
    expect(first.slugs).toHaveLength(50);
    // The sandboxed service's own tenant (acme) sorts first by name; then the seeded ones.
    expect(first.slugs.slice(0, 3)).toEqual(['acme', 'org-0617', 'org-0000']);
    expect(first.range).toEqual(['1', '50', '1,001']);
    expect([first.previous, first.next]).toEqual([false, true]);

    const last = await overview('/admin/?page=21');
    expect(last.slugs).toEqual(['org-0999']);
    expect(last.range).toEqual(['1,001', '1,001', '1,001']);
    expect([last.previous, last.next]).toEqual([true, false]);
  });

  it('finds tenants by slug or name, any case, reading % as itself', async () => {
    expect((await overview('/admin/?q=GLOBEX')).slugs).toEqual(['org-0617']);
    expect((await overview('/admin/?q=org-099')).slugs).toEqual(
      Array.from({ length: 10 }, (_, i) => `org-099${i}`),
    );
    expect((await overview(`/admin/?q=${encodeURIComponent('100%')}`)).slugs).toEqual(['org-0617']);
    const none = await overview(`/admin/?q=${encodeURIComponent('%_none')}`);
    expect(none.slugs).toEqual([]);
    expect(none.page.html).toContain('No tenant matches “%_none”');
  });

  it('orders by slug or newest first, and keeps the search and order across pages', async () => {
    expect((await overview('/admin/?sort=newest')).slugs.slice(0, 2)).toEqual(['acme', 'org-0999']);
    const bySlug = await overview('/admin/?sort=slug&q=org&page=2');
    expect(bySlug.slugs[0]).toBe('org-0050');
    expect(bySlug.page.html).toMatch(/href="\/admin\/\?q=org&amp;sort=slug&amp;page=3"\s+rel="next"/);
    // Nonsense in the query string is the defaults, not an error.
    const odd = await overview('/admin/?sort=evil&page=-3');
    expect([odd.page.status, odd.slugs.length]).toEqual([200, 50]);
  });

  it('orders the busiest first: by dead letters, by queued jobs, by syncs of the last 24 hours', async () => {
    const { db } = synced.env.service.runtime.store;
    const now = synced.env.clock.now();
    const id = (n: number) => `00000000-0000-4000-8000-00000000${String(n).padStart(4, '0')}`;
    const job = (n: number, eventId: string, state: 'waiting' | 'running' | 'dead') => ({
      tenant_id: id(n),
      event_id: eventId,
      state,
      run_at: now,
      attempts: 0,
      first_change_at: now,
      last_error: null,
      created_at: now,
      updated_at: now,
      lease_owner: state === 'running' ? 'worker-1' : null,
      lease_expires_at: state === 'running' ? now + 60_000 : null,
    });
    await db
      .insertInto('jobs')
      .values([
        job(500, 'E1', 'dead'),
        job(500, 'E2', 'dead'),
        job(42, 'E3', 'dead'),
        job(300, 'E4', 'waiting'),
        job(300, 'E5', 'running'),
        job(301, 'E6', 'waiting'),
      ])
      .execute();
    const minute = (n: number, at: number, syncs: number) => ({
      tenant_id: id(n),
      at,
      syncs,
      p50_ms: 500,
      p95_ms: 900,
    });
    await db
      .insertInto('sync_minutes')
      .values([
        minute(700, now - 3_600_000, 4),
        minute(700, now - 7_200_000, 3),
        minute(800, now - 60_000, 5),
        // Two days ago: not in the last 24 hours.
        minute(900, now - 2 * 86_400_000, 50),
      ])
      .execute();
    expect((await overview('/admin/?sort=dead')).slugs.slice(0, 3)).toEqual(['org-0500', 'org-0042', 'acme']);
    expect((await overview('/admin/?sort=queued')).slugs.slice(0, 2)).toEqual(['org-0300', 'org-0301']);
    const bySyncs = await overview('/admin/?sort=synced');
    expect(bySyncs.slugs.slice(0, 2)).toEqual(['org-0700', 'org-0800']);
    expect(bySyncs.page.html).toContain('<option value="synced" selected');
  });
});
