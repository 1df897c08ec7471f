// `instant-sync trace <event-id>`: what happened to one Salesforce Event.
import type { Command } from 'commander';
import { NotFoundError } from '../../lib/errors.ts';
import { describeLinkedItem, eventStories, type EventStory } from '../../reports/event-story.ts';
import { printJson, type CliContext } from '../cli-context.ts';
import { openData, withRuntime } from '../command-setup.ts';
import { eventIdArgument } from './tenant-arguments.ts';

export function registerTrace(program: Command, ctx: CliContext): void {
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
        const stories = await eventStories(store.repos, id, opts.tenant);
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
