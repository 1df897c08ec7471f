// For the Exchange sandbox's tests: raw EWS over HTTPS trusting the sandboxes' CA. A SOAP
// envelope builder, Basic-authenticated calls, and NTLM done by hand with @ewsjs/ntlm-client's
// messages over one undici Client (a single socket), since NTLM authenticates a connection.
// Answers are read with fast-xml-parser into plain objects, namespace prefixes removed.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { rootCertificates } from 'node:tls';
import { XMLParser } from 'fast-xml-parser';
import { Agent, Client, fetch as undiciFetch } from 'undici';
import type { EwsSandbox } from './index.ts';

interface Type2 {
  flags: number;
  challenge: Buffer;
}

/** @ewsjs/ntlm-client ships no types; these are the three functions the tests call. */
export const ntlm = createRequire(import.meta.url)('@ewsjs/ntlm-client') as {
  createType1Message(workstation?: string, target?: string): string;
  decodeType2Message(header: string): Type2;
  createType3Message(
    type2: Type2,
    username: string,
    password: string,
    workstation?: string,
    target?: string,
  ): string;
};

export const types = 'http://schemas.microsoft.com/exchange/services/2006/types';
export const messagesNs = 'http://schemas.microsoft.com/exchange/services/2006/messages';
export const stampSet = '5f3c4a8e-2b71-4c0e-9d6a-7e1b2c3d4f50';
export const stampUri = `<t:ExtendedFieldURI PropertySetId="${stampSet}" PropertyName="SalesforceEventId" PropertyType="String"/>`;

/** A SOAP 1.1 request envelope with EWS's header. */
export function envelope(
  body: string,
  header: { impersonate?: string; version?: string | null; timeZone?: string } = {},
): string {
  const version =
    header.version === null ? '' : `<t:RequestServerVersion Version="${header.version ?? 'Exchange2016'}"/>`;
  const impersonation =
    header.impersonate === undefined
      ? ''
      : `<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>${header.impersonate}</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>`;
  const zone =
    header.timeZone === undefined
      ? ''
      : `<t:TimeZoneContext><t:TimeZoneDefinition Id="${header.timeZone}"/></t:TimeZoneContext>`;
  return (
    `<?xml version="1.0" encoding="utf-8"?>\n<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="${types}" xmlns:m="${messagesNs}">\n` +
    `<soap:Header>${version}${impersonation}${zone}</soap:Header>\n<soap:Body>\n${body}\n</soap:Body>\n</soap:Envelope>`
  );
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  isArray: (name) =>
    ['CalendarItem', 'Attendee', 'Occurrence', 'DeletedOccurrence', 'ExtendedProperty'].includes(name) ||
    name.endsWith('ResponseMessage'),
});

export interface EwsAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body (prefixes removed), or undefined when it is not XML. */
  xml: Record<string, unknown> | undefined;
}

/** The response messages of an operation's answer. */
export function responseMessages(answer: EwsAnswer, operation: string): Record<string, unknown>[] {
  const body = (answer.xml?.['Envelope'] as Record<string, Record<string, unknown>> | undefined)?.['Body'];
  const response = body?.[`${operation}Response`] as Record<string, Record<string, unknown>> | undefined;
  const messages = response?.['ResponseMessages']?.[`${operation}ResponseMessage`];
  if (!Array.isArray(messages))
    throw new Error(`No ${operation} response in ${answer.status}: ${answer.text}`);
  return messages as Record<string, unknown>[];
}

/** The SOAP fault of an answer: its code (faultcode without prefix), faultstring and detail. */
export function soapFault(answer: EwsAnswer): {
  code: string;
  text: string;
  detail: Record<string, unknown>;
} {
  const fault = (
    answer.xml?.['Envelope'] as Record<string, Record<string, Record<string, unknown>>> | undefined
  )?.['Body']?.['Fault'];
  if (fault === undefined) throw new Error(`Not a fault (${answer.status}): ${answer.text}`);
  const code = fault['faultcode'] as string | { '#text': string };
  const text = fault['faultstring'] as string | { '#text': string };
  return {
    code: (typeof code === 'string' ? code : code['#text']).replace(/^.*:/, ''),
    text: typeof text === 'string' ? text : text['#text'],
    detail: fault['detail'] as Record<string, unknown>,
  };
}

const toAnswer = (status: number, headers: Headers, text: string): EwsAnswer => ({
  status,
  headers,
  text,
  xml:
    text.trimStart().startsWith('<?xml') || text.trimStart().startsWith('<s:')
      ? (parser.parse(text) as Record<string, unknown>)
      : undefined,
});

export interface EwsClients {
  /** POST to EWS with Basic credentials (or none). */
  basic(
    body: string,
    credentials?: { username: string; password: string },
    headers?: Record<string, string>,
  ): Promise<EwsAnswer>;
  /** One connection (one socket), for NTLM. */
  connection(): EwsConnection;
  /** Plain HTTPS to the sandbox (the control API). */
  fetch(path: string, init?: { method?: string; body?: string }): ReturnType<typeof undiciFetch>;
  close(): Promise<void>;
}

