// `instant-sync retry <event-id> | --dead`: sync an Event again now, or every dead-lettered one.
import type { Command } from 'commander';
import {
  deadEvents,
  retryEvents,
  tenantsKnowingEvent,
  type EventKey,
} from '../../intake/manual/retry-events.ts';
import { BadInputError, NotFoundError } from '../../lib/errors.ts';
import { printJson, type CliContext } from '../cli-context.ts';
import { openData, withRuntime } from '../command-setup.ts';
import { chooseTenant, eventIdArgument } from './tenant-arguments.ts';

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
          const tenant = opts.tenant === undefined ? undefined : await chooseTenant(store.repos, opts.tenant);
          let events: EventKey[];
          if (eventId === undefined) events = await deadEvents(store.repos, tenant?.id);
          else {
            const id = eventIdArgument(eventId);
            events = (await tenantsKnowingEvent(store.repos, id)).filter(
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
          const queued = await retryEvents({ repos: store.repos, clock }, events);
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
