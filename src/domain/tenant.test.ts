import { describe, expect, it } from 'vitest';
import { slugProblem, tenantUrl } from './tenant.ts';

describe('tenant slugs', () => {
  it.each(['acme', 'a', 'acme-emea', 'x1', 'a'.repeat(40)])('accepts %s', (slug) => {
    expect(slugProblem(slug)).toBeUndefined();
  });

  it.each(['', 'Acme', 'acme corp', '-acme', 'acme-', 'ac--me', 'a'.repeat(41), 'acmé', '../etc'])(
    'refuses %j with a reason',
    (slug) => {
      expect(slugProblem(slug)).toMatch(/^invalid tenant slug .*: use 1 to 40 lowercase letters/);
    },
  );
});

describe('tenant URLs', () => {
  it('always end in a slash, whatever the public URL looks like', () => {
    expect(tenantUrl('https://sync.example.com', 'acme')).toBe('https://sync.example.com/t/acme/');
    expect(tenantUrl('https://sync.example.com/', 'acme')).toBe('https://sync.example.com/t/acme/');
    expect(tenantUrl('https://example.com/instant-sync//', 'acme')).toBe(
      'https://example.com/instant-sync/t/acme/',
    );
  });
});
