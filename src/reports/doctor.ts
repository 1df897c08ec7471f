// `instant-sync doctor <slug>`: everything a tenant needs to sync, checked in the order an admin
// would fix it — configuration, the Salesforce connection and what the connected user may read,
// change data capture for Event, the API budget, the mailbox provider's credentials and calendar
// access, clock skew, and what is already set aside — each with what to do when it fails.
import type { Config } from '../config/options.ts';
import type { ProviderSource } from '../engine/provider-source.ts';
import { describeError } from '../lib/errors.ts';
import type { ConnectionManager } from '../salesforce/connection-manager.ts';
import { eventChangeTopic } from '../intake/cdc/cdc-subscription.ts';
import { PubSubSubscriber } from '../intake/cdc/pubsub-client.ts';
import { intakeStatus } from '../intake/intake-status.ts';
import type { SalesforceRestClient } from '../salesforce/rest-client.ts';
import type { SessionSource } from '../salesforce/salesforce-sessions.ts';
import { providerSetCommand } from '../providers/registry.ts';
import { toMailboxView } from '../tenants/mailbox-view.ts';
import type { JobCounts } from '../store/jobs/count-jobs.ts';
import type { Repositories } from '../store/repositories.ts';

export type CheckResult = 'ok' | 'warn' | 'fail';

export interface Check {
  name: string;
  result: CheckResult;
  detail: string;
  /** What to do about it (for warn and fail). */
  fix?: string;
}

export interface DoctorDeps {
  repos: Repositories;
  config: Config;
  connections: ConnectionManager;
  rest: (tenantId: string) => SalesforceRestClient;
  sessions: (tenantId: string) => SessionSource;
  providers: ProviderSource;
  jobCounts: (tenantId: string) => Promise<JobCounts>;
  extraCaPem: string | undefined;
  now: () => number;
}

/** Clock differences beyond this break OAuth assertions and make latencies lie. */
const maxSkewMs = 60_000;

