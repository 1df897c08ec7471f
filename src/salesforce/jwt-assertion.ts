// The signed assertion of Salesforce's OAuth JWT bearer flow: RS256 over
// { iss: consumer key, sub: username, aud: login URL, exp: within 3 minutes }.
import { createPrivateKey, sign } from 'node:crypto';
import { BadInputError } from '../lib/errors.ts';

export function createJwtAssertion(input: {
  clientId: string;
  username: string;
  audience: string;
  privateKeyPem: string;
  now: number;
}): string {
  let key;
  try {
    key = createPrivateKey(input.privateKeyPem);
  } catch (error) {
    throw new BadInputError('the JWT bearer private key is not a PEM private key', { cause: error });
  }
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const header = encode({ alg: 'RS256', typ: 'JWT' });
  const claims = encode({
    iss: input.clientId,
    sub: input.username,
    aud: input.audience.replace(/\/+$/, ''),
    exp: Math.floor(input.now / 1000) + 170,
  });
  const signature = sign('sha256', Buffer.from(`${header}.${claims}`), key).toString('base64url');
  return `${header}.${claims}.${signature}`;
}
