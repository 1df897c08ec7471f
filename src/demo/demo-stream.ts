// The demo's sales reps and the Event changes they make: first a handful of meetings (one all-day,
// one recurring weekly, one private), then, one change every couple of seconds, new meetings,
// rescheduled ones and cancelled ones — what a sales team's calendar sees in a morning.
import { setTimeout as sleep } from 'node:timers/promises';
import { describeError } from '../lib/errors.ts';

export const demoReps = [
  {
    username: 'anna.berg@demo.example',
    email: 'anna.berg@demo.example',
    firstName: 'Anna',
    lastName: 'Berg',
    timeZoneSidKey: 'Europe/Berlin',
  },
  {
    username: 'raj.patel@demo.example',
    email: 'raj.patel@demo.example',
    firstName: 'Raj',
    lastName: 'Patel',
    timeZoneSidKey: 'Asia/Kolkata',
  },
  {
    username: 'maria.silva@demo.example',
    email: 'maria.silva@demo.example',
    firstName: 'Maria',
    lastName: 'Silva',
    timeZoneSidKey: 'America/Sao_Paulo',
  },
  {
    username: 'tom.baker@demo.example',
    email: 'tom.baker@demo.example',
    firstName: 'Tom',
    lastName: 'Baker',
    timeZoneSidKey: 'America/New_York',
  },
];

const accounts = [
  'Globex',
  'Initech',
  'Umbrella',
  'Stark Industries',
  'Wayne Enterprises',
  'Acme',
  'Hooli',
  'Vandelay',
];
const kinds = [
  'Discovery call',
  'Demo',
  'Pricing review',
  'Contract walkthrough',
  'Quarterly business review',
  'Kick-off',
];

interface Org {
  reps: ReadonlyMap<string, string>;
  salesforce(method: string, path: string, body?: unknown): Promise<unknown>;
}

export class DemoStream {
  readonly #org: Org;
  readonly #subjects = new Map<string, string>();
  /** Events the stream may still edit or delete. */
  readonly #live: string[] = [];
  #step = 0;

  constructor(org: Org) {
    this.#org = org;
  }

  subjectOf(eventId: string): string | undefined {
    return this.#subjects.get(eventId);
  }

  /** Writes changes every `paceMs` until `stop` resolves; a refused change is reported, never fatal. */
  async run(stop: Promise<void>, paceMs: number, onProblem: (problem: string) => void): Promise<void> {
    let stopped = false;
    void stop.then(() => (stopped = true));
    const ac = new AbortController();
    void stop.then(() => ac.abort());
    while (!stopped) {
      try {
        await this.next();
      } catch (error) {
        onProblem(describeError(error));
      }
      await sleep(paceMs, undefined, { signal: ac.signal }).catch(() => undefined);
    }
  }

  /** One change: the opening set first, then a mix of creates (50 %), edits (35 %) and deletions. */
  async next(): Promise<void> {
    const step = this.#step++;
    const owners = [...this.#org.reps.keys()];
    const owner = owners[step % owners.length] ?? '';
    const day = (offset: number) => {
      const date = new Date(Date.now() + offset * 86_400_000);
      return date.toISOString().slice(0, 10);
    };
    const weekday = (offset: number) =>
      ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'][new Date(Date.now() + offset * 86_400_000).getUTCDay()] ??
      'MO';
    const opening: (() => Promise<void>)[] = [
      () =>
        this.#create(owner, {
          Subject: 'Pipeline review',
          StartDateTime: `${day(1)}T08:00:00Z`,
          DurationInMinutes: 60,
          Location: 'Room 4',
        }),
      () =>
        this.#create(owner, {
          Subject: 'Sales kick-off (all day)',
          IsAllDayEvent: true,
          ActivityDate: day(3),
          DurationInMinutes: 1440,
        }),
      () =>
        this.#create(owner, {
          Subject: 'Weekly forecast call',
          StartDateTime: `${day(1)}T15:00:00Z`,
          DurationInMinutes: 30,
          IsRecurrence2: true,
          Recurrence2PatternText: `RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=${weekday(1)};COUNT=12`,
          Recurrence2PatternTimeZone: 'Europe/Berlin',
          Recurrence2PatternStartDate: `${day(1)}T15:00:00.000Z`,
        }),
      () =>
        this.#create(owner, {
          Subject: 'Doctor (private)',
          StartDateTime: `${day(2)}T12:00:00Z`,
          DurationInMinutes: 45,
          IsPrivate: true,
        }),
    ];
    const first = opening[step];
    if (first !== undefined) return first();
    const roll = (step * 7919) % 100;
    if (roll < 50 || this.#live.length < 3) {
      const account = accounts[step % accounts.length] ?? 'Acme';
      const kind = kinds[step % kinds.length] ?? 'Call';
      return this.#create(owner, {
        Subject: `${kind} with ${account}`,
        StartDateTime: `${day(1 + (step % 10))}T${String(7 + (step % 10)).padStart(2, '0')}:30:00Z`,
        DurationInMinutes: 30 + (step % 3) * 15,
        Location: step % 2 === 0 ? 'Zoom' : `${account} HQ`,
      });
    }
    const index = step % this.#live.length;
    const id = this.#live[index] ?? '';
    if (roll < 85) {
      const subject = `${this.#subjects.get(id) ?? 'Meeting'} (moved)`.replace(
        ' (moved) (moved)',
        ' (moved)',
      );
      await this.#org.salesforce('PATCH', `/__sandbox/events/${id}`, {
        Subject: subject,
        StartDateTime: `${day(2 + (step % 9))}T${String(8 + (step % 8)).padStart(2, '0')}:00:00Z`,
        DurationInMinutes: 45,
      });
      this.#subjects.set(id, subject);
      return;
    }
    await this.#org.salesforce('DELETE', `/__sandbox/events/${id}`);
    this.#live.splice(index, 1);
  }

  async #create(ownerId: string, fields: Record<string, unknown>): Promise<void> {
    const created = (await this.#org.salesforce('POST', '/__sandbox/events', { ownerId, ...fields })) as {
      Id: string;
    };
    this.#subjects.set(created.Id, String(fields['Subject']));
    this.#live.push(created.Id);
  }
}
