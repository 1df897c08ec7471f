import { describe, expect, it } from 'vitest';
import type { CreatePending, LinkToSave } from '../store/links-repository.ts';
import type { Repositories } from '../store/repositories.ts';
import { withCoalescedLinkWrites } from './coalesced-link-writes.ts';

/** Repositories whose link writes note themselves in `log`. */
function loggingRepos(log: string[]): Repositories {
  return {
    links: {
      saveLinks: (links: readonly LinkToSave[]) => {
        log.push(`save ${links.map((l) => l.event_id).join(',')}`);
        return Promise.resolve();
      },
      markCreatesPending: (links: readonly CreatePending[]) => {
        log.push(`intent ${links.map((l) => l.eventId).join(',')}`);
        return Promise.resolve();
      },
    },
  } as unknown as Repositories;
}

const link = (eventId: string) => ({ tenant_id: 't', event_id: eventId }) as LinkToSave;
const intent = (eventId: string) => ({ tenantId: 't', eventId }) as CreatePending;

describe('coalesced link writes', () => {
  it('writes the links saved in one turn together, after what that turn queued for its check phase', async () => {
    const log: string[] = [];
    const repos = withCoalescedLinkWrites(loggingRepos(log));
    // As when answers are read (a callback of the loop's poll phase): the links are saved, and the
    // next call of each mailbox is handed to the HTTP client, which writes it in the check phase.
    const saved = await new Promise<Promise<void>[]>((resolve) =>
      setTimeout(() => {
        const saves = [repos.links.saveLink(link('a')), repos.links.saveLink(link('b'))];
        setImmediate(() => log.push('next call written'));
        resolve(saves);
      }, 1),
    );
    await Promise.all(saved);
    expect(log).toEqual(['next call written', 'save a,b']);
  });

  it('with other nodes sharing the work, gathers the links saved a few milliseconds apart into one write', async () => {
    const log: string[] = [];
    const repos = withCoalescedLinkWrites(loggingRepos(log), () => 3);
    const first = repos.links.saveLink(link('a'));
    // A few turns and milliseconds later (the answers of another batch).
    await new Promise((resolve) => setTimeout(resolve, 5));
    await Promise.all([first, repos.links.saveLink(link('b'))]);
    expect(log).toEqual(['save a,b']);

    // Alone, a save is written within two turns of the event loop, no timer waited for.
    const alone: string[] = [];
    const own = withCoalescedLinkWrites(loggingRepos(alone), () => 1);
    const saved = own.links.saveLink(link('c'));
    await new Promise((resolve) => setImmediate(() => setImmediate(() => setImmediate(resolve))));
    expect(alone).toEqual(['save c']);
    await saved;
  });

  it('writes an intent in the turn it was made: its create waits for it', async () => {
    const log: string[] = [];
    const repos = withCoalescedLinkWrites(loggingRepos(log));
    const marked = Promise.all([
      repos.links.markCreatePending(intent('a')),
      repos.links.markCreatePending(intent('b')),
    ]);
    setImmediate(() => log.push('later in the check phase'));
    await marked;
    expect(log).toEqual(['intent a,b']);
  });
});