export async function runDoctor(deps: DoctorDeps, slug: string): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (check: Check) => checks.push(check);
  const { tenant, connection } = await deps.connections.get(slug);

  const url = new URL(deps.config.publicUrl);
  const local = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  add(
    url.protocol === 'https:' || local
      ? { name: 'Public URL', result: 'ok', detail: deps.config.publicUrl }
      : {
          name: 'Public URL',
          result: 'warn',
          detail: `${deps.config.publicUrl} is plain http`,
          fix: 'serve the tenant pages over https (a reverse proxy) and set INSTANT_SYNC_PUBLIC_URL to that address',
        },
  );

  const canSync = connection.state === 'connected' || connection.state === 'expiring';
  add(
    canSync
      ? {
          name: 'Salesforce connection',
          result: connection.state === 'expiring' ? 'warn' : 'ok',
          detail: `${connection.status}, org ${connection.orgId ?? '?'} as ${connection.username ?? connection.userId ?? '?'}`,
          ...(connection.state === 'expiring'
            ? { fix: `reconnect before it expires: ${tenantPage(deps, slug)}` }
            : {}),
        }
      : {
          name: 'Salesforce connection',
          result: 'fail',
          detail: connection.status,
          fix: `open ${tenantPage(deps, slug)} and click Connect (or instant-sync connect ${slug} --jwt)`,
        },
  );

  if (canSync) {
    const rest = deps.rest(tenant.id);
    for (const [what, soql, fix] of [
      [
        'Read Events',
        'SELECT Id FROM Event LIMIT 1',
        'give the connected user read access to Events (e.g. the "View All Activities" permission)',
      ],
      [
        'Read users',
        'SELECT Id, Email, IsActive, TimeZoneSidKey FROM User LIMIT 1',
        'give the connected user "View Setup and Configuration" or access to users',
      ],
    ] as const) {
      try {
        await rest.query(soql);
        add({ name: what, result: 'ok', detail: 'allowed' });
      } catch (error) {
        const detail = describeError(error);
        add({ name: what, result: 'fail', detail, fix: unreachableFix(detail) ?? fix });
      }
    }
    try {
      const limits = await rest.limits();
      const api = limits['DailyApiRequests'];
      if (api !== undefined) {
        const used = api.Max - api.Remaining;
        const percent = Math.round((used * 100) / Math.max(api.Max, 1));
        add({
          name: 'API budget',
          result: percent >= deps.config.apiBudget ? 'warn' : 'ok',
          detail: `${used} of ${api.Max} daily API requests used (${percent} %; the engine waits above ${deps.config.apiBudget} %)`,
          ...(percent >= deps.config.apiBudget
            ? { fix: 'find what else uses the org’s API, or ask Salesforce for a higher limit' }
            : {}),
        });
      }
      const deliveries = limits['DailyDeliveredPlatformEvents'];
      if (deliveries !== undefined && deps.config.cdc) {
        const used = Math.max(0, deliveries.Max - deliveries.Remaining);
        const percent = Math.round((used * 100) / Math.max(deliveries.Max, 1));
        add({
          name: 'Event deliveries',
          result: percent >= 90 ? 'warn' : 'ok',
          detail: `${used} of ${deliveries.Max} change and platform events delivered to API subscribers in the last 24 hours (${percent} %; when none are left, CDC pauses and the tenant is polled every ${Math.round(deps.config.cdcFallbackPollInterval / 1000)} s until there are)`,
          ...(percent >= 90
            ? {
                fix: 'every CDC and platform-event subscriber of the org shares this allocation: find the others in Setup → Platform Events → Event Allocations, or ask Salesforce for the Platform Events add-on',
              }
            : {}),
        });
      }
    } catch (error) {
      add({
        name: 'API budget',
        result: 'warn',
        detail: `cannot read the org's limits: ${describeError(error)}`,
      });
    }
    const skew = rest.lastServerTime === undefined ? undefined : rest.lastServerTime - deps.now();
    if (skew !== undefined) add(skewCheck('Clock (Salesforce)', skew));

    if (deps.config.cdc) {
      const session = await deps.sessions(tenant.id).session();
      const subscriber = new PubSubSubscriber({
        endpoint: deps.config.pubSubEndpoint,
        accessToken: session.accessToken,
        instanceUrl: session.instanceUrl,
        orgId: connection.orgId ?? '',
        extraCaPem: deps.extraCaPem,
      });
      try {
        const topic = await subscriber.topic(eventChangeTopic);
        add(
          topic.canSubscribe
            ? {
                name: 'Change data capture',
                result: 'ok',
                detail: `${eventChangeTopic} can be subscribed to`,
              }
            : {
                name: 'Change data capture',
                result: 'warn',
                detail: `the connected user may not subscribe to ${eventChangeTopic}`,
                fix: 'give the connected user the "View All Data" or change-event permissions',
              },
        );
      } catch (error) {
        const { detail, fix } = cdcFailure(describeError(error), deps.config.pubSubEndpoint);
        add({
          name: 'Change data capture',
          result: 'warn',
          detail: `${detail}; changes arrive by polling only (every ${Math.round(deps.config.pollInterval / 1000)} s)`,
          fix,
        });
      } finally {
        subscriber.close();
      }
      const intake = await intakeStatus(deps.repos, deps.config, tenant);
      if (intake.fallback !== undefined)
        add({
          name: 'Change data capture (service)',
          result: 'warn',
          detail: `${intake.summary}, since ${new Date(intake.fallback.since).toISOString()} (Salesforce: ${intake.fallback.detail})${intake.fallback.retryAt === null ? '' : `; CDC is tried again at ${new Date(intake.fallback.retryAt).toISOString()}`}`,
          fix: intake.fallback.fix,
        });
    }
  }

  const mailboxes = await deps.repos.mailboxes.listMailboxes(tenant.id);
  const providers = await deps.providers.forTenant(tenant.id);
  if (providers.problem !== undefined)
    add({
      name: 'Mailbox provider',
      result: 'fail',
      detail: providers.problem,
      fix: providerSetCommand(slug, undefined),
    });
  // A hybrid tenant's providers are checked each with a mailbox of its own.
  const hybrid = providers.all.length > 1;
  for (const lookup of providers.all) {
    const name = hybrid
      ? `Mailbox provider ${lookup.name}${lookup.isDefault ? ' (default)' : ''}`
      : 'Mailbox provider';
    if ('problem' in lookup) {
      add({ name, result: 'fail', detail: lookup.problem, fix: providerSetCommand(slug, lookup.kind) });
      continue;
    }
    const sample =
      mailboxes.find(
        (m) => m.state === 'active' && m.address !== null && providers.route(m)?.id === lookup.id,
      )?.address ?? undefined;
    try {
      const { serverTime } = await lookup.provider.checkAccess(sample);
      add({
        name,
        result: 'ok',
        detail:
          sample === undefined
            ? `${lookup.plugin.label}: signed in (no mailbox to try yet)`
            : `${lookup.plugin.label}: signed in, and can read ${sample}'s calendar`,
      });
      if (serverTime !== undefined)
        add(
          skewCheck(hybrid ? `Clock (${lookup.name})` : 'Clock (mailbox provider)', serverTime - deps.now()),
        );
    } catch (error) {
      const detail = describeError(error);
      add({
        name,
        result: 'fail',
        detail: `${lookup.plugin.label}: ${detail}`,
        fix: unreachableFix(detail) ?? lookup.plugin.accessFix,
      });
    }
    for (const finding of lookup.checks(deps.now())) add(finding);
  }

  const views = mailboxes.map(toMailboxView);
  const notFound = views.filter((m) => m.state === 'not_found');
  const troubled = views.filter(
    (m) => m.state !== 'not_found' && (m.state !== 'active' || m.problem !== null),
  );
  const waiting = notFound.reduce((n, m) => n + m.waitingEvents, 0);
  add(
    notFound.length === 0
      ? { name: 'Mailboxes', result: 'ok', detail: `${mailboxes.length} owner(s) seen, every mailbox found` }
      : {
          name: 'Mailboxes',
          result: 'fail',
          detail: `${notFound.length} mailbox(es) do not exist at the provider or are refused to the service, ${waiting} Event(s) wait for them: ${notFound
            .slice(0, 5)
            .map((m) => `${m.mailbox ?? '?'} (user ${m.user}: ${m.problem ?? 'not found'})`)
            .join(', ')}`,
          fix: `create the mailbox or grant the service access to it (see each problem), or send the user's Events elsewhere: instant-sync mailboxes map <user> <mailbox> --tenant ${slug}`,
        },
  );
  add(
    troubled.length === 0
      ? { name: 'Owners', result: 'ok', detail: `${mailboxes.length} owner(s) seen, all with a mailbox` }
      : {
          name: 'Owners',
          result: 'warn',
          detail: `${troubled.length} of ${mailboxes.length} owner(s) cannot be synced: ${troubled
            .slice(0, 5)
            .map((m) => `${m.user} (${m.problem ?? m.state})`)
            .join(', ')}`,
          fix: `instant-sync mailboxes list --tenant ${slug}; map users with instant-sync mailboxes map`,
        },
  );
  const jobs = await deps.jobCounts(tenant.id);
  add(
    jobs.dead === 0
      ? { name: 'Dead letters', result: 'ok', detail: 'none' }
      : {
          name: 'Dead letters',
          result: 'warn',
          detail: `${jobs.dead} Event(s) set aside after errors`,
          fix: `see why with instant-sync trace <event-id>; then instant-sync retry --dead --tenant ${slug}`,
        },
  );
  return checks;
}