export interface EwsConnection {
  request(init: { method?: string; body?: string; authorization?: string }): Promise<EwsAnswer>;
  /** Type 1, Type 2, Type 3 on this socket; the Type 3 request carries `body`. */
  ntlm(body: string, credentials: { user: string; domain: string; password: string }): Promise<EwsAnswer>;
  close(): Promise<void>;
}

export function ewsClients(sandbox: EwsSandbox): EwsClients {
  const ca = [...rootCertificates, readFileSync(sandbox.caFile, 'utf8')];
  const agent = new Agent({ connect: { ca } });
  const clients: Client[] = [];
  const endpoint = `${sandbox.url}/EWS/Exchange.asmx`;
  return {
    basic: async (body, credentials, headers = {}) => {
      const response = await undiciFetch(endpoint, {
        method: 'POST',
        dispatcher: agent,
        headers: {
          'content-type': 'text/xml; charset=utf-8',
          ...(credentials === undefined
            ? {}
            : {
                authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`,
              }),
          ...headers,
        },
        body,
      });
      return toAnswer(response.status, response.headers, await response.text());
    },
    connection: () => {
      const client = new Client(sandbox.url, { pipelining: 1, connect: { ca } });
      clients.push(client);
      const request: EwsConnection['request'] = async (init) => {
        const response = await client.request({
          path: '/EWS/Exchange.asmx',
          method: init.method ?? 'POST',
          headers: {
            'content-type': 'text/xml; charset=utf-8',
            ...(init.authorization === undefined ? {} : { authorization: init.authorization }),
          },
          ...(init.body === undefined ? {} : { body: init.body }),
        });
        const headers = new Headers();
        for (const [name, value] of Object.entries(response.headers))
          for (const v of Array.isArray(value) ? value : [value])
            if (v !== undefined) headers.append(name, v);
        return toAnswer(response.statusCode, headers, await response.body.text());
      };
      return {
        request,
        ntlm: async (body, credentials) => {
          const challenge = await request({
            authorization: ntlm.createType1Message('WORKSTATION', credentials.domain),
            body,
          });
          const header = challenge.headers.get('www-authenticate') ?? '';
          if (challenge.status !== 401 || !header.startsWith('NTLM '))
            throw new Error(`No NTLM challenge: ${challenge.status} ${header}`);
          const type2 = ntlm.decodeType2Message(header);
          return request({
            authorization: ntlm.createType3Message(
              type2,
              credentials.user,
              credentials.password,
              'WORKSTATION',
              credentials.domain,
            ),
            body,
          });
        },
        close: () => client.close(),
      };
    },
    fetch: (path, init = {}) =>
      undiciFetch(`${sandbox.url}${path}`, {
        method: init.method ?? 'GET',
        dispatcher: agent,
        ...(init.body === undefined
          ? {}
          : { body: init.body, headers: { 'content-type': 'application/json' } }),
      }),
    close: async () => {
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
      await agent.close();
    },
  };
}

/** A t:CalendarItem for CreateItem, its children in schema order. */
export function calendarItem(input: {
  subject?: string;
  stamp?: string;
  start: string;
  end: string;
  zone?: string;
  body?: string;
  location?: string;
  freeBusy?: string;
  attendees?: string[];
  recurrence?: string;
  allDay?: boolean;
}): string {
  return (
    `<t:CalendarItem>` +
    (input.subject === undefined ? '' : `<t:Subject>${input.subject}</t:Subject>`) +
    (input.body === undefined ? '' : `<t:Body BodyType="Text">${input.body}</t:Body>`) +
    `<t:ReminderIsSet>false</t:ReminderIsSet>` +
    (input.stamp === undefined
      ? ''
      : `<t:ExtendedProperty>${stampUri}<t:Value>${input.stamp}</t:Value></t:ExtendedProperty>`) +
    `<t:Start>${input.start}</t:Start><t:End>${input.end}</t:End>` +
    (input.allDay === undefined ? '' : `<t:IsAllDayEvent>${input.allDay}</t:IsAllDayEvent>`) +
    `<t:LegacyFreeBusyStatus>${input.freeBusy ?? 'Busy'}</t:LegacyFreeBusyStatus>` +
    (input.location === undefined ? '' : `<t:Location>${input.location}</t:Location>`) +
    (input.attendees === undefined
      ? ''
      : `<t:RequiredAttendees>${input.attendees.map((a) => `<t:Attendee><t:Mailbox><t:EmailAddress>${a}</t:EmailAddress></t:Mailbox></t:Attendee>`).join('')}</t:RequiredAttendees>`) +
    (input.recurrence ?? '') +
    (input.zone === undefined
      ? ''
      : `<t:StartTimeZone Id="${input.zone}"/><t:EndTimeZone Id="${input.zone}"/>`) +
    `</t:CalendarItem>`
  );
}

export const createItem = (items: string, send: string | null = 'SendToNone') =>
  `<m:CreateItem${send === null ? '' : ` SendMeetingInvitations="${send}"`}><m:SavedItemFolderId><t:DistinguishedFolderId Id="calendar"/></m:SavedItemFolderId><m:Items>${items}</m:Items></m:CreateItem>`;
