// The SOAP 1.1 envelope around every EWS call: the request's Envelope, Header and Body checked
// (ErrorSchemaValidation for anything else), its header read as Exchange reads it:
// RequestServerVersion (ErrorInvalidServerVersion for a version Exchange does not know),
// ExchangeImpersonation/ConnectingSID (ErrorInvalidExchangeImpersonationHeaderData when empty),
// TimeZoneContext (ErrorTimeZone for a zone Windows lacks). And the answers: a response envelope
// with Exchange Server 2019's ServerVersionInfo, response messages, and SOAP faults.
import { schemaViolation, SoapFault, type ItemError } from './ews-errors.ts';
import { checkAttributes, checkChoice, requiredAttribute } from './ews-schema.ts';
import { ianaOf } from './ews-time.ts';
import {
  childNamed,
  escapeText,
  MalformedXml,
  ns,
  parseXml,
  tag,
  textTag,
  type XmlElement,
} from './ews-xml.ts';

/** ExchangeVersionType's values in the types.xsd Exchange Server 2016/2019 publish. */
export const exchangeVersions = [
  'Exchange2007',
  'Exchange2007_SP1',
  'Exchange2009',
  'Exchange2010',
  'Exchange2010_SP1',
  'Exchange2010_SP2',
  'Exchange2012',
  'Exchange2013',
  'Exchange2013_SP1',
  'Exchange2015',
  'Exchange2016',
  'V2015_10_05',
  'V2016_01_06',
  'V2016_04_13',
  'V2016_07_13',
  'V2016_10_10',
] as const;

const headerElements = new Set([
  'RequestServerVersion',
  'ExchangeImpersonation',
  'TimeZoneContext',
  'MailboxCulture',
  'DateTimePrecision',
  'SerializedSecurityContext',
  'ManagementRole',
]);

export interface SoapRequest {
  /** The operation element (m:CreateItem, m:FindItem, …). */
  operation: XmlElement;
  version: string;
  /** The impersonated user, by SMTP address or UPN. */
  impersonate: string | undefined;
  /** TimeZoneContext's Windows zone id. */
  timeZoneContext: string | undefined;
}

/** Reads a request body, or throws the SOAP fault Exchange answers it with. */
export function parseSoapRequest(body: string): SoapRequest {
  let envelope: XmlElement;
  try {
    envelope = parseXml(body);
  } catch (error) {
    if (!(error instanceof MalformedXml)) throw error;
    throw schemaViolation(error.message, error);
  }
  if (envelope.ns !== ns.soap || envelope.name !== 'Envelope')
    throw schemaViolation(`The '${envelope.ns}:${envelope.name}' element is not declared.`, envelope);
  const header = childNamed(envelope, 'Header', ns.soap);
  const bodyElement = childNamed(envelope, 'Body', ns.soap);
  const stray = envelope.children.find((c) => c.ns !== ns.soap || (c.name !== 'Header' && c.name !== 'Body'));
  if (stray !== undefined)
    throw schemaViolation(`The '${stray.ns}:${stray.name}' element is not declared.`, stray);
  if (bodyElement === undefined)
    throw schemaViolation(
      `The element 'Envelope' in namespace '${ns.soap}' has incomplete content. List of possible elements expected: 'Body' in namespace '${ns.soap}'.`,
      envelope,
    );
  const [operation, extra] = bodyElement.children;
  if (operation === undefined)
    throw schemaViolation(
      `The element 'Body' in namespace '${ns.soap}' has incomplete content.`,
      bodyElement,
    );
  if (operation.ns !== ns.messages)
    throw schemaViolation(`The '${operation.ns}:${operation.name}' element is not declared.`, operation);
  if (extra !== undefined)
    throw schemaViolation(
      `The element 'Body' in namespace '${ns.soap}' has invalid child element '${extra.name}' in namespace '${extra.ns}'.`,
      extra,
    );

  const request: SoapRequest = {
    operation,
    version: 'Exchange2007',
    impersonate: undefined,
    timeZoneContext: undefined,
  };
  for (const element of header?.children ?? []) {
    if (element.ns !== ns.types) continue;
    if (!headerElements.has(element.name))
      throw schemaViolation(`The '${ns.types}:${element.name}' element is not declared.`, element);
    if (element.name === 'RequestServerVersion') {
      const version = requiredAttribute(element, 'Version');
      if (!(exchangeVersions as readonly string[]).includes(version))
        throw new SoapFault('ErrorInvalidServerVersion');
      request.version = version;
    } else if (element.name === 'ExchangeImpersonation') {
      const sid = checkChoice(element, ['ConnectingSID']);
      const id = checkChoice(sid, ['PrincipalName', 'SID', 'PrimarySmtpAddress', 'SmtpAddress']);
      const value = id.text.trim();
      if (value === '') throw new SoapFault('ErrorInvalidExchangeImpersonationHeaderData');
      // A SID names an Active Directory account the sandbox does not have.
      request.impersonate = id.name === 'SID' ? `sid:${value}` : value.toLowerCase();
    } else if (element.name === 'TimeZoneContext') {
      const definition = checkChoice(element, ['TimeZoneDefinition']);
      checkAttributes(definition, ['Id', 'Name']);
      const id = definition.attrs['Id'];
      if (id === undefined || ianaOf(id) === undefined) throw new SoapFault('ErrorTimeZone');
      request.timeZoneContext = id;
    }
  }
  return request;
}

