// The Exchange sandbox's front door, checked with raw HTTP: IIS's 401 and its offers, NTLM
// bound to one connection (and only NTLMv2), Basic, the SOAP envelope and header (server
// version, malformed XML), and ExchangeImpersonation's refusals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  envelope,
  ewsClients,
  ntlm,
  responseMessages,
  soapFault,
  type EwsClients,
} from './ews-test-clients.ts';
import { startEwsSandbox, type EwsSandbox } from './index.ts';

const findCalendar = `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds></m:FindItem>`;
const service = { user: 'svc-sync', domain: 'CORP', password: 'Correct-Horse-1' };

/** An AUTHENTICATE message in NTLMv1's shape (OEM strings, 24-byte responses). */
function ntlmV1Authenticate(domain: string, user: string): string {
  const strings = [
    Buffer.alloc(24, 1),
    Buffer.alloc(24, 2),
    Buffer.from(domain, 'latin1'),
    Buffer.from(user, 'latin1'),
    Buffer.from('WORKSTATION', 'latin1'),
  ];
  const header = Buffer.alloc(64);
  header.write('NTLMSSP\0', 0, 'latin1');
  header.writeUInt32LE(3, 8);
  let offset = 64;
  strings.forEach((value, i) => {
    header.writeUInt16LE(value.length, 12 + i * 8);
    header.writeUInt16LE(value.length, 14 + i * 8);
    header.writeUInt32LE(offset, 16 + i * 8);
    offset += value.length;
  });
  header.writeUInt32LE(0x00008206, 60);
  return `NTLM ${Buffer.concat([header, ...strings]).toString('base64')}`;
}
const basic = { username: 'CORP\\svc-sync', password: 'Correct-Horse-1' };

