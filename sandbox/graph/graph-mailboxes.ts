// The mailboxes of the Graph sandbox and their calendar events, with Graph's rules: ids that
// survive (immutable ids), a change key per version, transactionId de-duplication of creates,
// validation of start/end (all-day items start and end at midnight), and the extended property
// filter that finds an item by the value the client stamped on it.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { GraphError } from './graph-errors.ts';
import { instant, isKnownZone, normalizeEvent, type GraphEventInput } from './graph-event-json.ts';
import { checkCrossingBoundary, instanceBody, instanceOn } from './graph-instances.ts';

export interface StoredEvent {
  id: string;
  mailbox: string;
  createdDateTime: string;
  lastModifiedDateTime: string;
  changeKey: string;
  transactionId: string | null;
  iCalUId: string;
  body: Record<string, unknown>;
  /** "String {GUID} Name X" → value */
  extendedProperties: Map<string, string>;
  /** A series' exceptions, by the date (in the series' zone) the occurrence originally fell on. */
  exceptions: Map<string, StoredException>;
  /** The original dates of a series' cancelled occurrences. */
  cancelled: Set<string>;
}

/** What was written to one occurrence of a series: these properties win over the series'. */
export interface StoredException {
  body: Record<string, unknown>;
  extendedProperties: Map<string, string>;
}

export interface Mailbox {
  id: string;
  address: string;
  displayName: string;
}

const transactionIdWindowMs = 24 * 3_600_000;

/** Graph's timestamps carry seven fractional digits ("2017-04-15T03:00:50.7579581Z"). */
const timestamp = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');

/**
 * An iCalUId laid out as Outlook's global object ids are: the class id, the instance date (zero
 * for a series or single item; an occurrence's own date, see graph-event-view.ts), the creation
 * time as a FILETIME, eight reserved bytes, and the length and bytes of a unique id.
 */
function globalObjectId(id: string, now: number): string {
  const filetime = (BigInt(now) + 11_644_473_600_000n) * 10_000n;
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(filetime);
  const unique = createHash('sha1').update(id).digest('hex').slice(0, 32);
  return `040000008200E00074C5B7101A82E00800000000${bytes.toString('hex')}000000000000000000000010${unique}`.toUpperCase();
}

