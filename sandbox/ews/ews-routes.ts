// The EWS endpoint, /EWS/Exchange.asmx (IIS paths are case-insensitive): authentication first
// (ews-auth.ts, any method, as IIS authenticates before EWS sees a request), then the SOAP
// envelope and header, the mailbox the call acts for (ExchangeImpersonation's user, checked
// for existence, ErrorNonExistentMailbox, and for the ApplicationImpersonation role,
// ErrorImpersonateUserDenied; else the account's own), throttling, latency and faults for that
// mailbox, and the operation. SOAP faults are HTTP 500 as Exchange sends them.
import { Hono, type Context } from 'hono';
import type { EwsAuth } from './ews-auth.ts';
import { SoapFault } from './ews-errors.ts';
import {
  isDroppedConnection,
  limiter,
  serviceUnavailable,
  ServiceUnavailable,
  type LimitOptions,
} from './ews-limits.ts';
import { findItem, getItem } from './ews-read-operations.ts';
import { faultXml, parseSoapRequest, soapResponse } from './ews-soap.ts';
import { requestStamps } from './ews-stamps.ts';
import type { EwsStore } from './ews-store.ts';
import type { OperationContext } from './ews-targets.ts';
import { createItem, deleteItem, updateItem, type OperationResult } from './ews-write-operations.ts';
import { escapeText, type XmlElement } from './ews-xml.ts';

export interface EwsRouteOptions {
  store: EwsStore;
  auth: EwsAuth;
  limits: LimitOptions;
}

const operations: Record<string, (context: OperationContext, operation: XmlElement) => OperationResult> = {
  CreateItem: createItem,
  UpdateItem: updateItem,
  DeleteItem: deleteItem,
  GetItem: getItem,
  FindItem: findItem,
};

const xml = (body: string, status: number) =>
  new Response(body, { status, headers: { 'content-type': 'text/xml; charset=utf-8' } });

export function ewsRoutes(options: EwsRouteOptions): Hono {
  const { store, auth } = options;
  const limited = limiter(options.limits);
  const app = new Hono({ strict: false });

  const handle = async (c: Context): Promise<Response> => {
    const account = auth.authenticate(c);
    if (account instanceof Response) return account;
    if (c.req.method === 'GET')
      return c.html(
        `<html><body><p>Exchange Web Services (sandbox). You are signed in as ${escapeText(account.username)}.</p></body></html>`,
      );
    if (c.req.method !== 'POST') return c.body(null, 405, { allow: 'GET, POST' });
    const type = c.req.header('content-type') ?? '';
    if (!/^text\/xml\b/i.test(type))
      return c.text(
        `Cannot process the message because the content type '${type}' was not the expected type 'text/xml; charset=utf-8'.`,
        415,
      );
    const body = await c.req.text();
    try {
      const request = parseSoapRequest(body);
      let mailbox = account.upn === undefined ? undefined : store.mailbox(account.upn);
      if (request.impersonate !== undefined) {
        const target = request.impersonate.startsWith('sid:')
          ? undefined
          : store.mailbox(request.impersonate);
        if (target === undefined)
          throw new SoapFault('ErrorNonExistentMailbox', {
            messageXml: `<t:Value Name="SmtpAddress">${escapeText(request.impersonate)}</t:Value>`,
          });
        if (!account.impersonation) throw new SoapFault('ErrorImpersonateUserDenied');
        mailbox = target;
      }
      const name = request.operation.name;
      const operation = operations[name];
      if (operation === undefined)
        throw new SoapFault('ErrorInvalidRequest', {
          faultString: `The EWS sandbox does not implement ${name}.`,
        });
      const context: OperationContext = {
        store,
        account,
        mailbox,
        time: { timeZoneContext: request.timeZoneContext },
      };
      const result = await limited(
        c,
        mailbox?.address ?? account.username,
        () => {
          const done = operation(context, request.operation);
          return { body: soapResponse(name, done.messages), writes: done.writes };
        },
        () => requestStamps(store, mailbox, request.operation),
      );
      return xml(result.body, 200);
    } catch (error) {
      if (error instanceof SoapFault) return xml(faultXml(error), error.status);
      if (error instanceof ServiceUnavailable) return serviceUnavailable();
      if (isDroppedConnection(error)) return new Response(null, { status: 499 });
      throw error;
    }
  };

  app.all('*', (c, next) => (c.req.path.toLowerCase() === '/ews/exchange.asmx' ? handle(c) : next()));
  return app;
}
