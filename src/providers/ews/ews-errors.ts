// What Exchange answered, read into the service's error vocabulary in one place. EWS says no in
// two ways: a SOAP fault (HTTP 500, the code in `detail/ResponseCode` or `faultcode`) when the
// whole request is refused (schema, impersonation, throttling), and a response message with
// ResponseClass="Error" (HTTP 200) for one item. Throttling and outages are retryable, honouring
// ErrorServerBusy's BackOffMilliseconds; a mailbox that does not exist is MailboxNotFoundError;
// a refused impersonation is MailboxAccessDeniedError (the owner's Events wait until the role is
// granted); a refused sign-in is permanent and names what to fix. Messages carry
// Exchange's own text, never a credential.
import { describeError, PermanentError, RetryableError } from '../../lib/errors.ts';
import {
  ItemNotFoundError,
  MailboxAccessDeniedError,
  MailboxNotFoundError,
  OccurrenceCannotMoveError,
} from '../calendar-provider.ts';
import { attribute, child, children, parseXml, text, type XmlNode } from './ews-xml.ts';

/** One `*ResponseMessage` of an answer: its class, code, text, back-off hint and the element itself. */
export interface EwsResponseMessage {
  responseClass: string;
  code: string;
  message: string;
  backOffMs: number | undefined;
  node: XmlNode;
}

export type EwsAnswer =
  | { kind: 'messages'; messages: EwsResponseMessage[] }
  | { kind: 'fault'; code: string; message: string; backOffMs: number | undefined }
  | { kind: 'unreadable' };

