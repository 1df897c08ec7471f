// The provider contract for Exchange Server over EWS, against the EWS sandbox: the provider is
// built from its description (readInput, then create with the sandboxes' CA) and signs in with
// NTLM as a service account holding the ApplicationImpersonation role. Occurrences are read back
// with a CalendarView, as Outlook shows the calendar.
import { readFileSync } from 'node:fs';
import { findIana } from 'windows-iana';
import { startEwsSandbox } from '../../sandbox/ews/index.ts';
import type { ShowAs } from '../../src/domain/calendar-item.ts';
import { localDate, localDateTime } from '../../src/domain/time-zones.ts';
import { createOutboundFetch } from '../../src/lib/outbound-fetch.ts';
import { envelope } from '../../src/providers/ews/ews-requests.ts';
import { EwsTransport } from '../../src/providers/ews/ews-transport.ts';
import { attribute, child, children, parseXml, text } from '../../src/providers/ews/ews-xml.ts';
import { providerPluginNamed } from '../../src/providers/registry.ts';
import { describeProviderContract, type ShownItem } from './calendar-provider-contract.ts';

const showAs: Record<string, ShowAs> = {
  Free: 'free',
  Tentative: 'tentative',
  Busy: 'busy',
  OOF: 'oof',
  WorkingElsewhere: 'workingElsewhere',
};

describeProviderContract('Exchange Server (EWS)', async () => {
  const mailbox = 'rep@acme.example';
  const service = { username: 'CONTOSO\\svc-sync', password: 'ews-secret' };
  const ews = await startEwsSandbox();
  ews.addAccount(service);
  ews.grantImpersonation(service.username);
  ews.addMailbox(mailbox);
  const extraCaPem = readFileSync(ews.caFile, 'utf8');
  const plugin = providerPluginNamed('ews');
  const url = `${ews.url}/EWS/Exchange.asmx`;
  const input = plugin.readInput({ url, ...service }, false);
  if ('problems' in input) throw new Error(input.problems.join('; '));
  const provider = await plugin.create(
    input.settings,
    input.credentials,
    createOutboundFetch({ extraCaPem }),
    {
      extraCaPem,
    },
  );
  const transport = new EwsTransport({ url, ...service, auth: 'ntlm', extraCaPem });

  const dateIn = (utc: string, windowsZone: string) =>
    localDate(Date.parse(utc), findIana(windowsZone)[0] ?? 'UTC');
  const shown = (item: Record<string, unknown>): ShownItem => {
    const attendees = (list: unknown, optional: boolean) =>
      ((list ?? []) as { EmailAddress: string }[]).map((a) => ({ email: a.EmailAddress, optional }));
    const zone = String(item['StartTimeZoneId']);
    return {
      itemId: String(item['ItemId']),
      salesforceEventId: (item['ExtendedProperties'] as { PropertyName?: string; Value?: string }[]).find(
        (p) => p.PropertyName === 'SalesforceEventId',
      )?.Value,
      subject: String((item['Subject'] as string | null) ?? ''),
      body: (item['Body'] as { Value?: string } | null)?.Value ?? '',
      location: typeof item['Location'] === 'string' && item['Location'] !== '' ? item['Location'] : null,
      timing:
        item['IsAllDayEvent'] === true
          ? {
              kind: 'all-day',
              startDate: dateIn(String(item['Start']), zone),
              endDate: dateIn(String(item['End']), String((item['EndTimeZoneId'] as string | null) ?? zone)),
            }
          : { kind: 'timed', start: Date.parse(String(item['Start'])), end: Date.parse(String(item['End'])) },
      showAs: showAs[String(item['LegacyFreeBusyStatus'])] ?? 'busy',
      private: item['Sensitivity'] === 'Private',
      reminderMinutes: item['ReminderIsSet'] === true ? Number(item['ReminderMinutesBeforeStart']) : null,
      attendees: [
        ...attendees(item['RequiredAttendees'], false),
        ...attendees(item['OptionalAttendees'], true),
      ],
    };
  };

  return {
    provider,
    mailbox,
    missingMailbox: 'nobody@acme.example',
    items: () => Promise.resolve(ews.items(mailbox).map(shown)),
    async occurrences(itemId, zone) {
      const uid = ews.items(mailbox).find((i) => i['ItemId'] === itemId)?.['UID'];
      const found: { start: number; text: string }[] = [];
      // A CalendarView spans at most two years: the contract's series fall in 2027.
      for (const [from, to] of [
        ['2026-11-01T00:00:00Z', '2028-10-31T00:00:00Z'],
        ['2028-10-31T00:00:00Z', '2030-10-31T00:00:00Z'],
      ] as const) {
        const answer = await transport.post(
          envelope(
            '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>' +
              '<t:FieldURI FieldURI="calendar:Start"/><t:FieldURI FieldURI="calendar:IsAllDayEvent"/>' +
              '<t:FieldURI FieldURI="calendar:UID"/></t:AdditionalProperties></m:ItemShape>' +
              `<m:CalendarView StartDate="${from}" EndDate="${to}"/>` +
              '<m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds></m:FindItem>',
            mailbox,
          ),
          { anchorMailbox: mailbox, signal: AbortSignal.timeout(30_000) },
        );
        const body = child(child(parseXml(answer.body), 'Envelope'), 'Body');
        const message = child(
          child(child(body, 'FindItemResponse'), 'ResponseMessages'),
          'FindItemResponseMessage',
        );
        if (attribute(message, 'ResponseClass') !== 'Success')
          throw new Error(`CalendarView: ${text(message, 'MessageText') ?? answer.body.slice(0, 300)}`);
        for (const item of children(child(child(message, 'RootFolder'), 'Items'), 'CalendarItem')) {
          if (text(item, 'UID') !== uid) continue;
          const start = Date.parse(text(item, 'Start') ?? '');
          found.push({
            start,
            text:
              text(item, 'IsAllDayEvent') === 'true'
                ? localDate(start, zone)
                : localDateTime(start, zone).slice(0, 16),
          });
        }
      }
      return found.sort((a, b) => a.start - b.start).map((o) => o.text);
    },
    loseNextResponse: () => ews.failNext('503', { afterCommit: true }),
    throttleNext: () => ews.failNext('server-busy', { afterCommit: false }),
    async close() {
      await transport.close();
      await ews.close();
    },
  };
});