describe('EWS sandbox authentication and SOAP header', () => {
  let sandbox: EwsSandbox;
  let clients: EwsClients;

  beforeAll(async () => {
    sandbox = await startEwsSandbox();
    sandbox.addAccount({ username: 'CORP\\svc-sync', password: 'Correct-Horse-1' });
    sandbox.grantImpersonation('CORP\\svc-sync');
    sandbox.addAccount({ username: 'CORP\\svc-plain', password: 'No-Role-2' });
    sandbox.addAccount({ username: 'bob@corp.example', password: 'Bobs-Own-3' });
    sandbox.addMailbox('alice@corp.example', 'Alice Example');
    sandbox.addMailbox('bob@corp.example', 'Bob Example');
    clients = ewsClients(sandbox);
  });
  afterAll(async () => {
    await clients.close();
    await sandbox.close();
  });

  it('answers a call without credentials with 401 offering Negotiate, NTLM and Basic', async () => {
    const answer = await clients.basic(envelope(findCalendar, { impersonate: 'alice@corp.example' }));
    expect(answer.status).toBe(401);
    const offers = (answer.headers.get('www-authenticate') ?? '').split(/,\s*(?=Negotiate|NTLM|Basic)/);
    expect(offers).toEqual(['Negotiate', 'NTLM', 'Basic realm="127.0.0.1"']);
  });

  it('authenticates NTLM (v2) on one connection and keeps that connection authenticated', async () => {
    const before = sandbox.stats().authHandshakes;
    const connection = clients.connection();
    const answer = await connection.ntlm(
      envelope(findCalendar, { impersonate: 'alice@corp.example' }),
      service,
    );
    expect(answer.status).toBe(200);
    expect(responseMessages(answer, 'FindItem')[0]).toMatchObject({
      '@ResponseClass': 'Success',
      ResponseCode: 'NoError',
    });
    // Later calls on the same socket need no credentials, as IIS keeps the connection authenticated.
    const again = await connection.request({
      body: envelope(findCalendar, { impersonate: 'alice@corp.example' }),
    });
    expect(again.status).toBe(200);
    expect(sandbox.stats().authHandshakes).toBe(before + 1);
    // Another socket starts over.
    const other = clients.connection();
    expect(
      (await other.request({ body: envelope(findCalendar, { impersonate: 'alice@corp.example' }) })).status,
    ).toBe(401);
  });

  it('refuses an AUTHENTICATE message that arrives on another socket than its challenge', async () => {
    const first = clients.connection();
    const second = clients.connection();
    const body = envelope(findCalendar, { impersonate: 'alice@corp.example' });
    const challenge = await first.request({
      authorization: ntlm.createType1Message('WORKSTATION', 'CORP'),
      body,
    });
    expect(challenge.status).toBe(401);
    const type2 = ntlm.decodeType2Message(challenge.headers.get('www-authenticate') ?? '');
    const type3 = ntlm.createType3Message(type2, service.user, service.password, 'WORKSTATION', 'CORP');
    expect((await second.request({ authorization: type3, body })).status).toBe(401);
    // On its own socket the same message is good.
    expect((await first.request({ authorization: type3, body })).status).toBe(200);
  });

  it('refuses a wrong password, an unknown user and an NTLMv1 response', async () => {
    const body = envelope(findCalendar, { impersonate: 'alice@corp.example' });
    expect((await clients.connection().ntlm(body, { ...service, password: 'wrong' })).status).toBe(401);
    expect((await clients.connection().ntlm(body, { ...service, user: 'nobody' })).status).toBe(401);
    const connection = clients.connection();
    const challenge = await connection.request({
      authorization: ntlm.createType1Message('WORKSTATION', 'CORP'),
      body,
    });
    expect(challenge.status).toBe(401);
    // An NTLMv1 answer: 24-byte LM and NT responses (DES-based, so not computable here: OpenSSL 3
    // has no DES by default; the sandbox refuses the form whatever the bytes).
    expect(
      (await connection.request({ authorization: ntlmV1Authenticate('CORP', service.user), body })).status,
    ).toBe(401);
  });

  it('accepts Basic on every call, for DOMAIN\\user and user@domain accounts, and refuses a wrong one', async () => {
    const answer = await clients.basic(envelope(findCalendar, { impersonate: 'alice@corp.example' }), basic);
    expect(answer.status).toBe(200);
    const own = await clients.basic(envelope(findCalendar), {
      username: 'bob@corp.example',
      password: 'Bobs-Own-3',
    });
    expect(responseMessages(own, 'FindItem')[0]).toMatchObject({ '@ResponseClass': 'Success' });
    expect((await clients.basic(envelope(findCalendar), { ...basic, password: 'nope' })).status).toBe(401);
  });

  it('refuses impersonation without the ApplicationImpersonation role, and a mailbox that does not exist', async () => {
    const denied = await clients.basic(envelope(findCalendar, { impersonate: 'alice@corp.example' }), {
      username: 'CORP\\svc-plain',
      password: 'No-Role-2',
    });
    expect(denied.status).toBe(500);
    expect(soapFault(denied)).toMatchObject({
      code: 'ErrorImpersonateUserDenied',
      text: 'The account does not have permission to impersonate the requested user.',
    });
    const missing = await clients.basic(
      envelope(findCalendar, { impersonate: 'nobody@corp.example' }),
      basic,
    );
    expect(missing.status).toBe(500);
    const fault = soapFault(missing);
    expect(fault).toMatchObject({
      code: 'ErrorNonExistentMailbox',
      text: 'The SMTP address has no mailbox associated with it.',
    });
    expect(fault.detail['MessageXml']).toMatchObject({
      Value: { '@Name': 'SmtpAddress', '#text': 'nobody@corp.example' },
    });
    // Without impersonation, an account without a mailbox names no calendar.
    const noMailbox = await clients.basic(envelope(findCalendar), basic);
    expect(responseMessages(noMailbox, 'FindItem')[0]).toMatchObject({
      '@ResponseClass': 'Error',
      ResponseCode: 'ErrorMissingEmailAddress',
    });
    // Someone else's calendar needs delegate rights the sandbox does not grant.
    const delegated = await clients.basic(
      envelope(
        findCalendar.replace(
          '<t:DistinguishedFolderId Id="calendar"/>',
          '<t:DistinguishedFolderId Id="calendar"><t:Mailbox><t:EmailAddress>alice@corp.example</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId>',
        ),
      ),
      { username: 'bob@corp.example', password: 'Bobs-Own-3' },
    );
    expect(responseMessages(delegated, 'FindItem')[0]).toMatchObject({ ResponseCode: 'ErrorAccessDenied' });
  });

  it('accepts the server versions Exchange knows and refuses others', async () => {
    for (const version of ['Exchange2013', 'Exchange2013_SP1', 'Exchange2016', 'V2016_10_10'])
      expect(
        (await clients.basic(envelope(findCalendar, { impersonate: 'alice@corp.example', version }), basic))
          .status,
      ).toBe(200);
    const wrong = await clients.basic(
      envelope(findCalendar, { impersonate: 'alice@corp.example', version: 'Exchange2019' }),
      basic,
    );
    expect(wrong.status).toBe(500);
    expect(soapFault(wrong)).toMatchObject({
      code: 'ErrorInvalidServerVersion',
      text: 'The specified server version is invalid.',
    });
    const zone = await clients.basic(
      envelope(findCalendar, { impersonate: 'alice@corp.example', timeZone: 'Mars Standard Time' }),
      basic,
    );
    expect(soapFault(zone).code).toBe('ErrorTimeZone');
  });

  it('refuses malformed XML and a SOAP 1.2 envelope with ErrorSchemaValidation and where', async () => {
    const broken = await clients.basic(
      envelope(findCalendar, { impersonate: 'alice@corp.example' }).replace('</m:ItemShape>', ''),
      basic,
    );
    expect(broken.status).toBe(500);
    const fault = soapFault(broken);
    expect(fault.code).toBe('ErrorSchemaValidation');
    expect(fault.detail['Message']).toBe('The request failed schema validation.');
    expect(fault.detail['MessageXml']).toMatchObject({ LineNumber: '5' });
    const soap12 = await clients.basic(
      envelope(findCalendar).replace(
        'http://schemas.xmlsoap.org/soap/envelope/',
        'http://www.w3.org/2003/05/soap-envelope',
      ),
      basic,
    );
    expect(soapFault(soap12).code).toBe('ErrorSchemaValidation');
    const entity = await clients.basic(envelope(findCalendar).replace('IdOnly', 'IdOnly&nbsp;'), basic);
    expect(soapFault(entity).text).toContain("Reference to undeclared entity 'nbsp'");
  });
});
