// Why a Connect did not complete, in words for the admin's error page. Every one of these leaves
// the tenant's connection exactly as it was.
import { BadInputError } from '../lib/errors.ts';

export type ConnectFailure =
  | 'unknown-state'
  | 'wrong-tenant'
  | 'wrong-browser'
  | 'denied'
  | 'exchange-failed'
  | 'other-org'
  | 'other-user'
  | 'not-configured';

export class ConnectError extends BadInputError {
  readonly failure: ConnectFailure;

  constructor(failure: ConnectFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.failure = failure;
  }
}
