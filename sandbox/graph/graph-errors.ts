// An error the Graph sandbox answers as Microsoft Graph does: a status with
// { "error": { "code", "message", "innerError": { "date", "request-id" } } }.
import { randomUUID } from 'node:crypto';

export class GraphError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }

  toBody(): { error: { code: string; message: string; innerError: { date: string; 'request-id': string } } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        innerError: { date: new Date().toISOString(), 'request-id': randomUUID() },
      },
    };
  }
}
