import { describe, expect, it } from 'vitest';
import { floatingOf, instantOf, isTimeZone, localDateOf } from './zoned-time.ts';

const floating = (local: string) => Date.parse(`${local}Z`);

describe('wall-clock time in a time zone', () => {
  it('reads an instant as local time and back', () => {
    expect(new Date(floatingOf(Date.parse('2027-03-30T07:00:00Z'), 'Europe/Berlin')).toISOString()).toBe(
      '2027-03-30T09:00:00.000Z',
    );
    expect(new Date(instantOf(floating('2027-03-23T09:00:00'), 'Europe/Berlin')).toISOString()).toBe(
      '2027-03-23T08:00:00.000Z',
    );
    expect(localDateOf(Date.parse('2026-12-01T23:30:00Z'), 'Europe/Berlin')).toBe('2026-12-02');
  });

  it('takes a time a spring-forward gap skips with the offset before the gap, and a repeated time at its first instant (RFC 5545)', () => {
    expect(new Date(instantOf(floating('2027-03-28T02:30:00'), 'Europe/Berlin')).toISOString()).toBe(
      '2027-03-28T01:30:00.000Z', // 03:30 summer time
    );
    expect(new Date(instantOf(floating('2027-10-31T02:30:00'), 'Europe/Berlin')).toISOString()).toBe(
      '2027-10-31T00:30:00.000Z', // the first 02:30, still summer time
    );
  });

  it('knows IANA zone names', () => {
    expect(isTimeZone('America/Sao_Paulo')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });
});
