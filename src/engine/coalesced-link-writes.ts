// The repositories the engine syncs with, but with each Event's link writes (the create intent
// marked before a create is sent, and the link saved after a call) coalesced: the writes of many
// Events made in one moment go to the database as one statement (lib/coalescer.ts). Each Event
// still awaits its own write before it goes on, so an intent is stored before its create is sent.
//
// A link saved after a call is written one turn of the event loop later than an intent: the call's
// answer frees a slot of its mailbox, and the mailbox's next call, made in the same turn, leaves
// only at the end of the turn (the HTTP client looks at a kept-alive connection once more before it
// reuses it, in the turn's check phase). Written in that check phase, ahead of the call, the saves
// of the answers just read held each next call back by their statements: about 0.6 ms of every
// round of a mailbox's four calls in `one-mailbox` (docs/performance.md).
//
// A worker that shares the work with other nodes saves about an n-th as many links a moment as
// one alone: its saves wait 20 ms more for each other node, so that a statement carries about as
// many links as one node's (the settles gather the same way: job-settler.ts). Nothing waits on a
// saved link but its own job's settling; the mailbox's next call does not.
import { Coalescer } from '../lib/coalescer.ts';
import type { CreatePending, LinkToSave } from '../store/links-repository.ts';
import type { Repositories } from '../store/repositories.ts';

/** How much longer a worker's link saves gather for each other node sharing the work. */
const gatherMsPerOtherNode = 20;

export function withCoalescedLinkWrites(
  repos: Repositories,
  /** The nodes sharing the work (job-queue.ts sharers): a worker with others waits longer. */
  sharers: () => number = () => 1,
): Repositories {
  const saves = new Coalescer<LinkToSave>({
    writeMany: (links) => repos.links.saveLinks(links),
    keyOf: (link) => `${link.tenant_id}\u0000${link.event_id}`,
    schedule: (write) => {
      const others = Math.max(1, sharers()) - 1;
      if (others === 0) setImmediate(() => setImmediate(write));
      else setTimeout(() => setImmediate(write), gatherMsPerOtherNode * others);
    },
  });
  const intents = new Coalescer<CreatePending>({
    writeMany: (links) => repos.links.markCreatesPending(links),
    keyOf: (link) => `${link.tenantId}\u0000${link.eventId}`,
  });
  return {
    ...repos,
    links: {
      ...repos.links,
      saveLink: (link) => saves.add(link),
      markCreatePending: (link) => intents.add(link),
    },
  };
}
