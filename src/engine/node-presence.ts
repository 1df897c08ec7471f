// This process as a node of the service: registered in the database while it runs, renewing its
// row every few seconds. It lets work held by a node that died come back quickly:
// - at start, a node takes back at once everything held by a dead node of its own host (the
//   previous run of a process that was killed and restarted): same host, boot and process
//   namespace, and a pid that no longer runs (or is now ours);
// - any claim takes back the jobs of a node whose row expired (it died and was not restarted).
// A node that cannot renew its row (the database is away) must stop working on what it holds
// before the row expires: `workableUntil` says until when it may go on. It never lets a job run
// twice at once: another node takes work back only from a node that is dead or has stopped.
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Clock } from '../lib/clock.ts';
import { describeError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import type { Repositories } from '../store/repositories.ts';

export interface NodePresenceDeps {
  repos: Repositories;
  clock: Clock;
  logger: Logger;
  nodeId: string;
  role: 'serve' | 'worker';
  version: string;
  /** The queue's attempt limit: a job released on its last attempt is dead-lettered. */
  maxAttempts: number;
  heartbeatMs?: number;
  ttlMs?: number;
  /** Told, at start and at each heartbeat, how many nodes are alive (this one included). */
  onLiveNodes?: (count: number) => void;
  /** Defaults: this machine and process. */
  host?: { name: string; key: string };
  pid?: number;
  isRunning?: (pid: number) => boolean;
}

export interface Recovered {
  nodes: number;
  jobs: number;
  leases: number;
}

export class NodePresence {
  readonly #deps: NodePresenceDeps;
  readonly #heartbeatMs: number;
  readonly #ttlMs: number;
  readonly #lostListeners: (() => void)[] = [];
  #lastBeat = 0;
  #timer: NodeJS.Timeout | undefined;
  #beating: Promise<void> = Promise.resolve();
  #failing = false;

  constructor(deps: NodePresenceDeps) {
    this.#deps = deps;
    this.#heartbeatMs = deps.heartbeatMs ?? 5000;
    this.#ttlMs = deps.ttlMs ?? 30_000;
  }

  /** Registers this node, takes back what a dead run on this host held, and starts the heartbeat. */
  async start(): Promise<Recovered> {
    const { repos, clock, nodeId, logger } = this.#deps;
    const host = this.#deps.host ?? thisHost(nodeId);
    const pid = this.#deps.pid ?? process.pid;
    const now = clock.now();
    await this.#register(now);
    this.#lastBeat = now;
    const isRunning = this.#deps.isRunning ?? processRuns;
    const dead = (await repos.nodes.nodesSharingHost(host.key, nodeId)).filter(
      (node) => node.pid === pid || !isRunning(node.pid),
    );
    const released = await repos.nodes.releaseDeadNodes({
      ids: dead.map((node) => node.id),
      now,
      maxAttempts: this.#deps.maxAttempts,
    });
    const recovered = { nodes: dead.length, jobs: released.jobs.length, leases: released.leases };
    if (dead.length > 0)
      logger.info(
        { ...recovered, pids: dead.map((node) => node.pid) },
        'took back the jobs and leases of a previous run on this host that ended without stopping',
      );
    await this.#countLive(now);
    this.#timer = setInterval(() => {
      this.#beating = this.#beating.then(() => this.#beat());
    }, this.#heartbeatMs);
    return recovered;
  }

  /**
   * Until when (clock time) this node may go on with the work it holds: two heartbeats before
   * its row could expire, so no other node takes the work back while it still runs here.
   */
  get workableUntil(): number {
    return this.#lastBeat + this.#ttlMs - 2 * this.#heartbeatMs;
  }

  /** Called when the node learns that others took its work back (its row had expired). */
  onLost(listener: () => void): void {
    this.#lostListeners.push(listener);
  }

  /** Stops the heartbeat and removes the node's row (call after its work is settled). */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#beating;
    await this.#deps.repos.nodes
      .removeNode(this.#deps.nodeId)
      .catch((error: unknown) =>
        this.#deps.logger.warn(
          { error: describeError(error) },
          'could not remove this node from the database; its row expires by itself',
        ),
      );
  }

  async #countLive(now: number): Promise<void> {
    const listener = this.#deps.onLiveNodes;
    if (listener === undefined) return;
    try {
      listener(await this.#deps.repos.nodes.countLiveNodes(now));
    } catch {
      // Only a hint (how often this node sweeps): the last count stands until the next beat.
    }
  }

  async #register(now: number): Promise<void> {
    const host = this.#deps.host ?? thisHost(this.#deps.nodeId);
    await this.#deps.repos.nodes.registerNode({
      id: this.#deps.nodeId,
      host: host.name,
      host_key: host.key,
      pid: this.#deps.pid ?? process.pid,
      role: this.#deps.role,
      version: this.#deps.version,
      started_at: now,
      now,
      ttlMs: this.#ttlMs,
    });
  }

  async #beat(): Promise<void> {
    const { repos, clock, nodeId, logger } = this.#deps;
    const now = clock.now();
    try {
      const renewed = await repos.nodes.renewNode({ id: nodeId, now, ttlMs: this.#ttlMs });
      if (!renewed) {
        logger.warn(
          'this node had stopped renewing for too long and its work was given to others; joining again',
        );
        for (const listener of this.#lostListeners) listener();
        await this.#register(now);
      }
      this.#lastBeat = now;
      await this.#countLive(now);
      if (this.#failing) logger.info('the database answers again: node heartbeat renewed');
      this.#failing = false;
    } catch (error) {
      if (!this.#failing)
        logger.warn(
          { error: describeError(error) },
          'cannot renew this node in the database; its work stops before others may take it',
        );
      this.#failing = true;
    }
  }
}

/**
 * This host as nodes see it: its name, and a key that is equal only for processes that see each
 * other's pids (same host, same boot, same pid namespace). Where the system does not say, the
 * key is this node's own, so no other node ever judges it by pid.
 */
function thisHost(nodeId: string): { name: string; key: string } {
  const name = hostname();
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const pidNamespace = readlinkSync('/proc/self/ns/pid');
    return { name, key: `${name}|${boot}|${pidNamespace}` };
  } catch {
    return { name, key: `${name}|${nodeId}` };
  }
}

/** Whether a process with this pid runs (one we may not signal still runs). */
function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
