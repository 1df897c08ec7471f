// `instant-sync provider set|show`, `mailboxes map|list` and `trace`: where a tenant's Events go
// (its mailbox provider, and which mailbox each Salesforce user's Events land in) and what
// happened to one Event. Ids typed here are turned into their 18-character form before anything
// looks them up or stores them, as every other entrance does.
import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { backfill, backlogOf, checkBackfillRange } from '../../intake/manual/backfill.ts';
import { deadEvents, retryEvents, tenantsKnowingEvent, type EventKey } from '../../intake/manual/retry-events.ts';
import { BadInputError, CheckFailedError, NotFoundError } from '../../lib/errors.ts';
import { doctorDeps } from '../../main.ts';
import { runDoctor } from '../../reports/doctor.ts';
import { describeLinkedItem, eventStories, type EventStory } from '../../reports/event-story.ts';
import { listProviders } from '../../store/mailbox-providers-repository.ts';
import { listMailboxes } from '../../store/mailboxes-repository.ts';
import type { TenantRow } from '../../store/schema.ts';
import { findTenantBySlug, listTenants } from '../../store/tenants-repository.ts';
import { describeMailboxState, toMailboxView } from '../../tenants/mailbox-view.ts';
import { findProviderPlugin, providerPluginNamed, providerPlugins } from '../../providers/registry.ts';
import { defaultProviderName, setMailboxProvider } from '../../tenants/set-mailbox-provider.ts';
import { mapOwnerToMailbox } from '../../tenants/map-mailbox.ts';
import { providerNamed } from '../../tenants/assign-mailbox-provider.ts';
import {
  isUserId,
  normalizeEventId,
  normalizeUserId,
  salesforceIdProblem,
} from '../../domain/salesforce-ids.ts';
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { printJson, printTable, type CliContext } from '../cli-context.ts';
import { openData, openDataWithSecrets, withRuntime } from '../command-setup.ts';
import { readSecretInput } from '../read-secret-input.ts';

/** An Event id as typed, in its 18-character form; refused with the reason when it is none. */
function eventIdArgument(text: string): string {
  const id = normalizeEventId(text.trim());
  if (id === undefined)
    throw new BadInputError(
      salesforceIdProblem(text.trim(), 'Event') ?? `${JSON.stringify(text)} is not an Event id`,
    );
  return id;
}

/** A user as typed: a User id in its 18-character form, or anything else as it is (an email address). */
function userArgument(text: string): string {
  const user = text.trim();
  if (!isUserId(user)) return user;
  const id = normalizeUserId(user);
  if (id === undefined)
    throw new BadInputError(salesforceIdProblem(user, 'User') ?? `${JSON.stringify(text)} is not a User id`);
  return id;
}

/** The tenant named by --tenant, or the only one there is. */
async function chooseTenant(db: Kysely<Database>, slug: string | undefined): Promise<TenantRow> {
  if (slug !== undefined) {
    const tenant = await findTenantBySlug(db, slug);
    if (tenant === undefined) throw new NotFoundError(`no tenant named ${JSON.stringify(slug)}`);
    return tenant;
  }
  const tenants = await listTenants(db);
  if (tenants.length === 1 && tenants[0] !== undefined) return tenants[0];
  throw new BadInputError(
    tenants.length === 0
      ? 'there are no tenants yet (instant-sync tenants add <slug>)'
      : `there are ${tenants.length} tenants: say which with --tenant <slug>`,
  );
}