const envelopeOpen = `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="${ns.soap}">`;

/** The answer to an operation: `<m:{operation}Response>` with its response messages. */
export function soapResponse(operation: string, responseMessages: string[]): string {
  const serverVersion = tag('h:ServerVersionInfo', {
    MajorVersion: '15',
    MinorVersion: '2',
    MajorBuildNumber: '1544',
    MinorBuildNumber: '4',
    Version: 'V2017_07_11',
    'xmlns:h': ns.types,
    xmlns: ns.types,
    'xmlns:xsd': 'http://www.w3.org/2001/XMLSchema',
    'xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance',
  });
  return (
    `${envelopeOpen}<s:Header>${serverVersion}</s:Header>` +
    `<s:Body xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">` +
    tag(
      `m:${operation}Response`,
      { 'xmlns:m': ns.messages, 'xmlns:t': ns.types },
      tag('m:ResponseMessages', {}, responseMessages.join('')),
    ) +
    `</s:Body></s:Envelope>`
  );
}

/** One `<m:{operation}ResponseMessage>`: Success with its content, or Error with the code and text. */
export function responseMessage(
  operation: string,
  result: { content: string } | { error: ItemError; content?: string },
): string {
  const name = `m:${operation}ResponseMessage`;
  if ('error' in result)
    return tag(
      name,
      { ResponseClass: 'Error' },
      textTag('m:MessageText', result.error.message) +
        textTag('m:ResponseCode', result.error.code) +
        textTag('m:DescriptiveLinkKey', '0') +
        (result.error.messageXml === undefined ? '' : tag('m:MessageXml', {}, result.error.messageXml)) +
        (result.content ?? ''),
    );
  return tag(name, { ResponseClass: 'Success' }, textTag('m:ResponseCode', 'NoError') + result.content);
}

/** A SOAP fault as Exchange writes one. */
export function faultXml(fault: SoapFault): string {
  return (
    `${envelopeOpen}<s:Body><s:Fault>` +
    `<faultcode xmlns:a="${ns.types}">a:${fault.code}</faultcode>` +
    `<faultstring xml:lang="en-US">${escapeText(fault.message)}</faultstring>` +
    `<detail><e:ResponseCode xmlns:e="${ns.errors}">${fault.code}</e:ResponseCode>` +
    `<e:Message xmlns:e="${ns.errors}">${escapeText(fault.code === 'ErrorSchemaValidation' ? 'The request failed schema validation.' : fault.message)}</e:Message>` +
    (fault.messageXml === undefined
      ? ''
      : `<t:MessageXml xmlns:t="${ns.types}">${fault.messageXml}</t:MessageXml>`) +
    `</detail></s:Fault></s:Body></s:Envelope>`
  );
}