export class GraphMailboxes {
  readonly #mailboxes = new Map<string, Mailbox>();
  readonly #events = new Map<string, StoredEvent>();
  /**
   * Each mailbox's events, by id, in the order they were made: a mailbox's calls read its own
   * events only, as Exchange keeps each mailbox apart, instead of every event of every mailbox.
   */
  readonly #byMailbox = new Map<string, Map<string, StoredEvent>>();
  readonly #transactions = new Map<string, { eventId: string; at: number }>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  addMailbox(address: string, displayName?: string): Mailbox {
    const key = address.toLowerCase();
    const existing = this.#mailboxes.get(key);
    if (existing !== undefined) return existing;
    const mailbox = {
      id: randomUUID(),
      address: key,
      displayName: displayName ?? address.split('@')[0] ?? address,
    };
    this.#mailboxes.set(key, mailbox);
    return mailbox;
  }

  mailboxes(): Mailbox[] {
    return [...this.#mailboxes.values()];
  }

  /** The mailbox for a user id or UPN, or 404 as Graph answers for an unknown user. */
  mailbox(idOrUpn: string): Mailbox {
    const key = decodeURIComponent(idOrUpn).toLowerCase();
    const found = this.#mailboxes.get(key) ?? [...this.#mailboxes.values()].find((m) => m.id === key);
    if (found === undefined)
      throw new GraphError(
        404,
        'ErrorInvalidUser',
        `The requested user '${decodeURIComponent(idOrUpn)}' is invalid.`,
      );
    return found;
  }

  events(mailbox: Mailbox): StoredEvent[] {
    return [...(this.#byMailbox.get(mailbox.address)?.values() ?? [])];
  }

  has(mailbox: Mailbox, id: string): boolean {
    return this.#events.get(id)?.mailbox === mailbox.address;
  }

  event(mailbox: Mailbox, id: string): StoredEvent {
    const found = this.#events.get(id);
    if (found === undefined || found.mailbox !== mailbox.address) {
      throw new GraphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    }
    return found;
  }

  /** Creates an event; a second create with the same transactionId within a day returns the first. */
  create(mailbox: Mailbox, input: GraphEventInput): { event: StoredEvent; replayed: boolean } {
    const transactionId = typeof input['transactionId'] === 'string' ? input['transactionId'] : null;
    if (transactionId !== null) {
      const seen = this.#transactions.get(`${mailbox.address}|${transactionId}`);
      const earlier = seen === undefined ? undefined : this.#events.get(seen.eventId);
      if (seen !== undefined && earlier !== undefined && this.#now() - seen.at < transactionIdWindowMs)
        return { event: earlier, replayed: true };
    }
    const { body, extended } = normalizeEvent(input, undefined);
    const now = timestamp(this.#now());
    const id = `AAMk${randomBytes(30).toString('base64url')}`;
    const event: StoredEvent = {
      id,
      mailbox: mailbox.address,
      createdDateTime: now,
      lastModifiedDateTime: now,
      changeKey: randomBytes(12).toString('base64'),
      transactionId,
      iCalUId: globalObjectId(id, this.#now()),
      body: { ...body, organizer: { emailAddress: { name: mailbox.displayName, address: mailbox.address } } },
      extendedProperties: new Map(extended),
      exceptions: new Map(),
      cancelled: new Set(),
    };
    this.#events.set(id, event);
    let own = this.#byMailbox.get(event.mailbox);
    if (own === undefined) this.#byMailbox.set(event.mailbox, (own = new Map<string, StoredEvent>()));
    own.set(id, event);
    if (transactionId !== null)
      this.#transactions.set(`${mailbox.address}|${transactionId}`, { eventId: id, at: this.#now() });
    return { event, replayed: false };
  }

  /**
   * Updates an event. A series whose recurrence, start, end or isAllDay changes has its
   * occurrences made anew: every exception and cancellation is dropped (Outlook: "any exceptions
   * associated with this recurring appointment will be lost"); other changes reach every
   * occurrence, and every exception in the properties it was not given itself.
   */
  update(mailbox: Mailbox, id: string, input: GraphEventInput): StoredEvent {
    const event = this.event(mailbox, id);
    const { body, extended } = normalizeEvent(input, event.body);
    const shape = (b: Record<string, unknown>) =>
      JSON.stringify([b['recurrence'] ?? null, b['start'], b['end'], b['isAllDay'] === true]);
    const before = shape(event.body);
    event.body = { ...event.body, ...body };
    if (shape(event.body) !== before) {
      event.exceptions.clear();
      event.cancelled.clear();
    }
    for (const [key, value] of extended) event.extendedProperties.set(key, value);
    this.#touch(event);
    return event;
  }

  /**
   * Changes the instance of series `master` originally on `date` (which must be one, not
   * cancelled) into an exception, or changes the exception it is: the properties written are
   * kept for it alone. An instance carries no recurrence, and cannot be moved onto or past the
   * day of its neighbours. The series' item changes with it (a new change key for the series and
   * all its instances).
   */
  updateInstance(master: StoredEvent, date: string, input: GraphEventInput): StoredEvent {
    const occurrence = instanceOn(master, date);
    if ('recurrence' in input)
      throw new GraphError(
        400,
        'ErrorInvalidRequest',
        'An occurrence or exception of a recurring series cannot have a recurrence; change the series master instead.',
      );
    const { body, extended } = normalizeEvent(input, instanceBody(master, occurrence));
    const exception = master.exceptions.get(date) ?? { body: {}, extendedProperties: new Map() };
    const changed = {
      body: { ...exception.body, ...body },
      extendedProperties: new Map(exception.extendedProperties),
    };
    if ('start' in body) {
      const start = { ...instanceBody(master, occurrence), ...changed.body }['start'] as {
        dateTime: string;
        timeZone: string;
      };
      checkCrossingBoundary(master, date, instant(start.dateTime, start.timeZone));
    }
    for (const [key, value] of extended) changed.extendedProperties.set(key, value);
    master.exceptions.set(date, changed);
    this.#touch(master);
    return master;
  }

  /** Cancels the instance of series `master` originally on `date` (an occurrence or an exception): it is no longer in the series. */
  cancelInstance(master: StoredEvent, date: string): void {
    instanceOn(master, date);
    master.exceptions.delete(date);
    master.cancelled.add(date);
    this.#touch(master);
  }

  #touch(event: StoredEvent): void {
    event.lastModifiedDateTime = timestamp(this.#now());
    event.changeKey = randomBytes(12).toString('base64');
  }

  delete(mailbox: Mailbox, id: string): void {
    const event = this.event(mailbox, id);
    this.#events.delete(id);
    this.#byMailbox.get(event.mailbox)?.delete(id);
  }

  /** Events whose single-value extended property `propertyId` has `value`. */
  findByExtendedProperty(mailbox: Mailbox, propertyId: string, value: string): StoredEvent[] {
    const wanted = propertyId.toLowerCase();
    return this.events(mailbox).filter((e) =>
      [...e.extendedProperties].some(([k, v]) => k.toLowerCase() === wanted && v === value),
    );
  }
}

export { isKnownZone };