/** The key commander gives an option's value: `--client-secret-file <file>` → `clientSecretFile`. */
function optionKey(flag: string): string {
  return (flag.split(' ')[0] ?? '')
    .replace(/^--/, '')
    .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function registerSync(program: Command, ctx: CliContext): void {
  const provider = program
    .command('provider')
    .description("a tenant's mailbox provider: where its Events become calendar items");
  const set = provider
    .command('set')
    .description(
      `set the mailbox provider of a tenant (${providerPlugins.map((p) => `${p.kind}: ${p.label}`).join('; ')}); switching to another kind sets aside the old provider's links (then run backfill)`,
    )
    .argument('<slug>', 'the tenant')
    .argument('<kind>', providerPlugins.map((p) => p.kind).join(' | '))
    .option(
      '--name <name>',
      'the provider to set, for a tenant with several (hybrid: e.g. onprem over ews and cloud over graph); default: "default"',
    )
    .option(
      '--default',
      "make it the tenant's default provider: mailboxes not assigned another go through it (the first one set is the default)",
    );
  // Each provider's own options, from its description (providers/<kind>/index.ts).
  const flags = new Set<string>();
  for (const plugin of providerPlugins)
    for (const option of plugin.options)
      if (!flags.has(option.flag)) {
        flags.add(option.flag);
        set.option(option.flag, `${option.help} (${plugin.kind})`);
      }
  set.action((slug: string, kind: string, opts: Record<string, string | undefined>, command: Command) =>
    withRuntime(ctx, command, openDataWithSecrets, async ({ store, secretBox, clock }) => {
      const plugin = providerPluginNamed(kind);
      const input: Record<string, string | undefined> = {};
      for (const option of plugin.options) {
        const given = opts[optionKey(option.flag)];
        input[option.input] =
          given === undefined || option.file !== true ? given : await readSecretInput(given);
      }
      const { label, summary, setAside, name, isDefault, moved } = await setMailboxProvider(
        { db: store.db, secretBox, clock },
        slug,
        kind,
        input,
        { name: opts['name'], makeDefault: opts['default'] !== undefined },
      );
      ctx.stdout(
        name === defaultProviderName
          ? `Tenant ${slug} now syncs to ${label} (${summary}).\n`
          : `Tenant ${slug}'s provider ${name} is ${label} (${summary})${isDefault ? ', the default' : ''}. ${isDefault ? 'Mailboxes not assigned another provider go through it' : `Assign mailboxes to it with \`instant-sync mailboxes map <user> <address> --provider ${name} --tenant ${slug}\``}.\n`,
      );
      if (moved > 0)
        ctx.stdout(
          `${moved} Event(s) whose mailbox goes through it now were queued: each item is looked for there by its Salesforce id before one is made.\n`,
        );
      if (setAside > 0)
        ctx.stdout(
          `${setAside} calendar item(s) made through the previous provider were set aside (kept for the record, never changed from here). Run \`instant-sync backfill ${slug} --from <date> --to <date>\` to create the Events' items in ${label}.\n`,
        );
    }),
  );
  provider
    .command('kinds')
    .description('list the mailbox providers this version has: what each takes, can show, and cannot')
    .option('--json', 'print the result as JSON')
    .action((opts: { json?: boolean }) => {
      const kinds = providerPlugins.map((p) => ({
        kind: p.kind,
        label: p.label,
        setupGuide: p.setupGuide,
        options: p.options.map((o) => o.flag),
        capabilities: p.capabilities,
      }));
      if (opts.json === true) return printJson(ctx, kinds);
      for (const { kind, label, setupGuide, options, capabilities: c } of kinds) {
        const shownAs = Object.entries(c.showAs)
          .filter(([from, to]) => from !== to)
          .map(([from, to]) => `${from} as ${to}`);
        ctx.stdout(
          [
            `${kind}: ${label} (${setupGuide})`,
            `  set up with: ${options.join(' ')}`,
            `  limits: ${c.maxConcurrentPerMailbox} requests at once and ${c.requestsPerWindow.count} per ${c.requestsPerWindow.windowMs / 1000} s per mailbox`,
            `  retried creates: ${c.idempotentCreate === null ? 'may make a second item' : `one item (${c.idempotentCreate.how})`}`,
            `  shows: private ${c.privateItems ? 'yes' : 'no'}; reminders up to ${c.maxReminderMinutes} min; attendees ${c.attendeeTypes.join(' and ')}; series ${c.recurrence.join(', ')}${c.seriesInstances === null ? '' : `, single occurrences changed or cancelled${c.seriesInstances.moveAcrossNeighbours ? '' : ' (not moved past their neighbours)'}`}${shownAs.length === 0 ? '' : `; show-as ${shownAs.join(', ')}`}`,
            ...c.limitations.map((l) => `  note: ${l}`),
            '',
          ].join('\n'),
        );
      }
    });
  provider
    .command('show')
    .description(
      "show a tenant's mailbox provider (never its secret); with several (hybrid), the default one unless --name says which",
    )
    .argument('<slug>', 'the tenant')
    .option('--name <name>', 'the provider to show, for a tenant with several')
    .option('--json', 'print the result as JSON')
    .action((slug: string, opts: { json?: boolean; name?: string }, command: Command) =>
      withRuntime(ctx, command, openData, async ({ store }) => {
        const tenant = await chooseTenant(store.db, slug);
        const all = await listProviders(store.db, tenant.id);
        const row =
          opts.name === undefined
            ? all.find((p) => p.is_default === 1)
            : await providerNamed(store.db, tenant, opts.name);
        const view =
          row === undefined
            ? null
            : {
                kind: row.kind,
                ...(JSON.parse(row.settings_json) as Record<string, unknown>),
                secretStored: row.credentials_sealed !== null,
                name: row.name,
                isDefault: row.is_default === 1,
              };
        if (opts.json === true) printJson(ctx, view);
        else if (view === null)
          ctx.stdout(
            `Tenant ${slug} has no mailbox provider yet (instant-sync provider set ${slug} <${providerPlugins.map((p) => p.kind).join('|')}> …).\n`,
          );
        else
          ctx.stdout(
            `${Object.entries(view)
              .map(([k, v]) => `${k}: ${String(v)}`)
              .join('\n')}\n${
              all.length > 1
                ? `The tenant has ${all.length} providers: ${all.map((p) => `${p.name} (${p.kind}${p.is_default === 1 ? ', default' : ''})`).join(', ')}.\n`
                : ''
            }`,
          );
      }),
    );
  provider
    .command('list')
    .description(
      "a tenant's mailbox providers (several for a hybrid tenant), with how many mailboxes each has",
    )
    .argument('<slug>', 'the tenant')
    .option('--json', 'print the result as JSON')
    .action((slug: string, opts: { json?: boolean }, command: Command) =>
      withRuntime(ctx, command, openData, async ({ store }) => {
        const tenant = await chooseTenant(store.db, slug);
        const mailboxRows = await listMailboxes(store.db, tenant.id);
        const rows = (await listProviders(store.db, tenant.id)).map((row) => {
          const plugin = findProviderPlugin(row.kind);
          const isDefault = row.is_default === 1;
          return {
            name: row.name,
            kind: row.kind,
            isDefault,
            described:
              plugin === undefined
                ? row.kind
                : `${plugin.label} (${plugin.summary(JSON.parse(row.settings_json) as Record<string, unknown>)})`,
            mailboxes: mailboxRows.filter((m) =>
              m.provider_name === null ? isDefault : m.provider_name === row.name,
            ).length,
          };
        });
        if (opts.json === true) printJson(ctx, rows);
        else if (rows.length === 0)
          ctx.stdout(`Tenant ${slug} has no mailbox provider yet (instant-sync provider set).\n`);
        else
          printTable(
            ctx,
            ['NAME', 'KIND', 'DEFAULT', 'MAILBOXES', 'PROVIDER'],
            rows.map((r) => [r.name, r.kind, r.isDefault ? 'yes' : '', String(r.mailboxes), r.described]),
          );
      }),
    );

  const mailboxes = program
    .command('mailboxes')
    .description('which mailbox each Salesforce user’s Events go to');
  mailboxes
    .command('map')
    .description(
      "send a Salesforce user's Events to a mailbox of your choosing (instead of the user's email)",
    )
    .argument('<user>', 'Salesforce user id (005…) or the email address Salesforce has for the user')
    .argument('<mailbox>', 'mailbox address, e.g. jane.doe@contoso.com')
    .option('--tenant <slug>', 'the tenant (needed when there are several)')
    .option(
      '--provider <name>',
      "the provider the mailbox goes through (a hybrid tenant's, by name); its Events move there, and items the mailbox already holds are found by their Salesforce id, not copied",
    )
    .action((user: string, mailbox: string, opts: { tenant?: string; provider?: string }, command: Command) =>
      withRuntime(ctx, command, openDataWithSecrets, async ({ store, clock, salesforce }) => {
        const tenant = await chooseTenant(store.db, opts.tenant);
        const {
          userId,
          address,
          released,
          provider: through,
          moved,
        } = await mapOwnerToMailbox(
          {
            db: store.db,
            clock,
            userIdByEmail: async (email) =>
              (
                await salesforce
                  .restClient(tenant.id)
                  .query(`SELECT Id FROM User WHERE Email = '${email.replaceAll("'", "\\'")}' LIMIT 2`)
              )[0]?.Id,
          },
          tenant,
          userArgument(user),
          mailbox,
          opts.provider,
        );
        ctx.stdout(
          `Events of ${userId} now go to ${address}${through === undefined ? '' : ` through the provider ${through}`} (tenant ${tenant.slug}).${moved === 0 ? " Items already synced move with their Event's next change." : ''}\n` +
            (released === 0
              ? ''
              : `${released} Event${released === 1 ? '' : 's'} that waited for the former mailbox sync now.\n`) +
            (moved === 0
              ? ''
              : `${moved} Event${moved === 1 ? '' : 's'} of the mailbox were queued to move to ${through ?? 'the provider'}: each item is looked for there by its Salesforce id before one is made.\n`),
        );
      }),
    );
  mailboxes
    .command('list')
    .description('every Salesforce user seen as an Event owner, with the mailbox used and its state')
    .option('--tenant <slug>', 'the tenant (needed when there are several)')
    .option('--json', 'print the result as JSON')
    .action((opts: { tenant?: string; json?: boolean }, command: Command) =>
      withRuntime(ctx, command, openData, async ({ store }) => {
        const tenant = await chooseTenant(store.db, opts.tenant);
        const rows = (await listMailboxes(store.db, tenant.id)).map(toMailboxView);
        // A hybrid tenant's mailboxes each go through one of its providers: a column says which.
        const providers = await listProviders(store.db, tenant.id);
        const hybrid = providers.length > 1;
        const defaultName = providers.find((p) => p.is_default === 1)?.name ?? 'default';
        if (opts.json === true) printJson(ctx, rows);
        else if (rows.length === 0)
          ctx.stdout(`No mailboxes yet for ${tenant.slug}: they appear as Events of their owners sync.\n`);
        else
          printTable(
            ctx,
            [
              'SALESFORCE USER',
              'MAILBOX',
              'FROM',
              ...(hybrid ? ['PROVIDER'] : []),
              'STATE',
              'TIME ZONE',
              'PROBLEM',
            ],
            rows.map((r) => [
              r.user,
              r.mailbox ?? '-',
              r.source,
              ...(hybrid ? [r.provider ?? `${defaultName} (default)`] : []),
              describeMailboxState(r),
              r.timeZone ?? '-',
              r.problem ?? '',
            ]),
          );
      }),
    );

  program
    .command('trace')
    .description(
      'what happened to a Salesforce Event: changes received, plan and reason, provider calls, the item',
    )
    .argument('<event-id>', 'the Salesforce Event id (00U…, 15 or 18 characters)')
    .option('--tenant <slug>', 'only this tenant')
    .option('--json', 'print the result as JSON')
    .action((eventId: string, opts: { tenant?: string; json?: boolean }, command: Command) =>
      withRuntime(ctx, command, openData, async ({ store }) => {
        const id = eventIdArgument(eventId);
        const stories = await eventStories(store.db, id, opts.tenant);
        if (stories.length === 0) throw new NotFoundError(`nothing is known of Event ${id}`);
        if (opts.json === true) printJson(ctx, stories);
        else ctx.stdout(stories.map(renderStory).join('\n'));
      }),
    );
}

