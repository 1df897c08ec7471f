// An error the Google sandbox answers as Google's JSON APIs do:
// { "error": { "errors": [{ "domain", "reason", "message", … }], "code", "message", "status"? }
// (Calendar API "Handle API errors"). Only the token endpoint speaks OAuth's own
// { "error", "error_description" } instead (google-auth.ts).

/** The `status` Google's newer front end adds for some codes (401, 403 on scopes, 429). */
export type GoogleStatus = 'UNAUTHENTICATED' | 'PERMISSION_DENIED' | 'RESOURCE_EXHAUSTED' | 'UNAVAILABLE';

export interface GoogleErrorItem {
  domain: string;
  reason: string;
  message: string;
  locationType?: string;
  location?: string;
}

export class GoogleApiError extends Error {
  readonly code: number;
  readonly item: GoogleErrorItem;
  readonly topMessage: string;
  readonly status: GoogleStatus | undefined;
  readonly headers: Record<string, string>;

  constructor(
    code: number,
    item: GoogleErrorItem,
    options: { topMessage?: string; status?: GoogleStatus; headers?: Record<string, string> } = {},
  ) {
    super(item.message);
    this.code = code;
    this.item = item;
    this.topMessage = options.topMessage ?? item.message;
    this.status = options.status;
    this.headers = options.headers ?? {};
  }

  toBody(): { error: Record<string, unknown> } {
    return {
      error: {
        errors: [this.item],
        code: this.code,
        message: this.topMessage,
        ...(this.status === undefined ? {} : { status: this.status }),
      },
    };
  }
}

/** 400 with reason `reason` (domain global unless given), as Calendar's validation answers. */
export const badRequest = (message: string, reason = 'invalid', domain = 'global') =>
  new GoogleApiError(400, { domain, reason, message });

/** A query parameter Google cannot read: 400 invalidParameter, located at the parameter. */
export const invalidParameter = (name: string, message: string) =>
  new GoogleApiError(400, {
    domain: 'global',
    reason: 'invalidParameter',
    message,
    locationType: 'parameter',
    location: name,
  });

export const notFound = () =>
  new GoogleApiError(404, { domain: 'global', reason: 'notFound', message: 'Not Found' });

export const deleted = () =>
  new GoogleApiError(410, { domain: 'global', reason: 'deleted', message: 'Resource has been deleted' });

/** The header a 401 carries (RFC 6750), as Google's front end sends it. */
const challenge = { 'WWW-Authenticate': 'Bearer realm="https://accounts.google.com/"' };

/** No Authorization header at all. */
export const loginRequired = () =>
  new GoogleApiError(
    401,
    {
      domain: 'global',
      reason: 'required',
      message: 'Login Required.',
      locationType: 'header',
      location: 'Authorization',
    },
    {
      topMessage:
        'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
      status: 'UNAUTHENTICATED',
      headers: challenge,
    },
  );

/** A token that is unknown or expired. */
export const invalidCredentials = () =>
  new GoogleApiError(
    401,
    {
      domain: 'global',
      reason: 'authError',
      message: 'Invalid Credentials',
      locationType: 'header',
      location: 'Authorization',
    },
    {
      topMessage:
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
      status: 'UNAUTHENTICATED',
      headers: challenge,
    },
  );

export const insufficientScopes = () =>
  new GoogleApiError(
    403,
    { domain: 'global', reason: 'insufficientPermissions', message: 'Insufficient Permission' },
    { topMessage: 'Request had insufficient authentication scopes.', status: 'PERMISSION_DENIED' },
  );
