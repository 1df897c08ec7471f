import { describe, expect, it } from 'vitest';
import { assumedSessionIdleMs, decideSessionRefresh, sessionRefreshMarginMs } from './salesforce-session.ts';

const now = Date.UTC(2026, 10, 24, 9);

describe('decideSessionRefresh', () => {
  it('uses a token that was used recently', () => {
    expect(decideSessionRefresh({ hasToken: true, lastUsedAt: now - 60_000, now, rejected: false })).toEqual({
      action: 'use',
    });
  });

  it('refreshes when there is no token, when it sat idle too long, or when the API rejected it', () => {
    expect(decideSessionRefresh({ hasToken: false, lastUsedAt: null, now, rejected: false })).toEqual({
      action: 'refresh',
      reason: 'no-token',
    });
    const idleSince = now - (assumedSessionIdleMs - sessionRefreshMarginMs);
    expect(decideSessionRefresh({ hasToken: true, lastUsedAt: idleSince, now, rejected: false })).toEqual({
      action: 'refresh',
      reason: 'idle',
    });
    expect(decideSessionRefresh({ hasToken: true, lastUsedAt: idleSince + 1, now, rejected: false })).toEqual(
      {
        action: 'use',
      },
    );
    expect(decideSessionRefresh({ hasToken: true, lastUsedAt: now, now, rejected: true })).toEqual({
      action: 'refresh',
      reason: 'rejected',
    });
  });
});