function renderStory(story: EventStory): string {
  const lines = [`Event ${story.eventId} (tenant ${story.tenant})`];
  for (const entry of story.entries) {
    const data =
      entry.data === undefined
        ? ''
        : `  ${Object.entries(entry.data)
            .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join(' ')}`;
    lines.push(`  ${new Date(entry.at).toISOString()}  ${entry.step.padEnd(8)} ${entry.message}${data}`);
  }
  if (story.job !== null)
    lines.push(
      `  job: ${story.job.state}, ${story.job.attempts} attempt(s)${story.job.state === 'waiting' ? `, next at ${new Date(story.job.runAt).toISOString()}` : ''}${story.job.lastError === null ? '' : `; last error: ${story.job.lastError}`}`,
    );
  else lines.push('  job: finished');
  lines.push(`  item: ${describeLinkedItem(story.link)}`);
  return `${lines.join('\n')}\n`;
}

export function registerBackfill(program: Command, ctx: CliContext): void {
  program
    .command('backfill')
    .description(
      'sync every Event dated within a range (e.g. after connecting an org that already has Events) and follow the progress; a second run changes nothing',
    )
    .argument('<slug>', 'the tenant')
    .requiredOption('--from <date>', 'first day, e.g. 2026-01-01')
    .requiredOption('--to <date>', 'last day, e.g. 2026-12-31')
    .option('--no-wait', 'queue the Events and return at once')
    .option('--json', 'print the result as JSON')
    .action(
      (slug: string, opts: { from: string; to: string; wait: boolean; json?: boolean }, command: Command) =>
        withRuntime(ctx, command, openDataWithSecrets, async ({ store, clock, salesforce }) => {
          const range = { from: opts.from, to: opts.to };
          checkBackfillRange(range);
          const tenant = await chooseTenant(store.db, slug);
          const result = await backfill(
            { db: store.db, clock, rest: salesforce.restClient(tenant.id) },
            tenant,
            range,
          );
          if (opts.json !== true)
            ctx.stdout(
              `Found ${result.found} Events from ${range.from} to ${range.to}; ${result.queued} queued for tenant ${tenant.slug}.\n`,
            );
          const progress =
            opts.wait && result.queued > 0
              ? await followBacklog(ctx, store.db, tenant.id, result.eventIds, opts.json !== true)
              : undefined;
          if (opts.json === true)
            printJson(ctx, {
              found: result.found,
              queued: result.queued,
              ...(progress === undefined ? {} : progress),
            });
        }),
    );
}

