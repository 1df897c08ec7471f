import { describe, expect, it } from 'vitest';
import { PermanentError, RetryableError } from '../../lib/errors.ts';
import {
  ItemNotFoundError,
  MailboxAccessDeniedError,
  MailboxNotFoundError,
  OccurrenceCannotMoveError,
} from '../calendar-provider.ts';
import { ewsFailure, ewsHttpFailure, ewsTransportFailure, readEwsAnswer } from './ews-errors.ts';

// Answers as Microsoft's EWS reference prints them (FindConversation's and UpdateItem's schema
// validation faults, DeleteItem's error response, CreateItem's success under impersonation).
const schemaFault = `<?xml version="1.0" encoding="utf-8"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">
  <s:Body>
    <s:Fault>
      <faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorSchemaValidation</faultcode>
      <faultstring xml:lang="en-US">The request failed schema validation: The 'Id' attribute is invalid - The value 'inbox1' is invalid according to its datatype 'http://schemas.microsoft.com/exchange/services/2006/types:DistinguishedFolderIdNameType' - The Enumeration constraint failed.</faultstring>
      <detail>
        <e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorSchemaValidation</e:ResponseCode>
        <e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">The request failed schema validation.</e:Message>
        <t:MessageXml xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">
          <t:LineNumber>14</t:LineNumber>
          <t:LinePosition>34</t:LinePosition>
          <t:Violation>The 'Id' attribute is invalid - The value 'inbox1' is invalid according to its datatype 'http://schemas.microsoft.com/exchange/services/2006/types:DistinguishedFolderIdNameType' - The Enumeration constraint failed.</t:Violation>
        </t:MessageXml>
      </detail>
    </s:Fault>
  </s:Body>
</s:Envelope>`;

const clientFault = `<?xml version="1.0" encoding="utf-8" ?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Body>
    <soap:Fault>
      <soap:faultcode>Client</soap:faultcode>
      <soap:faultstring>The request failed schema validation.</soap:faultstring>
      <detail>
        <e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorSchemaValidation</e:ResponseCode>
        <e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">The 'Key' attribute is invalid - The value 'EmailAddress4' is invalid according to its data type 'http://schemas.microsoft.com/exchange/services/2006/types:EmailAddressKeyType' - The Enumeration constraint failed.</e:Message>
        <e:Line xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">17</e:Line>
        <e:Position xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">19</e:Position>
      </detail>
    </soap:Fault>
  </soap:Body>
</soap:Envelope>`;

const deleteNotFound = `<?xml version="1.0" encoding="utf-8" ?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
               xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
               xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <soap:Header>
    <t:ServerVersionInfo MajorVersion="8" MinorVersion="0" MajorBuildNumber="595" MinorBuildNumber="0"
                         xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" />
  </soap:Header>
  <soap:Body>
    <DeleteItemResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"
                        xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"
                        xmlns="http://schemas.microsoft.com/exchange/services/2006/messages">
      <m:ResponseMessages>
        <m:DeleteItemResponseMessage ResponseClass="Error">
          <m:MessageText>The specified object was not found in the store.</m:MessageText>
          <m:ResponseCode>ErrorItemNotFound</m:ResponseCode>
          <m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>
        </m:DeleteItemResponseMessage>
      </m:ResponseMessages>
    </DeleteItemResponse>
  </soap:Body>
</soap:Envelope>`;

const created = `<?xml version="1.0" encoding="utf-8"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">
  <s:Header>
    <h:ServerVersionInfo MajorVersion="15" MinorVersion="0" MajorBuildNumber="775" MinorBuildNumber="7" Version="V2_4"
 xmlns:h="http://schemas.microsoft.com/exchange/services/2006/types"
 xmlns="http://schemas.microsoft.com/exchange/services/2006/types"
 xmlns:xsd="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" />
  </s:Header>
  <s:Body xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
    <m:CreateItemResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"
  xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">
      <m:ResponseMessages>
        <m:CreateItemResponseMessage ResponseClass="Success">
          <m:ResponseCode>NoError</m:ResponseCode>
          <m:Items>
            <t:CalendarItem>
              <t:ItemId Id="AAMkA" ChangeKey="DwAAA" />
            </t:CalendarItem>
          </m:Items>
        </m:CreateItemResponseMessage>
      </m:ResponseMessages>
    </m:CreateItemResponse>
  </s:Body>
</s:Envelope>`;

/**
 * A fault shaped as Microsoft's faults above, with the code, text and back-off hint Microsoft's
 * throttling article names for ErrorServerBusy ("The BackOffMilliseconds value returned with
 * ErrorServerBusy errors indicates … the amount of time it should wait").
 */
