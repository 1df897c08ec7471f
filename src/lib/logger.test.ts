import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', destination }) };
}

describe('logger', () => {
  it('writes JSON lines with level names', () => {
    const { lines, logger } = capture();
    logger.info({ tenant: 'acme' }, 'tenant created');
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'info', msg: 'tenant created', tenant: 'acme' });
  });

  it('redacts secret-looking fields at any depth we log', () => {
    const { lines, logger } = capture();
    logger.info(
      {
        accessToken: 'AT-1',
        connection: { refreshToken: 'RT-1', instanceUrl: 'https://acme.my.salesforce.com' },
        request: { headers: { authorization: 'Bearer AT-2' } },
        provider: { credentials: { clientSecret: 'CS-1' } },
        webhookSecret: 'whsec_1',
      },
      'connected',
    );
    const line = lines.join('\n');
    for (const secret of ['AT-1', 'RT-1', 'AT-2', 'CS-1', 'whsec_1']) expect(line).not.toContain(secret);
    expect(line).toContain('https://acme.my.salesforce.com');
  });

  it("gives an error's own name as its type, whatever its class is called", () => {
    const { lines, logger } = capture();
    // As the bundle leaves a class: a short name of its own, the error's name as written.
    class Xq extends Error {
      override readonly name = 'RetryableError';
    }
    logger.warn({ err: new Xq('Graph answered 503') }, 'call failed');
    expect(JSON.parse(lines[0]!)).toMatchObject({
      err: { type: 'RetryableError', message: 'Graph answered 503' },
    });
    logger.warn({ err: new TypeError('bad') }, 'call failed');
    expect(JSON.parse(lines[1]!)).toMatchObject({ err: { type: 'TypeError', message: 'bad' } });
    logger.warn({ err: 'not an error' }, 'call failed');
    expect(JSON.parse(lines[2]!)).toMatchObject({ err: 'not an error' });
  });
});