/** Follows the queued Events until they are synced (or nothing moves for a while: no engine running). */
async function followBacklog(
  ctx: CliContext,
  db: Kysely<Database>,
  tenantId: string,
  eventIds: readonly string[],
  show: boolean,
): Promise<{ synced: number; deadLettered: number; pending: number }> {
  const total = eventIds.length;
  const stallMs = 30_000;
  let last = { pending: total, dead: 0 };
  let movedAt = Date.now();
  let shownTenth = -1;
  for (;;) {
    const now = await backlogOf(db, tenantId, eventIds);
    if (now.pending !== last.pending) movedAt = Date.now();
    last = now;
    const done = total - now.pending;
    if (show) {
      if (ctx.isTerminal === true) {
        const width = 30;
        const filled = Math.round((done / total) * width);
        ctx.stdout(
          `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} synced${now.dead > 0 ? `, ${now.dead} set aside` : ''}`,
        );
      } else if (Math.floor((done * 10) / total) > shownTenth) {
        shownTenth = Math.floor((done * 10) / total);
        ctx.stdout(`synced ${done} of ${total}\n`);
      }
    }
    if (now.pending === 0 || Date.now() - movedAt > stallMs) break;
    await sleep(500);
  }
  if (show) {
    if (ctx.isTerminal === true) ctx.stdout('\n');
    if (last.pending > 0)
      ctx.stdout(
        `${last.pending} Events are still queued and nothing moved for ${stallMs / 1000} s: is the engine running (instant-sync serve or worker)? They sync when it runs.\n`,
      );
    else
      ctx.stdout(
        `Done: ${total - last.dead} synced or already up to date${last.dead > 0 ? `, ${last.dead} set aside (instant-sync retry --dead)` : ''}.\n`,
      );
  }
  return { synced: total - last.pending - last.dead, deadLettered: last.dead, pending: last.pending };
}

