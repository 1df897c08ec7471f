// The provider contract for Google Calendar, against the Google sandbox: the provider is built
// from its description (the service account's JSON key read as `provider set` reads it, then
// create), and signs in with domain-wide delegation at the sandbox's token endpoint as at Google's.
import { readFileSync } from 'node:fs';
import { startGoogleSandbox } from '../../sandbox/google/index.ts';
import { localDateTime } from '../../src/domain/time-zones.ts';
import { createOutboundFetch } from '../../src/lib/outbound-fetch.ts';
import { GoogleTokenSource } from '../../src/providers/google/google-token-source.ts';
import { providerPluginNamed } from '../../src/providers/registry.ts';
import { describeProviderContract, type ShownItem } from './calendar-provider-contract.ts';

interface GoogleTime {
  date?: string;
  dateTime?: string;
}

/** An instant from an RFC 3339 time that must carry its offset (the provider always writes one). */
function instantOf(time: GoogleTime): number {
  const text = time.dateTime ?? '';
  if (!/(Z|[+-]\d\d:\d\d)$/.test(text)) throw new Error(`a dateTime without its offset: ${text}`);
  return Date.parse(text);
}

describeProviderContract('Google Calendar', async () => {
  const mailbox = 'rep@acme.example';
  const google = await startGoogleSandbox();
  const key = google.addServiceAccount({ clientEmail: 'sync@acme-sync.iam.gserviceaccount.com' });
  google.delegate(key.client_id, ['https://www.googleapis.com/auth/calendar.events']);
  google.addUser(mailbox);
  const fetchImpl = createOutboundFetch({ extraCaPem: readFileSync(google.caFile, 'utf8') });
  const plugin = providerPluginNamed('google');
  const input = plugin.readInput({ serviceAccountJson: JSON.stringify(key), calendarUrl: google.url }, false);
  if ('problems' in input) throw new Error(input.problems.join('; '));
  const provider = await plugin.create(input.settings, input.credentials, fetchImpl);
  const tokens = new GoogleTokenSource(
    {
      serviceAccountEmail: key.client_email,
      privateKeyPem: key.private_key,
      privateKeyId: key.private_key_id,
      tokenUrl: key.token_uri,
    },
    fetchImpl,
  );

  const shown = (event: Record<string, unknown>): ShownItem => {
    const start = event['start'] as GoogleTime;
    const end = event['end'] as GoogleTime;
    const reminders = event['reminders'] as
      { useDefault?: boolean; overrides?: { minutes: number }[] } | undefined;
    const attendees = (event['attendees'] ?? []) as { email: string; optional?: boolean }[];
    return {
      itemId: String(event['id']),
      salesforceEventId: (event['extendedProperties'] as { private?: Record<string, string> } | undefined)
        ?.private?.['salesforceEventId'],
      subject: String((event['summary'] as string | undefined) ?? ''),
      body: String((event['description'] as string | undefined) ?? ''),
      location: typeof event['location'] === 'string' && event['location'] !== '' ? event['location'] : null,
      timing:
        start.date !== undefined
          ? { kind: 'all-day', startDate: start.date, endDate: end.date ?? '' }
          : { kind: 'timed', start: instantOf(start), end: instantOf(end) },
      showAs: event['transparency'] === 'transparent' ? 'free' : 'busy',
      private: event['visibility'] === 'private',
      // Default reminders are the calendar's own (Google: 10 minutes), never written by the service.
      reminderMinutes: reminders?.useDefault === true ? -1 : (reminders?.overrides?.[0]?.minutes ?? null),
      attendees: attendees.map((a) => ({ email: a.email, optional: a.optional === true })),
    };
  };

  return {
    provider,
    mailbox,
    missingMailbox: 'nobody@acme.example',
    // Live events; changed occurrences are part of their series, not items of their own.
    items: () =>
      Promise.resolve(
        google
          .events(mailbox)
          .filter((e) => e['status'] !== 'cancelled' && e['recurringEventId'] === undefined)
          .map(shown),
      ),
    async occurrences(itemId, zone) {
      const found: { start: number; text: string }[] = [];
      let pageToken: string | undefined;
      do {
        const query = new URLSearchParams({
          timeMin: '2026-01-01T00:00:00Z',
          timeMax: '2032-01-01T00:00:00Z',
          maxResults: '2500',
          ...(pageToken === undefined ? {} : { pageToken }),
        });
        const response = await fetchImpl(
          `${google.url}/calendar/v3/calendars/primary/events/${encodeURIComponent(itemId)}/instances?${query.toString()}`,
          { headers: { authorization: `Bearer ${await tokens.token(mailbox)}` } },
        );
        if (!response.ok) throw new Error(`instances: ${response.status} ${await response.text()}`);
        const page = (await response.json()) as { items: { start: GoogleTime }[]; nextPageToken?: string };
        for (const instance of page.items) {
          const { date } = instance.start;
          const start = date === undefined ? instantOf(instance.start) : Date.parse(`${date}T00:00:00Z`);
          found.push({ start, text: date ?? localDateTime(start, zone).slice(0, 16) });
        }
        pageToken = page.nextPageToken;
      } while (pageToken !== undefined);
      return found.sort((a, b) => a.start - b.start).map((o) => o.text);
    },
    loseNextResponse: () => google.failNext('503', { afterCommit: true }),
    throttleNext: () => google.failNext('429', { afterCommit: false }),
    close: () => google.close(),
  };
});
