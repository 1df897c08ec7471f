// The admin pages in headless Chromium, as an operator uses them: sign in; see the tenant
// Connected; Disconnect it, then Connect again through the sandbox org's login and consent pages;
// find a dead-lettered Event, open its story, press Sync again and see it synced; change a setting
// and have a bad value refused with a message. With SCREENSHOTS=1 (npm run screenshots) the main
// pages are saved under docs/img/ for the README.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSyncWorker, tenantCreationDeps } from '../../src/main.ts';
import { createTenant } from '../../src/tenants/create-tenant.ts';
import { recordQueueDepth } from '../../src/reports/queue-history.ts';
import { seedDeadJob } from '../support/seed-dead-job.ts';
import { launchChromium, describeInChromium } from '../support/chromium.ts';
import { startSyncedService, type SyncedService } from '../support/synced-service.ts';
import { TestDatabase } from '../support/test-databases.ts';

const token = 'browser-admin-token-0123456789abcdef';
const screenshots =
  process.env['SCREENSHOTS'] === '1' ? fileURLToPath(new URL('../../docs/img/', import.meta.url)) : undefined;

describeInChromium('admin pages in Chromium', () => {
  const database = new TestDatabase('sqlite');
  let synced: SyncedService;
  let browser: Browser;
  let page: Page;
  let url: string;

  beforeAll(async () => {
    await database.create();
    synced = await startSyncedService({
      databaseUrl: database.url,
      env: { INSTANT_SYNC_ADMIN_TOKEN: token },
    });
    url = synced.env.service.url;
    browser = await launchChromium();
    // axe-core runs in pages of a context of their own (its AxeBuilder refuses browser.newPage's).
    // A viewer in New York: the pages' times show in the browser's own zone.
    page = await (
      await browser.newContext({
        viewport: { width: 1280, height: 800 },
        timezoneId: 'America/New_York',
        locale: 'en-US',
      })
    ).newPage();
    if (screenshots !== undefined) mkdirSync(screenshots, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await synced?.close();
    await database.drop();
  });

  const shot = async (name: string) => {
    if (screenshots !== undefined)
      await page.screenshot({ path: `${screenshots}${name}.png`, fullPage: true });
  };
  /** What axe-core finds serious or critical on the page as it is now, as readable lines (none expected). */
  const accessibilityProblems = async () =>
    (await new AxeBuilder({ page }).analyze()).violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map(
        (v) =>
          `${page.url()}: ${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
      );
  const problems: string[] = [];

  it('signs in and runs the operator’s journey', async () => {
    // Some activity for the numbers and the pictures: the engine syncs a few Events every few hours
    // of the test clock, each some hundreds of milliseconds after its change.
    const { sandbox, ownerId } = synced.env;
    const { runtime } = synced.env.service;
    const worker = createSyncWorker(runtime);
    const subjects = ['Pipeline review', 'Demo with Globex', 'Contract walkthrough', 'Kick-off with Initech'];
    for (let round = 0; round < 8; round++) {
      synced.env.advance(3 * 3_600_000);
      for (const subject of subjects) {
        const id = String(
          sandbox.createEvent(ownerId, {
            Subject: `${subject} ${round}`,
            StartDateTime: '2026-12-01T09:00:00Z',
            DurationInMinutes: 30,
          }).Id,
        );
        await runtime.queue.enqueue({ tenantId: synced.tenantId, eventId: id }, { delayMs: 0 });
        synced.env.advance(90 + round * 40);
      }
      synced.env.advance(400);
      // A queue-depth sample while the round's Events wait (serve takes one a minute).
      await recordQueueDepth(runtime.store.repos, synced.env.clock.now());
      await worker.runOnce();
    }

    // The browser's clock is the service's (the test's), so "5 min ago" means what it says.
    await page.clock.setFixedTime(synced.env.clock.now());
    await page.goto(`${url}/admin/`);
    expect(page.url()).toBe(`${url}/admin/login`);
    problems.push(...(await accessibilityProblems()));
    await page.getByLabel('Admin password or token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${url}/admin/`);
    await expect.poll(() => page.locator('table').innerText()).toMatch(/acme[\s\S]*Connected/);

    await page.reload();
    await shot('admin-overview');
    problems.push(...(await accessibilityProblems()));
    expect(await page.locator('svg[aria-label^="Queue depth, last 24 hours: now 4 queued"]').count()).toBe(1);
    // The overview keeps itself fresh while open: a tenant added meanwhile shows without a reload.
    await createTenant(tenantCreationDeps(runtime), { slug: 'globex' });
    await expect.poll(() => page.locator('main').innerText(), { timeout: 40_000 }).toContain('globex');

    // Disconnect from the admin page, then Connect through the org's login and consent pages.
    await page.getByRole('link', { name: 'acme', exact: true }).click();
    await page.getByRole('button', { name: 'Disconnect' }).click();
    await page.waitForURL(/disconnected=1/);
    await expect.poll(() => page.locator('main').innerText()).toContain('Disconnected.');
    sandbox.setAutoApprove(false);
    await page.goto(`${url}/t/acme/`);
    await page.getByRole('button', { name: /^(Connect|Reconnect)/ }).click();
    await page.getByLabel('Username').fill('rep@acme.example');
    await page.getByLabel('Password').fill('password');
    await page.getByRole('button', { name: /Log In/i }).click();
    // The consent page shows when the app was not approved for this user before.
    const allow = page.getByRole('button', { name: 'Allow' });
    await Promise.race([
      page.waitForURL(/\/t\/acme\/\?result=connected$/),
      allow.waitFor().then(() => allow.click()),
    ]);
    await page.waitForURL(/\/t\/acme\/\?result=connected$/);
    await shot('tenant-page');
    problems.push(...(await accessibilityProblems()));
    await page.goto(`${url}/admin/tenants/acme`);
    await expect.poll(() => page.locator('section.status').innerText()).toContain('Connected');
    // Times in the viewer's zone (the page says UTC, its display zone, until the script has run),
    // recent ones relative, none as a raw ISO string.
    await expect
      .poll(async () => (await page.locator('main time').last().getAttribute('title')) ?? '')
      .toMatch(/ EST$/);
    expect(await page.locator('main time').last().innerText()).toMatch(/ ago$|^yesterday$/);
    expect(await page.locator('main').innerText()).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
    // Latest syncs name each Event by its subject, with its mailbox and owner.
    const latest = await page.locator('table').last().innerText();
    expect(latest).toMatch(/Kick-off with Initech 7[\s\S]*rep@acme\.example[\s\S]*owner 005/);
    await shot('admin-tenant');
    problems.push(...(await accessibilityProblems()));
    // Latest syncs, 20 a page, searched by Event id, subject or mailbox.
    const syncPages = page.locator('nav[aria-label="Pages of latest syncs"]');
    expect(await syncPages.innerText()).toMatch(/^1–20 of 3\d\b/);
    await page.getByLabel('Event id, subject or mailbox').fill('GLOBEX');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => syncPages.innerText()).toMatch(/^1–8 of 8$/);
    // Narrowed by what the sync did: these were all creations.
    await page.getByLabel('Action').selectOption('delete');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect
      .poll(() => page.locator('main').innerText())
      .toContain('No sync of the latest 1,000 matches.');
    await page.getByLabel('Action').selectOption('create');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => syncPages.innerText()).toMatch(/^1–8 of 8$/);
    expect(await page.getByLabel('Event id, subject or mailbox').inputValue()).toBe('GLOBEX');
    expect(await page.locator('table').last().innerText()).not.toContain('Pipeline review');

    // A dead letter: find it, read its story, sync it again.
    const deadId = String(
      sandbox.createEvent(ownerId, {
        Subject: 'Set aside',
        StartDateTime: '2026-12-02T09:00:00Z',
        DurationInMinutes: 30,
      }).Id,
    );
    await seedDeadJob(runtime.store.db, {
      tenantId: synced.tenantId,
      eventId: deadId,
      lastError: 'create failed: Graph answered 503 ServiceUnavailable',
      at: synced.env.clock.now() - 40 * 60_000,
    });
    await page.getByRole('link', { name: 'Failures' }).click();
    await shot('admin-failures');
    problems.push(...(await accessibilityProblems()));
    await page.getByRole('link', { name: deadId }).click();
    await expect.poll(() => page.locator('main').innerText()).toContain('dead, 20 attempt(s)');
    await page.getByRole('button', { name: 'Sync again' }).click();
    await expect.poll(() => page.locator('main').innerText()).toContain('Queued to sync again.');
    await worker.runOnce();
    await page.reload();
    await expect.poll(() => page.locator('table').innerText()).toMatch(/apply\s+create done/);
    await shot('admin-event');
    problems.push(...(await accessibilityProblems()));
    expect(synced.graph.events('rep@acme.example').map((e) => e['subject'])).toContain('Set aside');

    // A setting: a bad value is refused with its reason, a good one saved.
    await page.goto(`${url}/admin/tenants/acme`);
    await page.getByLabel('Settle window').fill('soon');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect
      .poll(() => page.getByRole('alert').innerText())
      .toContain('the settle window must be a duration such as 500ms or 2s');
    await page.getByLabel('Settle window').fill('750ms');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect.poll(() => page.locator('main').innerText()).toContain('Settings saved.');
    // An exclusion rule added as a row, with what it would have excluded of the last 7 days' Events.
    await page.getByLabel('Field of a new rule', { exact: true }).fill('Subject');
    await page.getByLabel('Test of a new rule').selectOption('contains');
    await page.getByLabel('Value of a new rule', { exact: true }).fill('Kick-off');
    await page.getByLabel('What the trace says for a new rule').fill('kick-offs stay out of calendars');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect.poll(() => page.locator('main').innerText()).toContain('Settings saved.');
    expect(await page.getByLabel('Value of rule 1', { exact: true }).inputValue()).toBe('Kick-off');
    expect(await page.locator('main').innerText()).toMatch(/\b8 of 3\d\b/);
    expect(await page.locator('#exclusionRules').inputValue()).toContain(
      '"label": "kick-offs stay out of calendars"',
    );
    problems.push(...(await accessibilityProblems()));
    // Times in a zone chosen in Preferences (Tokyo, from a New York browser): the script's times
    // and the server's charts both; back to the browser's own zone after.
    await page.getByRole('link', { name: 'Preferences' }).click();
    await page.getByLabel('Show times and charts in').selectOption('Asia/Tokyo');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByRole('status').innerText()).toContain('Saved.');
    problems.push(...(await accessibilityProblems()));
    await page.goto(`${url}/admin/tenants/acme`);
    await expect
      .poll(async () => (await page.locator('main time').last().getAttribute('title')) ?? '')
      .toMatch(/ GMT\+9$/);
    expect(await page.locator('main figcaption').first().innerText()).toContain('(Asia/Tokyo)');
    await page.goto(`${url}/admin/preferences`);
    await page.getByLabel('Show times and charts in').selectOption('');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.goto(`${url}/admin/tenants/acme`);
    await expect
      .poll(async () => (await page.locator('main time').last().getAttribute('title')) ?? '')
      .toMatch(/ EST$/);
    // Every page the journey saw passes axe-core without a serious or critical violation.
    expect(problems).toEqual([]);
  }, 120_000);

  it('works from the keyboard alone: sign in, move between pages, open a tenant', async () => {
    const keyboard = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    try {
      await keyboard.goto(`${url}/admin/login`);
      /** Presses Tab until the focused element is the one `matches` picks (at most 40 times). */
      const tabTo = async (matches: string) => {
        for (let i = 0; i < 40; i++) {
          await keyboard.keyboard.press('Tab');
          const focused = await keyboard.evaluate(
            `document.activeElement?.matches(${JSON.stringify(matches)}) === true`,
          );
          if (focused === true) return;
        }
        throw new Error(`Tab never reached ${matches}`);
      };
      await tabTo('input[name=secret]');
      await keyboard.keyboard.type(token);
      await keyboard.keyboard.press('Enter');
      await keyboard.waitForURL(`${url}/admin/`);
      await tabTo('a[href="/admin/failures"]');
      await keyboard.keyboard.press('Enter');
      await keyboard.waitForURL(`${url}/admin/failures`);
      await tabTo('a[href="/admin/"]');
      await keyboard.keyboard.press('Enter');
      await keyboard.waitForURL(`${url}/admin/`);
      await tabTo('a[href="/admin/tenants/acme"]');
      await keyboard.keyboard.press('Enter');
      await keyboard.waitForURL(`${url}/admin/tenants/acme`);
      // Every control shows where the focus is (the Lightning focus ring, not none).
      await tabTo('button[type=submit]');
      expect(
        await keyboard.evaluate(
          "(() => { const style = getComputedStyle(document.activeElement); return style.boxShadow !== 'none' || style.outlineStyle !== 'none'; })()",
        ),
      ).toBe(true);
    } finally {
      await keyboard.context().close();
    }
  }, 60_000);

  it("applies the pages' own styles under the Content-Security-Policy and refuses to be framed", async () => {
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.goto(`${url}/admin/login`);
    // The inline stylesheet is allowed by its hash: the sign-in page's column is 40rem wide.
    expect(String(await page.evaluate("getComputedStyle(document.querySelector('main')).maxWidth"))).toBe(
      '640px',
    );
    await page.goto(`${url}/t/acme/`);
    expect(String(await page.evaluate("getComputedStyle(document.querySelector('main')).maxWidth"))).toBe(
      '640px',
    );
    // The Lightning Design System's stylesheet comes from the service itself: its brand button is
    // Salesforce blue, its font the system's Lightning stack.
    expect(
      String(
        await page.evaluate("getComputedStyle(document.querySelector('.slds-button_brand')).backgroundColor"),
      ),
    ).toBe('rgb(1, 118, 211)');
    expect(violations).toEqual([]);

    // Another page framing the admin pages (to click Disconnect through an overlay) gets nothing.
    await page.setContent(`<iframe src="${url}/admin/" width="800" height="600"></iframe>`);
    const frameUrl = () =>
      page
        .frames()
        .find((f) => f !== page.mainFrame())
        ?.url() ?? '';
    await expect.poll(frameUrl, { timeout: 15_000 }).toMatch(/^(chrome-error:|http)/);
    expect(frameUrl()).toMatch(/^chrome-error:/);
  }, 60_000);
});
