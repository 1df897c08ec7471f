import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.ts';
import { SecretBox, generateSecretKey, parseSecretKey } from './secret-box.ts';

describe('SecretBox', () => {
  const box = new SecretBox(generateSecretKey());

  it('round-trips any text, and never seals the same text the same way twice', () => {
    const text = 'refresh-token 5Aep861… ✓ Zürich 東京 🙂';
    const a = box.seal(text, 'ctx');
    const b = box.seal(text, 'ctx');
    expect(a).not.toBe(b);
    expect(a).not.toContain('refresh');
    expect(box.open(a, 'ctx')).toBe(text);
    expect(box.open(b, 'ctx')).toBe(text);
  });

  it('refuses a value moved to another row or column (other context)', () => {
    const sealed = box.seal('secret', 'tenant:1:webhook-secret');
    expect(() => box.open(sealed, 'tenant:2:webhook-secret')).toThrow(/failed its integrity check/);
  });

  it('refuses a tampered value', () => {
    const sealed = box.seal('secret', 'ctx');
    const parts = sealed.split('.');
    const body = Buffer.from(parts[4]!, 'base64url');
    body[0] = (body[0] ?? 0) ^ 1;
    parts[4] = body.toString('base64url');
    expect(() => box.open(parts.join('.'), 'ctx')).toThrow(/failed its integrity check/);
  });

  it('names both keys when the configured key is not the one used', () => {
    const other = new SecretBox(generateSecretKey());
    const sealed = other.seal('secret', 'ctx');
    expect(() => box.open(sealed, 'ctx')).toThrow(ConfigError);
    expect(() => box.open(sealed, 'ctx')).toThrow(
      `encrypted with key ${other.keyId}, but the configured key is ${box.keyId}`,
    );
  });
});

describe('parseSecretKey', () => {
  const key = generateSecretKey();

  it('reads base64, base64url and hex', () => {
    expect(parseSecretKey(key.toString('base64'))).toEqual(key);
    expect(parseSecretKey(`${key.toString('base64url')}\n`)).toEqual(key);
    expect(parseSecretKey(key.toString('hex'))).toEqual(key);
  });

  it.each(['', 'short', 'x'.repeat(44), Buffer.alloc(16).toString('base64')])('refuses %j', (text) => {
    expect(() => parseSecretKey(text)).toThrow(/32 bytes written as base64.*openssl rand -base64 32/);
  });
});