const fault = (code: string, message: string, messageXml = '') => `<?xml version="1.0" encoding="utf-8"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">
  <s:Body>
    <s:Fault>
      <faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:${code}</faultcode>
      <faultstring xml:lang="en-US">${message}</faultstring>
      <detail>
        <e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">${code}</e:ResponseCode>
        <e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">${message}</e:Message>
        ${messageXml}
      </detail>
    </s:Fault>
  </s:Body>
</s:Envelope>`;
const backOff = (ms: number) =>
  `<t:MessageXml xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><t:Value Name="BackOffMilliseconds">${ms}</t:Value></t:MessageXml>`;

const answer = (status: number, body: string, headers: Record<string, string> = {}) => ({
  status,
  headers,
  body,
});
const url = 'https://mail.contoso.com/EWS/Exchange.asmx';

describe('readEwsAnswer', () => {
  it('reads a SOAP fault: the code from its detail, the text from faultstring', () => {
    expect(readEwsAnswer(schemaFault)).toMatchObject({
      kind: 'fault',
      code: 'ErrorSchemaValidation',
      message: expect.stringMatching(
        /^The request failed schema validation: The 'Id' attribute is invalid/,
      ) as unknown,
    });
    expect(readEwsAnswer(clientFault)).toMatchObject({
      kind: 'fault',
      code: 'ErrorSchemaValidation',
      message: 'The request failed schema validation.',
    });
  });

  it('reads each response message: class, code, text', () => {
    const read = readEwsAnswer(deleteNotFound);
    expect(read.kind).toBe('messages');
    if (read.kind !== 'messages') return;
    expect(
      read.messages.map(({ responseClass, code, message }) => ({ responseClass, code, message })),
    ).toEqual([
      {
        responseClass: 'Error',
        code: 'ErrorItemNotFound',
        message: 'The specified object was not found in the store.',
      },
    ]);
    const ok = readEwsAnswer(created);
    expect(ok.kind === 'messages' && ok.messages.map((m) => [m.responseClass, m.code])).toEqual([
      ['Success', 'NoError'],
    ]);
  });

  it('says when a body is no EWS answer at all', () => {
    expect(readEwsAnswer('<html><body>Sign in</body></html>')).toEqual({ kind: 'unreadable' });
    expect(readEwsAnswer('not xml <')).toEqual({ kind: 'unreadable' });
  });
});

