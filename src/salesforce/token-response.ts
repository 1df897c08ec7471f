// What Salesforce's token endpoint answers, read once: a valid token response, or a failure
// classified for the caller (after Cal.com's token classification):
// - grant-dead: the grant or the app credentials no longer work (expired or revoked refresh
//   token, inactive user, wrong client secret): only an admin can fix it by reconnecting;
// - inconclusive: the answer says nothing about the grant (network error, 5xx, 429): try later.
// (access-token-unusable, the third answer, comes from the REST API as INVALID_SESSION_ID.)
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

export const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).optional(),
  instance_url: z.url(),
  id: z.url(),
  issued_at: z.string().regex(/^\d+$/),
  signature: z.string().min(1).optional(),
  scope: z.string().optional(),
  token_type: z.string().optional(),
});

export type TokenResponse = z.infer<typeof tokenResponseSchema>;

export type TokenFailureKind = 'grant-dead' | 'inconclusive';

export interface TokenFailure {
  kind: TokenFailureKind;
  /** Salesforce's error code, or a description of the transport problem. */
  error: string;
  message: string;
}

export function classifyTokenFailure(status: number, body: unknown): TokenFailure {
  const error = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const code = typeof error['error'] === 'string' ? error['error'] : `http_${status}`;
  const description = typeof error['error_description'] === 'string' ? error['error_description'] : '';
  const message = description === '' ? `Salesforce answered ${status} ${code}` : `${code}: ${description}`;
  if (status === 400 || status === 401) {
    if (
      code === 'invalid_grant' ||
      code === 'invalid_client' ||
      code === 'invalid_client_id' ||
      code === 'inactive_user' ||
      code === 'inactive_org'
    ) {
      return { kind: 'grant-dead', error: code, message };
    }
  }
  return { kind: 'inconclusive', error: code, message };
}

/** The org id and user id from the identity URL `.../id/<orgId>/<userId>`. */
export function parseIdentityUrl(idUrl: string): { orgId: string; userId: string } | undefined {
  const match = /\/id\/([a-zA-Z0-9]{15,18})\/([a-zA-Z0-9]{15,18})\/?$/.exec(new URL(idUrl).pathname);
  return match === null ? undefined : { orgId: match[1] ?? '', userId: match[2] ?? '' };
}

/** Salesforce signs id + issued_at with the consumer secret: proof the response came from the org we asked. */
export function signatureIsValid(response: TokenResponse, clientSecret: string): boolean {
  if (response.signature === undefined) return false;
  const expected = createHmac('sha256', clientSecret)
    .update(response.id + response.issued_at)
    .digest();
  const given = Buffer.from(response.signature, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
