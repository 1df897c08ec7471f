import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allowedTransitions,
  assertTransition,
  connectionStates,
  connectionStatusText,
  expiryPhase,
  expiryWarningDue,
  formatRefreshTokenPolicy,
  parseRefreshTokenPolicy,
  refreshTokenExpiresAt,
} from './salesforce-connection.ts';

const day = 86_400_000;
const t0 = Date.UTC(2026, 10, 1);

describe('connection states', () => {
  it('allows exactly the listed transitions', () => {
    for (const from of connectionStates) {
      for (const to of connectionStates) {
        const allowed = allowedTransitions[from].includes(to);
        if (allowed) expect(() => assertTransition(from, to)).not.toThrow();
        else expect(() => assertTransition(from, to)).toThrow(`cannot go from ${from} to ${to}`);
      }
    }
    expect(allowedTransitions.disconnected).toEqual(['connected']);
  });

  it("speaks the admin guide's words, with the countdown", () => {
    expect(connectionStatusText('disconnected', null, t0)).toBe('Disconnected');
    expect(connectionStatusText('connected', null, t0)).toBe('Connected');
    expect(connectionStatusText('connected', t0 + 30 * day, t0)).toBe('Connected (expires in 30 days)');
    expect(connectionStatusText('expiring', t0 + 30 * 3_600_000, t0)).toBe('Connected (expires in 30 hours)');
    expect(connectionStatusText('reconnect_required', t0, t0)).toBe('Reconnect required');
  });
});

describe('refresh-token policy', () => {
  it.each([
    ['until-revoked', { kind: 'until_revoked' }],
    ['expire-after:30d', { kind: 'expire_after', days: 30 }],
    ['IDLE:7d', { kind: 'expire_if_unused', days: 7 }],
  ])('reads %s', (text, policy) => {
    expect(parseRefreshTokenPolicy(text)).toEqual(policy);
  });

  it.each(['', '30d', 'expire-after:0d', 'expire-after:30', 'idle:-1d', 'forever'])('refuses %j', (text) => {
    const result = parseRefreshTokenPolicy(text);
    expect('problem' in result && result.problem).toMatch(/^unknown refresh-token policy/);
  });

  it('formats what it reads', () => {
    for (const text of ['until-revoked', 'expire-after:30d', 'idle:7d']) {
      const policy = parseRefreshTokenPolicy(text);
      if ('problem' in policy) throw new Error(policy.problem);
      expect(formatRefreshTokenPolicy(policy)).toBe(text);
    }
  });

  it('expires 30 days after connecting, or N days after last use, or never', () => {
    expect(
      refreshTokenExpiresAt(
        { kind: 'expire_after', days: 30 },
        { connectedAt: t0, refreshTokenLastUsedAt: t0 + day },
      ),
    ).toBe(t0 + 30 * day);
    expect(
      refreshTokenExpiresAt(
        { kind: 'expire_if_unused', days: 7 },
        { connectedAt: t0, refreshTokenLastUsedAt: t0 + 3 * day },
      ),
    ).toBe(t0 + 10 * day);
    expect(
      refreshTokenExpiresAt({ kind: 'until_revoked' }, { connectedAt: t0, refreshTokenLastUsedAt: null }),
    ).toBeNull();
  });
});

describe('expiry warnings', () => {
  const expiresAt = t0 + 30 * day;

  it('warns at 7, 3 and 1 days, once each', () => {
    let last: number | null = null;
    const sent: number[] = [];
    for (let hour = 0; hour < 30 * 24; hour++) {
      const due = expiryWarningDue(expiresAt, t0 + hour * 3_600_000, last);
      if (due !== undefined) {
        sent.push(due.days);
        last = due.days;
      }
    }
    expect(sent).toEqual([7, 3, 1]);
  });

  it('sends only the current warning after a gap, and none once expired', () => {
    expect(expiryWarningDue(expiresAt, expiresAt - 2 * day, null)).toMatchObject({ days: 3 });
    expect(expiryWarningDue(expiresAt, expiresAt - 2 * day, 3)).toBeUndefined();
    expect(expiryWarningDue(expiresAt, expiresAt, null)).toBeUndefined();
    expect(expiryWarningDue(expiresAt, expiresAt - 8 * day, null)).toBeUndefined();
  });

  it('never sends a warning twice, whatever the order of checks', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 * 24 }), { maxLength: 60 }), (hours) => {
        let last: number | null = null;
        const sent: number[] = [];
        for (const hour of [...hours].sort((a, b) => a - b)) {
          const due = expiryWarningDue(expiresAt, t0 + hour * 3_600_000, last);
          if (due !== undefined) {
            sent.push(due.days);
            last = due.days;
          }
        }
        return new Set(sent).size === sent.length && sent.every((d, i) => i === 0 || d < (sent[i - 1] ?? 99));
      }),
    );
  });

  it('places a refresh token against its expiry', () => {
    expect(expiryPhase(null, expiresAt)).toBe('none');
    expect(expiryPhase(expiresAt, expiresAt - 8 * day)).toBe('distant');
    expect(expiryPhase(expiresAt, expiresAt - 7 * day)).toBe('expiring');
    expect(expiryPhase(expiresAt, expiresAt - 1)).toBe('expiring');
    expect(expiryPhase(expiresAt, expiresAt)).toBe('expired');
  });
});