function tenantPage(deps: DoctorDeps, slug: string): string {
  return `${deps.config.publicUrl.replace(/\/+$/, '')}/t/${slug}/`;
}

function skewCheck(name: string, skewMs: number): Check {
  const seconds = Math.round(skewMs / 1000);
  return Math.abs(skewMs) <= maxSkewMs
    ? { name, result: 'ok', detail: `within ${Math.max(Math.abs(seconds), 1)} s` }
    : {
        name,
        result: 'fail',
        detail: `this machine's clock is ${Math.abs(seconds)} s ${skewMs > 0 ? 'behind' : 'ahead'}`,
        fix: 'synchronise the clock (NTP: timedatectl set-ntp true)',
      };
}

/** A service that could not be reached at all: the fix is the network's, not a permission or a setting there. */
function unreachableFix(detail: string): string | undefined {
  return /^cannot reach |\bfetch failed\b/.test(detail)
    ? "check that this host can reach it (DNS, firewall, proxy; a TLS-inspecting proxy's CA goes in INSTANT_SYNC_EXTRA_CA_FILE), then run doctor again"
    : undefined;
}

/**
 * Why the Pub/Sub API would not describe the Event change topic, and what to do: selecting Event
 * for CDC is the fix only when the API says the topic is not there.
 */
function cdcFailure(message: string, endpoint: string): { detail: string; fix: string } {
  if (/topic\.not\.found|topic not found/i.test(message))
    return {
      detail: `Event is not selected for change data capture (${eventChangeTopic}: ${message})`,
      fix: 'in Salesforce Setup → Change Data Capture, select Event (at most 5 entities can be selected without the add-on: if 5 are, deselect one)',
    };
  if (/^(UNAUTHENTICATED|PERMISSION_DENIED)\b/.test(message))
    return {
      detail: `the Pub/Sub API refused the connected user (${message})`,
      fix: 'give the connected user the "View All Data" or change-event permissions',
    };
  return {
    detail: `cannot use the Pub/Sub API at ${endpoint} (${message})`,
    fix: `check INSTANT_SYNC_PUBSUB_ENDPOINT (${endpoint}) and that this host can reach it (gRPC over TLS), then run doctor again`,
  };
}
