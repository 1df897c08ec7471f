// A hybrid tenant: some mailboxes on Exchange Server (EWS, the provider `onprem`), the others in
// Microsoft 365 (Graph, the default). Each Event goes to its owner's mailbox through that
// mailbox's provider; an Event whose owner changes moves between the two; and a mailbox migrated
// to Exchange Online with its items keeps them: after `mailboxes map … --provider` the Graph
// provider finds each by its Salesforce id and updates it, and makes no copy.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEwsSandbox, type EwsSandbox } from '../../sandbox/ews/index.ts';
import type { SyncWorker } from '../../src/engine/sync-worker.ts';
import { createOutboundFetch } from '../../src/lib/outbound-fetch.ts';
import { createSyncWorker, doctorDeps } from '../../src/main.ts';
import { GraphTokenSource } from '../../src/providers/graph/graph-token-source.ts';
import { salesforceIdProperty } from '../../src/providers/graph/to-graph-event.ts';
import { recordChanges } from '../../src/store/changes/record-changes.ts';
import { runDoctor } from '../../src/reports/doctor.ts';
import { listMailboxes } from '../../src/store/mailboxes-repository.ts';
import { findTenantBySlug } from '../../src/store/tenants-repository.ts';
import { toMailboxView } from '../../src/tenants/mailbox-view.ts';
import { mapOwnerToMailbox } from '../../src/tenants/map-mailbox.ts';
import { setMailboxProvider } from '../../src/tenants/set-mailbox-provider.ts';
import { startSyncedService, type SyncedService } from '../support/synced-service.ts';
import { describeOnBackends } from '../support/test-databases.ts';

const onPremises = 'ana@acme.example';
const cloud = 'rep@acme.example';
const account = { username: 'ACME\\svc-instant-sync', password: 'on-premises secret' };

