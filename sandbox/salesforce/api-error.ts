// An error the sandbox answers the way Salesforce's REST API does: an HTTP status with a JSON
// array of { message, errorCode, fields }. Salesforce leaves `fields` out of some errors
// (NOT_FOUND, MALFORMED_QUERY) and sends it, empty or not, with others (ENTITY_IS_DELETED, a DML
// error): `fields` undefined leaves it out, an array (even empty) sends it.
import type { Context } from 'hono';

export class SalesforceApiError extends Error {
  readonly status: number;
  readonly errorCode: string;
  readonly fields: string[] | undefined;

  constructor(status: number, errorCode: string, message: string, fields?: string[]) {
    super(message);
    this.status = status;
    this.errorCode = errorCode;
    this.fields = fields;
  }

  toBody(): { message: string; errorCode: string; fields?: string[] }[] {
    return [
      {
        message: this.message,
        errorCode: this.errorCode,
        ...(this.fields === undefined ? {} : { fields: this.fields }),
      },
    ];
  }
}

/** A record in the recycle bin, read or written by id (REST answers 404, as a DELETE repeated shows). */
export function entityIsDeleted(): SalesforceApiError {
  return new SalesforceApiError(404, 'ENTITY_IS_DELETED', 'entity is deleted', []);
}

/** An id, object or route that does not exist. */
export function notFound(): SalesforceApiError {
  return new SalesforceApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
}

/** 405 for a resource the sandbox has, asked with a method it does not take. */
export function methodNotAllowed(c: Context, methods: string): Response {
  return c.json(
    [
      {
        errorCode: 'METHOD_NOT_ALLOWED',
        message: `HTTP Method '${c.req.method}' not allowed. Allowed are ${methods}`,
      },
    ],
    405,
  );
}