/** `<t:MessageXml><t:Value Name="BackOffMilliseconds">…</t:Value></t:MessageXml>`, in ms. */
function backOff(node: unknown): number | undefined {
  const value = children(child(node, 'MessageXml'), 'Value').find(
    (v) => attribute(v, 'Name') === 'BackOffMilliseconds',
  );
  const ms = Number(text(value));
  return value !== undefined && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/** Reads an EWS answer body: its response messages, or its SOAP fault, or that it is not EWS at all. */
export function readEwsAnswer(body: string): EwsAnswer {
  const envelope = child(parseXml(body), 'Envelope');
  const soapBody = child(envelope, 'Body');
  if (soapBody === undefined) return { kind: 'unreadable' };
  const fault = child(soapBody, 'Fault');
  if (fault !== undefined) {
    const detail = child(fault, 'detail');
    const faultCode = text(fault, 'faultcode') ?? '';
    const local = faultCode.slice(faultCode.indexOf(':') + 1);
    return {
      kind: 'fault',
      code: text(detail, 'ResponseCode') ?? (local.startsWith('Error') ? local : faultCode),
      message: text(fault, 'faultstring') ?? text(detail, 'Message') ?? '',
      backOffMs: backOff(detail),
    };
  }
  const response = Object.entries(soapBody).find(([name]) => name.endsWith('Response'))?.[1];
  const list = child(response, 'ResponseMessages');
  if (list === undefined) return { kind: 'unreadable' };
  const messages = Object.keys(list)
    .filter((name) => !name.startsWith('@') && name !== '#text')
    .flatMap((name) => children(list, name))
    .map((node) => ({
      responseClass: attribute(node, 'ResponseClass') ?? '',
      code: text(node, 'ResponseCode') ?? '',
      message: text(node, 'MessageText') ?? '',
      backOffMs: backOff(node),
      node,
    }));
  return { kind: 'messages', messages };
}

/** Codes for a moment of overload or an outage somewhere behind the EWS front end: try again later. */
const retryableCodes = new Set([
  'ErrorServerBusy',
  'ErrorExceededConnectionCount',
  'ErrorExceededFindCountLimit',
  'ErrorTimeoutExpired',
  'ErrorInternalServerTransientError',
  // Microsoft: "An inner ErrorServerBusy error code may be present. … delay sending additional requests".
  'ErrorInternalServerError',
  'ErrorMailboxStoreUnavailable',
  'ErrorMailboxMoveInProgress',
  'ErrorMailboxFailover',
  'ErrorConnectionFailed',
  'ErrorTooManyObjectsOpened',
  'ErrorBatchProcessingStopped',
  // Exchange could not reach the directory (or a forest trust) to act as the owner.
  'ErrorImpersonationFailed',
  'ErrorProxyRequestProcessingFailed',
]);

/** Codes for an address that names no mailbox (in the impersonation header, too). */
const noMailboxCodes = new Set(['ErrorNonExistentMailbox', 'ErrorInvalidSmtpAddress']);

const impersonationFix =
  'give the service account the ApplicationImpersonation role, with a scope that includes this mailbox ' +
  '(New-ManagementRoleAssignment -Name "Instant Sync impersonation" -Role ApplicationImpersonation -User <account>)';

/** Exchange's refusal (`code`, its text) of `what` for `mailbox`, as the error the engine acts on. */
export function ewsFailure(
  problem: { code: string; message: string; backOffMs?: number | undefined },
  what: string,
  mailbox?: string,
): Error {
  const said = `${what}: Exchange answered ${problem.code}${problem.message === '' ? '' : ` (${problem.message})`}`;
  if (retryableCodes.has(problem.code))
    return new RetryableError(
      said,
      problem.backOffMs === undefined ? {} : { retryAfterMs: problem.backOffMs },
    );
  if (noMailboxCodes.has(problem.code))
    return new MailboxNotFoundError(
      `${said}: the mailbox${mailbox === undefined ? '' : ` ${mailbox}`} does not exist in Exchange (map the owner to another mailbox with instant-sync mailboxes map)`,
    );
  // Refused for this owner (the role's scope leaves the mailbox out), or for everyone (no role):
  // either way a state of the mailbox, which syncs once the role is granted.
  if (problem.code === 'ErrorImpersonateUserDenied')
    return new MailboxAccessDeniedError(
      `${said}: the service account may not act as ${mailbox ?? 'this mailbox'}; ${impersonationFix}`,
    );
  if (problem.code === 'ErrorImpersonationDenied')
    return new MailboxAccessDeniedError(
      `${said}: the service account may not impersonate anyone; ${impersonationFix}`,
    );
  if (problem.code === 'ErrorItemNotFound') return new ItemNotFoundError(said);
  // Exchange keeps an occurrence between the one before and the one after it.
  if (problem.code === 'ErrorOccurrenceCrossingBoundary') return new OccurrenceCannotMoveError(said);
  return new PermanentError(said);
}

/** An answer that is not a success: what its HTTP status and body say, as the engine's error. */
export function ewsHttpFailure(
  answer: { status: number; headers: Record<string, string | string[] | undefined>; body: string },
  what: string,
  url: string,
  mailbox?: string,
): Error {
  const read = readEwsAnswer(answer.body);
  if (read.kind === 'fault') return ewsFailure(read, what, mailbox);
  const failed =
    read.kind === 'messages' ? read.messages.find((m) => m.responseClass === 'Error') : undefined;
  if (failed !== undefined) return ewsFailure(failed, what, mailbox);
  const status = answer.status;
  if (status === 401)
    return new PermanentError(
      `${what}: Exchange refused the service account's sign-in (HTTP 401): check its user name (DOMAIN\\user or a UPN), its password, and the authentication method (--auth)`,
    );
  if (status === 403)
    return new PermanentError(
      `${what}: Exchange refused EWS to the service account (HTTP 403): EWS may be turned off for it (Set-CASMailbox -EwsEnabled) or by an EWS application access policy`,
    );
  if (status === 404) return new PermanentError(`${what}: there is no EWS at ${url} (HTTP 404): check --url`);
  if (status === 429 || status >= 500) {
    const header = answer.headers['retry-after'];
    const seconds = Number(Array.isArray(header) ? header[0] : header);
    return new RetryableError(
      `${what}: Exchange answered HTTP ${status}`,
      Number.isFinite(seconds) && seconds > 0 ? { retryAfterMs: seconds * 1000 } : {},
    );
  }
  if (status >= 300 && status < 400)
    return new PermanentError(
      `${what}: ${url} redirects (HTTP ${status}): give the EWS URL itself with --url`,
    );
  return new PermanentError(`${what}: Exchange answered HTTP ${status}, not an EWS answer`);
}

/** A request that got no answer: the network, TLS, or our own timeout. */
export function ewsTransportFailure(error: unknown, what: string): Error {
  if (error instanceof PermanentError || error instanceof RetryableError) return error;
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError' || name === 'AbortError')
    return new RetryableError(`${what}: Exchange did not answer in time`, { cause: error });
  const code = (error as { code?: unknown } | undefined)?.code;
  const certificate =
    typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code)
      ? ": the server's certificate is not trusted (it must be issued to the URL's host by a CA this server trusts)"
      : '';
  return new RetryableError(`${what}: cannot reach Exchange (${describeError(error)})${certificate}`, {
    cause: error,
  });
}