describeOnBackends(
  ['sqlite', 'postgres'],
  'a hybrid tenant (Exchange Server and Microsoft 365)',
  (database) => {
    let synced: SyncedService;
    let ews: EwsSandbox;
    let worker: SyncWorker;
    let anaId: string;

    beforeAll(async () => {
      // The Graph sandbox holds ana's mailbox too: the Exchange Online mailbox it migrates to.
      synced = await startSyncedService({ databaseUrl: database.url, mailboxes: [cloud, onPremises] });
      ews = await startEwsSandbox();
      ews.addAccount(account);
      ews.grantImpersonation(account.username);
      ews.addMailbox(onPremises, 'Ana (on-premises)');
      const { env } = synced;
      const { runtime } = env.service;
      anaId = env.sandbox.addUser({
        username: onPremises,
        email: onPremises,
        timeZoneSidKey: 'America/New_York',
      }).Id;
      const set = await setMailboxProvider(
        { repos: runtime.store.repos, secretBox: runtime.secretBox, clock: env.clock },
        'acme',
        'ews',
        { url: `${ews.url}/EWS/Exchange.asmx`, ...account, auth: 'ntlm' },
        { name: 'onprem' },
      );
      expect(set).toMatchObject({ name: 'onprem', isDefault: false, moved: 0 });
      expect(await assignAna('onprem')).toMatchObject({ provider: 'onprem', moved: 0 });
      worker = createSyncWorker(runtime);
    });
    afterAll(async () => {
      await ews.close();
      await synced.close();
    });

    /** `mailboxes map <ana> <her address> --provider <name>`, as an admin would. */
    const assignAna = async (provider: string) => {
      const { runtime } = synced.env.service;
      const tenant = (await findTenantBySlug(runtime.store.db, 'acme'))!;
      return mapOwnerToMailbox(
        { repos: runtime.store.repos, clock: synced.env.clock },
        tenant,
        anaId,
        onPremises,
        provider,
      );
    };
    const drain = async () => {
      while ((await worker.runOnce()).claimed > 0) synced.env.advance(1000);
    };
    /** Records a change of each Event as Salesforce's webhook would (so each is read afresh), and syncs. */
    let serial = 0;
    const sync = async (...eventIds: string[]) => {
      await recordChanges(synced.env.service.runtime.store.db, {
        tenantId: synced.tenantId,
        settleWindowMs: 0,
        now: synced.env.clock.now(),
        changes: eventIds.map((eventId) => ({
          eventId,
          changeType: 'update' as const,
          source: 'webhook' as const,
          dedupeKey: `webhook:${++serial}:${eventId}`,
          committedAt: null,
        })),
      });
      await drain();
    };
    const onExchange = (address: string) =>
      ews
        .items(address)
        .map((item) => String(item['Subject']))
        .sort();
    const inGraph = (address: string) =>
      synced.graph
        .events(address)
        .map((event) => String(event['subject']))
        .sort();
    const at = (day: number) => ({
      StartDateTime: `2027-02-${String(day).padStart(2, '0')}T14:00:00Z`,
      DurationInMinutes: 45,
    });

    it("sends each Event through its owner's provider, and moves an Event whose owner changes between them", async () => {
      const { sandbox, ownerId } = synced.env;
      const repEvents = ['Forecast call', 'Pipeline review'].map(
        (Subject, i) => sandbox.createEvent(ownerId, { Subject, ...at(i + 1) }).Id,
      );
      const anaEvents = ['Plant visit', 'Budget 2027', 'Handover'].map(
        (Subject, i) => sandbox.createEvent(anaId, { Subject, ...at(i + 5) }).Id,
      );
      await sync(...repEvents, ...anaEvents);
      expect(inGraph(cloud)).toEqual(['Forecast call', 'Pipeline review']);
      expect(onExchange(onPremises)).toEqual(['Budget 2027', 'Handover', 'Plant visit']);
      expect(inGraph(onPremises)).toEqual([]);

      // The Forecast call is handed to ana: it leaves rep's Microsoft 365 calendar for ana's Exchange one.
      sandbox.updateEvent(repEvents[0]!, { OwnerId: anaId });
      await sync(repEvents[0]!);
      expect(inGraph(cloud)).toEqual(['Pipeline review']);
      expect(onExchange(onPremises)).toEqual(['Budget 2027', 'Forecast call', 'Handover', 'Plant visit']);

      const doctor = await runDoctor(doctorDeps(synced.env.service.runtime), 'acme');
      expect(doctor.find((c) => c.name === 'Mailbox provider default (default)')).toMatchObject({
        result: 'ok',
        detail: `Microsoft 365 (Graph): signed in, and can read ${cloud}'s calendar`,
      });
      expect(doctor.find((c) => c.name === 'Mailbox provider onprem')).toMatchObject({
        result: 'ok',
        detail: `Exchange Server (EWS): signed in, and can read ${onPremises}'s calendar`,
      });

      // An account without the ApplicationImpersonation role signs in but may not act as ana: doctor says
      // so, with the role assignment to make; the Graph provider's check is not affected.
      const { runtime } = synced.env.service;
      const deps = { repos: runtime.store.repos, secretBox: runtime.secretBox, clock: synced.env.clock };
      const noRole = { username: 'ACME\\svc-no-role', password: 'another secret' };
      ews.addAccount(noRole);
      const onprem = (who: typeof account) =>
        setMailboxProvider(
          deps,
          'acme',
          'ews',
          { url: `${ews.url}/EWS/Exchange.asmx`, ...who, auth: 'ntlm' },
          {
            name: 'onprem',
          },
        );
      await onprem(noRole);
      const refused = await runDoctor(doctorDeps(runtime), 'acme');
      expect(refused.find((c) => c.name === 'Mailbox provider onprem')).toMatchObject({
        result: 'fail',
        detail: expect.stringMatching(/ErrorImpersonateUserDenied/) as unknown,
        fix: expect.stringContaining('New-ManagementRoleAssignment') as unknown,
      });
      expect(refused.find((c) => c.name === 'Mailbox provider default (default)')?.result).toBe('ok');
      await onprem(account);
    });

    it('keeps the items of a mailbox migrated to Exchange Online: found by their Salesforce id, updated, never copied', async () => {
      const { env } = synced;
      const { runtime } = env.service;
      // Exchange moves the mailbox with its items and their extended properties (the same
      // property set and name the Graph provider uses): here, written into the Graph sandbox's
      // mailbox through Graph itself.
      const moved = ews.items(onPremises);
      expect(moved).toHaveLength(4);
      const outbound = createOutboundFetch({ extraCaPem: readFileSync(synced.graph.caFile, 'utf8') });
      const token = await new GraphTokenSource(
        {
          directoryTenantId: 'contoso',
          clientId: 'sync-app',
          clientSecret: 'graph-secret',
          loginBaseUrl: synced.graph.url,
          graphBaseUrl: synced.graph.url,
        },
        outbound,
      ).token();
      const migratedIds = new Map<string, string>();
      for (const item of moved) {
        const salesforceId = salesforceIdOf(item);
        const response = await outbound(`${synced.graph.url}/v1.0/users/${onPremises}/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            subject: item['Subject'],
            start: { dateTime: String(item['Start']).replace(/Z$/, ''), timeZone: 'UTC' },
            end: { dateTime: String(item['End']).replace(/Z$/, ''), timeZone: 'UTC' },
            singleValueExtendedProperties: [{ id: salesforceIdProperty, value: salesforceId }],
          }),
        });
        expect(response.status).toBe(201);
        migratedIds.set(salesforceId, String(((await response.json()) as { id: string }).id));
      }
      expect(inGraph(onPremises)).toHaveLength(4);

      expect(await assignAna('default')).toMatchObject({ provider: 'default', moved: 4 });
      const view = (await listMailboxes(runtime.store.db, synced.tenantId))
        .map(toMailboxView)
        .find((m) => m.mailbox === onPremises);
      expect(view?.provider).toBe('default');
      await drain();

      // Each migrated item was found and kept (same id), none made twice.
      const events = synced.graph.events(onPremises);
      expect(events.map((e) => String(e['subject'])).sort()).toEqual([
        'Budget 2027',
        'Forecast call',
        'Handover',
        'Plant visit',
      ]);
      expect(new Set(events.map((e) => String(e['id'])))).toEqual(new Set(migratedIds.values()));

      // From now on ana's changes go to Exchange Online, by the item's id.
      const budget = salesforceIdOf(moved.find((item) => item['Subject'] === 'Budget 2027')!);
      env.sandbox.updateEvent(budget, { Subject: 'Budget 2027 (final)' });
      await sync(budget);
      expect(inGraph(onPremises)).toEqual([
        'Budget 2027 (final)',
        'Forecast call',
        'Handover',
        'Plant visit',
      ]);
      expect(
        synced.graph.events(onPremises).find((e) => e['subject'] === 'Budget 2027 (final)')?.['id'],
      ).toBe(migratedIds.get(budget));
      // Exchange Server was not written to after the move.
      expect(onExchange(onPremises)).toEqual(['Budget 2027', 'Forecast call', 'Handover', 'Plant visit']);
    });

    it('moves the mailboxes that name no provider when another provider becomes the default', async () => {
      const { runtime } = synced.env.service;
      ews.addMailbox(cloud, 'Rep (on-premises)');
      // ana is assigned the Graph provider by name: she stays; rep follows the default to Exchange.
      const set = await setMailboxProvider(
        { repos: runtime.store.repos, secretBox: runtime.secretBox, clock: synced.env.clock },
        'acme',
        'ews',
        { url: `${ews.url}/EWS/Exchange.asmx`, ...account, auth: 'ntlm' },
        { name: 'onprem', makeDefault: true },
      );
      expect(set).toMatchObject({ name: 'onprem', isDefault: true, moved: 1 });
      await drain();
      expect(onExchange(cloud)).toEqual(['Pipeline review']);
      expect(onExchange(onPremises)).toEqual(['Budget 2027', 'Forecast call', 'Handover', 'Plant visit']);
      expect(inGraph(onPremises)).toEqual([
        'Budget 2027 (final)',
        'Forecast call',
        'Handover',
        'Plant visit',
      ]);
      const views = (await listMailboxes(runtime.store.db, synced.tenantId)).map(toMailboxView);
      expect(views.map((m) => [m.mailbox, m.provider]).sort()).toEqual([
        [onPremises, 'default'],
        [cloud, null],
      ]);
    });
  },
);

function salesforceIdOf(item: Record<string, unknown>): string {
  const text = JSON.stringify(item);
  const found = /00U[0-9A-Za-z]{15}/.exec(text);
  if (found === null) throw new Error(`no Salesforce id in ${text}`);
  return found[0];
}
