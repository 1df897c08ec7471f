import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  classifyTokenFailure,
  parseIdentityUrl,
  signatureIsValid,
  type TokenResponse,
} from './token-response.ts';

describe('classifyTokenFailure', () => {
  it.each([
    [400, { error: 'invalid_grant', error_description: 'expired access/refresh token' }, 'grant-dead'],
    [400, { error: 'invalid_grant', error_description: 'authentication failure' }, 'grant-dead'],
    [400, { error: 'invalid_client', error_description: 'invalid client credentials' }, 'grant-dead'],
    [400, { error: 'inactive_user', error_description: 'user is inactive' }, 'grant-dead'],
    [400, { error: 'unsupported_grant_type', error_description: 'grant type not supported' }, 'inconclusive'],
    [503, undefined, 'inconclusive'],
    [429, { error: 'rate_limited' }, 'inconclusive'],
    [500, 'not json', 'inconclusive'],
  ])('%i %j is %s', (status, body, kind) => {
    expect(classifyTokenFailure(status, body).kind).toBe(kind);
  });

  it('says what Salesforce said', () => {
    expect(
      classifyTokenFailure(400, {
        error: 'invalid_grant',
        error_description: 'expired access/refresh token',
      }),
    ).toEqual({
      kind: 'grant-dead',
      error: 'invalid_grant',
      message: 'invalid_grant: expired access/refresh token',
    });
    expect(classifyTokenFailure(502, undefined).message).toBe('Salesforce answered 502 http_502');
  });
});

describe('token response checks', () => {
  const response: TokenResponse = {
    access_token: '00Dxx!AQ0AQ',
    instance_url: 'https://acme.my.salesforce.com',
    id: 'https://login.salesforce.com/id/00D5g000004XyZaEAK/0055g00000AbCdEAAV',
    issued_at: '1795510800000',
  };

  it('reads the org and user from the identity URL', () => {
    expect(parseIdentityUrl(response.id)).toEqual({
      orgId: '00D5g000004XyZaEAK',
      userId: '0055g00000AbCdEAAV',
    });
    expect(parseIdentityUrl('https://login.salesforce.com/services/oauth2/userinfo')).toBeUndefined();
  });

  it('accepts only the signature made with the client secret', () => {
    const signature = createHmac('sha256', 'secret')
      .update(response.id + response.issued_at)
      .digest('base64');
    expect(signatureIsValid({ ...response, signature }, 'secret')).toBe(true);
    expect(signatureIsValid({ ...response, signature }, 'other secret')).toBe(false);
    expect(signatureIsValid({ ...response, signature, issued_at: '1795510800001' }, 'secret')).toBe(false);
    expect(signatureIsValid(response, 'secret')).toBe(false);
  });
});