describe('ewsFailure', () => {
  it('makes ErrorServerBusy retryable after BackOffMilliseconds, as a fault or as a response message', () => {
    const busy = ewsHttpFailure(
      answer(
        500,
        fault(
          'ErrorServerBusy',
          'The server cannot service this request right now. Try again later.',
          backOff(297_749),
        ),
      ),
      'creating the calendar item',
      url,
    );
    expect(busy).toBeInstanceOf(RetryableError);
    expect((busy as RetryableError).retryAfterMs).toBe(297_749);
    expect(busy.message).toBe(
      'creating the calendar item: Exchange answered ErrorServerBusy (The server cannot service this request right now. Try again later.)',
    );
    const inMessage = deleteNotFound
      .replace('ErrorItemNotFound', 'ErrorServerBusy')
      .replace(
        '<m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>',
        `<m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>${backOff(5000)}`,
      );
    const read = readEwsAnswer(inMessage);
    const message = read.kind === 'messages' ? read.messages[0] : undefined;
    expect(message?.backOffMs).toBe(5000);
    expect((ewsFailure(message!, 'deleting') as RetryableError).retryAfterMs).toBe(5000);
  });

  it('makes concurrency, timeouts and store outages retryable', () => {
    for (const code of [
      'ErrorExceededConnectionCount',
      'ErrorTimeoutExpired',
      'ErrorMailboxStoreUnavailable',
      'ErrorInternalServerError',
    ]) {
      const failure = ewsHttpFailure(answer(500, fault(code, 'later')), 'updating', url);
      expect(failure).toBeInstanceOf(RetryableError);
      expect((failure as RetryableError).retryAfterMs).toBeUndefined();
    }
  });

  it('says a mailbox that does not exist is missing, and names the owner', () => {
    for (const code of ['ErrorNonExistentMailbox', 'ErrorInvalidSmtpAddress']) {
      const failure = ewsHttpFailure(
        answer(500, fault(code, 'The SMTP address has no mailbox associated with it.')),
        'creating the calendar item',
        url,
        'gone@contoso.com',
      );
      expect(failure).toBeInstanceOf(MailboxNotFoundError);
      expect(failure.message).toMatch(/mailbox gone@contoso\.com does not exist in Exchange.*mailboxes map/);
    }
  });

  it('makes a refused impersonation a refusal of the mailbox, naming the ApplicationImpersonation role', () => {
    const user = ewsHttpFailure(
      answer(
        500,
        fault(
          'ErrorImpersonateUserDenied',
          'The account does not have permission to impersonate the requested user.',
        ),
      ),
      'creating the calendar item',
      url,
      'ceo@contoso.com',
    );
    // A state of the mailbox: its Events wait for the role, nothing set aside.
    expect(user).toBeInstanceOf(MailboxAccessDeniedError);
    expect(user.message).toMatch(
      /may not act as ceo@contoso\.com.*ApplicationImpersonation.*New-ManagementRoleAssignment/,
    );
    const anyone = ewsHttpFailure(
      answer(500, fault('ErrorImpersonationDenied', 'no')),
      'reading',
      url,
      'x@contoso.com',
    );
    expect(anyone).toBeInstanceOf(MailboxAccessDeniedError);
    expect(anyone.message).toMatch(/may not impersonate anyone.*ApplicationImpersonation/);
  });

  it('turns a missing item and an occurrence refused its move into their own errors', () => {
    const read = readEwsAnswer(deleteNotFound);
    expect(read.kind === 'messages' && ewsFailure(read.messages[0]!, 'updating')).toBeInstanceOf(
      ItemNotFoundError,
    );
    const crossing = ewsFailure(
      { code: 'ErrorOccurrenceCrossingBoundary', message: 'no' },
      'changing an occurrence',
    );
    expect(crossing).toBeInstanceOf(OccurrenceCannotMoveError);
  });

  it("makes any other refusal permanent, with Exchange's own words", () => {
    const failure = ewsHttpFailure(answer(500, schemaFault), 'creating the calendar item', url);
    expect(failure).toBeInstanceOf(PermanentError);
    expect(failure.message).toMatch(
      /^creating the calendar item: Exchange answered ErrorSchemaValidation \(The request failed schema validation: /,
    );
    expect(ewsHttpFailure(answer(500, clientFault), 'updating', url)).toBeInstanceOf(PermanentError);
  });
});

describe('ewsHttpFailure without an EWS answer', () => {
  it('says what to check for a refused sign-in, a refused EWS, or a wrong URL', () => {
    const signIn = ewsHttpFailure(answer(401, ''), 'reading the calendar', url);
    expect(signIn).toBeInstanceOf(PermanentError);
    expect(signIn.message).toMatch(/refused the service account's sign-in \(HTTP 401\).*user name.*password/);
    expect(ewsHttpFailure(answer(403, 'Forbidden'), 'reading', url).message).toMatch(/EwsEnabled/);
    expect(ewsHttpFailure(answer(404, '<html/>'), 'reading', url).message).toMatch(
      /no EWS at https:\/\/mail\.contoso\.com/,
    );
    expect(ewsHttpFailure(answer(302, ''), 'reading', url)).toBeInstanceOf(PermanentError);
  });

  it('retries an overloaded or unavailable server, after its Retry-After', () => {
    const queued = ewsHttpFailure(
      answer(503, 'Service Unavailable', { 'retry-after': '12' }),
      'reading',
      url,
    );
    expect(queued).toBeInstanceOf(RetryableError);
    expect((queued as RetryableError).retryAfterMs).toBe(12_000);
    expect(ewsHttpFailure(answer(502, ''), 'reading', url)).toBeInstanceOf(RetryableError);
  });
});

describe('ewsTransportFailure', () => {
  it('retries a timeout or a network failure, and says when the certificate is the reason', () => {
    const timeout = ewsTransportFailure(new DOMException('timed out', 'TimeoutError'), 'reading');
    expect(timeout).toBeInstanceOf(RetryableError);
    expect(timeout.message).toBe('reading: Exchange did not answer in time');
    const refused = ewsTransportFailure(
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      'reading',
    );
    expect(refused.message).toBe('reading: cannot reach Exchange (connect ECONNREFUSED)');
    const untrusted = ewsTransportFailure(
      Object.assign(new Error('unable to verify the first certificate'), {
        code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      }),
      'reading',
    );
    expect(untrusted.message).toMatch(/certificate is not trusted/);
    const already = new PermanentError('no NTLM');
    expect(ewsTransportFailure(already, 'reading')).toBe(already);
  });
});