export function registerRetry(program: Command, ctx: CliContext): void {
  program
    .command('retry')
    .description(
      'sync an Event again now (a dead-lettered one gets fresh attempts), or every dead-lettered Event',
    )
    .argument('[event-id]', 'the Salesforce Event id (00U…, 15 or 18 characters)')
    .option('--dead', 'every dead-lettered Event (of --tenant, or of all tenants)')
    .option('--tenant <slug>', 'only this tenant')
    .option('--json', 'print the result as JSON')
    .action(
      (
        eventId: string | undefined,
        opts: { dead?: boolean; tenant?: string; json?: boolean },
        command: Command,
      ) =>
        withRuntime(ctx, command, openData, async ({ store, clock }) => {
          if ((eventId === undefined) === (opts.dead !== true))
            throw new BadInputError('give an Event id or --dead (one of them)');
          const tenant = opts.tenant === undefined ? undefined : await chooseTenant(store.db, opts.tenant);
          let events: EventKey[];
          if (eventId === undefined) events = await deadEvents(store.db, tenant?.id);
          else {
            const id = eventIdArgument(eventId);
            events = (await tenantsKnowingEvent(store.db, id)).filter(
              (e) => tenant === undefined || e.tenantId === tenant.id,
            );
            if (events.length === 0) {
              if (tenant === undefined)
                throw new NotFoundError(
                  `no tenant knows Event ${id}: name the tenant with --tenant to sync it anyway`,
                );
              events = [{ tenantId: tenant.id, eventId: id }];
            }
          }
          const queued = await retryEvents({ db: store.db, clock }, events);
          if (opts.json === true) printJson(ctx, { queued, events: events.map((e) => e.eventId) });
          else
            ctx.stdout(
              queued === 0
                ? 'Nothing to retry: no Event is dead-lettered.\n'
                : `Queued ${queued} Event${queued === 1 ? '' : 's'} to sync again.\n`,
            );
        }),
    );
}

export function registerDoctor(program: Command, ctx: CliContext): void {
  program
    .command('doctor')
    .description(
      'check everything a tenant needs to sync (configuration, Salesforce access and permissions, CDC for Event, API budget, mailbox provider credentials, clock skew) and say what to fix',
    )
    .argument('<slug>', 'the tenant')
    .option('--json', 'print the result as JSON')
    .action((slug: string, opts: { json?: boolean }, command: Command) =>
      withRuntime(ctx, command, openDataWithSecrets, async (runtime) => {
        const checks = await runDoctor(doctorDeps(runtime), slug);
        const failed = checks.filter((c) => c.result === 'fail').length;
        if (opts.json === true) printJson(ctx, checks);
        else {
          const mark = { ok: '✓', warn: '!', fail: '✗' } as const;
          for (const check of checks) {
            ctx.stdout(`${mark[check.result]} ${check.name.padEnd(26)} ${check.detail}\n`);
            if (check.fix !== undefined && check.result !== 'ok')
              ctx.stdout(`  ${''.padEnd(26)} → ${check.fix}\n`);
          }
          ctx.stdout(
            failed === 0 ? `Tenant ${slug} can sync.\n` : `Tenant ${slug}: ${failed} problem(s) to fix.\n`,
          );
        }
        if (failed > 0) throw new CheckFailedError(`${failed} check(s) failed`);
      }),
    );
}
